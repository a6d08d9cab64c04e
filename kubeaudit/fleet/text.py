"""Plain-text tables and finding lines shared by the console renderers of merge and diff."""

from __future__ import annotations

from typing import Any

from kubeaudit.fleet.reports import resource_ref
from kubeaudit.safetext import printable


def table(header: list[str], rows: list[list[str]], right: int = 1) -> list[str]:
    """Columns padded to their widest cell; from column `right` on, numbers aligned right."""
    widths = [max(len(row[i]) for row in (header, *rows)) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        pairs = enumerate(zip(cells, widths, strict=True))
        padded = [cell.rjust(width) if i >= right else cell.ljust(width) for i, (cell, width) in pairs]
        return "  ".join(padded).rstrip()

    return [line(header), *(line(row) for row in rows)]


def where(finding: dict[str, Any]) -> str:
    """file:line of a finding in a file, else its source (cluster:<context>): printable."""
    location = finding["location"]
    shown = location.get("file") or location["source"]
    line = location.get("line")
    return printable(f"{shown}:{line}" if line else shown)


def resource_name(finding: dict[str, Any]) -> str:
    return printable(resource_ref(finding["resource"]))


def plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"
