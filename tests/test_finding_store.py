"""A scan keeps its findings as compact records (kubeaudit.finding_store): reports read back the
same findings, in the same order, while no more than the one being written exists as an object.
(Figures: bench/README.md, memory section.)"""

from __future__ import annotations

import gc
import io
from collections import Counter
from typing import Any

import pytest
from conftest import FIXTURES

from kubeaudit.engine.loader import load_rules
from kubeaudit.finding_store import RECORD, FindingStore
from kubeaudit.model import (
    Finding,
    Origin,
    Position,
    Resource,
    RuleMeta,
    ScanResult,
    ScanStats,
    Severity,
    Step,
    Suppression,
)
from kubeaudit.report.base import RenderOptions
from kubeaudit.report.html_report import HtmlReporter
from kubeaudit.report.html_report import findings as findings_part
from kubeaudit.report.html_report.view import FindingView, ReportView
from kubeaudit.scan import scan_manifests
from kubeaudit.suppress import IGNORE, IGNORE_REASON

RULE = RuleMeta("demo-rule", "Demo", Severity.HIGH, "demo", "Fix it.")
OTHER = RuleMeta("other-rule", "Other", Severity.LOW, "demo", "Fix that.")
POD = Resource("v1", "Pod", "web", "shop", {"metadata": {"name": "web"}}, Origin("pods.yaml"))
JOB = Resource("batch/v1", "Job", "once", None, {"metadata": {"name": "once"}}, Origin("jobs.yaml", 2))


def _findings() -> list[Finding]:
    return [
        Finding(RULE, Severity.HIGH, "web runs as root", POD, ("spec", "containers", 0), Position(7, 9), "app"),
        Finding(OTHER, Severity.LOW, "no limits", POD, ("spec",), None),
        # A line in another file (a Helm values file) and the template line that printed it.
        Finding(
            RULE,
            Severity.CRITICAL,
            "web runs as root",
            POD,
            ("spec", "containers", 1),
            Position(3, 1, file="values.yaml", via=Position(12, 5)),
            "sidecar",
            suppression=Suppression("inSource", "annotation", "accepted", "2027-01-01"),
            policy_version="v1.33",
        ),
        Finding(
            OTHER,
            Severity.INFO,
            "a path",
            JOB,
            (),
            Position(1, 1),
            steps=(Step("reaches", POD, ("spec",), Position(2, 3)),),
        ),
        Finding(RULE, Severity.HIGH, "custom fingerprint", JOB, ("spec",), None, fingerprint="not-hex"),
    ]


def test_the_store_gives_back_the_same_findings_in_order() -> None:
    findings = _findings()
    store = FindingStore(findings)
    assert len(store) == 5
    assert list(store) == findings
    assert [f.fingerprint for f in store] == [f.fingerprint for f in findings]
    assert [f.steps for f in store] == [f.steps for f in findings]
    assert store[2].position == Position(3, 1, file="values.yaml", via=Position(12, 5))
    assert store[-1] == findings[-1] and store[-1].fingerprint == "not-hex"
    assert store[1:3] == findings[1:3]
    assert store == findings


def test_the_store_filters_and_sorts_without_losing_findings() -> None:
    findings = _findings()
    store = FindingStore(findings)
    assert store.active() == [f for f in findings if f.suppression is None]
    assert store.without({0, 3}) == [findings[1], findings[2], findings[4]]
    assert store.where(lambda f: f.severity.rank >= Severity.HIGH.rank) == [findings[0], findings[2], findings[4]]
    # stable, as list.sort
    assert store.sorted_by(lambda f: f.rule_id) == sorted(findings, key=lambda f: f.rule_id)
    added = store.derived()
    added.extend(store.active())
    added.append(findings[2])
    assert added == [*store.active(), findings[2]]


def test_a_finding_record_is_a_tenth_of_a_finding_object() -> None:
    """About 630 bytes as an object with its own position, path tuple and fingerprint string."""
    assert RECORD.size <= 64


def test_a_scan_holds_its_findings_as_records_not_objects() -> None:
    result = scan_manifests([str(FIXTURES / "attack-paths")], load_rules())
    assert isinstance(result.findings, FindingStore)
    assert len(result.findings) > 10
    gc.collect()
    assert sum(isinstance(o, Finding) for o in gc.get_objects()) == 0
    listed = list(result.findings)
    assert listed == sorted(listed, key=_sort_key)
    assert len({f.fingerprint for f in listed}) == len(listed)


def _sort_key(finding: Finding) -> tuple[object, ...]:
    from kubeaudit.scan import sort_key

    return sort_key(finding)


