"""The HTML report: one self-contained page (inline stylesheet and script, nothing loaded from the
network) with the verdict, coverage gaps, a namespace x rule-family heatmap, attack paths and
every finding, filterable when its script runs and complete when it does not.

`render_reports` draws the page from JSON reports (see view.ScannedReport), so a merged fleet
report uses it as `kubeaudit scan --format html` does, with a report column when there are several.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TextIO

from kubeaudit.model import ScanResult
from kubeaudit.report.base import RenderOptions, Reporter
from kubeaudit.report.html_report.page import Section, render_page
from kubeaudit.report.html_report.view import RuleInfo, ScannedReport, build_view, rule_infos
from kubeaudit.report.json_report import paged_report_dict


def render_reports(
    reports: Sequence[ScannedReport],
    stream: TextIO,
    fail_on: str | None,
    rules: Mapping[str, RuleInfo] | None = None,
    sections: Sequence[Section] = (),
    title: str = "kubeaudit report",
    verdict: str | None = None,
) -> None:
    """One page over REPORTS (JSON report dicts, each labelled; several get a report column).
    RULES adds each rule's references (rule_infos(load_rules()) for the built-in ones). VERDICT says
    what the exit code means when the page is not a scan gate's (the code is still each report's)."""
    view = build_view(reports, fail_on)
    view.verdict = verdict
    render_page(view, stream, rules or {}, sections, title)


def render(result: ScanResult, stream: TextIO, fail_on: str | None = None, sections: Sequence[Section] = ()) -> None:
    # The exit code is worked out from the report as api.gate works it out from the result (tests
    # hold the page's against the CLI's): reporters come before the api layer.
    scanned = ScannedReport("", paged_report_dict(result))
    render_reports([scanned], stream, fail_on, rule_infos(result.rules), sections)


class HtmlReporter(Reporter):
    """The single-file HTML report, for people who will not read a terminal."""

    name = "html"
    suffix = ".html"

    def render(self, result: ScanResult, stream: TextIO, options: RenderOptions) -> None:
        render(result, stream, options.fail_on)


__all__ = ["HtmlReporter", "RuleInfo", "ScannedReport", "Section", "render", "render_reports", "rule_infos"]
