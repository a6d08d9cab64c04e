"""The console report: findings grouped by file and resource, then a summary."""

from __future__ import annotations

from itertools import groupby
from typing import TextIO

from rich.console import Console
from rich.text import Text

from kubeaudit.model import Finding, ScanResult, Severity, format_path
from kubeaudit.report.summary import findings_by_severity

SEVERITY_STYLE = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def make_console(stream: TextIO, color: bool) -> Console:
    # Reports are read in CI logs and files as often as in terminals: never wrap
    # lines at a guessed width, and never emit colour codes unless asked to.
    return Console(
        file=stream,
        force_terminal=color,
        no_color=not color,
        color_system="auto" if color else None,
        highlight=False,
        soft_wrap=True,
        emoji=False,
    )


def _resource_heading(finding: Finding) -> str:
    resource = finding.resource
    if resource.origin.context is not None:  # cluster findings: the group heading names context and namespace
        pods = getattr(resource.origin, "owned_pods", None)  # owner folding (kubeaudit/sources/cluster/owners.py)
        owned = f" ({pods} pod{'' if pods == 1 else 's'})" if pods else ""
        return f"{resource.kind}/{resource.name}{owned}"
    where = f" in namespace {resource.namespace}" if resource.namespace else ""
    return f"{resource.kind}/{resource.name}{where}"


def _group_heading(finding: Finding) -> str:
    """Files group by file; a cluster's findings group by namespace within their context."""
    origin = finding.resource.origin
    if origin.context is None:
        return origin.source
    namespace = finding.resource.namespace
    return f"{origin.source} namespace {namespace}" if namespace else f"{origin.source} (cluster-scoped)"


def _resource_key(finding: Finding) -> tuple[object, ...]:
    origin = finding.resource.origin
    return (origin.document, origin.base_path, finding.resource.ref)


def render(result: ScanResult, stream: TextIO, color: bool = False, show_suppressed: bool = False) -> None:
    out = make_console(stream, color)
    _print_findings(out, result.active_findings)
    suppressed = [f for f in result.findings if f.suppression is not None]
    if show_suppressed and suppressed:
        out.print(Text(f"Suppressed ({len(suppressed)}):", style="bold"))
        for finding in suppressed:
            assert finding.suppression is not None
            sup = finding.suppression
            until = f", until {sup.expires}" if sup.expires else ""
            where = (
                f"{finding.resource.origin.source}:{finding.line}" if finding.line else finding.resource.origin.source
            )
            out.print(
                Text(f"  {where} {finding.resource.ref} {finding.rule_id} [{sup.source}: {sup.justification}{until}]"),
                style="dim",
            )
        out.print()
    _print_problems(out, result)
    _print_summary(out, result, len(suppressed), show_suppressed)


def _print_findings(out: Console, findings: list[Finding]) -> None:
    for heading, in_source in groupby(findings, key=_group_heading):
        out.print(Text(heading, style="bold underline"))
        for _, group in groupby(in_source, key=_resource_key):
            items = list(group)
            out.print(Text("  " + _resource_heading(items[0]), style="bold"))
            for finding in items:
                _print_finding(out, finding)
        out.print()


def _print_finding(out: Console, finding: Finding) -> None:
    line = Text("    ")
    line.append(f"{finding.severity.value.upper():<8}", style=SEVERITY_STYLE[finding.severity])
    where = f"line {finding.line}" if finding.line else "-"
    line.append(f" {where:<9} ", style="dim")
    line.append(finding.rule_id, style="magenta")
    line.append("  " + finding.message)
    if finding.resource.origin.context is not None and finding.path:  # no line to point at: name the field
        line.append(f"  [{format_path(finding.path)}]", style="dim")
    out.print(line)
    fix = finding.remediation.splitlines()[0] if finding.remediation else ""
    out.print(Text(f"{'':23}fix: {fix}", style="green"))


def _print_section(out: Console, title: str, lines: list[str], style: str) -> None:
    if not lines:
        return
    out.print(Text(f"{title} ({len(lines)}):", style=f"bold {style}"))
    for line in lines:
        out.print(Text(f"  {line}", style=style))
    out.print()


def _print_problems(out: Console, result: ScanResult) -> None:
    _print_section(out, "Not scanned", [str(e) for e in result.errors], "red")
    _print_section(out, "Coverage gaps", [str(g) for g in result.gaps], "red" if not result.allow_partial else "yellow")
    _print_section(
        out,
        "Rules not fully evaluated",
        [f"{rule}: {why}" for rule, why in sorted(result.not_evaluated.items())],
        "yellow",
    )
    _print_section(out, "Notes", [str(n) for n in result.notices], "yellow")


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
    scanned = (
        f"Scanned {_plural(stats.files, 'file')}, {_plural(stats.resources, 'resource')} "
        f"with {len(result.rules)} rules; skipped {_plural(stats.skipped_documents, 'non-Kubernetes document')}."
    )
    if stats.files == 0 and stats.resources:
        scanned = f"Scanned {_plural(stats.resources, 'resource')} with {len(result.rules)} rules."
    out.print(Text(scanned))
    out.print(Text(found, style="bold" if total else "bold green"))
    if not result.complete:
        problems = []
        if result.errors:
            problems.append(f"{len(result.errors)} input(s) could not be scanned")
        if result.gaps and not result.allow_partial:
            problems.append(f"{_plural(len(result.gaps), 'coverage gap')}")
        out.print(Text(f"INCOMPLETE: {'; '.join(problems)} (listed above).", style="bold red"))
