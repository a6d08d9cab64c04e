"""The console report: findings grouped by file and resource, then a summary.

Every text that comes from the scanned input goes through `printable`: a name in a manifest
cannot add a line to the report or send escape sequences to the terminal."""

from __future__ import annotations

import errno
import os
from collections import Counter
from collections.abc import Iterable
from itertools import groupby
from typing import TextIO

from rich.console import Console
from rich.text import Text

from kubeaudit.model import Finding, ScanResult, Severity, Step, format_path
from kubeaudit.report.base import RenderOptions, Reporter
from kubeaudit.report.compliance_console import print_compliance
from kubeaudit.report.summary import findings_by_severity, not_evaluated_lines
from kubeaudit.safetext import printable

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


class _Console(Console):
    def on_broken_pipe(self) -> None:
        # rich would exit 1 quietly; the CLI reports a closed pipe like any other write error.
        raise BrokenPipeError(errno.EPIPE, os.strerror(errno.EPIPE))


def make_console(stream: TextIO, color: bool) -> Console:
    # Reports are read in CI logs and files as often as in terminals: never wrap
    # lines at a guessed width, and never emit colour codes unless asked to.
    return _Console(
        file=stream,
        force_terminal=color,
        no_color=not color,
        color_system="auto" if color else None,
        highlight=False,
        soft_wrap=True,
        emoji=False,
    )


FINDING_INDENT = 23  # where a finding's message wraps to and its fix starts: past "    CRITICAL line 123  "
MIN_WRAP_WIDTH = 40  # narrower than this after the indent, wrapping would do more harm than good


def _terminal_width(out: Console, stream: TextIO) -> int | None:
    """The width to wrap at: a terminal's own. Files and pipes (CI logs) are never wrapped."""
    isatty = getattr(stream, "isatty", None)
    return out.width if isatty is not None and isatty() else None


def _print_wrapped(out: Console, head: Text, body: Text, indent: int, width: int | None) -> None:
    """Print head + body; on a terminal, wrap body so continuation lines start at `indent`
    instead of the terminal folding them back to column 0."""
    if width is None or head.cell_len + body.cell_len <= width or width - indent < MIN_WRAP_WIDTH:
        out.print(head + body)
        return
    first, *rest = body.wrap(out, width - max(head.cell_len, indent))
    out.print(head + first)
    for line in rest:
        out.print(Text(" " * indent) + line)


def _resource_heading(finding: Finding) -> str:
    resource = finding.resource
    where = resource.origin.location()
    if where.file is None:  # cluster findings: the group heading names context and namespace
        pods = where.owned_pods  # owner folding (kubeaudit/sources/cluster/owners.py)
        owned = f" ({pods} pod{'' if pods == 1 else 's'})" if pods else ""
        return f"{resource.kind}/{resource.name}{owned}"
    in_namespace = f" in namespace {resource.namespace}" if resource.namespace else ""
    rendered = where.rendered
    by = f" (rendered from {rendered.project} by {rendered.tool}, document {rendered.document})" if rendered else ""
    return f"{resource.kind}/{resource.name}{in_namespace}{by}"


def _group_heading(finding: Finding) -> str:
    """Files group by file; a cluster's findings group by namespace within their context."""
    where = finding.resource.origin.location()
    if where.file is not None:
        return where.file
    namespace = finding.resource.namespace
    return f"{where.source} namespace {namespace}" if namespace else f"{where.source} (cluster-scoped)"


def _resource_key(finding: Finding) -> tuple[object, ...]:
    origin = finding.resource.origin
    return (origin.document, origin.base_path, origin.rendered, finding.resource.ref)


