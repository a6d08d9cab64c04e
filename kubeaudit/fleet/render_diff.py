"""Renderers of `kubeaudit report diff`: console text, JSON (diff-report.schema.json) and Markdown
for a pull-request comment (summary counts, then tables of new and fixed findings with file:line)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from kubeaudit import __version__
from kubeaudit.fleet import markdown
from kubeaudit.fleet.diff import Finding, ReportDiff, new_at_or_above
from kubeaudit.fleet.reports import SavedReport, identity_dict, resource_ref, severity_counts
from kubeaudit.fleet.text import plural, resource_name, table, where
from kubeaudit.model import Severity
from kubeaudit.safetext import printable

SCHEMA_VERSION = "1.0"
# A GitHub comment holds at most 65,536 characters: list this many findings per table, count the rest.
MARKDOWN_ROWS = 100

# (JSON key, heading) of each group of findings, in the order every format shows them.
GROUPS = (
    ("new", "New"),
    ("fixed", "Fixed"),
    ("suppressed", "Now suppressed"),
    ("notEvaluated", "Not evaluated in the new report"),
    ("unchanged", "Unchanged"),
)
LISTED = ("new", "fixed", "suppressed", "notEvaluated")  # console and Markdown count unchanged ones only


def groups(diff: ReportDiff) -> dict[str, list[Finding]]:
    return {
        "new": diff.added,
        "fixed": diff.fixed,
        "suppressed": diff.suppressed,
        "notEvaluated": diff.not_evaluated,
        "unchanged": diff.unchanged,
    }


def counts_line(diff: ReportDiff) -> str:
    found = groups(diff)
    parts = [f"{len(found['new'])} new", f"{len(found['fixed'])} fixed", f"{len(found['unchanged'])} unchanged"]
    parts += [f"{len(found[key])} {heading.lower()}" for key, heading in GROUPS[2:4] if found[key]]
    return ", ".join(parts)


def _described(label: str, report: SavedReport) -> str:
    inputs = ", ".join(report.inputs) or "no inputs"
    return f"{label} {report.path} ({inputs}; {plural(len(report.active_findings), 'finding')})"


def render_console(diff: ReportDiff, stream: TextIO, fail_on_new: str | None = None) -> None:
    lines = [printable(f"Compared {_described('OLD', diff.old)}"), printable(f"    with {_described('NEW', diff.new)}")]
    lines += ["", counts_line(diff)]
    found = groups(diff)
    for key, heading in GROUPS:
        if key not in LISTED or not found[key]:
            continue
        lines += ["", f"{heading} ({len(found[key])}):"]
        rows = [
            [f["severity"].upper(), printable(f["ruleId"]), resource_name(f), where(f), printable(f["message"])]
            for f in found[key]
        ]
        lines += ["  " + line for line in table(["severity", "rule", "resource", "where", "message"], rows, right=5)]
    lines += [""] * bool(diff.notes) + [f"note: {printable(note)}" for note in diff.notes]
    if fail_on_new is not None and diff.complete:
        failing = len(new_at_or_above(diff, fail_on_new))
        lines += ["", f"{plural(failing, 'new finding')} at or above {fail_on_new} (--fail-on-new)"]
    stream.write("\n".join(lines) + "\n")


def diff_dict(diff: ReportDiff) -> dict[str, Any]:
    found = groups(diff)
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "kubeaudit", "version": __version__},
        "complete": diff.complete,
        "old": _report_dict(diff.old),
        # "new" lists the new findings (below); the new report itself is "newReport"
        "newReport": _report_dict(diff.new),
        "summary": {key: {"total": len(found[key]), **severity_counts(found[key])} for key, _ in GROUPS},
        **{key: found[key] for key, _ in GROUPS},
        "notes": list(diff.notes),
    }


def _report_dict(report: SavedReport) -> dict[str, Any]:
    return {**identity_dict(report), "findings": len(report.active_findings)}


def render_json(diff: ReportDiff, stream: TextIO, fail_on_new: str | None = None) -> None:
    from kubeaudit.report import jsontext

    jsontext.dump(diff_dict(diff), stream)
    stream.write("\n")


def render_markdown(diff: ReportDiff, stream: TextIO, fail_on_new: str | None = None) -> None:
    found = groups(diff)
    lines = [f"### kubeaudit: {counts_line(diff)}", ""]
    lines.append(
        f"Compared {markdown.code(diff.old.path)} ({plural(len(diff.old.active_findings), 'finding')}) "
        f"with {markdown.code(diff.new.path)} ({plural(len(diff.new.active_findings), 'finding')})."
    )
    lines.append("")
    header = ["", *(s.value for s in Severity), "total"]
    rows = []
    for key, heading in GROUPS:
        if key in ("new", "fixed", "unchanged") or found[key]:
            counts = severity_counts(found[key])
            rows.append([heading, *(str(counts[s.value]) for s in Severity), str(len(found[key]))])
    lines += markdown.table(header, rows)
    for note in diff.notes:
        lines += ["", f"> **Note:** {markdown.text(note)}"]
    if fail_on_new is not None and diff.complete:
        failing = len(new_at_or_above(diff, fail_on_new))
        verdict = "fails" if failing else "passes"
        lines += [
            "",
            f"**{verdict}** `--fail-on-new {fail_on_new}`: {plural(failing, 'new finding')} at or above it.",
        ]
    for key, heading in GROUPS:
        if key in LISTED and found[key]:
            lines += ["", f"#### {heading} findings ({len(found[key])})", "", *_markdown_findings(found[key])]
    stream.write("\n".join(lines) + "\n")


def _markdown_findings(findings: list[Finding]) -> list[str]:
    cells: list[Callable[[Finding], str]] = [
        lambda f: f["severity"],
        lambda f: markdown.code(f["ruleId"]),
        lambda f: markdown.code(resource_ref(f["resource"])),
        lambda f: markdown.code(where(f)),
        lambda f: markdown.text(f["message"]),
    ]
    rows = [[cell(f) for cell in cells] for f in findings[:MARKDOWN_ROWS]]
    lines = markdown.table(["Severity", "Rule", "Resource", "Location", "Message"], rows, right=5)
    if len(findings) > MARKDOWN_ROWS:
        lines += ["", f"... and {len(findings) - MARKDOWN_ROWS} more (see `kubeaudit report diff -f json`)."]
    return lines


RENDERERS: dict[str, Callable[[ReportDiff, TextIO, str | None], None]] = {
    "console": render_console,
    "json": render_json,
    "markdown": render_markdown,
}
FORMATS = tuple(RENDERERS)
