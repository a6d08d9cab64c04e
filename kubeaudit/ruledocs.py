"""Human-facing text about rules: `rules list`, `rules explain`, `rules test` output."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, TextIO

from kubeaudit.engine.rule import Rule
from kubeaudit.safetext import printable

if TYPE_CHECKING:  # testing.py imports the scan, which listing rules does not need
    from kubeaudit.testing import FixtureResult

WIDTH = 100  # prose is wrapped to this many columns; ids, URLs and the fix lines as written are not


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _wrap(text: str, indent: str = "", more: str | None = None) -> list[str]:
    """Folded YAML prose (one long line per paragraph) as lines of at most WIDTH columns;
    `more` indents the continuation lines (default: as the first)."""
    lines: list[str] = []
    for paragraph in text.strip().split("\n"):
        wrapped = textwrap.wrap(paragraph, WIDTH, initial_indent=indent, subsequent_indent=more or indent,
                                break_long_words=False, break_on_hyphens=False)  # fmt: skip
        lines += wrapped or [""]
    return lines


def _param(name: str, value: object) -> list[str]:
    """`name = value`: a long list wraps between items; a long string (a regex) stays whole."""
    text = f"{name} = {json.dumps(value)}"
    return _wrap(text, "  ", more="    ") if isinstance(value, list) else [f"  {text}"]


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
                "frameworks": {framework: list(controls) for framework, controls in r.frameworks},
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
        # printable: a rule file (from a folder the config names) controls its title and text,
        # which must not forge a line or rewrite the terminal, as names in a scan report cannot.
        line = f"{rule.id:<{width}}  {rule.severity.value:<8}  {rule.title} {level}{off}".rstrip()
        out.write(printable(line) + "\n")
    disabled = sum(1 for r in rules if not r.enabled_by_default)
    out.write(f"\n{_plural(len(rules), 'rule')}" + (f", {disabled} off by default" if disabled else "") + "\n")


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
        lines += ["", *_wrap(rule.description)]
    lines += ["", "How to fix:", *("  " + line for line in rule.remediation.strip().split("\n"))]
    if rule.params:
        lines += ["", "Parameters:"]
        for name, value in rule.params.items():
            lines += [*_param(name, value), *_wrap(rule.param_docs.get(name, ""), "      ")]
    lines += ["", "References:"]
    lines += [f"  - {ref.title}: {ref.url}" for ref in rule.references]
    if rule.frameworks:  # ids of the control lists in rules/data/framework-<id>.yaml
        lines += ["", "Framework controls:"]
        lines += [f"  {framework}: {', '.join(controls)}" for framework, controls in rule.frameworks]
    lines += ["", f"defined in {rule.source}"]
    out.write("\n".join(printable(line) for line in lines) + "\n")


def print_fixture_results(results: Sequence[FixtureResult], rule_count: int, out: TextIO) -> int:
    failed = [r for r in results if not r.ok]
    for result in failed:
        for problem in result.problems:
            out.write(printable(f"FAIL {result.rule_id}: {result.file}: {problem}") + "\n")
    passed = len(results) - len(failed)
    fixtures = _plural(len(results), "fixture")
    out.write(f"{_plural(rule_count, 'rule')}, {fixtures}: {passed} passed, {len(failed)} failed\n")
    return 1 if failed else 0
