"""The compliance tables (--compliance) in the console report: one line per control, its status
and, for a control not evaluated, why; then the score."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.text import Text

from kubeaudit.compliance.table import ComplianceTable, ControlRow, Status, score_sentence
from kubeaudit.safetext import printable

STATUS_STYLE = {Status.PASS: "green", Status.FAIL: "bold red", Status.NOT_EVALUATED: "yellow", Status.MANUAL: "dim"}
STATUS_WIDTH = 14  # "NOT EVALUATED" and a space

PrintWrapped = Callable[[Console, Text, Text, int, "int | None"], None]


def status_label(row: ControlRow) -> str:
    if row.status is Status.FAIL:
        return f"FAIL {row.findings}"
    return row.status.value.replace("-", " ").upper()


def score_line(table: ComplianceTable) -> str:
    count = table.count
    return score_sentence(
        table.score, count(Status.PASS), count(Status.FAIL), count(Status.NOT_EVALUATED), count(Status.MANUAL)
    )


def print_compliance(out: Console, tables: list[ComplianceTable], width: int | None, wrapped: PrintWrapped) -> None:
    for table in tables:
        framework = table.framework
        out.print(Text(f"Compliance: {framework.title} {framework.version} ({framework.id}):", style="bold"))
        id_width = max(len(row.control.id) for row in table.rows)
        indent = 2 + id_width + 2 + STATUS_WIDTH
        for row in table.rows:
            head = Text(f"  {row.control.id:<{id_width}}  ")
            head.append(f"{status_label(row):<{STATUS_WIDTH}}", style=STATUS_STYLE[row.status])
            body = Text(printable(row.control.title))
            if row.rules:
                body.append(f"  [{', '.join(row.rules)}]", style="dim")
            if row.suppressed:
                body.append(f"  ({row.suppressed} suppressed)", style="dim")
            wrapped(out, head, body, indent, width)
            if row.reasons:
                why = Text(f"why: {printable('; '.join(row.reasons))}", style="yellow")
                wrapped(out, Text(" " * indent), why, indent + 5, width)
        out.print(Text(score_line(table), style="bold"))
        out.print()
