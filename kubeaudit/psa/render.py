"""The psa-plan reports: console (for people), JSON (for scripts, stable keys) and Markdown
(short enough for a pull-request comment: one table, then details per namespace)."""

from __future__ import annotations

import html
import json
from typing import Any, TextIO

from kubeaudit import __version__
from kubeaudit.psa.plan import NamespacePlan, Plan, Rejection
from kubeaudit.safetext import printable

SCHEMA_VERSION = "1.0"
FORMATS = ("console", "json", "markdown", "html")  # html: render_html.py, which needs the scan too


def _where(ns: NamespacePlan) -> str:
    where = f"{ns.namespace} (context {ns.context})" if ns.context else ns.namespace
    return printable(where)


def _labels(ns: NamespacePlan) -> dict[str, str]:
    return dict(ns.labels.values) if ns.labels is not None else {}


def _rejection(r: Rejection) -> dict[str, Any]:
    return {"kind": r.kind, "name": r.name, "controls": list(r.controls), "stallsRollout": r.stalls, "effect": r.effect}


def namespace_dict(ns: NamespacePlan) -> dict[str, Any]:
    return {
        "context": ns.context,
        "namespace": ns.namespace,
        "namespaceObjectRead": ns.labels is not None,
        "labels": _labels(ns),
        "enforces": {"level": ns.level, "source": ns.level_source},
        "policyVersion": {"version": ns.version, "source": ns.version_source},
        "exempt": ns.exempt,
        "workloads": ns.workloads,
        "exemptWorkloads": [{"kind": k, "name": n, "reason": why} for k, n, why in ns.exempt_workloads],
        "rejected": {level: [_rejection(r) for r in found] for level, found in ns.rejected.items()},
        "stalledNow": [_rejection(r) for r in ns.stalled_now],
        "strictestEnforceable": ns.strictest,
        "command": ns.command,
    }


def plan_dict(plan: Plan) -> dict[str, Any]:
    exemptions = plan.admission.exemptions
    return {
        "schemaVersion": SCHEMA_VERSION,
        "tool": {"name": "kubeaudit", "version": __version__},
        "inputs": plan.inputs,
        "complete": plan.complete,
        "admissionConfiguration": {
            "source": plan.admission.source,
            "defaults": plan.admission.defaults,
            "exemptions": {
                "usernames": sorted(exemptions.usernames),
                "runtimeClasses": sorted(exemptions.runtime_classes),
                "namespaces": sorted(exemptions.namespaces),
            },
        },
        "namespaces": [namespace_dict(ns) for ns in plan.namespaces],
        "notScanned": plan.problems,
    }


def render_json(plan: Plan, stream: TextIO) -> None:
    json.dump(plan_dict(plan), stream, indent=2)
    stream.write("\n")


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_console(plan: Plan, stream: TextIO) -> None:
    write = stream.write
    for ns in plan.namespaces:
        write(f"Namespace {_where(ns)}\n")
        if ns.labels is None:
            write("  (no Namespace object in the input: judged as unlabelled)\n")
        write(f"  enforces {ns.level} ({ns.level_source}), policy {ns.version} ({ns.version_source})\n")
        modes = ", ".join(f"{m} {v}" for m, v in sorted(_labels(ns).items()) if m in ("warn", "audit"))
        if modes:
            write(f"  {modes}\n")
        if ns.exempt:
            count = _count(ns.workloads, "workload")
            write(f"  EXEMPT: {printable(ns.exempt)}; its pods are not evaluated ({count})\n\n")
            continue
        write(f"  {_count(ns.workloads, 'workload')}")
        write(f", {len(ns.exempt_workloads)} exempt\n" if ns.exempt_workloads else "\n")
        for kind, name, why in ns.exempt_workloads:
            write(printable(f"    exempt  {kind}/{name}: {why}") + "\n")
        for level in ("baseline", "restricted"):
            found = ns.rejected.get(level, [])
            write(f"  rejected at {level}: {len(found) or 'none'}\n")
            for r in found:
                write(printable(f"    {r.kind}/{r.name}: {', '.join(r.controls)}") + f"\n      {printable(r.effect)}\n")
        if ns.stalled_now:
            names = ", ".join(f"{r.kind}/{r.name}" for r in ns.stalled_now)
            write(printable(f"  NOW: {ns.level} already refuses new pods of {names}") + "\n")
        write(f"  strictest level enforceable today: {ns.strictest}\n    {printable(str(ns.command))}\n\n")
    _footer(plan, write)


