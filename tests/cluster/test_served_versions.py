"""Objects a cluster serves at deprecated group-versions the scan does not list a kind at (an
autoscaler at autoscaling/v2beta2, a FlowSchema at flowcontrol v1beta3): found through discovery,
listed (metadata only, GET only) within the scan timeout, and judged by the deprecated/removed API
rules, against the real test API server."""

from __future__ import annotations

import time
from typing import Any

from kubeaudit.views.versions import served_versions
from tests.cluster.conftest import DATA, EQUIVALENCE, report, serve
from tests.conftest import RunCli

SERVED = DATA / "served-versions"
API_RULES = ("version-api-deprecated", "version-api-removed")


def _scan(run_cli: RunCli, api: Any, *args: str) -> tuple[int, dict[str, Any]]:
    run = run_cli("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config", "-f", "json",
                  "--fail-on", "none", "--as-of", "2026-12-01", *args)  # fmt: skip
    assert "Traceback" not in run.err, run.err
    return run.code, report(run.out)


def _api_findings(doc: dict[str, Any]) -> dict[tuple[str, str], tuple[str, str]]:
    """(kind, name) -> (rule, message) of the deprecated/removed API findings."""
    return {
        (f["resource"]["kind"], f["resource"]["name"]): (f["ruleId"], f["message"])
        for f in doc["findings"]
        if f["ruleId"] in API_RULES
    }


def test_objects_served_at_deprecated_versions_are_found_and_judged_at_the_server_version(run_cli: RunCli) -> None:
    with serve([SERVED], git_version="v1.24.17") as api:
        code, doc = _scan(run_cli, api)
        log = api.requests()
    assert code == 0 and not doc["gaps"]
    found = _api_findings(doc)
    # v1.24 still serves them, deprecated; the FlowSchema's v1beta3 is deprecated only from v1.29.
    assert set(found) == {("HorizontalPodAutoscaler", "web"), ("CronJob", "nightly")}
    rule, message = found[("HorizontalPodAutoscaler", "web")]
    assert rule == "version-api-deprecated"
    assert "uses autoscaling/v2beta2 (served)" in message and "use autoscaling/v2" in message
    assert "target v1.24" in message
    # The deprecated versions are listed metadata-only: the scanner reads no more than names there.
    hpa_lists = [r for r in log if r["path"] == "/apis/autoscaling/v2beta2/horizontalpodautoscalers"]
    assert hpa_lists and all("PartialObjectMetadataList" in r["accept"] for r in hpa_lists)
    assert {r["method"] for r in log} == {"GET"}


def test_the_target_version_decides_which_served_versions_are_removed(run_cli: RunCli) -> None:
    with serve([SERVED], git_version="v1.24.17") as api:
        _, doc = _scan(run_cli, api, "--target-version", "v1.32")
    found = _api_findings(doc)
    assert set(found) == {("HorizontalPodAutoscaler", "web"), ("CronJob", "nightly"), ("FlowSchema", "batch-jobs")}
    assert {rule for rule, _ in found.values()} == {"version-api-removed"}
    assert "flowcontrol.apiserver.k8s.io/v1beta3 (served)" in found[("FlowSchema", "batch-jobs")][1]


def test_a_server_without_deprecated_versions_costs_no_request_and_reports_nothing(run_cli: RunCli) -> None:
    with serve(EQUIVALENCE, implicit=False) as api:
        _, doc = _scan(run_cli, api, "--target-version", "v1.32")
        paths = {r["path"] for r in api.requests()}
    assert not _api_findings(doc) and not doc["gaps"]
    deprecated = {version for version, _ in served_versions()}
    assert not {p for p in paths if any(p.startswith(f"/apis/{gv}") for gv in deprecated)}


def test_a_slow_deprecated_version_is_a_gap_at_the_scan_timeout(run_cli: RunCli) -> None:
    """The deprecated version's answer is held far longer than the test waits, and the scan timeout
    leaves the other lists ample time even on a loaded machine: only the held list is a gap."""
    held = 120.0
    with serve([SERVED], git_version="v1.24.17", delay={"horizontalpodautoscalers.autoscaling": held}) as api:
        started = time.monotonic()
        code, doc = _scan(run_cli, api, "--scan-timeout", "4")
        elapsed = time.monotonic() - started
    gaps = {g["what"]: g["reason"] for g in doc["gaps"]}
    assert code == 2
    not_read = "not read before the scan timeout (--scan-timeout)"
    assert gaps == {"horizontalpodautoscalers.autoscaling at autoscaling/v2beta2": not_read}
    assert ("CronJob", "nightly") in _api_findings(doc)  # what was read in time is still judged
    assert elapsed < held  # the scan's budget, not the held answer


def test_a_forbidden_deprecated_version_is_a_gap_and_the_rest_is_judged(run_cli: RunCli) -> None:
    with serve([SERVED], git_version="v1.24.17", forbid=["flowschemas.flowcontrol.apiserver.k8s.io"]) as api:
        code, doc = _scan(run_cli, api, "--target-version", "v1.32")
    gaps = {g["what"]: g["reason"] for g in doc["gaps"]}
    assert code == 2
    assert list(gaps) == ["flowschemas.flowcontrol.apiserver.k8s.io at flowcontrol.apiserver.k8s.io/v1beta3"]
    assert gaps[next(iter(gaps))].startswith("forbidden (403)")
    assert set(_api_findings(doc)) == {("HorizontalPodAutoscaler", "web"), ("CronJob", "nightly")}
