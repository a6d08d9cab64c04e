"""A cluster scan always ends, within a bound: hostile or broken answers become coverage gaps
or named "not scanned" errors (exit 2), never a hang, a crash or the loss of the other kinds.

Each test runs the real `kubernetes` client against the test API server with one fault, and
states the time the scan must end within. Only GET is ever sent (the `serve` helper checks
the request log of every server).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from kubeaudit.api import ScanOptions, gate, run
from kubeaudit.model import ScanResult
from kubeaudit.sources.cluster.errors import ClusterError
from kubeaudit.sources.cluster.source import ClusterOptions, ClusterSource, open_cluster_sources
from tests.apiserver import ApiServerHandle
from tests.cluster.conftest import EQUIVALENCE, report, serve
from tests.conftest import AS_OF_DAY, RunCli

GENERATED: dict[str, Any] = {"generate_pods": 40, "generate_namespaces": 2, "implicit": False}


def _sources(api: ApiServerHandle, **options: Any) -> list[ClusterSource]:
    options.setdefault("backoff", 0.01)
    return open_cluster_sources(ClusterOptions(kubeconfig=str(api.kubeconfig_path), **options))


def _scan(api: ApiServerHandle, **options: Any) -> tuple[ScanResult, int, float]:
    started = time.monotonic()
    result = run(ScanOptions(use_config=False, sources=list(_sources(api, **options)), as_of=AS_OF_DAY))
    return result, gate(result, "low"), time.monotonic() - started


def _gaps(result: ScanResult) -> dict[str, str]:
    return {g.what: g.reason for g in result.gaps}


def _listed(api: ApiServerHandle, plural: str) -> list[dict[str, Any]]:
    return [r for r in api.requests() if r["path"].rsplit("/", 1)[-1] == plural]


# -- a server that trickles its answer ---------------------------------------------------------------


def test_a_trickled_answer_ends_at_the_request_deadline() -> None:
    """64 bytes every 0.1 s never trips a per-read timeout: the pods list would take minutes."""
    with serve([], trickle={"pods": 0.1}, **GENERATED) as api:
        result, code, elapsed = _scan(api, request_timeout=0.5, attempts=2)
    assert code == 2
    timed_out = "timed out: no complete answer within 0.5 s (--request-timeout) (after 2 attempts)"
    assert _gaps(result) == {"pods": timed_out}
    assert elapsed < 4  # 2 attempts of 0.5 s, the other kinds listed meanwhile
    assert {f.resource.kind for f in result.findings} >= {"Deployment"}  # what answered is reported


def test_a_trickled_version_answer_is_one_line_within_the_deadline() -> None:
    with serve([], trickle={"version": 0.2}, implicit=False) as api:
        started = time.monotonic()
        with pytest.raises(ClusterError) as error:
            _sources(api, request_timeout=0.3)
        elapsed = time.monotonic() - started
    assert error.value.lines == [
        f"context kubeaudit-test ({api.url}): cannot connect: no complete answer within 0.3 s (--request-timeout)"
    ]
    assert elapsed < 1.5  # the answer would take 1.2 s: it is not waited for


# -- the whole scan's deadline --------------------------------------------------------------------------


# Answers held far longer than any test waits: only the scan timeout can end these scans. The timeout
# leaves the other kinds (a few small lists) ample time even on a loaded machine, so what is a gap
# does not depend on the machine's speed; the held answer, not the timeout, is what must not be
# waited for.
HELD = 120.0
SCAN_TIMEOUT = 4.0


def test_the_scan_timeout_ends_the_scan_and_the_unread_kinds_are_gaps() -> None:
    with serve(EQUIVALENCE, implicit=False, delay={"replicasets.apps": HELD}) as api:
        result, code, elapsed = _scan(api, scan_timeout=SCAN_TIMEOUT, page_size=1, concurrency=2)
        pod_requests = _listed(api, "pods")
    assert code == 2
    not_read = "not read before the scan timeout (--scan-timeout)"
    # The ReplicaSets request is cut off at the deadline; the Pods (listed after their owners) are
    # never asked for.
    assert _gaps(result) == {"replicasets.apps": not_read, "pods": not_read}
    assert pod_requests == []
    assert elapsed < HELD  # ended at the deadline, not when the answer would have come
    assert {f.resource.kind for f in result.findings} >= {"Deployment"}  # read before the deadline


def test_the_scan_timeout_on_the_command_line(run_cli: RunCli) -> None:
    with serve(EQUIVALENCE, implicit=False, delay={"pods": HELD}) as api:
        started = time.monotonic()
        cli = run_cli("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config",
                      "--scan-timeout", str(SCAN_TIMEOUT), "--format", "json")  # fmt: skip
        elapsed = time.monotonic() - started
    assert cli.code == 2 and "Traceback" not in cli.err
    gaps = {g["what"]: g["reason"] for g in report(cli.out)["gaps"]}
    assert gaps == {"pods": "not read before the scan timeout (--scan-timeout)"}
    assert elapsed < HELD


# -- pagination that never ends ---------------------------------------------------------------------


def test_continue_tokens_that_cycle_are_a_gap() -> None:
    """The third page answers with the first page's token: A -> B -> A, for ever."""
    with serve([], cycle_continue=["pods"], **GENERATED) as api:
        result, code, elapsed = _scan(api, page_size=5)
        pod_requests = len(_listed(api, "pods"))
    assert code == 2
    assert _gaps(result)["pods"].startswith("pagination loop: /api/v1/pods gave a continue token it had given before")
    assert pod_requests == 3 and elapsed < 5


