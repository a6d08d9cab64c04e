"""Pagination, 410 restarts, retries, read-only requests, and never a Secret's data."""

from __future__ import annotations

import time
from typing import Any

from kubeaudit.sources.cluster.source import ClusterOptions, open_cluster_sources
from kubeaudit.sources.cluster.transport import METADATA_LIST
from tests.apiserver import FIXTURES, ApiServerHandle
from tests.cluster.conftest import EQUIVALENCE, SECRET_RULE, report, serve
from tests.conftest import RunCli


def _listed(api: ApiServerHandle, **options: Any) -> dict[str, list[str]]:
    """kind -> names of every resource the cluster source handed the pipeline (owners folded or not)."""
    [source] = open_cluster_sources(ClusterOptions(kubeconfig=str(api.kubeconfig_path), backoff=0.01, **options))
    source.owners.fold = lambda kind, obj: None  # type: ignore[method-assign]  # count every object
    seen: dict[str, list[str]] = {}
    for batch in source.batches():
        assert not batch.gaps, batch.gaps
        for r in batch.resources:
            seen.setdefault(r.kind, []).append(f"{r.namespace}/{r.name}")
    return seen


def test_pagination_and_410_restarts_lose_and_duplicate_nothing() -> None:
    with serve([], generate_pods=60, generate_namespaces=3, implicit=False) as api:
        whole = _listed(api, page_size=1000)
        api.clear_requests()
        paged = _listed(api, page_size=7, concurrency=2)
        pod_requests = [r for r in api.requests() if r["path"] == "/api/v1/pods"]
    with serve([], generate_pods=60, generate_namespaces=3, implicit=False,
                           expire_continue={"pods": (2, 2)}) as api:  # fmt: skip
        restarted = _listed(api, page_size=7)
        expired = [r for r in api.requests() if r["path"] == "/api/v1/pods" and r["status"] == 410]
    assert len(whole["Pod"]) == 60
    assert len(pod_requests) == 9 and all(r["query"]["limit"] == "7" for r in pod_requests)
    for listing in (paged, restarted):
        assert sorted(listing["Pod"]) == sorted(whole["Pod"])
        assert len(set(listing["Pod"])) == len(listing["Pod"])  # no duplicates
        assert {k: sorted(v) for k, v in listing.items()} == {k: sorted(v) for k, v in whole.items()}
    assert len(expired) == 2  # both expiries happened, and both lists were restarted


def test_server_errors_and_throttling_are_retried() -> None:
    with serve(FIXTURES, fail={"pods": 2}, throttle={"deployments.apps": (2, 0)}) as api:
        listing = _listed(api)
        statuses = [(r["path"], r["status"]) for r in api.requests()]
    assert len(listing["Pod"]) == 5
    assert [s for p, s in statuses if p == "/api/v1/pods"] == [500, 500, 200]
    assert [s for p, s in statuses if p == "/apis/apps/v1/deployments"] == [429, 429, 200]


def test_only_get_requests_and_secrets_only_as_metadata(run_cli: RunCli) -> None:
    with serve(EQUIVALENCE, implicit=False) as api:
        plain = run_cli("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config", "-f", "json")
        plain_requests = api.requests()
        api.clear_requests()
        with_rule = run_cli("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config",
                            "-f", "json", "--rules", str(SECRET_RULE))  # fmt: skip
        rule_requests = api.requests()
    assert plain.code == with_rule.code == 1
    for log in (plain_requests, rule_requests):
        assert log and {r["method"] for r in log} == {"GET"}
    # No rule needs secrets by default: they are not listed at all.
    assert not [r for r in plain_requests if "secrets" in r["path"]]
    # A rule that names Secret gets them as metadata only: never a request that could return data.
    secret_requests = [r for r in rule_requests if "secrets" in r["path"]]
    assert secret_requests and all(r["accept"] == METADATA_LIST for r in secret_requests)
    doc = report(with_rule.out)
    assert {f["resource"]["name"] for f in doc["findings"] if f["ruleId"] == "secret-labelled"} == {
        "db-credentials",
        "api-token",
    }
    for secret_value in ("czNjcjN0", "YWRtaW4", "do-not-leak-me", "ZG8tbm90LWxlYWstbWU"):
        assert secret_value not in with_rule.out


