"""--placeholders: a commented line to fill in, for a finding whose fix needs a real value.

Some fixes cannot be made mechanically: a UID for runAsUser, CPU and memory for resource limits.
With --placeholders, `kubeaudit fix` writes a comment above the line the finding points at,
saying what to set and giving an example value; the finding stays until a person sets it. A
placeholder already there is not written twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubeaudit.fix.splice import level_of
from kubeaudit.model import Finding
from kubeaudit.yamlnodes import compose_documents, locate

MARK = "# kubeaudit placeholder:"


@dataclass(frozen=True, slots=True)
class Placeholder:
    finding: Finding
    field: str  # relative to the rule's anchor, as the rule writes it
    value: Any
    comment: str

    def text(self) -> str:
        return f"{MARK} {self.field}: {_shown(self.value)}  ({self.comment})"


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_shown(v)}" for k, v in value.items()) + "}"
    return str(value)


def placeholders_of(finding: Finding) -> list[Placeholder]:
    return [
        Placeholder(finding, ".".join(change.path), change.value, change.comment)
        for change in finding.rule.fix
        if change.is_placeholder and change.applies_to(finding.path)
    ]


def insert_placeholders(text: str, placeholders: list[Placeholder]) -> str:
    """The text with each placeholder's comment above the line its finding points at, indented
    as that line's content; one already there (among the comments right above) is kept as is."""
    if not placeholders:
        return text
    newline = "\r\n" if "\r\n" in text else "\n"
    nodes = list(compose_documents(text))
    lines = text.splitlines(True)
    wanted: dict[int, list[str]] = {}
    for item in placeholders:
        origin = item.finding.resource.origin
        index = origin.document or 0
        node = nodes[index] if index < len(nodes) else None
        if node is None:
            continue
        line = locate(node, (*origin.base_path, *item.finding.path)).line - 1
        comments = wanted.setdefault(line, [])
        if item.text() not in comments:
            comments.append(item.text())
    for line in sorted(wanted, reverse=True):
        if line >= len(lines):
            continue
        above = _comments_above(lines, line)
        indent = " " * level_of(lines[line])
        new = [f"{indent}{c}{newline}" for c in wanted[line] if c not in above]
        lines[line:line] = new
    return "".join(lines)


def _comments_above(lines: list[str], line: int) -> set[str]:
    found = set()
    while line > 0 and lines[line - 1].lstrip().startswith("#"):
        line -= 1
        found.add(lines[line].strip())
    return found
