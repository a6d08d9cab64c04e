"""`kubeaudit report merge`: many clusters' (or repositories') JSON reports as one summary with a
column per report: findings by severity and by rule, coverage gaps, totals.

Counts are those the reports' gates count: findings that are not suppressed. A report that was not
complete, or an input file that is not a report, makes the merged summary incomplete: it says which,
and its exit code is 2, as a scan's would be.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kubeaudit.fleet.reports import ReportReadError, SavedReport, at_or_above, severity_counts
from kubeaudit.model import Severity


@dataclass(frozen=True, slots=True)
class Column:
    """One input report: one cluster, or one repository."""

    name: str
    report: SavedReport
    findings: dict[str, int]  # active findings by severity
    suppressed: int
    # What the scan could not see, as the report says it (JSON report shapes).
    errors: list[dict[str, Any]]
    gaps: list[dict[str, Any]]
    not_evaluated: list[dict[str, Any]]

    @property
    def total(self) -> int:
        return sum(self.findings.values())

    @property
    def complete(self) -> bool:
        return self.report.complete

    @property
    def resources(self) -> int:
        return int(self.report.document["summary"]["resources"])


@dataclass(frozen=True, slots=True)
class RuleRow:
    """One rule's active findings in each column (by column name)."""

    rule_id: str
    title: str
    severity: str  # the most severe any report gave it (config can override severities)
    category: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())


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
    reports: Sequence[SavedReport], names: Sequence[str], unread: Sequence[ReportReadError] = ()
) -> FleetSummary:
    columns = [_column(name, report) for name, report in zip(names, reports, strict=True)]
    return FleetSummary(columns, _rule_rows(columns), list(unread), _notes(reports, names))


def _column(name: str, report: SavedReport) -> Column:
    document = report.document
    active = report.active_findings
    return Column(
        name=name,
        report=report,
        findings=severity_counts(active),
        suppressed=len(document["findings"]) - len(active),
        errors=list(document["errors"]),
        gaps=list(document["gaps"]),
        not_evaluated=list(document["notEvaluated"]),
    )


def _rule_rows(columns: Sequence[Column]) -> list[RuleRow]:
    rows: dict[str, dict[str, Any]] = {}
    for column in columns:
        for finding in column.report.active_findings:
            row = rows.setdefault(
                finding["ruleId"],
                {"title": finding["title"], "severity": finding["severity"], "category": finding["category"],
                 "counts": {c.name: 0 for c in columns}},
            )  # fmt: skip
            if Severity(finding["severity"]).rank > Severity(row["severity"]).rank:
                row["severity"] = finding["severity"]
            row["counts"][column.name] += 1
    built = [RuleRow(rule_id, **row) for rule_id, row in rows.items()]
    return sorted(built, key=lambda r: (-Severity(r.severity).rank, -r.total, r.rule_id))


def _notes(reports: Sequence[SavedReport], names: Sequence[str]) -> list[str]:
    """Differences between the reports that a reader comparing columns should know of."""
    notes = []
    versions = {r.tool_version for r in reports}
    if len(versions) > 1:
        by_version = ", ".join(f"{n}: {r.tool_version}" for n, r in zip(names, reports, strict=True))
        notes.append(f"the reports were made by different kubeaudit versions ({by_version}): their rules may differ")
    counts = {r.rule_count for r in reports}
    if len(counts) > 1:
        by_count = ", ".join(f"{n}: {r.rule_count}" for n, r in zip(names, reports, strict=True))
        notes.append(
            f"the reports ran different numbers of rules ({by_count}): a rule one column lacks finds nothing there"
        )
    return notes


def fleet_gate(summary: FleetSummary, fail_on: str) -> int:
    """As a scan's exit code: 2 when anything is incomplete, 1 on a finding at or above fail_on, else 0."""
    if not summary.complete:
        return 2
    return 1 if any(at_or_above(c.report.active_findings, fail_on) for c in summary.columns) else 0
