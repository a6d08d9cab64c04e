"""Read-only, enforced where requests are sent: GET only, no watch, never a Secret's data.

The request logs of every server in these tests are also checked by `serve` (conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeaudit.sources.cluster.errors import UnsafeRequest
from kubeaudit.sources.cluster.source import ClusterOptions, open_cluster_sources
from kubeaudit.sources.cluster.transport import JSON, METADATA, METADATA_LIST, check_read_only
from tests.apiserver import ApiServerHandle
from tests.cluster.conftest import EQUIVALENCE, SECRET_RULE, read_only_violations, report, serve
from tests.conftest import REPO, RunCli

CLUSTER_PACKAGE = REPO / "kubeaudit" / "sources" / "cluster"


@pytest.mark.parametrize(
    ("path", "query", "accept"),
    [
        ("/api/v1/secrets", {}, JSON),  # a secret list that would carry data
        ("/api/v1/namespaces/team-a/secrets", {"limit": 5}, JSON),
        ("/api/v1/namespaces/team-a/secrets/db-credentials", {}, METADATA),  # one secret, even as metadata
        ("/api/v1/namespaces/team-a/secrets/db-credentials", {}, JSON),
        ("/api/v1/pods", {"watch": "true"}, JSON),  # a watch
        ("/api/v1/pods", {"limit": 5, "resourceVersion": "0"}, JSON),
        ("/api/v1/namespaces/../secrets", {}, JSON),  # traversal
        ("/api/v1/namespaces/team-a%2Fsecrets", {}, JSON),
        ("/api/v1/namespaces/team-a?watch=1", {}, JSON),
        ("/api/v1//secrets", {}, JSON),
        ("api/v1/pods", {}, JSON),
    ],
)
def test_the_guard_refuses_what_a_read_only_scanner_never_sends(path: str, query: dict[str, str], accept: str) -> None:
    with pytest.raises(UnsafeRequest):
        check_read_only("GET", path, query, accept)


def test_the_guard_allows_what_the_scanner_sends() -> None:
    check_read_only("GET", "/api/v1/secrets", {"limit": 500, "continue": "abc"}, METADATA_LIST)
    check_read_only("GET", "/api/v1/namespaces/secrets/pods", {"limit": 1}, JSON)  # a namespace named secrets
    check_read_only("GET", "/apis/rbac.authorization.k8s.io/v1/clusterroles", {}, JSON)
    for method in ("POST", "PUT", "PATCH", "DELETE", "HEAD"):
        with pytest.raises(UnsafeRequest):
            check_read_only(method, "/api/v1/pods", {}, JSON)


def test_refused_requests_never_reach_the_server(cluster: ApiServerHandle) -> None:
    [source] = open_cluster_sources(ClusterOptions(kubeconfig=str(cluster.kubeconfig_path)))
    cluster.clear_requests()
    for path, accept in (("/api/v1/secrets", JSON), ("/api/v1/namespaces/team-a/secrets/api-token", METADATA)):
        with pytest.raises(UnsafeRequest):
            source.transport.get(path, accept=accept)
    with pytest.raises(UnsafeRequest):
        source.transport.get("/api/v1/pods", {"watch": "true"})
    # The refused requests, by what they ask: the log may still gain the line of a request made
    # before the clear (GET /version, logged once answered), which a loaded machine can delay.
    refused = [
        r
        for r in cluster.requests()
        if "secrets" in r["path"] or (r["path"] == "/api/v1/pods" and "watch" in r["query"])
    ]
    assert refused == []


def test_only_the_transport_talks_to_the_server() -> None:
    """No other module of the cluster source builds or sends a request, so the guard sees all of them."""
    for module in sorted(CLUSTER_PACKAGE.glob("*.py")):
        text = module.read_text(encoding="utf-8")
        calls = [c for c in ("call_api", "param_serialize", "pool_manager", "rest_client", "urlopen") if c in text]
        if module.name != "transport.py":
            assert calls == [], f"{module.name} sends requests itself: {calls}"
        for verb in ('"POST"', '"PUT"', '"PATCH"', '"DELETE"', "'POST'", "'DELETE'", "watch="):
            assert verb not in text, f"{module.name} mentions {verb}"


def test_the_log_check_catches_what_the_guard_refuses() -> None:
    """The conftest check of request logs is itself tested: it would flag each forbidden request."""
    ok = {"method": "GET", "path": "/api/v1/secrets", "query": {"limit": "500"}, "accept": METADATA_LIST}
    assert read_only_violations([ok]) == []
    for bad in (
        {**ok, "method": "DELETE"},
        {**ok, "accept": "application/json"},
        {**ok, "path": "/api/v1/namespaces/a/secrets", "accept": None},
        {**ok, "path": "/api/v1/namespaces/a/secrets/s"},
        {**ok, "path": "/api/v1/pods", "query": {"watch": "true"}, "accept": JSON},
    ):
        assert len(read_only_violations([bad])) == 1, bad


def test_namespace_option_cannot_smuggle_a_path(run_cli: RunCli, cluster: ApiServerHandle) -> None:
    cluster.clear_requests()
    run = run_cli("scan", "--cluster", "--kubeconfig", str(cluster.kubeconfig_path), "--no-config",
                  "-n", "team-a/secrets", "-n", "../api", "-n", "team-b")  # fmt: skip
    assert run.code == 2 and run.out == ""
    assert run.err.splitlines() == [
        "kubeaudit: error: --namespace 'team-a/secrets' is not a namespace name (RFC 1123 label)",
        "kubeaudit: error: --namespace '../api' is not a namespace name (RFC 1123 label)",
    ]
    assert cluster.requests() == []  # refused before connecting


def test_a_server_that_ignores_the_metadata_accept_header_is_a_gap(run_cli: RunCli, tmp_path: Path) -> None:
    with serve(EQUIVALENCE, implicit=False, ignore_accept=["secrets"]) as api:
        run = run_cli("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config", "-f", "json",
                      "--rules", str(SECRET_RULE))  # fmt: skip
        secret_requests = [r for r in api.requests() if "secrets" in r["path"]]
    assert run.code == 2
    doc = report(run.out)
    assert [(g["what"], g["reason"].split(":")[0]) for g in doc["gaps"]] == [
        ("secrets", "metadata-only list not supported")
    ]
    assert "secret-labelled" in {e["ruleId"] for e in doc["notEvaluated"]}
    assert not [f for f in doc["findings"] if f["resource"]["kind"] == "Secret"]  # nothing it sent was kept
    for secret_value in ("czNjcjN0", "YWRtaW4", "do-not-leak-me", "ZG8tbm90LWxlYWstbWU"):
        assert secret_value not in run.out
    assert secret_requests and all(r["accept"] == METADATA_LIST for r in secret_requests)
