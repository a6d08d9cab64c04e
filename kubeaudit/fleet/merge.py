"""`kubeaudit report merge`: many clusters' (or repositories') JSON reports as one summary with a
column per report: findings by severity and by rule, coverage gaps, totals.

Counts are those the reports' gates count: findings that are not suppressed. A report that was not
complete, or an input file that is not a report, makes the merged summary incomplete: it says which,
and its exit code is 2, as a scan's would be.

Each report is read, counted into its column and let go before the next is read, so memory holds
one report at a time however many are merged (the HTML page, which shows every finding, keeps
them all).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from kubeaudit.fleet.reports import ReportReadError, SavedReport, read_report, rule_list, severity_counts
from kubeaudit.model import Severity


@dataclass(frozen=True, slots=True)
class RuleTally:
    """One rule's active findings in one report."""

    title: str
    severity: str
    category: str
    count: int


@dataclass(frozen=True, slots=True)
class Column:
    """One input report (one cluster, or one repository), counted."""

    path: str  # the report file, as given
    inputs: list[str]
    tool_version: str
    rule_count: int
    complete: bool
    resources: int
    findings: dict[str, int]  # active findings by severity
    suppressed: int
    # What the scan could not see, as the report says it (JSON report shapes).
    errors: list[dict[str, Any]]
    gaps: list[dict[str, Any]]
    not_evaluated: list[dict[str, Any]]
    rules: dict[str, RuleTally]  # by rule id
    rule_ids: frozenset[str] | None  # the rules the scan ran (None: the report does not say)
    name: str = ""  # set once every report is read (naming.column_names)
    document: dict[str, Any] | None = None  # the whole report, kept only when asked (the HTML page)

    @property
    def total(self) -> int:
        return sum(self.findings.values())


def column_of(report: SavedReport, keep_document: bool = False) -> Column:
    document = report.document
    active = report.active_findings
    tallies: dict[str, list[Any]] = {}
    for finding in active:
        tally = tallies.setdefault(finding["ruleId"], [finding["title"], finding["severity"], finding["category"], 0])
        if Severity(finding["severity"]).rank > Severity(tally[1]).rank:
            tally[1] = finding["severity"]
        tally[3] += 1
    return Column(
        path=report.path,
        inputs=report.inputs,
        tool_version=report.tool_version,
        rule_count=report.rule_count,
        complete=report.complete,
        resources=int(document["summary"]["resources"]),
        findings=severity_counts(active),
        suppressed=len(document["findings"]) - len(active),
        errors=list(document["errors"]),
        gaps=list(document["gaps"]),
        not_evaluated=list(document["notEvaluated"]),
        rules={rule_id: RuleTally(*tally) for rule_id, tally in tallies.items()},
        rule_ids=report.rule_ids,
        document=document if keep_document else None,
    )


def read_columns(paths: Sequence[str], keep_documents: bool = False) -> tuple[list[Column], list[ReportReadError]]:
    """Each report counted into its column (unnamed yet), and one error per path that is not a report."""
    columns, unread = [], []
    for path in paths:
        try:
            columns.append(column_of(read_report(path), keep_documents))
        except ReportReadError as exc:
            unread.append(exc)
    return columns, unread


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One rule's active findings in each column (by column name); None where the rule did not run."""

    rule_id: str
    title: str
    severity: str  # the most severe any report gave it (config can override severities)
    category: str
    counts: dict[str, int | None]

    @property
    def total(self) -> int:
        return sum(count or 0 for count in self.counts.values())


@dataclass(frozen=True, slots=True)
class FleetSummary:
    columns: list[Column]
    rules: list[RuleRow]  # most severe first, then most findings
    unread: list[ReportReadError] = field(default_factory=list)  # inputs that are not reports
    notes: list[str] = field(default_factory=list)  # differences that change how to read the counts

    @property
    def complete(self) -> bool:
        return not self.unread and all(column.complete for column in self.columns)

    @property
    def incomplete_columns(self) -> list[Column]:
        return [column for column in self.columns if not column.complete]

    @property
    def findings(self) -> dict[str, int]:
        return {s.value: sum(c.findings[s.value] for c in self.columns) for s in Severity}

    @property
    def total(self) -> int:
        return sum(column.total for column in self.columns)

    @property
    def suppressed(self) -> int:
        return sum(column.suppressed for column in self.columns)

    @property
    def resources(self) -> int:
        return sum(column.resources for column in self.columns)


def merge_reports(
    columns: Sequence[Column], names: Sequence[str], unread: Sequence[ReportReadError] = ()
) -> FleetSummary:
    named = [replace(column, name=name) for column, name in zip(columns, names, strict=True)]
    return FleetSummary(named, _rule_rows(named), list(unread), _notes(named))


def _rule_rows(columns: Sequence[Column]) -> list[RuleRow]:
    rows: dict[str, RuleRow] = {}
    for column in columns:
        for rule_id, tally in column.rules.items():
            row = rows.get(rule_id)
            if row is None:
                counts = {c.name: 0 if c.rule_ids is None or rule_id in c.rule_ids else None for c in columns}
                row = rows[rule_id] = RuleRow(rule_id, tally.title, tally.severity, tally.category, counts)
            if Severity(tally.severity).rank > Severity(row.severity).rank:
                row = rows[rule_id] = replace(row, severity=tally.severity)
            row.counts[column.name] = (row.counts[column.name] or 0) + tally.count
    return sorted(rows.values(), key=lambda r: (-Severity(r.severity).rank, -r.total, r.rule_id))


def _notes(columns: Sequence[Column]) -> list[str]:
    """Differences between the reports that a reader comparing columns should know of."""
    notes = []
    versions = {c.tool_version for c in columns}
    if len(versions) > 1:
        by_version = ", ".join(f"{c.name}: {c.tool_version}" for c in columns)
        notes.append(f"the reports were made by different kubeaudit versions ({by_version}): their rules may differ")
    if all(c.rule_ids is not None for c in columns):
        ran = frozenset().union(*(c.rule_ids or () for c in columns))
        for column in columns:
            missing = ran - (column.rule_ids or frozenset())
            if missing:
                notes.append(f"{column.name} did not run {rule_list(missing)}: those rules found nothing there (-)")
        return notes
    counts = {c.rule_count for c in columns}
    if len(counts) > 1:
        by_count = ", ".join(f"{c.name}: {c.rule_count}" for c in columns)
        notes.append(
            f"the reports ran different numbers of rules ({by_count}): a rule one column lacks finds nothing there"
        )
    return notes


def fleet_gate(summary: FleetSummary, fail_on: str) -> int:
    """As a scan's exit code: 2 when anything is incomplete, 1 on a finding at or above fail_on, else 0."""
    if not summary.complete:
        return 2
    if fail_on == "none":
        return 0
    rank = Severity(fail_on).rank
    return 1 if any(n for s, n in summary.findings.items() if Severity(s).rank >= rank) else 0