def render(result: ScanResult, stream: TextIO, color: bool = False, show_suppressed: bool = False) -> None:
    out = make_console(stream, color)
    width = _terminal_width(out, stream)
    _print_findings(out, result.active_findings, width)
    suppressed = [f for f in result.findings if f.suppression is not None]
    if show_suppressed:
        _print_suppressed(out, "Suppressed", suppressed, width)
    else:
        # A manifest that silences itself is always shown: its author is who the gate checks.
        inline = [f for f in suppressed if f.suppression is not None and f.suppression.kind == "inSource"]
        _print_suppressed(out, "Suppressed in the manifests", inline, width)
    _print_by_rule(out, result, width)
    _print_problems(out, result, width)
    print_compliance(out, result.compliance, width, _print_wrapped)
    _print_summary(out, result, len(suppressed), show_suppressed)


def _print_findings(out: Console, findings: Iterable[Finding], width: int | None) -> None:
    for heading, in_source in groupby(findings, key=_group_heading):
        out.print(Text(printable(heading), style="bold underline"))
        for _, group in groupby(in_source, key=_resource_key):
            items = list(group)
            out.print(Text("  " + printable(_resource_heading(items[0])), style="bold"))
            for finding in items:
                _print_finding(out, finding, width)
        out.print()


def _print_finding(out: Console, finding: Finding, width: int | None) -> None:
    head = Text("    ")
    head.append(f"{finding.severity.value.upper():<8}", style=SEVERITY_STYLE[finding.severity])
    elsewhere = finding.position.file if finding.position is not None else None  # a values file, a patch
    where = f"{elsewhere}:{finding.line}" if elsewhere else f"line {finding.line}" if finding.line else "-"
    head.append(f" {where:<9} ", style="dim")
    body = Text()
    body.append(printable(finding.rule_id), style="magenta")
    body.append("  " + printable(finding.message))
    if finding.resource.origin.location().file is None and finding.path:  # no line to point at: name the field
        body.append(f"  [{printable(format_path(finding.path))}]", style="dim")
    _print_wrapped(out, head, body, FINDING_INDENT, width)
    for number, step in enumerate(finding.steps, start=1):
        _print_wrapped(out, Text(" " * FINDING_INDENT), _step_text(finding, number, step), FINDING_INDENT + 3, width)
    fix = printable(finding.remediation.splitlines()[0]) if finding.remediation else ""
    _print_wrapped(out, Text(" " * FINDING_INDENT), Text(f"fix: {fix}", style="green"), FINDING_INDENT + 5, width)


def _step_text(finding: Finding, number: int, step: Step) -> Text:
    """One link of an attack path: where it is written (the line, with the file when it is not the
    finding's; the resource and field for cluster objects) and why it holds."""
    where = step.resource.origin.location()
    text = Text(f"{number}. ", style="dim")
    if where.file is None:
        place = f"{step.resource.ref} [{format_path(step.path)}]"
    else:
        line = f"line {step.line}" if step.line else format_path(step.path)
        same_file = where.file == finding.resource.origin.location().file
        place = line if same_file else f"{where.file}:{step.line}" if step.line else f"{where.file} {line}"
    text.append(printable(place), style="dim")
    text.append("  " + printable(step.message))
    return text


def _print_by_rule(out: Console, result: ScanResult, width: int | None) -> None:
    """Where the findings come from, worst first: on a big repository, the place to start."""
    counts = Counter(f.rule_id for f in result.active_findings)
    if len(counts) < 2:
        return
    first: dict[str, Finding] = {}
    for finding in result.active_findings:
        first.setdefault(finding.rule_id, finding)
    order = sorted(counts, key=lambda rule_id: (-first[rule_id].severity.rank, -counts[rule_id], rule_id))
    id_width = max(len(rule_id) for rule_id in order)
    count_width = len(str(max(counts.values())))
    out.print(Text(f"Findings by rule ({len(order)}):", style="bold"))
    for rule_id in order:
        severity = first[rule_id].severity
        head = Text("  ")
        head.append(f"{severity.value.upper():<8}", style=SEVERITY_STYLE[severity])
        head.append(f" {counts[rule_id]:>{count_width}}  ")
        head.append(printable(f"{rule_id:<{id_width}}"), style="magenta")
        _print_wrapped(out, head, Text(f"  {printable(first[rule_id].title)}"), head.cell_len + 2, width)
    out.print()


