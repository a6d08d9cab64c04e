"""Reporters: one module per output format, each a `render(result, stream, color)`.

Adding a format means adding a module and one entry in REPORTERS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TextIO

from kubeaudit.model import ScanResult
from kubeaudit.report import console, json_report, junit, sarif

Render = Callable[[ScanResult, TextIO, bool], None]

REPORTERS: dict[str, Render] = {
    "console": console.render,
    "json": json_report.render,
    "sarif": sarif.render,
    "junit": junit.render,
}
FORMATS = tuple(REPORTERS)