def _footer(plan: Plan, write: Any) -> None:
    exempt = sum(1 for ns in plan.namespaces if ns.exempt)
    levels = ("restricted", "baseline", "privileged")
    counts = {lvl: sum(1 for ns in plan.namespaces if ns.strictest == lvl) for lvl in levels}
    summary = ", ".join(f"{n} {lvl}" for lvl, n in counts.items() if n)
    write(f"{len(plan.namespaces)} namespaces: strictest enforceable {summary or 'none'}")
    write(f"; {exempt} exempt\n" if exempt else "\n")
    for problem in plan.problems:
        write(printable(f"not scanned: {problem}") + "\n")
    if not plan.complete:
        write("The plan is incomplete: some input could not be read (see above).\n")


def _cell(text: str) -> str:
    return printable(text).replace("|", "\\|")


def _code(text: str) -> str:
    """Text from the input in a Markdown code span: control characters shown as escapes, and no
    backtick to end the span early."""
    return "`" + printable(text).replace("`", "'") + "`"


# GitHub refuses a pull-request comment longer than this many characters.
COMMENT_LIMIT = 65_536


def _markdown_details(ns: NamespacePlan) -> str:
    namespace = html.escape(printable(ns.namespace))
    out = [f"<details><summary><code>{namespace}</code>: enforce {ns.strictest} today</summary>\n\n"]
    if ns.stalled_now:
        names = ", ".join(_code(f"{r.kind}/{r.name}") for r in ns.stalled_now)
        out.append(f"**Now:** {ns.level} already refuses new pods of {names}.\n\n")
    for level in ("baseline", "restricted"):
        for r in ns.rejected[level]:
            stall = " (rollout stalls)" if r.stalls else ""
            out.append(f"- {level}: {_code(f'{r.kind}/{r.name}')}{stall}: {', '.join(f'`{c}`' for c in r.controls)}\n")
    for kind, name, why in ns.exempt_workloads:
        out.append(f"- exempt: {_code(f'{kind}/{name}')}: {printable(why)}\n")
    out.append(f"\n```sh\n{printable(str(ns.command))}\n```\n\n</details>\n\n")
    return "".join(out)


def _markdown_row(ns: NamespacePlan) -> str:
    if ns.exempt:
        row = [_where(ns), ns.level, ns.version, "exempt", "exempt", "exempt"]
    else:
        now = f"{ns.level} (stalls {len(ns.stalled_now)} now)" if ns.stalled_now else ns.level
        row = [
            _where(ns), now, ns.version, str(len(ns.rejected["baseline"])),
            str(len(ns.rejected["restricted"])), f"**{ns.strictest}**",
        ]  # fmt: skip
    return "| " + " | ".join(_cell(c) for c in row) + " |\n"


def render_markdown(plan: Plan, stream: TextIO, limit: int = COMMENT_LIMIT) -> None:
    """The plan as Markdown of at most `limit` characters: the table, the commands and what could
    not be read come first; per-namespace details follow while they fit, and a last line says how
    many were left out (the JSON output has everything)."""
    head = "## Pod Security Admission plan\n\n"
    head += "| Namespace | Enforces now | Policy | Rejected at baseline | Rejected at restricted | Strictest today |\n"
    head += "|---|---|---|---|---|---|\n"
    rows = [_markdown_row(ns) for ns in plan.namespaces]
    commands = [printable(ns.command) for ns in plan.namespaces if ns.command and ns.strictest != "privileged"]
    tail = ""
    if commands:
        tail += "Enforce the strictest level each namespace passes today:\n\n```sh\n" + "\n".join(commands) + "\n```\n"
    tail += "".join(f"\n> not scanned: {_cell(problem)}\n" for problem in plan.problems)
    details = [
        _markdown_details(ns)
        for ns in plan.namespaces
        if not ns.exempt and (ns.rejected["baseline"] or ns.rejected["restricted"] or ns.exempt_workloads)
    ]
    note = "\n> {} left out to fit a comment: run with `--format json` for the whole plan.\n"
    budget = limit - len(head) - len(tail) - len(note) - 40
    shown_rows: list[str] = []
    for row in rows:
        if len(row) > budget:
            break
        shown_rows.append(row)
        budget -= len(row)
    shown_details: list[str] = []
    for part in details if len(shown_rows) == len(rows) else ():
        if len(part) > budget:
            break
        shown_details.append(part)
        budget -= len(part)
    stream.write(head + "".join(shown_rows) + "\n" + "".join(shown_details) + tail)
    left = []
    if len(shown_rows) < len(rows):
        left.append(f"{len(rows) - len(shown_rows)} namespaces")
    if len(shown_details) < len(details):
        left.append(f"details of {len(details) - len(shown_details)} namespaces")
    if left:
        stream.write(note.format(" and ".join(left)))


RENDERERS = {"console": render_console, "json": render_json, "markdown": render_markdown}