def test_the_html_page_makes_its_findings_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The page lists every finding (worst first) while holding only the one it writes, the attack
    paths and each rule's first finding: before, it built the whole JSON document and a view of
    every finding (1.5 kB and more each, 200,000 of them at 50,000 resources)."""
    result = scan_manifests([str(FIXTURES / "demo")], load_rules())
    alive: list[int] = []
    original = findings_part._finding_row

    def row(out: Any, view: ReportView, finding: FindingView, rules: Any) -> None:
        alive.append(sum(isinstance(o, FindingView) for o in gc.get_objects()))
        kept.add(len(view.paths) + len(view.first_of_rule))
        original(out, view, finding, rules)

    kept: set[int] = set()
    monkeypatch.setattr(findings_part, "_finding_row", row)
    stream = io.StringIO()
    HtmlReporter().render(result, stream, RenderOptions())
    assert len(alive) == len(result.findings) > 20
    assert max(alive) <= max(kept) + 2
    assert stream.getvalue().count('<td><span class="sev sev-') == len(result.findings)


def test_deduplicating_and_sorting_off_the_records_agree_with_the_keys() -> None:
    """The scan's dedupe and sort work on numbers off the records; they keep and order what
    the key tuples do (sort_key; one finding per rule, resource and path)."""
    from kubeaudit.scan import _dedupe, sort_key, sorted_findings

    findings = _findings()
    twin = Resource("v1", "Pod", "web", "shop", {}, Origin("pods.yaml"))  # the same pod, read twice
    findings += [
        Finding(RULE, Severity.HIGH, "web runs as root", twin, ("spec", "containers", 0), Position(7, 9), "app"),
        Finding(RULE, Severity.HIGH, "at the top", twin, ("spec",), Position(1, 1)),
        Finding(OTHER, Severity.HIGH, "no line", JOB, ("spec", "template"), None),
    ]
    store = FindingStore(findings)
    assert _dedupe(store) == [f for i, f in enumerate(findings) if i != 5]
    assert sorted_findings(store) == sorted(findings, key=sort_key)
    assert sorted_findings(FindingStore()) == []


def test_the_summary_counts_and_resources_read_off_the_records_agree_with_the_findings() -> None:
    """The report's counts by severity and the suppressions' walk over resources are read off the
    records: the same as counting the findings themselves, resources in the order first met."""
    findings = _findings()
    store = FindingStore(findings).sorted_by(lambda f: f.resource.kind)  # the Job's findings first
    assert store.active_severity_counts() == Counter(f.severity for f in findings if f.suppression is None)
    assert list(store.resources_in_order()) == [JOB, POD]


def _annotated_pods(count: int, findings_each: int) -> FindingStore:
    pods = [
        Resource("v1", "Pod", f"web-{n}", "shop", {"metadata": {"name": f"web-{n}"}}, Origin(f"web-{n}.yaml"))
        for n in range(count)
    ]
    ignored = {"annotations": {IGNORE: RULE.id, IGNORE_REASON: "accepted"}}
    pods[0] = Resource("v1", "Pod", "web-0", "shop", {"metadata": {"name": "web-0", **ignored}}, Origin("web-0.yaml"))
    rules = [RULE, OTHER]
    return FindingStore(
        Finding(rules[n % 2], Severity.HIGH, "m", pod, ("spec", "containers", n), Position(n + 1, 1))
        for pod in pods
        for n in range(findings_each)
    )


def test_suppressing_reads_each_resources_annotations_not_each_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scan has tens of thousands of findings on a few thousand resources, and few resources
    carry kubeaudit.io/ignore: only the annotated resources' findings are judged one by one
    (before, every finding was made, its annotations read and its record written again)."""
    import kubeaudit.suppress as suppress

    store = _annotated_pods(count=10, findings_each=20)
    reads: list[int] = []
    original = suppress.get_path
    monkeypatch.setattr(suppress, "get_path", lambda data, path: reads.append(1) or original(data, path))
    result = ScanResult(store, [], ScanStats(), [], [RULE, OTHER])
    marked = suppress.Suppressor(known_rules=frozenset({RULE.id, OTHER.id}))(store, result)
    assert [f.suppression is not None for f in marked] == [
        pod == 0 and n % 2 == 0 for pod in range(10) for n in range(20)
    ]
    assert [f.suppression.justification for f in marked if f.suppression] == ["accepted"] * 10
    assert list(marked.active()) == [f for f in store if f.resource.name != "web-0" or f.rule_id != RULE.id]
    places = len(suppress._ANNOTATED_METADATA)
    # each resource: may it suppress, unknown rule ids, foreign overrides; each annotated finding once more
    assert len(reads) <= places * (3 * 10 + 20)


