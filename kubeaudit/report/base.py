"""What every reporter is: a name (the --format value), the file suffix that means it, and
`render`, which writes one report of a scan result to a stream."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar, TextIO

from kubeaudit.model import ScanResult


@dataclass(frozen=True, slots=True)
class RenderOptions:
    color: bool = False  # only ever true for a terminal
    show_suppressed: bool = False  # list suppressed findings (formats that otherwise only count them)
    fail_on: str | None = None  # the exit code's threshold, for formats that say pass/fail (None: any finding)


class Reporter(ABC):
    name: ClassVar[str]  # the --format value
    # A report file named like this (`-o report.sarif`) but given no --format is a mistake the
    # CLI points out; None: no suffix means this format.
    suffix: ClassVar[str | None] = None

    @abstractmethod
    def render(self, result: ScanResult, stream: TextIO, options: RenderOptions) -> None: ...
