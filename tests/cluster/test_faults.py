"""Faults in the middle of a scan: each one a coverage gap (exit 2) with a clear reason, a report
all the same, no traceback, bounded time. Pagination edge cases lose and duplicate nothing.

These tests drive the library (`kubeaudit.api.run`, as the CLI does) with a short retry backoff to
stay fast; the CLI adds nothing to these paths but the exit code, which `gate` computes.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import pytest

from kubeaudit.api import ScanOptions, gate, run
from kubeaudit.model import ScanResult
from kubeaudit.sources.cluster.errors import ClusterError
from kubeaudit.sources.cluster.source import ClusterOptions, ClusterSource, open_cluster_sources
from tests.apiserver import ApiServerHandle
from tests.cluster.conftest import DATA, EQUIVALENCE, serve
from tests.conftest import AS_OF_DAY, REPO

CRD_RULE = DATA / "crd-rule"
GENERATED: dict[str, Any] = {"generate_pods": 40, "generate_namespaces": 2, "implicit": False}


def _sources(api: ApiServerHandle, **options: Any) -> list[ClusterSource]:
    options.setdefault("backoff", 0.01)
    return open_cluster_sources(ClusterOptions(kubeconfig=str(api.kubeconfig_path), **options))


def _scan(
    api: ApiServerHandle, allow_partial: bool = False, rules: list[str] | None = None, **options: Any
) -> tuple[ScanResult, int]:
    sources = list(_sources(api, **options))
    result = run(
        ScanOptions(
            use_config=False, sources=sources, allow_partial=allow_partial, rule_dirs=rules or [], as_of=AS_OF_DAY
        )
    )
    return result, gate(result, "low")


def _pods(api: ApiServerHandle, **options: Any) -> list[str]:
    """Every pod the source hands the pipeline (owner folding off), as namespace/name."""
    [source] = _sources(api, **options)
    source.owners.fold = lambda kind, obj: None  # type: ignore[method-assign]
    pods = []
    for batch in source.batches():
        assert not batch.gaps, batch.gaps
        pods += [f"{r.namespace}/{r.name}" for r in batch.resources if r.kind == "Pod"]
    return pods


def _gaps(result: ScanResult) -> dict[str, str]:
    return {g.what: g.reason for g in result.gaps}


# -- credentials and server lost mid-scan ---------------------------------------------------------


def test_credentials_revoked_mid_scan_become_gaps_not_an_abort() -> None:
    with serve(EQUIVALENCE, implicit=False, revoke_token_after={"replicasets.apps": 0}) as api:
        result, code = _scan(api, concurrency=1)
        log = api.requests()
    with serve(EQUIVALENCE, implicit=False, revoke_token_after={"replicasets.apps": 0}) as api:
        partial, partial_code = _scan(api, concurrency=1, allow_partial=True)
    assert code == 2 and not result.complete
    gaps = _gaps(result)
    assert {"replicasets.apps", "pods"} <= set(gaps)
    for reason in gaps.values():  # every kind not read yet, with the same reason
        assert reason.startswith("credentials rejected (401 Unauthorized) during the scan: ")
    # What was read before the token was revoked is still reported.
    assert {f.resource.kind for f in result.findings} >= {"Deployment", "DaemonSet", "StatefulSet"}
    # Fail fast: the first 401 is the last request; nothing is sent for the kinds after it.
    assert [r["status"] for r in log].count(401) == 1 and log[-1]["status"] == 401
    # --allow-partial: the gaps are reported, the exit code follows the findings.
    assert partial_code == 1 and partial.complete and partial.gaps


def test_credentials_rejected_before_the_scan_are_an_error_not_a_gap() -> None:
    with serve([], implicit=False, revoke_token_after={"pods": 0}) as api:
        _scan(api)  # the first pods request revokes the token
        with pytest.raises(ClusterError) as error:  # one line; the CLI prints it and exits 2
            _sources(api)
    assert error.value.lines == [
        f"context kubeaudit-test ({api.url}): credentials rejected (401 Unauthorized): "
        "the token or client certificate is invalid or has expired"
    ]


def test_server_gone_mid_scan_becomes_gaps_in_bounded_time() -> None:
    with serve([], die_after={"pods": 1}, **GENERATED) as api:
        started = time.monotonic()
        result, code = _scan(api, page_size=10, attempts=3)
        elapsed = time.monotonic() - started
        assert not api.alive
    assert code == 2
    gaps = _gaps(result)
    assert gaps["pods"].startswith("server unreachable during the scan: ")
    assert "(after 3 attempts)" in gaps["pods"]
    assert result.stats.resources > 0  # what was read before is reported
    assert elapsed < 10


# -- pagination edge cases ------------------------------------------------------------------------


def test_pagination_edge_cases_lose_and_duplicate_nothing() -> None:
    with serve([], **GENERATED) as api:
        expected = sorted(_pods(api, page_size=1000))
        assert len(expected) == 40
    cases: list[tuple[dict[str, Any], dict[str, Any]]] = [
        ({"max_limit": 7}, {"page_size": 500}),  # page size above the server's maximum
        ({"remaining_count": False}, {"page_size": 9}),  # no remainingItemCount
        ({"duplicate": ["pods"]}, {"page_size": 6}),  # an object seen on the previous page again
        ({"expire_continue": {"pods": (1, 3)}}, {"page_size": 8}),  # a continue token expires three times
    ]
    for server_options, scan_options in cases:
        with serve([], **GENERATED, **server_options) as api:
            pods = _pods(api, **scan_options)
        assert sorted(pods) == expected, server_options  # nothing lost, nothing twice


def test_a_list_that_keeps_expiring_is_a_gap() -> None:
    with serve([], **GENERATED, expire_continue={"pods": (1, 10)}) as api:
        result, code = _scan(api, page_size=8)
    assert code == 2
    assert _gaps(result)["pods"].startswith("410 Expired: list expired 4 times")


def test_an_empty_cluster_is_complete_with_nothing_to_report() -> None:
    with serve([], implicit=False) as api:
        result, code = _scan(api)
    assert code == 1 and result.complete and not result.gaps
    # Only the cluster-level fact that nothing verifies image signatures (true of any cluster
    # without such a policy, empty or not).
    assert [(f.rule_id, f.resource.kind) for f in result.findings] == [("image-signature-admission-missing", "Cluster")]


def test_a_kind_removed_after_discovery_is_a_gap_not_a_crash() -> None:
    with serve(EQUIVALENCE, implicit=False) as api:
        served, _ = _scan(api, rules=[str(CRD_RULE)])
    with serve(EQUIVALENCE, implicit=False, missing=["authorizationpolicies.security.istio.io"]) as api:
        result, code = _scan(api, rules=[str(CRD_RULE)])
    assert "authz-policy-has-rules" in {f.rule_id for f in served.findings}  # the kind is listed when served
    assert code == 2
    assert "authz-policy-has-rules" in result.not_evaluated
    [(what, reason)] = _gaps(result).items()
    assert what == "authorizationpolicies.security.istio.io" and reason.startswith("404 NotFound")
    assert result.findings  # everything else was read


# -- timeouts -------------------------------------------------------------------------------------


def test_a_response_slower_than_the_request_timeout_is_retried_then_a_gap() -> None:
    with serve(EQUIVALENCE, implicit=False, delay={"cronjobs.batch": 2.0}) as api:
        started = time.monotonic()
        result, code = _scan(api, request_timeout=0.4, attempts=2)
        elapsed = time.monotonic() - started
        cronjob_requests = [r for r in api.requests() if r["path"].endswith("/cronjobs")]
    assert code == 2
    timed_out = "timed out: no complete answer within 0.4 s (--request-timeout) (after 2 attempts)"
    assert _gaps(result) == {"cronjobs.batch": timed_out}
    assert len(cronjob_requests) <= 2  # the server logs an answer only when it is sent; the client gave up
    assert elapsed < 4  # 2 attempts of 0.4 s, while the other kinds were listed concurrently
    assert {f.resource.kind for f in result.findings} >= {"Deployment", "Pod"}


# -- the consumer going away ----------------------------------------------------------------------


def test_closing_the_listing_stops_workers_and_retries_promptly() -> None:
    with serve(EQUIVALENCE, implicit=False, delay={"cronjobs.batch": 1.0}, fail={"jobs.batch": 50}) as api:
        [source] = _sources(api, backoff=5.0, concurrency=2)
        batches = source.batches()
        next(batches)
        next(batches)
        started = time.monotonic()
        batches.close()  # what an exception in the pipeline or Ctrl-C does to the generator
        closed = time.monotonic() - started
        time.sleep(1.5)  # a worker in a 1 s request sees the stop when it returns
        workers = [t for t in threading.enumerate() if t.name.startswith("kubeaudit-")]
    assert closed < 0.5
    assert workers == []  # the 5 s backoff before retrying jobs was cut short, not waited out


def test_an_exception_in_the_pipeline_never_hangs_the_process() -> None:
    """A consumer that raises while something still holds the listing generator (a library caller's
    variable, pytest keeping a failed test's traceback) never closes it: the workers must not keep
    the interpreter from exiting. (Before they were daemon threads, this hung forever.)"""
    with serve(EQUIVALENCE, implicit=False, delay={"pods": 0.5}) as api:
        script = textwrap.dedent(f"""
            from kubeaudit.sources.cluster.source import ClusterOptions, open_cluster_sources
            options = ClusterOptions(kubeconfig={str(api.kubeconfig_path)!r}, concurrency=2, page_size=1)
            [source] = open_cluster_sources(options)
            batches = source.batches()
            for batch in batches:
                if any(r.kind == "Deployment" for r in batch.resources):
                    raise RuntimeError("a rule crashed")
        """)
        started = time.monotonic()
        proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30, cwd=REPO)
        elapsed = time.monotonic() - started
    assert proc.returncode == 1 and proc.stderr.rstrip().endswith("RuntimeError: a rule crashed")
    assert elapsed < 10
