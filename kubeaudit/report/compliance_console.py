"""The compliance tables (--compliance) in the console report: one line per control, its status
and, for a control not evaluated, why; then the score."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.text import Text

from kubeaudit.compliance.table import ComplianceTable, ControlRow, Status
from kubeaudit.safetext import printable

STATUS_STYLE = {Status.PASS: "green", Status.FAIL: "bold red", Status.NOT_EVALUATED: "yellow", Status.MANUAL: "dim"}
STATUS_WIDTH = 14  # "NOT EVALUATED" and a space

PrintWrapped = Callable[[Console, Text, Text, int, "int | None"], None]


def status_label(row: ControlRow) -> str:
    if row.status is Status.FAIL:
        return f"FAIL {row.findings}"
    return row.status.value.replace("-", " ").upper()


def score_line(table: ComplianceTable) -> str:
    """The score with what it is made of, so that it is never read without its coverage."""
    passed, failed = table.count(Status.PASS), table.count(Status.FAIL)
    unknown, manual = table.count(Status.NOT_EVALUATED), table.count(Status.MANUAL)
    score = "n/a" if table.score is None else f"{table.score:g}%"
    line = f"Score {score}: {passed} of {table.decidable} controls pass ({failed} fail, {unknown} not evaluated"
    line += ", which count as not passed)" if unknown else ")"
    if manual:
        line += f"; {manual} manual control{'' if manual == 1 else 's'} not scored"
    return line + "."


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