def test_a_fresh_continue_token_on_every_page_stops_at_the_page_cap() -> None:
    with serve([], fresh_continue=["pods"], **GENERATED) as api:
        result, code, elapsed = _scan(api, page_size=5, max_pages=20)
        pod_requests = len(_listed(api, "pods"))
    assert code == 2
    assert _gaps(result)["pods"] == "too many pages: /api/v1/pods still had more after 20 pages (--max-pages 20)"
    assert pod_requests == 20 and elapsed < 5


# -- answers that break off ---------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["truncate", "reset"])
def test_one_broken_answer_is_retried_and_nothing_is_lost(fault: str) -> None:
    with serve(EQUIVALENCE, implicit=False) as api:
        clean, _, _ = _scan(api)
    with serve(EQUIVALENCE, implicit=False, **{fault: {"cronjobs.batch": 1}}) as api:
        result, code, _ = _scan(api)
        cronjob_requests = len(_listed(api, "cronjobs"))
    assert code == gate(clean, "low") and not result.gaps
    assert cronjob_requests == 2
    assert {f.fingerprint for f in result.findings} == {f.fingerprint for f in clean.findings}


@pytest.mark.parametrize("fault", ["truncate", "reset"])
def test_a_kind_whose_answers_keep_breaking_off_is_a_gap_alone(fault: str) -> None:
    """Today's kinds after it (listed one at a time, in order) are still requested and read."""
    with serve(EQUIVALENCE, implicit=False, **{fault: {"cronjobs.batch": 100}}) as api:
        result, code, elapsed = _scan(api, attempts=2, concurrency=1)
        later = {r["path"].rsplit("/", 1)[-1] for r in api.requests()}
    assert code == 2
    [(what, reason)] = _gaps(result).items()
    assert what == "cronjobs.batch"
    assert reason.startswith("answer broke off: ") and reason.endswith("(after 2 attempts)")
    assert {"daemonsets", "deployments", "replicasets", "pods"} <= later
    assert {f.resource.kind for f in result.findings} >= {"Deployment", "DaemonSet", "Pod"}
    assert elapsed < 5


# -- answers that are too big ------------------------------------------------------------------------


def _logged(api: ApiServerHandle, plural: str, expected: int) -> list[dict[str, Any]]:
    """The requests for PLURAL; the server logs a request once it has stopped writing an answer the
    client gave up on, which can be a while after the scan on a loaded machine."""
    give_up = time.monotonic() + 30
    while len(logged := _listed(api, plural)) < expected and time.monotonic() < give_up:
        time.sleep(0.05)
    return logged


