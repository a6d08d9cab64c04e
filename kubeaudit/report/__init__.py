"""Reporters: one module per output format, each a small Reporter class, registered here.

Adding a format means adding a module with its Reporter and one entry in REPORTERS; the
CLI's --format choices and its file-suffix check come from this registry.
"""

from __future__ import annotations

from kubeaudit.report.base import RenderOptions, Reporter
from kubeaudit.report.console import ConsoleReporter
from kubeaudit.report.html_report import HtmlReporter
from kubeaudit.report.json_report import JsonReporter
from kubeaudit.report.junit import JunitReporter
from kubeaudit.report.sarif import SarifReporter

REPORTERS: dict[str, Reporter] = {
    reporter.name: reporter
    for reporter in (ConsoleReporter(), JsonReporter(), SarifReporter(), JunitReporter(), HtmlReporter())
}
FORMATS = tuple(REPORTERS)
# The format a report file's suffix means (`-o kubeaudit.sarif` is meant to be SARIF).
FORMAT_OF_SUFFIX = {reporter.suffix: reporter.name for reporter in REPORTERS.values() if reporter.suffix}

__all__ = ["FORMATS", "FORMAT_OF_SUFFIX", "REPORTERS", "RenderOptions", "Reporter"]
