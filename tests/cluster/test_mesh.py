"""Istio mesh rules against the test API server: Istio kinds served or not, readable or forbidden."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.cluster.conftest import finding_keys, report, serve
from tests.conftest import REPO, RunCli

BOOKINFO = REPO / "fixtures" / "istio-bookinfo"
MESH_ONLY = ("--no-config", "-f", "json", "--disable", "*", "--enable", "mesh-*")


def _crd(group: str, kind: str, plural: str) -> dict[str, Any]:
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{plural}.{group}"},
        "spec": {
            "group": group,
            "names": {"kind": kind, "plural": plural, "singular": kind.lower()},
            "scope": "Namespaced",
            "versions": [{"name": "v1", "served": True}, {"name": "v1beta1", "served": True}],
        },
    }


ISTIO_CRDS = [
    _crd("security.istio.io", "PeerAuthentication", "peerauthentications"),
    _crd("security.istio.io", "AuthorizationPolicy", "authorizationpolicies"),
    _crd("networking.istio.io", "DestinationRule", "destinationrules"),
    _crd("networking.istio.io", "Gateway", "gateways"),
]


def _write(tmp_path: Path, name: str, docs: list[dict[str, Any]]) -> Path:
    import json

    path = tmp_path / name
    path.write_text("\n".join(json.dumps(d) for d in docs) if len(docs) == 1 else json.dumps({"apiVersion": "v1",
                    "kind": "List", "items": docs}), encoding="utf-8")  # fmt: skip
    return path


def _one_version(tmp_path: Path) -> Path:
    """BookInfo with every Istio object as v1: an API server lists a kind at one version and
    converts, but the test server stores each version apart, so the cluster copy uses one."""
    folder = tmp_path / "bookinfo"
    folder.mkdir()
    for path in BOOKINFO.glob("*.yaml"):
        text = path.read_text(encoding="utf-8").replace("istio.io/v1beta1", "istio.io/v1")
        (folder / path.name).write_text(text, encoding="utf-8")
    return folder


def test_bookinfo_from_the_cluster_reports_what_the_manifests_report(tmp_path: Path, run_cli: RunCli) -> None:
    files = run_cli("scan", str(BOOKINFO), *MESH_ONLY)
    with serve([_one_version(tmp_path)], defaulting=False, implicit=False) as api:
        live = run_cli("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), *MESH_ONLY)
    assert files.code == live.code == 1, live.err
    expected = finding_keys(report(files.out))
    assert finding_keys(report(live.out)) == expected
    assert {k[0] for k in expected} >= {
        "mesh-mtls-not-strict",
        "mesh-peer-authentication-permissive",
        "mesh-destination-rule-tls-disabled",
        "mesh-destination-rule-simple-tls",
        "mesh-authorization-allow-all",
        "mesh-gateway-plain-http",
        "mesh-service-port-protocol",
        "mesh-outbound-allow-any",
        "mesh-namespace-injection",
        "mesh-sidecar-opt-out",
    }
    assert report(live.out)["notEvaluated"] == []


def test_cluster_without_istio_is_complete_and_reports_no_mesh_findings(tmp_path: Path, run_cli: RunCli) -> None:
    plain = _write(tmp_path, "plain.json", [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "namespace": "shop"},
         "spec": {"containers": [{"name": "web", "image": "example.com/web:1.0.0"}]}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "shop"},
         "spec": {"selector": {"app": "web"}, "ports": [{"port": 80}]}},
    ])  # fmt: skip
    with serve([plain], implicit=False) as api:
        live = run_cli("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), *MESH_ONLY)
        paths = {r["path"] for r in api.requests()}
    doc = report(live.out)
    assert live.code == 0, live.out
    assert doc["findings"] == [] and doc["notEvaluated"] == [] and doc["gaps"] == []
    assert not [p for p in paths if "istio.io" in p and p != "/apis"]  # not served: never asked for


def test_istio_served_but_empty_is_no_mesh(tmp_path: Path, run_cli: RunCli) -> None:
    docs = [*ISTIO_CRDS, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}}]
    with serve([_write(tmp_path, "crds.json", docs)], implicit=False) as api:
        live = run_cli("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), *MESH_ONLY)
        listed = {r["path"] for r in api.requests()}
    assert live.code == 0, live.out
    assert "/apis/security.istio.io/v1/peerauthentications" in listed


def test_forbidden_peer_authentications_leave_mtls_rules_not_evaluated(run_cli: RunCli) -> None:
    with serve([BOOKINFO.resolve()], implicit=False, forbid=["peerauthentications.security.istio.io"]) as api:
        live = run_cli(
            "scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config", "-f", "json",
            "--allow-partial",
        )  # fmt: skip
    doc = report(live.out)
    not_evaluated = {e["ruleId"] for e in doc["notEvaluated"]}
    assert {"mesh-mtls-not-strict", "mesh-peer-authentication-permissive"} <= not_evaluated
    reported = {f["ruleId"] for f in doc["findings"]}
    assert not reported & not_evaluated
    # Rules that read neither PeerAuthentications nor the namespace's mesh facts still ran.
    assert "netpol-default-deny-ingress" not in not_evaluated
    assert "netpol-default-deny-ingress" in reported
    # The istio view decides which workloads a policy covers from every Istio kind: all its rules wait.
    assert "mesh-gateway-plain-http" in not_evaluated
