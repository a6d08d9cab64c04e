"""What the HTML report shows, read from reports in the JSON report's shape.

The HTML report is drawn from the same document `--format json` writes (json_report.report_dict),
so its counts are the JSON report's by construction, and a merged fleet report
(`kubeaudit report merge`) can draw the same page from JSON report files read back: one
`ScannedReport` per cluster or repository, each with the label its column shows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

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


@dataclass
class ReportView:
    """Everything the page shows, over one or more reports."""

    reports: Sequence[ScannedReport]
    fail_on: str | None
    findings: list[FindingView] = field(default_factory=list)  # active, worst first
    suppressed: list[FindingView] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    exit_codes: dict[str, int] = field(default_factory=dict)  # by report label
    # What the exit code means, for a page a command other than a scan gate writes (psa-plan)
    verdict: str | None = None

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

    def by_severity(self) -> dict[str, int]:
        counts = Counter(f.severity for f in self.findings)
        return {s: counts.get(s, 0) for s in SEVERITIES}

    def by(self, key: str) -> list[tuple[str, dict[str, int]]]:
        """Active findings by `key` (an attribute of FindingView), with their severities, most first."""
        table: dict[str, Counter[str]] = {}
        for finding in self.findings:
            table.setdefault(getattr(finding, key), Counter())[finding.severity] += 1
        rows = [(name, {s: counts.get(s, 0) for s in SEVERITIES}) for name, counts in table.items()]
        return sorted(rows, key=lambda row: (-sum(row[1].values()), row[0]))

    def heatmap(self) -> tuple[list[str], list[str], dict[tuple[str, str], int]]:
        """Namespaces (rows), rule families (columns) and the active findings in each cell."""
        cells = Counter((f.namespace, f.category) for f in self.findings)
        namespaces = [name for name, _ in self.by("namespace")]
        families = [name for name, _ in self.by("category")]
        return namespaces, families, dict(cells)


def build_view(reports: Sequence[ScannedReport], fail_on: str | None) -> ReportView:
    view = ReportView(reports, fail_on)
    for scanned in reports:
        for finding in scanned.report["findings"]:
            shown = finding_view(scanned.label, finding)
            (view.suppressed if shown.suppressed is not None else view.findings).append(shown)
        view.gaps.extend(gaps_of(scanned.label, scanned.report))
        code = scanned.exit_code
        view.exit_codes[scanned.label] = code if code is not None else exit_code_of(scanned.report, fail_on)
    view.findings.sort(key=lambda f: -f.rank)  # stable: in each severity, the reports' own order
    return view
