"""What the HTML report shows, read from reports in the JSON report's shape.

The HTML report is drawn from the same document `--format json` writes (json_report.report_dict),
so its counts are the JSON report's by construction, and a merged fleet report
(`kubeaudit report merge`) can draw the same page from JSON report files read back: one
`ScannedReport` per cluster or repository, each with the label its column shows."""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, overload

from kubeaudit.model import Reference, RuleMeta, Severity

SEVERITIES = tuple(s.value for s in Severity)  # worst first
NO_NAMESPACE = "(none)"  # cluster-scoped objects, and manifests that name no namespace


@dataclass(frozen=True, slots=True)
class ScannedReport:
    """One scan's JSON report (a dict as json_report.report_dict makes it, or a report file read back),
    the label that names it in a merged report ("" for a single scan), and the exit code its scan
    had, when known (a report file does not record it: it is then worked out from --fail-on)."""

    label: str
    report: Mapping[str, Any]
    exit_code: int | None = None


@dataclass(frozen=True, slots=True)
class Place:
    """Where a finding or a step is: a file and line, or a cluster object and its field."""

    text: str  # fixtures/demo/api.yaml:21, or cluster:kind-prod
    field: str  # the field path (shown for cluster objects, which have no lines)
    rendered: str | None = None  # "rendered from charts/web by helm"

    @classmethod
    def of(cls, location: Mapping[str, Any], path: str) -> Place:
        source = str(location.get("file") or location.get("source") or "")
        line = location.get("line")
        text = f"{source}:{line}" if line and "context" not in location else source
        rendered = location.get("rendered")
        made = f"rendered from {rendered.get('project')} by {rendered.get('tool')}" if rendered else None
        return cls(text, path, made)


@dataclass(frozen=True, slots=True)
class StepView:
    message: str
    resource: str
    place: Place


@dataclass(frozen=True, slots=True)
class FindingView:
    report: str  # the label of the report it is from
    rule_id: str
    title: str
    severity: str
    category: str
    message: str
    remediation: str
    kind: str
    namespace: str  # NO_NAMESPACE when it has none
    name: str
    container: str | None
    place: Place
    fingerprint: str
    suppressed: str | None  # why it does not count, for suppressed findings
    steps: tuple[StepView, ...]

    @property
    def resource(self) -> str:
        return f"{self.kind}/{self.name}"

    @property
    def rank(self) -> int:
        return Severity(self.severity).rank


def _resource_text(resource: Mapping[str, Any]) -> str:
    namespace = resource.get("namespace")
    return (
        f"{resource.get('kind')}/{namespace}/{resource.get('name')}"
        if namespace
        else (f"{resource.get('kind')}/{resource.get('name')}")
    )


def _suppressed(suppression: Mapping[str, Any] | None) -> str | None:
    if suppression is None:
        return None
    reason = suppression.get("justification") or "no reason given"
    until = f", until {suppression['expires']}" if suppression.get("expires") else ""
    return f"{suppression.get('source')}: {reason}{until}"


def finding_view(label: str, finding: Mapping[str, Any]) -> FindingView:
    resource = finding["resource"]
    return FindingView(
        report=label,
        rule_id=finding["ruleId"],
        title=finding["title"],
        severity=finding["severity"],
        category=finding["category"],
        message=finding["message"],
        remediation=finding.get("remediation") or "",
        kind=resource["kind"],
        namespace=resource.get("namespace") or NO_NAMESPACE,
        name=resource["name"],
        container=finding.get("container"),
        place=Place.of(finding["location"], finding.get("path") or ""),
        fingerprint=finding.get("fingerprint", ""),
        suppressed=_suppressed(finding.get("suppression")),
        steps=tuple(
            StepView(step["message"], _resource_text(step["resource"]), Place.of(step["location"], step["path"]))
            for step in finding.get("steps", [])
        ),
    )


def exit_code_of(report: Mapping[str, Any], fail_on: str | None) -> int:
    """The exit code `kubeaudit scan` gives the scan this report is of (api.gate over the JSON shape):
    2 incomplete, 1 an unsuppressed finding at or above fail_on (None: any), else 0."""
    if not report["complete"]:
        return 2
    if fail_on == "none":
        return 0
    threshold = Severity(fail_on or Severity.INFO.value).rank
    return int(any(f["suppression"] is None and Severity(f["severity"]).rank >= threshold for f in report["findings"]))


