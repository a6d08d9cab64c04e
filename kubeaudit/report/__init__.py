"""Reporters: one module per output format, each a small Reporter class, registered here.

Adding a format means adding a module with its Reporter and one entry in REPORTER_MODULES (and
SUFFIXES, when a file suffix means it); the CLI's --format choices and its file-suffix check come
from this registry. A reporter's module is imported when the reporter is first asked for: a scan
that writes JSON never imports rich, sarif-om (with attrs), the JUnit or the HTML writer.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping

from kubeaudit.report.base import RenderOptions, Reporter

# Format: the module and class of its Reporter (tests/report/test_reporter_registry.py holds them to agree).
REPORTER_MODULES: dict[str, tuple[str, str]] = {
    "console": ("kubeaudit.report.console", "ConsoleReporter"),
    "json": ("kubeaudit.report.json_report", "JsonReporter"),
    "sarif": ("kubeaudit.report.sarif", "SarifReporter"),
    "junit": ("kubeaudit.report.junit", "JunitReporter"),
    "html": ("kubeaudit.report.html_report", "HtmlReporter"),
}
# The file suffix each format's Reporter declares (`suffix`), for the formats that have one.
SUFFIXES: dict[str, str] = {"json": ".json", "sarif": ".sarif", "junit": ".xml", "html": ".html"}


class _Reporters(Mapping[str, Reporter]):
    """The reporters by format, each made (its module imported) when first looked up."""

    def __init__(self) -> None:
        self._made: dict[str, Reporter] = {}

    def __getitem__(self, name: str) -> Reporter:
        reporter = self._made.get(name)
        if reporter is None:
            module, cls = REPORTER_MODULES[name]
            reporter = self._made[name] = getattr(importlib.import_module(module), cls)()
        return reporter

    def __iter__(self) -> Iterator[str]:
        return iter(REPORTER_MODULES)

    def __len__(self) -> int:
        return len(REPORTER_MODULES)


REPORTERS: Mapping[str, Reporter] = _Reporters()
FORMATS = tuple(REPORTER_MODULES)
# The format a report file's suffix means (`-o kubeaudit.sarif` is meant to be SARIF).
FORMAT_OF_SUFFIX = {suffix: name for name, suffix in SUFFIXES.items()}

__all__ = ["FORMATS", "FORMAT_OF_SUFFIX", "REPORTERS", "RenderOptions", "Reporter"]
