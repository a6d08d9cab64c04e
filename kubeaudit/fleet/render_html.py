"""`kubeaudit report merge -f html`: the HTML report's page (report/html_report) over every input
report, a column each, plus a section with each rule's findings per report and the notes.

An input that is not a report has no findings to show, but the page must not pass because of
it: it becomes a report of its own that read nothing (`complete: false`, its error listed), so the
page's verdict, coverage gaps and report table say what the exit code says.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TextIO

from kubeaudit import __version__
from kubeaudit.fleet.merge import FleetSummary
from kubeaudit.fleet.reports import ReportReadError
from kubeaudit.model import Severity
from kubeaudit.report.html_report import ScannedReport, render_reports, rule_infos
from kubeaudit.report.html_report.writer import HtmlWriter

TITLE = "kubeaudit fleet report"


def unread_document(error: ReportReadError) -> dict[str, Any]:
    """A JSON report (valid against its schema) of an input that could not be read: nothing scanned."""
    return {
        "schemaVersion": "1.0",
        "tool": {"name": "kubeaudit", "version": __version__},
        "inputs": [error.path],
        "complete": False,
        "summary": {
            "files": 0,
            "documents": 0,
            "resources": 0,
            "skippedDocuments": 0,
            "untargetedResources": 0,
            "rules": 0,
            "findings": {"total": 0, **{s.value: 0 for s in Severity}},
            "errors": 1,
            "suppressed": 0,
            "gaps": 0,
        },
        "findings": [],
        "errors": [{"source": error.path, "line": None, "message": error.reason}],
        "gaps": [],
        "notEvaluated": [],
        "notices": [],
        "workloads": [],
    }


class RulesByReport:
    """The page's section with each rule's findings in each report (the console's second table)."""

    anchor = "rules-by-report"
    title = "Findings by rule and report"

    def __init__(self, summary: FleetSummary) -> None:
        self.summary = summary

    def render(self, out: HtmlWriter) -> None:
        columns = self.summary.columns
        for note in self.summary.notes:
            out.element("p", f"Note: {note}.", {"class": "note"})
        if not self.summary.rules:
            out.element("p", "No findings in any report.")
            return
        with out.tag("table", {"id": "rules-by-report-table", "class": "counts"}):
            out.element("caption", "Findings per rule (rows) and report (columns), most severe first")
            with out.tag("thead"), out.tag("tr"):
                out.element("th", "Rule", {"scope": "col"})
                out.element("th", "Severity", {"scope": "col"})
                for column in columns:
                    out.element("th", column.name, {"scope": "col", "class": "num"})
                out.element("th", "total", {"scope": "col", "class": "num"})
            with out.tag("tbody"):
                for row in self.summary.rules:
                    with out.tag("tr", {"data-rule": row.rule_id}):
                        out.element("th", row.rule_id, {"scope": "row"})
                        out.element("td", row.severity)
                        for column in columns:
                            count = row.counts[column.name]
                            if count is None:
                                out.element("td", "-", {"class": "num", "title": "the rule did not run"})
                            else:
                                out.element("td", count, {"class": "num"})
                        out.element("td", row.total, {"class": "num"})


def _labels_for_unread(summary: FleetSummary) -> list[str]:
    taken = {column.name for column in summary.columns}
    labels = []
    for error in summary.unread:
        label = error.path
        while label in taken:
            label += " (not a report)"
        taken.add(label)
        labels.append(label)
    return labels


def _scanned(summary: FleetSummary) -> Sequence[ScannedReport]:
    reports = [ScannedReport(column.name, column.document or {}) for column in summary.columns]
    for label, error in zip(_labels_for_unread(summary), summary.unread, strict=True):
        reports.append(ScannedReport(label, unread_document(error)))
    return reports


def render_html(summary: FleetSummary, stream: TextIO, fail_on: str | None = None) -> None:
    from kubeaudit.engine.loader import load_rules  # each rule's references, for the findings list

    render_reports(
        _scanned(summary),
        stream,
        fail_on,
        rule_infos(rule.meta for rule in load_rules()),
        [RulesByReport(summary)],
        TITLE,
    )