def test_an_answer_over_the_response_cap_is_a_gap_without_reading_it() -> None:
    """20 MiB list answers (streamed, no Content-Length) with a 1 MiB cap: each page asked for again
    with half the limit, down to one object, then a gap; the rest of each answer is never read."""
    with serve(EQUIVALENCE, implicit=False, huge={"deployments.apps": 20 * 2**20}) as api:
        result, code, elapsed = _scan(api, max_response_mib=1)
        logged = _logged(api, "deployments", 9)
    assert code == 2
    assert _gaps(result) == {"deployments.apps": "response too large: /apis/apps/v1/deployments: over the 1 MiB cap "
                             "(--max-response-mib)"}  # fmt: skip
    # Sorted: the server logs a request once it stops writing, so a loaded machine can log the
    # requests for two pages out of order; each page is asked for once, at half the last limit.
    limits = sorted((int(r["query"]["limit"]) for r in logged), reverse=True)
    assert limits == [500, 250, 125, 62, 31, 15, 7, 3, 1], logged
    # Every 20 MiB answer was given up on part-way (the server could not send its end), which a
    # clock cannot show on a loaded machine; the generous bound only catches a hang.
    assert all(r["cut_off"] for r in logged)
    assert {f.resource.kind for f in result.findings} >= {"DaemonSet", "Pod"}
    assert elapsed < 60


def test_pages_over_the_response_cap_are_read_in_smaller_pages() -> None:
    with serve([], **GENERATED) as api:
        whole, _, _ = _scan(api)
    with serve([], **GENERATED) as api:
        result, code, _ = _scan(api, max_response_mib=0.02)  # 20 KiB: about a dozen pods per page
        pod_limits = sorted({int(r["query"]["limit"]) for r in _listed(api, "pods")}, reverse=True)
    assert not result.gaps and code == gate(whole, "low")
    assert {f.fingerprint for f in result.findings} == {f.fingerprint for f in whole.findings}
    assert pod_limits[0] == 500 and pod_limits[-1] < 20


# -- malformed answers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("malform", "error"),
    [
        ({"nodes": {"status": "broken"}}, "nodes node-0000 status is a string, not an object: not scanned"),
        ({"namespaces/gen-000": {"metadata": "broken"}}, "namespaces item 1 metadata is a string, not an object"),
        (
            {"pods": {"metadata.namespace": 7}},
            "pods app-00000-0000000000-bbbbb metadata.namespace is a number, not a string: not scanned",
        ),
        ({"pods": {"metadata.labels": ["app"]}}, "metadata.labels is a list, not an object: not scanned"),
        ({"nodes": {"status.nodeInfo.kubeletVersion": 1.29}}, "status.nodeInfo['kubeletVersion'] is a number"),
    ],
)
def test_a_malformed_object_is_named_not_scanned_and_the_rest_is_scanned(malform: dict[str, Any], error: str) -> None:
    with serve([], malform=malform, **GENERATED) as api:
        result, code, _ = _scan(api)
    assert code == 2
    [message] = [str(e) for e in result.errors]
    assert message.startswith("cluster:kubeaudit-test: ") and error in message
    with serve([], **GENERATED) as api:
        clean, _, _ = _scan(api)
    assert result.stats.resources >= clean.stats.resources - 1  # every other object was read and evaluated
    assert {f.resource.kind for f in result.findings} >= {"Deployment"}


def test_a_malformed_discovery_group_is_a_gap_for_its_kinds() -> None:
    with serve(EQUIVALENCE, implicit=False, malform={"group:apps": {"preferredVersion": "v1"}}) as api:
        result, code, _ = _scan(api)
    assert code == 2
    gaps = _gaps(result)
    assert set(gaps) == {"DaemonSet", "Deployment", "ReplicaSet", "StatefulSet"}
    assert gaps["Deployment"] == (
        "API discovery failed: malformed discovery: /apis group apps: preferredVersion is a string, not an object"
    )
    assert {f.resource.kind for f in result.findings} >= {"Pod", "CronJob"}  # other groups were read


def test_a_malformed_server_version_field_is_a_gap_not_a_fact() -> None:
    with serve(EQUIVALENCE, implicit=False, malform={"version": {"minor": 29, "gitVersion": ["v1.29.4"]}}) as api:
        result, code, _ = _scan(api)
        [source] = _sources(api)
    assert code == 2
    assert _gaps(result) == {"server version": "minor is a number, not a string; gitVersion is a list, not a string"}
    assert source.facts.server_version == {"major": "1", "platform": "linux/amd64"}


def test_malformed_answers_on_the_command_line_are_reported_not_a_traceback(run_cli: RunCli, tmp_path: Path) -> None:
    malform = {"nodes": {"status": "broken"}, "group:apps": {"preferredVersion": "v1"}, "pods": {"metadata": 3}}
    with serve([], malform=malform, **GENERATED) as api:
        cli = run_cli("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config")
    assert cli.code == 2 and "Traceback" not in cli.err + cli.out
    assert "nodes node-0000 status is a string, not an object: not scanned" in cli.out + cli.err