@dataclass(frozen=True, slots=True)
class Gap:
    """Something the scan could not see or judge, in plain words."""

    report: str
    kind: str  # "not scanned", "coverage gap", "not evaluated", "examined by no rule", "note"
    text: str


def gaps_of(label: str, report: Mapping[str, Any]) -> list[Gap]:
    gaps = []
    for error in report.get("errors", []):
        where = f"{error['source']}:{error['line']}" if error.get("line") else error["source"]
        gaps.append(Gap(label, "not scanned", f"{where}: {error['message']}"))
    for gap in report.get("gaps", []):
        context = f"[{gap['context']}] " if gap.get("context") else ""
        gaps.append(Gap(label, "coverage gap", f"{context}{gap['what']}: {gap['reason']}"))
    for rule in report.get("notEvaluated", []):
        targets = rule.get("targets") or []
        shown = f"; not evaluated: {', '.join(targets)}" if targets else ""
        gaps.append(Gap(label, "not evaluated", f"{rule['ruleId']}: {rule['reason']}{shown}"))
    untargeted = report.get("summary", {}).get("untargetedResources", 0)
    if untargeted:
        gaps.append(Gap(label, "examined by no rule", f"{untargeted} resources are of kinds no rule looks at"))
    for notice in report.get("notices", []):
        where = f"{notice['source']}:{notice['line']}" if notice.get("line") else notice["source"]
        gaps.append(Gap(label, "note", f"{where}: {notice['message']}"))
    return gaps


@dataclass(frozen=True, slots=True)
class RuleInfo:
    title: str
    references: tuple[Reference, ...] = ()


def rule_infos(rules: Iterable[RuleMeta]) -> dict[str, RuleInfo]:
    """What the report says about each rule beyond its findings (the JSON report has no references)."""
    return {rule.id: RuleInfo(rule.title, rule.references) for rule in rules}


class FindingViews(Sequence[FindingView]):
    """Some of the reports' findings, in a given order, each FindingView made as it is read: a
    report of 200,000 findings is never held as objects (kubeaudit.finding_store)."""

    __slots__ = ("_order", "_reports")

    def __init__(self, reports: Sequence[ScannedReport]) -> None:
        self._reports = reports
        self._order = array("Q")  # report number << 32 | the finding's index in its report

    def add(self, report: int, index: int) -> None:
        self._order.append(report << 32 | index)

    def extend(self, other: FindingViews) -> None:
        self._order.extend(other._order)

    def __len__(self) -> int:
        return len(self._order)

    @overload
    def __getitem__(self, index: int) -> FindingView: ...

    @overload
    def __getitem__(self, index: slice) -> list[FindingView]: ...

    def __getitem__(self, index: int | slice) -> FindingView | list[FindingView]:
        if isinstance(index, slice):
            return [self._view(key) for key in self._order[index]]
        return self._view(self._order[index])

    def __iter__(self) -> Iterator[FindingView]:
        return map(self._view, self._order)

    def _view(self, key: int) -> FindingView:
        scanned = self._reports[key >> 32]
        return finding_view(scanned.label, scanned.report["findings"][key & 0xFFFFFFFF])


# What the page counts of each active finding: report, severity, namespace, family, rule.
_CountKey = tuple[str, str, str, str, str]
_COUNTED = {"report": 0, "severity": 1, "namespace": 2, "category": 3, "rule_id": 4}


