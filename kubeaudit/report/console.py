"""The console report: findings grouped by file and resource, then a summary."""

from __future__ import annotations

from itertools import groupby
from typing import TextIO

from rich.console import Console
from rich.text import Text

from kubeaudit.model import Finding, ScanResult, Severity
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
    where = f" in namespace {resource.namespace}" if resource.namespace else ""
    context = f" [context {resource.origin.context}]" if resource.origin.context else ""
    return f"{resource.kind}/{resource.name}{where}{context}"


def render(result: ScanResult, stream: TextIO, color: bool = False) -> None:
    out = make_console(stream, color)
    findings = result.findings
    for source, in_file in groupby(findings, key=lambda f: f.resource.origin.source):
        out.print(Text(source, style="bold underline"))
        by_resource = sorted(in_file, key=lambda f: (f.resource.origin.document or 0, f.line or 0))
        for _, group in groupby(
            by_resource, key=lambda f: (f.resource.origin.document, f.resource.origin.base_path)
        ):
            items = list(group)
            out.print(Text("  " + _resource_heading(items[0]), style="bold"))
            for finding in items:
                _print_finding(out, finding)
        out.print()
    _print_errors(out, result)
    _print_summary(out, result)


def _print_finding(out: Console, finding: Finding) -> None:
    line = Text("    ")
    line.append(f"{finding.severity.value.upper():<8}", style=SEVERITY_STYLE[finding.severity])
    where = f"line {finding.line}" if finding.line else "-"
    line.append(f" {where:<9} ", style="dim")
    line.append(finding.rule_id, style="magenta")
    line.append("  " + finding.message)
    out.print(line)
    fix = finding.remediation.splitlines()[0] if finding.remediation else ""
    out.print(Text(f"{'':23}fix: {fix}", style="green"))


def _print_errors(out: Console, result: ScanResult) -> None:
    if not result.errors:
        return
    out.print(Text(f"Not scanned ({len(result.errors)}):", style="bold red"))
    for error in result.errors:
        out.print(Text(f"  {error}", style="red"))
    out.print()


def _print_summary(out: Console, result: ScanResult) -> None:
    stats = result.stats
    counts = findings_by_severity(result)
    parts = [f"{counts[s.value]} {s.value}" for s in Severity if counts[s.value]]
    total = len(result.findings)
    found = f"{total} finding{'s' if total != 1 else ''}" + (f" ({', '.join(parts)})" if parts else "")
    scanned = (
        f"Scanned {stats.files} file{'s' if stats.files != 1 else ''}, "
        f"{stats.resources} resource{'s' if stats.resources != 1 else ''} "
        f"with {len(result.rules)} rules; "
        f"skipped {stats.skipped_documents} non-Kubernetes document{'s' if stats.skipped_documents != 1 else ''}."
    )
    out.print(Text(scanned))
    out.print(Text(found, style="bold" if total else "bold green"))
    if result.errors:
        out.print(
            Text(
                f"INCOMPLETE: {len(result.errors)} input(s) could not be scanned (listed above).",
                style="bold red",
            )
        )