def _print_section(
    out: Console, title: str, lines: list[str], style: str, width: int | None, count: int | None = None
) -> None:
    if not lines:
        return
    out.print(Text(f"{title} ({len(lines) if count is None else count}):", style=f"bold {style}"))
    for line in lines:
        _print_wrapped(out, Text("  "), Text(printable(line), style=style), 4, width)
    out.print()


def _print_suppressed(out: Console, title: str, findings: list[Finding], width: int | None) -> None:
    if not findings:
        return
    out.print(Text(f"{title} ({len(findings)}):", style="bold"))
    for finding in findings:
        assert finding.suppression is not None
        sup = finding.suppression
        until = f", until {sup.expires}" if sup.expires else ""
        source = finding.file or finding.resource.origin.source
        where = f"{source}:{finding.line}" if finding.line else source
        text = f"{where} {finding.resource.ref} {finding.rule_id} [{sup.source}: {sup.justification}{until}]"
        _print_wrapped(out, Text("  ", style="dim"), Text(printable(text), style="dim"), 4, width)
    out.print()


def _print_problems(out: Console, result: ScanResult, width: int | None) -> None:
    _print_section(out, "Not scanned", [str(e) for e in result.errors], "red", width)
    gap_style = "red" if not result.allow_partial else "yellow"
    _print_section(out, "Coverage gaps", [str(g) for g in result.gaps], gap_style, width)
    _print_section(
        out,
        "Rules not fully evaluated",
        not_evaluated_lines(result),
        "yellow",
        width,
        count=len(result.not_evaluated),
    )
    _print_section(out, "Notes", [str(n) for n in result.notices], "yellow", width)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _print_summary(out: Console, result: ScanResult, suppressed: int, listed: bool) -> None:
    stats = result.stats
    counts = findings_by_severity(result)
    parts = [f"{counts[s.value]} {s.value}" for s in Severity if counts[s.value]]
    total = len(result.active_findings)
    found = _plural(total, "finding") + (f" ({', '.join(parts)})" if parts else "")
    if suppressed:
        found += f"; {suppressed} suppressed" + ("" if listed else " (--show-suppressed lists them)")
    rules = _plural(len(result.rules), "rule")
    scanned = f"Scanned {_plural(stats.files, 'file')}, {_plural(stats.resources, 'resource')} with {rules}"
    if stats.files == 0:  # a cluster: resources, no files
        scanned = f"Scanned {_plural(stats.resources, 'resource')} from {', '.join(result.inputs)} with {rules}"
    if stats.skipped_documents:
        scanned += f"; skipped {_plural(stats.skipped_documents, 'non-Kubernetes document')}"
    scanned += "."
    if stats.untargeted_resources:
        # A clean report on input no rule understands must not read as a pass.
        kinds = sorted(stats.untargeted_kinds)
        shown = ", ".join(kinds[:8]) + (f" and {len(kinds) - 8} more kinds" if len(kinds) > 8 else "")
        unexamined = f"{stats.untargeted_resources} of {_plural(stats.resources, 'resource')}"
        scanned += f" {unexamined} were examined by no rule ({shown})."
    out.print(Text(scanned))
    out.print(Text(found, style="bold" if total else "bold green"))
    if not result.complete:
        problems = []
        if result.errors:
            problems.append(f"{_plural(len(result.errors), 'input')} could not be scanned")
        if result.gaps and not result.allow_partial:
            problems.append(f"{_plural(len(result.gaps), 'coverage gap')}")
        out.print(Text(f"INCOMPLETE: {'; '.join(problems)} (listed above).", style="bold red"))


class ConsoleReporter(Reporter):
    """The console report: grouped by file (or cluster namespace), coloured on a terminal."""

    name = "console"
    suffix = None

    def render(self, result: ScanResult, stream: TextIO, options: RenderOptions) -> None:
        render(result, stream, options.color, show_suppressed=options.show_suppressed)