@dataclass
class ReportView:
    """Everything the page shows, over one or more reports."""

    reports: Sequence[ScannedReport]
    fail_on: str | None
    findings: FindingViews  # active, worst first
    suppressed: FindingViews
    gaps: list[Gap] = field(default_factory=list)
    exit_codes: dict[str, int] = field(default_factory=dict)  # by report label
    # What the exit code means, for a page a command other than a scan gate writes (psa-plan)
    verdict: str | None = None
    paths: list[FindingView] = field(default_factory=list)  # the active findings with steps, worst first
    # Each rule with findings, by id: its first finding as the page lists them (active, then suppressed).
    first_of_rule: dict[str, FindingView] = field(default_factory=dict)
    counts: Counter[_CountKey] = field(default_factory=Counter)  # the active findings, by _CountKey

    @property
    def multiple(self) -> bool:
        return len(self.reports) > 1

    @property
    def exit_code(self) -> int:
        """What the gate says over all the reports: the worst of their exit codes (2 > 1 > 0)."""
        return max(self.exit_codes.values(), default=0)

    @property
    def complete(self) -> bool:
        return all(r.report["complete"] for r in self.reports)

    def count_by(self, key: str) -> Counter[str]:
        """Active findings by `key` (an attribute of FindingView)."""
        counted: Counter[str] = Counter()
        at = _COUNTED[key]
        for parts, count in self.counts.items():
            counted[parts[at]] += count
        return counted

    def by_severity(self) -> dict[str, int]:
        counts = self.count_by("severity")
        return {s: counts.get(s, 0) for s in SEVERITIES}

    def by(self, key: str) -> list[tuple[str, dict[str, int]]]:
        """Active findings by `key` (an attribute of FindingView), with their severities, most first."""
        table: dict[str, Counter[str]] = {}
        at = _COUNTED[key]
        for parts, count in self.counts.items():
            table.setdefault(parts[at], Counter())[parts[1]] += count
        rows = [(name, {s: counts.get(s, 0) for s in SEVERITIES}) for name, counts in table.items()]
        return sorted(rows, key=lambda row: (-sum(row[1].values()), row[0]))

    def heatmap(self) -> tuple[list[str], list[str], dict[tuple[str, str], int]]:
        """Namespaces (rows), rule families (columns) and the active findings in each cell."""
        cells: Counter[tuple[str, str]] = Counter()
        for parts, count in self.counts.items():
            cells[parts[2], parts[3]] += count
        namespaces = [name for name, _ in self.by("namespace")]
        families = [name for name, _ in self.by("category")]
        return namespaces, families, dict(cells)


def build_view(reports: Sequence[ScannedReport], fail_on: str | None) -> ReportView:
    """The page's view, from one pass over each report's findings: the counts, attack paths and
    each rule's first finding kept, the findings themselves only by number (FindingViews)."""
    reports = [
        r
        if isinstance(r.report["findings"], Sequence)
        else replace(r, report={**r.report, "findings": list(r.report["findings"])})
        for r in reports
    ]
    by_severity = [FindingViews(reports) for _ in SEVERITIES]  # active, worst first
    view = ReportView(reports, fail_on, FindingViews(reports), FindingViews(reports))
    rank_of = {s: Severity(s).rank for s in SEVERITIES}
    first_suppressed: dict[str, FindingView] = {}
    best: dict[str, tuple[int, FindingView]] = {}  # per rule: its first active finding of the worst severity
    paths: list[FindingView] = []
    for number, scanned in enumerate(reports):
        threshold = None if fail_on == "none" else Severity(fail_on or Severity.INFO.value).rank
        failing = False
        for index, finding in enumerate(scanned.report["findings"]):
            shown = finding_view(scanned.label, finding)
            if shown.suppressed is not None:
                view.suppressed.add(number, index)
                first_suppressed.setdefault(shown.rule_id, shown)
                continue
            rank = rank_of[shown.severity]
            by_severity[SEVERITIES.index(shown.severity)].add(number, index)
            view.counts[shown.report, shown.severity, shown.namespace, shown.category, shown.rule_id] += 1
            if shown.rule_id not in best or rank > best[shown.rule_id][0]:
                best[shown.rule_id] = (rank, shown)
            if shown.steps:
                paths.append(shown)
            failing = failing or (threshold is not None and rank >= threshold)
        view.gaps.extend(gaps_of(scanned.label, scanned.report))
        code = scanned.exit_code
        # As exit_code_of works it out, from the same pass.
        view.exit_codes[scanned.label] = (
            code if code is not None else 2 if not scanned.report["complete"] else int(failing)
        )
    for part in by_severity:
        view.findings.extend(part)
    view.paths = sorted(paths, key=lambda f: -f.rank)  # stable: in each severity, the reports' own order
    # In the page's order: the active findings worst first, then the suppressed ones.
    first = {rule_id: shown for rule_id, (_, shown) in best.items()}
    view.first_of_rule = {**first, **{k: v for k, v in first_suppressed.items() if k not in first}}
    return view


def _indexable(scanned: ScannedReport) -> ScannedReport:
    """The report with findings that can be read by number (FindingViews reads them so)."""
    findings = scanned.report["findings"]
    if isinstance(findings, Sequence):
        return scanned
    return replace(scanned, report={**scanned.report, "findings": list(findings)})