def _pairs_of_one_problem() -> list[Finding]:
    """Restricted and baseline capabilities findings: at one path (a tie, then the restricted
    rule's the worse), alone, and on a twin of the pod read twice."""
    rules = {rule.id: rule.meta for rule in load_rules()}
    restricted, baseline = rules["pss-restricted-capabilities"], rules["pss-baseline-capabilities"]
    twin = Resource("v1", "Pod", "web", "shop", {}, Origin("pods.yaml"))
    add = ("spec", "containers", 0, "securityContext", "capabilities", "add")
    return [
        Finding(baseline, baseline.severity, "adds NET_RAW", POD, add, Position(9, 3)),
        Finding(restricted, baseline.severity, "adds a capability", POD, add, Position(9, 3)),
        Finding(baseline, Severity.LOW, "adds SYS_TIME", POD, ("spec", "containers", 1), Position(20, 3)),
        Finding(restricted, Severity.CRITICAL, "adds a capability", POD, ("spec", "containers", 1), Position(20, 3)),
        Finding(restricted, Severity.HIGH, "drops nothing", POD, ("spec", "containers", 2), Position(30, 3)),
        Finding(baseline, baseline.severity, "adds NET_RAW", twin, add, Position(9, 3)),
        Finding(restricted, baseline.severity, "adds a capability", twin, add, Position(9, 3)),
        Finding(RULE, Severity.HIGH, "web runs as root", POD, add, Position(9, 3)),
    ]


def test_superseding_off_the_records_drops_and_merges_what_the_findings_do() -> None:
    from kubeaudit.engine.supersede import superseded

    rules = load_rules()
    findings = _pairs_of_one_problem()
    by_list: dict[str, tuple[str, ...]] = {}
    by_store: dict[str, tuple[str, ...]] = {}
    dropped = superseded(findings, rules, by_list)
    assert dropped == {1, 2, 6}  # the tie keeps the baseline finding, the worse one stays
    assert superseded(FindingStore(findings), rules, by_store) == dropped
    # The twin's finding has the pod's fingerprint (one identity): both merges are noted under it.
    assert findings[0].fingerprint == findings[5].fingerprint
    assert (
        by_store
        == by_list
        == {
            findings[0].fingerprint: ("pss-restricted-capabilities", "pss-restricted-capabilities"),
            findings[3].fingerprint: ("pss-baseline-capabilities",),
        }
    )


def test_the_places_superseding_compares_are_read_off_the_records_as_asked() -> None:
    """One tuple per finding (rule id, resource, path, severity rank), all made at once, took
    20 MiB at 200,000 findings at the scan's last peak: each is made as it is asked for."""
    import tracemalloc

    store = _annotated_pods(count=100, findings_each=100)
    tracemalloc.start()
    placed = store.placed(lambda resource: resource.name)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 100_000  # a list of the 10,000 tuples is over 1 MB
    assert list(placed) == [placed[i] for i in range(len(placed))] == placed[:]
    assert placed[0] == (RULE.id, 0, 0, Severity.HIGH.rank) and placed[-1][1] == 99


def test_the_views_findings_are_records_before_they_are_located(monkeypatch: pytest.MonkeyPatch) -> None:
    """The cross-resource views' findings (an attack path each: 15,000 at 50,000 resources) are
    kept as records from the first one on, as the per-file findings are, and located record by
    record: no attack path's Finding object is alive when locating begins."""
    import kubeaudit.scan as scan

    alive: list[int] = []
    original = scan.locate_findings

    def locate(findings: FindingStore) -> FindingStore:
        gc.collect()
        alive.append(sum(isinstance(o, Finding) and bool(o.steps) for o in gc.get_objects()))
        return original(findings)

    monkeypatch.setattr(scan, "locate_findings", locate)
    result = scan_manifests([str(FIXTURES / "attack-paths")], load_rules())
    paths = [f for f in result.findings if f.steps]
    assert paths and all(f.line and all(step.position is not None for step in f.steps) for f in paths)
    assert alive == [0]


def test_marking_no_suppression_copies_no_record() -> None:
    """Most scans suppress nothing (none of the 194,032 findings at 50,000 resources): the records
    (10 MiB there) are then not copied at the scan's last peak; marking one copies them once."""
    store = FindingStore(_findings())
    assert store.with_suppressions(lambda finding: None, lambda resource: True) is store
    accepted = Suppression("inSource", "annotation", "accepted")
    marked = store.with_suppressions(lambda f: accepted if f.resource is JOB else None, lambda resource: True)
    assert marked is not store and [f.suppression for f in marked] == [
        accepted if f.resource is JOB else f.suppression for f in store
    ]
