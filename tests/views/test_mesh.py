"""The mesh views: Istio semantics the rules rely on, and the BookInfo demo the README shows."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from kubeaudit.engine.loader import load_rules
from kubeaudit.scan import scan_manifests
from kubeaudit.views.mesh import namespace_enrolment, port_protocol, workload_enrolment
from tests.conftest import REPO, RunCli

RULES = {r.id: r for r in load_rules()}


@pytest.mark.parametrize(
    ("port", "protocol"),
    [
        ({"name": "http"}, "http"),
        ({"name": "http-web"}, "http"),
        ({"name": "grpc-web"}, "grpc-web"),
        ({"name": "grpc-web-ui"}, "grpc-web"),
        ({"name": "HTTP2-api"}, "http2"),
        ({"name": "httpapi"}, None),
        ({"name": "web"}, None),
        ({"name": "web", "appProtocol": "grpc"}, "grpc"),
        ({"port": 80}, None),
    ],
)
def test_port_protocol_follows_istio_name_prefixes_and_app_protocol(port: dict[str, str], protocol: str | None) -> None:
    assert port_protocol(port) == protocol


def test_enrolment_by_namespace_and_pod_labels() -> None:
    assert namespace_enrolment({"istio-injection": "enabled"}) == "sidecar"
    assert namespace_enrolment({"istio.io/rev": "canary"}) == "sidecar"
    assert namespace_enrolment({"istio-injection": "disabled", "istio.io/rev": "canary"}) == "disabled"
    assert namespace_enrolment({"istio.io/dataplane-mode": "ambient"}) == "ambient"
    assert workload_enrolment("sidecar", {}, {"sidecar.istio.io/inject": "false"}) == "opted-out"
    assert workload_enrolment("ambient", {"istio.io/dataplane-mode": "none"}, {}) == "opted-out"
    assert workload_enrolment("none", {"sidecar.istio.io/inject": "true"}, {}) == "sidecar"
    assert workload_enrolment("disabled", {"sidecar.istio.io/inject": "true"}, {}) == "none"
    assert workload_enrolment(None, {}, {}) == "unknown"  # no Namespace object: nothing asserted


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "input.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


PEER_PRECEDENCE = """
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: shop}
spec: {mtls: {mode: PERMISSIVE}}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: payments, namespace: shop}
spec:
  selector: {matchLabels: {app: payments}}
  mtls: {mode: STRICT}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: inherit, namespace: shop}
spec:
  selector: {matchLabels: {app: web}}
  mtls: {mode: UNSET}
""" + "".join(
    f"""---
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: shop, labels: {{app: {name}}}}}
spec: {{containers: [{{name: c, image: "example.com/{name}:1.0.0"}}]}}
"""
    for name in ("payments", "web", "cart")
)


def test_permissive_namespace_policy_names_only_the_workloads_it_decides(tmp_path: Path) -> None:
    result = scan_manifests([_write(tmp_path, PEER_PRECEDENCE)], [RULES["mesh-peer-authentication-permissive"]])
    [finding] = result.findings
    # payments has its own STRICT policy; web's own policy is UNSET, so the namespace's decides.
    assert finding.message.endswith("plaintext is accepted by Pod/cart, Pod/web.")


def test_rules_depend_only_on_the_kinds_of_the_fields_they_read() -> None:
    assert "Secret" in (RULES["mesh-gateway-credential-missing"].needed_kinds() or ())
    assert "Secret" not in (RULES["mesh-gateway-plain-http"].needed_kinds() or ())
    netpol = RULES["netpol-default-deny-ingress"].needed_kinds() or frozenset()
    assert "PeerAuthentication" not in netpol and "NetworkPolicy" in netpol
    assert "PeerAuthentication" in (RULES["mesh-namespace-authorization-missing"].needed_kinds() or ())


def test_mesh_config_with_an_alias_bomb_is_not_judged(tmp_path: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(8)
    )
    text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata:\n  mesh: |\n"
    text += "".join(f"    {line}\n" for line in bomb.splitlines())
    result = scan_manifests([_write(tmp_path, text)], [RULES["mesh-outbound-allow-any"]])
    assert not result.errors
    assert [f.rule_id for f in result.findings] == ["mesh-outbound-allow-any"]  # unreadable counts as unset


def test_readme_shows_what_kubeaudit_reports_on_the_bookinfo_demo(run_cli: RunCli) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("$ kubeaudit scan fixtures/istio-bookinfo")
    block = readme[start : readme.index("```", start)].splitlines()
    command = shlex.split(block[0][2:])
    run = run_cli(*command[1:], "--no-config", "--no-color", cwd=REPO)
    assert run.code == 1
    out = run.out.splitlines()
    for line in block[1:]:
        assert line in out, line
    assert re.search(r"^12 findings \(4 high, 5 medium, 2 low, 1 info\)$", run.out, re.M)


MESH_WITH_ITS_OWN_ROOT = """\
apiVersion: v1
kind: Namespace
metadata: {name: mesh-config}
---
apiVersion: v1
kind: Pod
metadata: {name: config-sync, namespace: mesh-config}
spec:
  containers: [{name: sync, image: "example.com/sync:1.0.0"}]
---
apiVersion: v1
kind: Namespace
metadata: {name: istio-control}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: istiod, namespace: istio-control}
spec:
  selector: {matchLabels: {app: istiod}}
  template:
    metadata: {labels: {app: istiod}}
    spec:
      containers: [{name: discovery, image: "docker.io/istio/pilot:1.28.0"}]
---
apiVersion: v1
kind: Namespace
metadata: {name: shop, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec:
  containers: [{name: web, image: "example.com/web:1.0.0"}]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: mesh-config}
spec:
  mtls: {mode: STRICT}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny-by-default, namespace: mesh-config}
spec: {}
"""
ROOT_RULES = ["mesh-mtls-not-strict", "mesh-namespace-authorization-missing", "mesh-namespace-injection"]


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        # The mesh's root namespace is mesh-config: its policies are mesh-wide, and it is exempt
        # from injection like istio-control, where istiod runs.
        ("mesh-root-namespace: mesh-config\n", []),
        # Read with the default root (istio-system), the same input has no mesh-wide policy, and
        # mesh-config is an ordinary namespace outside the mesh.
        ("{}\n", [
            ("mesh-mtls-not-strict", "Deployment/istio-control/istiod"),
            ("mesh-namespace-authorization-missing", "Namespace/shop"),
            ("mesh-namespace-injection", "Namespace/mesh-config"),
        ]),
    ],
)  # fmt: skip
def test_every_mesh_rule_reads_the_configured_root_namespace(
    tmp_path: Path, run_cli: RunCli, config: str, expected: list[tuple[str, str]]
) -> None:
    (tmp_path / "mesh.yaml").write_text(MESH_WITH_ITS_OWN_ROOT, encoding="utf-8")
    (tmp_path / ".kubeaudit.yaml").write_text(config, encoding="utf-8")
    run = run_cli("scan", "mesh.yaml", "--disable", "*", *(f"--enable={r}" for r in ROOT_RULES), "-f", "json",
                  cwd=tmp_path)  # fmt: skip
    report = json.loads(run.out)
    found = sorted((f["ruleId"], "/".join(filter(None, (f["resource"][k] for k in ("kind", "namespace", "name")))))
                   for f in report["findings"])  # fmt: skip
    assert found == expected
    assert run.code == (1 if expected else 0)
