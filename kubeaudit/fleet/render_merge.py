"""Renderers of `kubeaudit report merge`: console text, JSON (merge-report.schema.json) and the
HTML report's page (render_html.py).

Both show a column per input report: findings by severity, by rule, what each scan could not see,
and totals. Everything shown comes from the input reports, which never hold a Secret's value.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from kubeaudit import __version__
from kubeaudit.fleet.merge import Column, FleetSummary
from kubeaudit.fleet.reports import identity_dict
from kubeaudit.fleet.text import plural, table
from kubeaudit.model import Severity
from kubeaudit.safetext import printable

SCHEMA_VERSION = "1.0"
SHOWN_PROBLEMS = 10  # errors and gaps listed per report in the console; JSON lists them all


def render_console(summary: FleetSummary, stream: TextIO, fail_on: str | None = None) -> None:
    columns = summary.columns
    names = [printable(c.name) for c in columns]
    lines = [
        f"Fleet summary: {plural(len(columns), 'report')}, {plural(summary.resources, 'resource')}, "
        f"{plural(summary.total, 'finding')}",
        "",
    ]
    rows = [[s.value, *(str(c.findings[s.value]) for c in columns), str(summary.findings[s.value])] for s in Severity]
    rows.append(["total", *(str(c.total) for c in columns), str(summary.total)])
    rows.append(["suppressed", *(str(c.suppressed) for c in columns), str(summary.suppressed)])
    rows.append(["resources", *(str(c.resources) for c in columns), str(summary.resources)])
    rows.append(["complete", *("yes" if c.complete else "NO" for c in columns), "yes" if summary.complete else "NO"])
    rows.append(["errors", *(str(len(c.errors)) for c in columns), str(sum(len(c.errors) for c in columns))])
    rows.append(["coverage gaps", *(str(len(c.gaps)) for c in columns), str(sum(len(c.gaps) for c in columns))])
    rows.append(["rules not evaluated", *(str(len(c.not_evaluated)) for c in columns), ""])
    lines += table(["findings", *names, "total"], rows)
    if summary.rules:
        lines += ["", "Findings by rule:"]
        rule_rows = [
            [
                f"{r.severity.upper():<8} {printable(r.rule_id)}",
                *(_count(r.counts[c.name]) for c in columns),
                str(r.total),
            ]
            for r in summary.rules
        ]
        lines += ["  " + line for line in table(["rule", *names, "total"], rule_rows)]
    lines += _coverage_lines(summary)
    lines += [f"note: {printable(note)}" for note in summary.notes]
    lines += ["", _verdict(summary, fail_on)]
    stream.write("\n".join(lines) + "\n")


def _count(count: int | None) -> str:
    """A rule's findings in one report; `-` where the rule did not run."""
    return "-" if count is None else str(count)


def _coverage_lines(summary: FleetSummary) -> list[str]:
    lines: list[str] = []
    for column in summary.columns:
        problems = [f"not scanned: {_error_text(e)}" for e in column.errors]
        problems += [f"coverage gap: {_gap_text(g)}" for g in column.gaps]
        if column.complete and not problems:
            continue
        state = "incomplete" if not column.complete else "complete"
        lines += ["", f"{printable(column.name)} ({printable(column.path)}): {state} scan"]
        lines += [f"  {printable(p)}" for p in problems[:SHOWN_PROBLEMS]]
        if len(problems) > SHOWN_PROBLEMS:
            lines.append(f"  ... and {len(problems) - SHOWN_PROBLEMS} more (see the JSON output)")
    if summary.unread:
        lines += ["", "Not merged (not a kubeaudit JSON report):"]
        lines += [f"  {printable(str(error))}" for error in summary.unread]
    return lines


def _error_text(error: dict[str, Any]) -> str:
    where = f"{error['source']}:{error['line']}" if error["line"] else error["source"]
    return f"{where}: {error['message']}"


def _gap_text(gap: dict[str, Any]) -> str:
    context = f" ({gap['context']})" if gap["context"] else ""
    return f"{gap['what']}{context}: {gap['reason']}"


def _verdict(summary: FleetSummary, fail_on: str | None) -> str:
    if not summary.complete:
        parts = [c.name for c in summary.incomplete_columns]
        if summary.unread:
            parts.append(plural(len(summary.unread), "unreadable input"))
        return f"INCOMPLETE: {printable(', '.join(parts))}: the fleet summary does not cover everything"
    if fail_on in (None, "none"):
        return f"{plural(summary.total, 'finding')} in {plural(len(summary.columns), 'report')}"
    rank = Severity(fail_on).rank
    failing = sum(n for s, n in summary.findings.items() if Severity(s).rank >= rank)
    return f"{plural(failing, 'finding')} at or above {fail_on} (--fail-on)"


def summary_dict(summary: FleetSummary) -> dict[str, Any]:
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "kubeaudit", "version": __version__},
        "complete": summary.complete,
        "reports": [_column_dict(c) for c in summary.columns],
        "rules": [
            {
                "ruleId": r.rule_id,
                "title": r.title,
                "severity": r.severity,
                "category": r.category,
                "findings": dict(r.counts),
                "total": r.total,
            }
            for r in summary.rules
        ],
        "totals": {
            "reports": len(summary.columns),
            "incompleteReports": len(summary.incomplete_columns),
            "resources": summary.resources,
            "findings": {"total": summary.total, **summary.findings},
            "suppressed": summary.suppressed,
            "errors": sum(len(c.errors) for c in summary.columns),
            "gaps": sum(len(c.gaps) for c in summary.columns),
        },
        "unreadReports": [str(error) for error in summary.unread],
        "notes": list(summary.notes),
    }


def _column_dict(column: Column) -> dict[str, Any]:
    return {
        "name": column.name,
        **identity_dict(column),
        "resources": column.resources,
        "findings": {"total": column.total, **column.findings},
        "suppressed": column.suppressed,
        "errors": column.errors,
        "gaps": column.gaps,
        "notEvaluated": column.not_evaluated,
    }


def render_json(summary: FleetSummary, stream: TextIO, fail_on: str | None = None) -> None:
    from kubeaudit.report import jsontext  # the reporters' package imports every reporter

    jsontext.dump(summary_dict(summary), stream)
    stream.write("\n")


def render_html(summary: FleetSummary, stream: TextIO, fail_on: str | None = None) -> None:
    """The HTML report's page over every report (fleet/render_html.py), imported only when asked."""
    from kubeaudit.fleet import render_html as page

    page.render_html(summary, stream, fail_on)


RENDERERS: dict[str, Callable[[FleetSummary, TextIO, str | None], None]] = {
    "console": render_console,
    "json": render_json,
    "html": render_html,
}
FORMATS = tuple(RENDERERS)
