"""Human-facing text about rules: `rules list`, `rules explain`, `rules test` output."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TextIO

from kubeaudit.engine.fixtures import FixtureResult
from kubeaudit.engine.rule import Rule


def print_list(rules: Sequence[Rule], fmt: str, out: TextIO) -> None:
    if fmt == "json":
        rows = [
            {
                "id": r.id,
                "title": r.title,
                "severity": r.severity.value,
                "category": r.category,
                "profile": r.profile,
                "view": r.view,
                "enabledByDefault": r.enabled_by_default,
                "source": r.source,
            }
            for r in rules
        ]
        json.dump(rows, out, indent=2)
        out.write("\n")
        return
    width = max((len(r.id) for r in rules), default=10)
    for rule in rules:
        level = f"[{rule.profile}]" if rule.profile else ""
        off = " (off by default)" if not rule.enabled_by_default else ""
        out.write(f"{rule.id:<{width}}  {rule.severity.value:<8}  {rule.title} {level}{off}".rstrip() + "\n")
    out.write(f"\n{len(rules)} rules\n")


def print_explain(rule: Rule, out: TextIO) -> None:
    lines = [
        f"{rule.id}: {rule.title}",
        f"severity: {rule.severity.value}    category: {rule.category}    view: {rule.view}"
        + (f"    profile: {rule.profile}" if rule.profile else ""),
    ]
    if rule.kinds:
        lines.append(f"kinds: {', '.join(sorted(rule.kinds))}")
    if not rule.enabled_by_default:
        lines.append("off by default: enable with --enable " + rule.id)
    if rule.description:
        lines += ["", rule.description]
    lines += ["", "How to fix:", "  " + rule.remediation.replace("\n", "\n  ")]
    if rule.params:
        lines += ["", "Parameters:"]
        for name, value in rule.params.items():
            lines.append(f"  {name} = {json.dumps(value)}")
            lines.append(f"      {rule.param_docs.get(name, '')}")
    lines += ["", "References:"]
    lines += [f"  - {ref.title}: {ref.url}" for ref in rule.references]
    lines += ["", f"defined in {rule.source}"]
    out.write("\n".join(lines) + "\n")


def print_fixture_results(results: Sequence[FixtureResult], rule_count: int, out: TextIO) -> int:
    failed = [r for r in results if not r.ok]
    for result in failed:
        for problem in result.problems:
            out.write(f"FAIL {result.rule_id}: {result.file}: {problem}\n")
    passed = len(results) - len(failed)
    out.write(f"{rule_count} rules, {passed} passed, {len(failed)} failed\n")
    return 1 if failed else 0
