"""Istio mesh rules against the test API server: Istio kinds served or not, readable or forbidden."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

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


GATEWAY_CLUSTER = [
    *ISTIO_CRDS,
    *yaml.safe_load_all("""
apiVersion: v1
kind: Namespace
metadata: {name: istio-system}
---
apiVersion: v1
kind: Namespace
metadata: {name: bookinfo, labels: {istio-injection: enabled}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: istio-ingressgateway, namespace: istio-system}
spec:
  selector: {matchLabels: {istio: ingressgateway}}
  template:
    metadata: {labels: {istio: ingressgateway}}
    spec:
      containers: [{name: istio-proxy, image: "docker.io/istio/proxyv2:1.28.0"}]
---
# The certificate lives beside the gateway proxy, where Istio reads it.
apiVersion: v1
kind: Secret
type: kubernetes.io/tls
metadata: {name: bookinfo-cert, namespace: istio-system}
data: {tls.crt: bm90LWEtY2VydA==, tls.key: bm90LWEta2V5}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: bookinfo-gateway, namespace: bookinfo}
spec:
  selector: {istio: ingressgateway}
  servers:
    - port: {number: 443, name: https, protocol: HTTPS}
      hosts: [bookinfo.example.com]
      tls: {mode: SIMPLE, credentialName: bookinfo-cert}
"""),
]
CREDENTIAL_RULE = ("--no-config", "-f", "json", "--disable", "*", "--enable", "mesh-gateway-credential-missing")


def _gateway_scan(tmp_path: Path, run_cli: RunCli, docs: list[dict[str, Any]], *args: str, **server: Any) -> Any:
    with serve([_write(tmp_path, "gateway.json", docs)], implicit=False, **server) as api:
        live = run_cli("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), *CREDENTIAL_RULE, *args)
    return live.code, report(live.out)


def test_gateway_credential_is_found_beside_the_gateway_proxy_and_missing_when_absent(
    tmp_path: Path, run_cli: RunCli
) -> None:
    code, doc = _gateway_scan(tmp_path, run_cli, GATEWAY_CLUSTER)
    assert (code, doc["findings"], doc["notEvaluated"]) == (0, [], [])
    without_secret = [d for d in GATEWAY_CLUSTER if d["kind"] != "Secret"]
    code, doc = _gateway_scan(tmp_path, run_cli, without_secret)
    assert code == 1
    assert [(f["ruleId"], f["resource"]["name"]) for f in doc["findings"]] == [
        ("mesh-gateway-credential-missing", "bookinfo-gateway")
    ]


def test_forbidden_secrets_leave_gateway_credentials_not_evaluated(tmp_path: Path, run_cli: RunCli) -> None:
    without_secret = [d for d in GATEWAY_CLUSTER if d["kind"] != "Secret"]
    code, doc = _gateway_scan(tmp_path, run_cli, without_secret, forbid=["secrets"])
    assert code == 2  # a coverage gap: the Secrets could not be listed
    assert doc["findings"] == []
    [entry] = doc["notEvaluated"]
    assert entry["ruleId"] == "mesh-gateway-credential-missing"
    assert "Secret" in entry["reason"] and "403" in entry["reason"]
    assert entry["targets"] == ["Gateway/bookinfo/bookinfo-gateway"]


def test_a_namespace_scan_does_not_claim_a_credential_that_may_live_in_an_unread_namespace(
    tmp_path: Path, run_cli: RunCli
) -> None:
    # The Secret (and the gateway proxy that reads it) are in istio-system, which this scan does not read.
    code, doc = _gateway_scan(tmp_path, run_cli, GATEWAY_CLUSTER, "--namespace", "bookinfo")
    assert doc["findings"] == []
    [entry] = doc["notEvaluated"]
    assert entry["ruleId"] == "mesh-gateway-credential-missing"
    assert "bookinfo" in entry["reason"] and "Secret" in entry["reason"]
    assert entry["targets"] == ["Gateway/bookinfo/bookinfo-gateway"]
    assert code == 0
