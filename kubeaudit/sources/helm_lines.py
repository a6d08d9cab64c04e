"""Which template line wrote each line of a chart's rendered output.

Helm says which template file produced a manifest, but not which line. To find out, the chart is
rendered from a copy whose template lines each end with a YAML comment naming the line
(`#kubeaudit:12;`, the tag made unguessable per render worker, see `new_tag`). The marker is put
before a line's trailing blanks, so a `{{-` on the next line trims what it trims without markers,
and the marked output is the real output with markers added: `strip_markers` gives the real output
back, so each chart is rendered once (kubeaudit.sources.helm_worker). Each marked output line ends
with the marker of the template line whose line break ended it. Output lines
that an action printed in several lines (`toYaml ... | nindent`, an `include`) carry the marker of
the line that holds the action, at their last line: such a line takes the next marker below.

A marker is never put where it could change what the template prints: inside an action that spans
lines, after a `-}}` (which would then eat the marker's space instead of the line break), inside
a `define` (its text lands in other files and in values such as names), or on a line that prints
nothing (control actions only). When the marked output does not have the real output's lines
after all, the template's lines are not used (`LineMap` is then None) and findings point at the
template's resource.

Only the standard library here: the render worker (kubeaudit.sources.helm_worker) imports it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from functools import lru_cache

# The `;` ends the number: a `{{-` on the next line may join that line's output to the marker.
DEFAULT_TAG = "kubeaudit"


def new_tag() -> str:
    """A marker tag no chart can print by chance or on purpose (a chart that printed our marker
    text would otherwise have it stripped from what the scan judges)."""
    return f"kubeaudit-{secrets.token_hex(8)}"


def _marker(tag: str, number: int) -> str:
    return f" #{tag}:{number};"


@lru_cache(maxsize=8)
def _marker_tail(tag: str) -> re.Pattern[str]:
    return re.compile(rf" #{re.escape(tag)}:(\d+);")


_ACTION = re.compile(r"\{\{-?\s*(.*?)\s*-?\}\}", re.DOTALL)
# Actions that print nothing: control flow, definitions, variable assignments, comments.
_SILENT = re.compile(r"^(?:/\*.*\*/|(?:if|else|end|range|with|define|block|break|continue)\b|\$[\w]*\s*:?=)", re.DOTALL)
_OPENS_BLOCK = re.compile(r"^(?:if|range|with|define|block)\b")
_DEFINE = re.compile(r"^(?:define|block)\b")
_END = re.compile(r"^end\b")


def mark_template(text: str, tag: str = DEFAULT_TAG) -> str:
    """The template with a marker at the end of each line that may print something (before the
    line's trailing blanks, which a `{{-` on the next line trims)."""
    lines = text.split("\n")
    out: list[str] = []
    depth_in_action = False
    blocks: list[bool] = []  # open blocks, True for a define
    for number, line in enumerate(lines, start=1):
        starts_inside = depth_in_action
        depth_in_action = _ends_inside_action(line, depth_in_action)
        in_define = any(blocks)
        for action in _ACTION.findall(line):
            if _OPENS_BLOCK.match(action):
                blocks.append(bool(_DEFINE.match(action)))
            elif _END.match(action) and blocks:
                blocks.pop()
        if starts_inside or depth_in_action or in_define or not prints(line) or line.rstrip().endswith("-}}"):
            out.append(line)
        else:
            body = line.rstrip(" \t")
            out.append(body + _marker(tag, number) + line[len(body) :])
    return "\n".join(out)


def _ends_inside_action(line: str, inside: bool) -> bool:
    """Whether the line ends inside an action that continues on the next line."""
    position = 0
    while True:
        if inside:
            close = line.find("}}", position)
            if close < 0:
                return True
            inside, position = False, close + 2
        else:
            opening = line.find("{{", position)
            if opening < 0:
                return False
            inside, position = True, opening + 2


def prints(line: str) -> bool:
    """Whether the line may print something: text outside actions, or an action that prints."""
    if not line.strip():
        return False
    outside = _ACTION.sub("", line)
    if outside.strip():
        return True
    return any(not _SILENT.match(action) for action in _ACTION.findall(line))


class LineMap:
    """Template line of each line of one template's rendered output (1-based both)."""

    __slots__ = ("_lines",)

    def __init__(self, lines: list[int | None]) -> None:
        self._lines = lines

    def template_line(self, rendered_line: int) -> int | None:
        index = rendered_line - 1
        return self._lines[index] if 0 <= index < len(self._lines) else None


def strip_markers(marked: str, tag: str = DEFAULT_TAG) -> str:
    """The marked output without its markers: the output of the unmarked templates."""
    return _marker_tail(tag).sub("", marked)


def line_map(rendered: str, marked: str, tag: str = DEFAULT_TAG) -> LineMap | None:
    """The map from the marked output, or None when it does not have the rendered output's lines."""
    tail = _marker_tail(tag)
    rendered_lines = rendered.split("\n")
    marked_lines = marked.split("\n")
    if len(rendered_lines) != len(marked_lines):
        return None
    found: list[int | None] = []
    for real, marked_line in zip(rendered_lines, marked_lines, strict=True):
        if tail.sub("", marked_line).rstrip() != real.rstrip():
            return None  # the marked render took another path: its lines say nothing about these
        markers = tail.findall(marked_line)
        found.append(int(markers[-1]) if markers else None)
    # A line without a marker was printed by the action of the next marked line below.
    following: int | None = None
    for index in range(len(found) - 1, -1, -1):
        if found[index] is None:
            found[index] = following
        else:
            following = found[index]
    return LineMap(found)


def document_starts(lines: list[str], is_content: Callable[[str], bool]) -> list[int]:
    """The first content line (1-based) of each YAML document that has content: documents are cut
    at `---` lines; an empty one (a leading `---`, a template's `{{ if }}` that printed nothing)
    is not a document."""
    starts: list[int] = []
    in_document = False
    for number, line in enumerate(lines, start=1):
        if line.startswith("---"):
            in_document = False
        elif not in_document and is_content(line):
            starts.append(number)
            in_document = True
    return starts


def is_literal(template_line: str) -> bool:
    """Whether the template line is plain text, printed as it is written."""
    return "{{" not in template_line
