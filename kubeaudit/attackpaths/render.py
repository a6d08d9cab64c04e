"""Renderers of `kubeaudit paths`: console, JSON and Graphviz DOT.

The console lists each path with its steps; JSON gives each path's entry, target, length, route
and steps (resource, field path, location) with what could not be evaluated; DOT draws the
resources along the paths as boxes and each link as an arrow, for `dot -Tsvg`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TextIO

from kubeaudit.attackpaths.listing import EXPOSED_KINDS, ListedPath
from kubeaudit.model import ScanResult, Step, format_path
from kubeaudit.report.console import make_console
from kubeaudit.report.json_report import location_dict, resource_dict, step_dict
from kubeaudit.safetext import printable
from kubeaudit.semantics.paths import TARGETS

SCHEMA_VERSION = "1.0"
ENTRY_WORDS = {
    "Service": "exposed",
    "Ingress": "exposed",
    "Gateway": "exposed",
    "HostNetwork": "host network",
    "Workload": "workload",
    "Subject": "binding subject",
}


def _where(step: Step) -> str:
    where = step.resource.origin.location()
    if where.file is None:
        return f"{step.resource.ref} [{format_path(step.path)}]"
    return f"{where.file}:{step.line}" if step.line else f"{where.file} [{format_path(step.path)}]"


def not_evaluated(result: ScanResult) -> dict[str, list[str]]:
    """Why paths could not be judged, once per reason (every listing rule has the same one), with
    the entry points that were not judged."""
    found: dict[str, set[str]] = {}
    for rule_id, why in result.not_evaluated.items():
        found.setdefault(why, set()).update(result.not_evaluated_targets.get(rule_id, []))
    return {why: sorted(targets) for why, targets in sorted(found.items())}


def render_console(paths: list[ListedPath], result: ScanResult, stream: TextIO) -> None:
    out = make_console(stream, False)
    for path in paths:
        finding = path.finding
        out.print(
            f"{finding.severity.value.upper():<8} {TARGETS[path.target]}  from {printable(finding.resource.ref)} "
            f"[{ENTRY_WORDS[path.entry_kind]}] ({printable(_where(finding.steps[0]))}), "
            f"{len(finding.steps)} step{'s' if len(finding.steps) != 1 else ''}",
            markup=False,
            highlight=False,
        )
        out.print(f"    {printable(finding.message)}", markup=False)
        for number, step in enumerate(finding.steps, start=1):
            out.print(f"      {number}. {printable(_where(step))}  {printable(step.message)}", markup=False)
    counts = {target: sum(1 for p in paths if p.target == target) for target in TARGETS}
    summary = ", ".join(f"{n} to {TARGETS[t]}" for t, n in counts.items() if n)
    out.print(f"{len(paths)} attack path{'s' if len(paths) != 1 else ''}" + (f" ({summary})" if summary else ""))
    for reason, targets in not_evaluated(result).items():
        shown = f"; not judged: {', '.join(targets[:5])}{' and more' if len(targets) > 5 else ''}" if targets else ""
        out.print(f"not evaluated: {printable(reason + shown)}", markup=False)
    for error in result.errors:
        out.print(f"error: {printable(str(error))}", markup=False)
    for gap in result.gaps:
        out.print(f"not read: {printable(str(gap))}", markup=False)


def path_dict(path: ListedPath) -> dict[str, Any]:
    finding = path.finding
    return {
        "entry": {
            "kind": path.entry_kind,
            "exposed": path.entry_kind in EXPOSED_KINDS,
            "resource": resource_dict(finding.resource),
            "location": location_dict(finding.resource, finding.position),
        },
        "target": path.target,
        "severity": finding.severity.value,
        "length": len(finding.steps),
        "route": finding.message,
        "fingerprint": finding.fingerprint,
        "steps": [step_dict(step) for step in finding.steps],
    }


def render_json(paths: list[ListedPath], result: ScanResult, stream: TextIO) -> None:
    doc = {
        "schemaVersion": SCHEMA_VERSION,
        "inputs": result.inputs,
        "complete": result.complete,
        "paths": [path_dict(p) for p in paths],
        "notEvaluated": [{"reason": r, "targets": t} for r, t in not_evaluated(result).items()],
        "errors": [{"source": e.source, "line": e.line, "message": e.message} for e in result.errors],
        "gaps": [{"what": g.what, "reason": g.reason, "context": g.context} for g in result.gaps],
    }
    json.dump(doc, stream, indent=2)
    stream.write("\n")


def _dot(text: str) -> str:
    """A DOT string: quotes and backslashes escaped, control characters shown as escapes."""
    return '"' + printable(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_dot(paths: list[ListedPath], result: ScanResult, stream: TextIO) -> None:
    """Resources as boxes, targets as red octagons, outside clients as a circle; each arrow is
    a link, labelled with why it holds. A link several paths share is drawn once."""
    nodes: dict[str, str] = {}
    edges: dict[tuple[str, str], str] = {}
    for path in paths:
        chain: list[tuple[str, list[str]]] = []
        for step in path.finding.steps:
            ref = step.resource.ref
            if chain and chain[-1][0] == ref:
                chain[-1][1].append(step.message)
            else:
                chain.append((ref, [step.message]))
                nodes.setdefault(ref, f"shape=box, label={_dot(ref)}")
        target = f"target:{path.target}"
        nodes.setdefault(target, f"shape=octagon, color=red, label={_dot(TARGETS[path.target])}")
        if path.entry_kind in EXPOSED_KINDS:
            nodes.setdefault("outside", f"shape=circle, label={_dot('outside')}")
            edges.setdefault(("outside", chain[0][0]), "exposed")
        for (source, messages), (following, _) in zip(chain, [*chain[1:], (target, [])], strict=True):
            edges.setdefault((source, following), "; ".join(messages))
    stream.write("digraph attack_paths {\n  rankdir=LR;\n")
    ids = {name: f"n{i}" for i, name in enumerate(nodes)}
    for name, attributes in nodes.items():
        stream.write(f"  {ids[name]} [{attributes}];\n")
    for (source, target), label in edges.items():
        stream.write(f"  {ids[source]} -> {ids[target]} [label={_dot(label)}];\n")
    stream.write("}\n")


RENDERERS: dict[str, Callable[[list[ListedPath], ScanResult, TextIO], None]] = {
    "console": render_console,
    "json": render_json,
    "dot": render_dot,
}
FORMATS = tuple(RENDERERS)
