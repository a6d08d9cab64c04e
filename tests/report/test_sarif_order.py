"""SARIF's results are ordered by one integer per finding (kubeaudit.report.sarif_order), in the
order a tuple of (URI, line, column, rule id, resource, fingerprint, message) per finding gives,
which took about 54 MiB at 200,000 findings, the SARIF report's peak."""

from __future__ import annotations

import tracemalloc
from collections import Counter
from pathlib import Path
from typing import Any

from kubeaudit.finding_store import FindingStore
from kubeaudit.model import Finding, Origin, Position, Resource, RuleMeta, Severity
from kubeaudit.report import sarif
from kubeaudit.report.sarif_order import qualified_name, result_order

FIRST = RuleMeta("a-rule", "A", Severity.HIGH, "demo", "Fix it.")
SECOND = RuleMeta("b-rule", "B", Severity.LOW, "demo", "Fix that.")
WEB = Resource("v1", "Pod", "web", "shop", {}, Origin("b/pods.yaml"))
API = Resource("v1", "Pod", "api", "shop", {}, Origin("b/pods.yaml", 2))
JOB = Resource("batch/v1", "Job", "once", None, {}, Origin("a/jobs.yaml"))
LIVE = Resource("v1", "Pod", "live", "prod", {}, Origin("cluster:prod", context="prod"))


def _findings() -> list[Finding]:
    values = Position(4, 3, file="a/values.yaml", via=Position(12, 5))
    return [
        Finding(SECOND, Severity.LOW, "no limits", WEB, ("spec",), Position(7, 3)),
        Finding(FIRST, Severity.HIGH, "root", WEB, ("spec", "containers", 0), Position(7, 3)),
        Finding(FIRST, Severity.HIGH, "root", API, ("spec", "containers", 0), Position(7, 3)),
        Finding(FIRST, Severity.HIGH, "set in values", WEB, ("spec", "containers", 1), values),
        Finding(FIRST, Severity.HIGH, "no line", JOB, ("spec",), None),
        Finding(FIRST, Severity.HIGH, "live", LIVE, ("spec",), Position(3, 1)),
        Finding(SECOND, Severity.LOW, "early", JOB, ("spec",), Position(2, 9)),
        # Equal up to the resource: ordered by fingerprint, then message.
        Finding(FIRST, Severity.HIGH, "z message", JOB, ("spec", "a"), Position(5, 1), fingerprint="f" * 32),
        Finding(FIRST, Severity.HIGH, "b message", JOB, ("spec", "b"), Position(5, 1), fingerprint="0" * 32),
        Finding(FIRST, Severity.HIGH, "a message", JOB, ("spec", "c"), Position(5, 1), fingerprint="0" * 32),
        Finding(FIRST, Severity.HIGH, "custom", JOB, ("spec", "d"), Position(5, 1), fingerprint="not-hex"),
        Finding(FIRST, Severity.HIGH, "custom again", JOB, ("spec", "e"), Position(5, 1), fingerprint="not-hex"),
    ]


def _tuple_order(findings: list[Finding], physical: Any) -> list[int]:
    """The order before: a tuple per finding."""

    def key(i: int) -> tuple[Any, ...]:
        finding = findings[i]
        uri, position = physical(finding.resource, finding.position)
        line, column = (position.line, position.column) if position is not None else (0, 0)
        qualified = qualified_name(finding.resource)
        return (uri, line, column, finding.rule_id, qualified, finding.fingerprint, finding.message)

    return sorted(range(len(findings)), key=key)


def _physical(tmp_path: Path) -> Any:
    artifacts = sarif._artifacts(tmp_path)

    def physical(resource: Resource, position: Position | None) -> tuple[str, Position | None]:
        artifact, region = sarif._physical(resource, position, artifacts)
        return artifact.uri, region

    return physical


def test_results_are_ordered_as_the_tuple_per_finding_ordered_them(tmp_path: Path) -> None:
    findings = _findings()
    physical = _physical(tmp_path)
    order = result_order(FindingStore(findings), physical)
    assert order == _tuple_order(findings, physical)
    # a/jobs.yaml (no line first), a/values.yaml, b/pods.yaml, then the cluster's k8s:// URI
    assert order[:2] == [4, 6] and order[7] == 3 and order[-1] == 5
    assert [findings[i].message for i in order[2:7]] == [
        "a message",
        "b message",
        "z message",
        "custom",
        "custom again",
    ]
    assert result_order(FindingStore(), physical) == []


def test_repeated_fingerprints_are_the_ones_counted_more_than_once() -> None:
    findings = _findings()
    twin = Resource("v1", "Pod", "web", "shop", {}, Origin("b/pods.yaml"))  # the same pod, read twice
    findings.append(Finding(SECOND, Severity.LOW, "no limits", twin, ("spec",), Position(9, 3)))
    store = FindingStore(findings)
    counted = {fingerprint for fingerprint, count in Counter(f.fingerprint for f in findings).items() if count > 1}
    assert store.repeated_fingerprints() == counted == {"0" * 32, "not-hex", findings[0].fingerprint}


def test_ordering_holds_no_tuple_or_string_per_finding(tmp_path: Path) -> None:
    pods = [Resource("v1", "Pod", f"web-{n}", "shop", {}, Origin(f"web-{n // 50}.yaml")) for n in range(200)]
    store = FindingStore(
        Finding(FIRST, Severity.HIGH, "root", pod, ("spec", "containers", n), Position(n + 1, 3))
        for pod in pods
        for n in range(50)
    )
    physical = _physical(tmp_path)
    tracemalloc.start()
    order = result_order(store, physical)
    repeated = store.repeated_fingerprints()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(order) == 10_000 and not repeated
    assert peak < 1_000_000  # the tuples, qualified names and fingerprints were about 2.7 MB