def test_owner_folding_reports_top_level_owners_with_pod_counts(cluster: ApiServerHandle, run_cli: RunCli) -> None:
    run = run_cli("scan", "--cluster", "--kubeconfig", str(cluster.kubeconfig_path), "--no-config", "-f", "json")
    doc = report(run.out)
    resources = {(f["resource"]["kind"], f["resource"]["name"]): f["resource"] for f in doc["findings"]}
    assert resources[("Deployment", "web")]["ownedPods"] == 3
    assert resources[("DaemonSet", "node-agent")]["ownedPods"] == 1
    assert ("ReplicaSet", "web-5d8f7c9b6d") not in resources
    assert not [k for k in resources if k[0] == "Pod" and k[1].startswith(("web-", "node-agent-", "backup-"))]
    assert "ownedPods" not in resources[("Pod", "bare-nginx")]  # bare pods report themselves
    assert ("Pod", "operator-managed") in resources  # owned by a non-workload: reported itself
    [note] = [
        n["message"]
        for n in doc["notices"]
        if n["source"] == "cluster:kubeaudit-test" and not n["message"].startswith("versions: ")
    ]
    assert note.startswith("1 Job, 5 Pods, 1 ReplicaSet owned by controllers")


def test_cluster_facts_reach_the_inventory(cluster: ApiServerHandle) -> None:
    [source] = open_cluster_sources(ClusterOptions(kubeconfig=str(cluster.kubeconfig_path)))
    facts: dict[str, Any] = {}
    for batch in source.batches():
        facts.update(batch.facts)
    cluster_facts = facts["cluster/kubeaudit-test"]
    assert cluster_facts["serverVersion"]["gitVersion"].startswith("v1.")
    assert cluster_facts["namespaces"]["team-a"]["podSecurity"] == {"enforce": "baseline"}
    assert set(cluster_facts["namespaces"]) == {"team-a", "team-b", "team-c"}


def test_the_next_tier_is_listed_while_the_pipeline_still_evaluates_the_last() -> None:
    """Owners are listed before what they own, but a slow consumer does not hold the listing back:
    the ReplicaSets are requested while the Deployments are still being evaluated, and folding
    still sees every owner first."""
    with serve([], generate_pods=40, generate_namespaces=2, implicit=False) as api:
        [source] = open_cluster_sources(ClusterOptions(kubeconfig=str(api.kubeconfig_path)))
        kinds_in_order: list[str] = []
        replicasets_requested_while_busy = False
        for batch in source.batches():
            kinds_in_order += [r.kind for r in batch.resources]
            if any(r.kind == "Deployment" for r in batch.resources) and not replicasets_requested_while_busy:
                give_up = time.monotonic() + 5  # a consumer evaluating slowly
                while time.monotonic() < give_up and not replicasets_requested_while_busy:
                    replicasets_requested_while_busy = any(r["path"].endswith("/replicasets") for r in api.requests())
                    time.sleep(0.05)
    assert replicasets_requested_while_busy
    assert "ReplicaSet" not in kinds_in_order and "Pod" not in kinds_in_order  # all folded into Deployments


def test_pods_folded_into_their_owners_are_listed_while_the_pipeline_is_busy() -> None:
    """The pods of the Deployments are folded as they are fetched, not queued behind the pages the
    pipeline has still to evaluate: a consumer busy with the first Deployments does not hold the
    pod list back (before, the queue's budget filled with folded pods after a page or two, and the
    pods were fetched only once the pipeline had caught up)."""
    with serve([], generate_pods=200, generate_namespaces=2, implicit=False) as api:
        [source] = open_cluster_sources(ClusterOptions(kubeconfig=str(api.kubeconfig_path), page_size=10))
        pods_listed_while_busy = False
        kinds: list[str] = []
        for batch in source.batches():
            kinds += [r.kind for r in batch.resources]
            if any(r.kind == "Deployment" for r in batch.resources) and not pods_listed_while_busy:
                give_up = time.monotonic() + 10  # a consumer evaluating slowly
                while time.monotonic() < give_up and not pods_listed_while_busy:
                    pod_pages = [r for r in api.requests() if r["path"] == "/api/v1/pods"]
                    pods_listed_while_busy = len(pod_pages) == 20  # all 200 pods, 10 a page
                    time.sleep(0.05)
        notes = [n.message for n in source.notices()]
    assert pods_listed_while_busy
    assert "Pod" not in kinds and "ReplicaSet" not in kinds  # every one folded into its Deployment
    assert any(n.startswith("200 Pods, 40 ReplicaSets owned by controllers") for n in notes), notes
