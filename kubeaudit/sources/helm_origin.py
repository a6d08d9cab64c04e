"""Where a field of a rendered Helm resource was written: the template line, or the values line.

Each rendered resource is mapped to the template file that printed it (the SDK renders per
template), and each of its fields to a line:

- the template line that printed it (kubeaudit.sources.helm_lines), when that line is plain text:
  the field is written there as it is;
- else, when the line's action reads values (`.Values.a.b`, `toYaml .Values.a | nindent`) and one
  of them holds exactly the rendered value, the line of the values file that set it: the last
  `--helm-values` file that has the key, else the chart's values.yaml (a value from `--helm-set`
  is on no line: the template line stands). That is the primary location, because the values
  file is what a pull request changes; the template line is the position's `via`;
- else the template line (an `include`, a computed value);
- and when the template's lines cannot be told (see helm_lines), the resource's first line in the
  template.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, replace
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kubeaudit.model import Locator, Path, Position
from kubeaudit.sources.helm_lines import LineMap, is_literal
from kubeaudit.sources.manifests import display_path
from kubeaudit.yamlnodes import compose_documents

_VALUES_REFERENCE = re.compile(r"(?<![\w)])\$?\.Values((?:\.[A-Za-z_]\w*)+)")
_MISSING = object()


@dataclass(slots=True)
class TemplateOutput:
    """One template's rendered output and what maps its lines back to the template."""

    file: str  # filesystem path of the template
    display: str
    first_line: int  # its first line in the whole rendered text (1-based)
    lines: LineMap | None  # None: the template's lines could not be told
    _source: list[str] | None = field(default=None, repr=False)

    def source_lines(self) -> list[str]:
        if self._source is None:
            try:
                with open(self.file, encoding="utf-8") as handle:
                    self._source = handle.read().split("\n")
            except (OSError, UnicodeDecodeError):
                self._source = []
        return self._source

    def source_line(self, number: int) -> str:
        lines = self.source_lines()
        return lines[number - 1] if 0 < number <= len(lines) else ""


@dataclass(slots=True)
class ValuesFile:
    path: str
    display: str
    _root: Node | object | None = field(default=_MISSING, repr=False)

    def root(self) -> Node | None:
        if self._root is _MISSING:
            try:
                with open(self.path, encoding="utf-8") as handle:
                    self._root = next(iter(compose_documents(handle.read())), None)
            except (OSError, UnicodeDecodeError, yaml.YAMLError, ValueError):
                self._root = None
        return self._root  # type: ignore[return-value]


class ValuesOrigin:
    """Which values file set a key: the values the chart rendered with, and where they came from."""

    def __init__(self, merged: dict[str, Any], set_values: list[dict[str, Any]], files: list[ValuesFile]) -> None:
        self.merged = merged
        self.set_values = set_values
        self.files = files  # in the order Helm merges them: the chart's values.yaml first

    def key_for(self, template_line: str, rendered: Any, path: Path) -> Path | None:
        """The values key the template line took the rendered value (at `path`) from, if one
        holds exactly that value; None when none does, or it cannot be told which."""
        found: list[Path] = []
        for match in _VALUES_REFERENCE.finditer(template_line):
            key: Path = tuple(match.group(1).lstrip(".").split("."))
            value = _get(self.merged, key)
            if value is _MISSING:
                continue
            if isinstance(value, (dict, list)):
                # toYaml .Values.a: the rendered field is a.<the rest of its path>.
                for start in range(len(path) + 1):
                    if _get(value, path[start:]) == rendered and _same_type(_get(value, path[start:]), rendered):
                        found.append(key + path[start:])
                        break
            elif value == rendered and _same_type(value, rendered):
                found.append(key)
        unique = list(dict.fromkeys(found))
        return unique[0] if len(unique) == 1 else None

    def position(self, key: Path) -> Position | None:
        """The line that set the key: none for --helm-set, else the last values file that has it."""
        if any(_get(values, key) is not _MISSING for values in self.set_values):
            return None
        for values_file in reversed(self.files):
            root = values_file.root()
            position = _exact(root, key) if root is not None else None
            if position is not None:
                return Position(position.line, position.column, file=values_file.display)
        return None


def chart_values_files(chart: str, user_files: list[str]) -> list[ValuesFile]:
    default = os.path.join(chart, "values.yaml")
    return [ValuesFile(path, display_path(path)) for path in [default, *user_files]]


class HelmLocator:
    """Positions of a rendered resource's fields in its template or values files."""

    __slots__ = ("_data", "_rendered", "_start", "_template", "_values")

    def __init__(
        self, rendered: Locator, template: TemplateOutput, start: Position, data: Any, values: ValuesOrigin
    ) -> None:
        self._rendered = rendered  # positions in the whole rendered text
        self._template = template
        self._start = start  # the resource's first line in the template
        self._data = data
        self._values = values

    def position(self, path: Path) -> Position | None:
        rendered = self._rendered.position(path)
        template = self._template
        line = (
            template.lines.template_line(rendered.line - template.first_line + 1)
            if rendered is not None and template.lines is not None
            else None
        )
        if rendered is None or line is None:
            return self._start
        text = template.source_line(line)
        if is_literal(text):
            return Position(line, rendered.column)
        at_template = Position(line, len(text) - len(text.lstrip()) + 1)
        value, existing = _deepest(self._data, path)
        key = self._values.key_for(text, value, existing)
        from_values = self._values.position(key) if key is not None else None
        return replace(from_values, via=at_template) if from_values is not None else at_template

    def record(self, base: Path, kept: Any, original: Any) -> Locator:
        # The values a path's line is matched with are the kept copy's own (shared with the
        # rendered resource); its positions in the rendered text are recorded now, while that
        # text's node tree is alive, so later look-ups need not compose the text again.
        if base != () or not isinstance(kept, dict):
            return self
        rendered = self._rendered.record(base, kept, original)
        return HelmLocator(rendered, self._template, self._start, kept, self._values)


def _deepest(data: Any, path: Path) -> tuple[Any, Path]:
    """The value at the deepest existing node along path, and that node's path."""
    node = data
    for depth, part in enumerate(path):
        if isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
            continue
        if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            continue
        return node, path[:depth]
    return node, path


def _get(data: Any, path: Path) -> Any:
    value, existing = _deepest(data, path)
    return value if len(existing) == len(path) else _MISSING


def _same_type(a: Any, b: Any) -> bool:
    """True and 1 are equal in Python, not in a manifest."""
    return isinstance(a, bool) == isinstance(b, bool)


def _exact(root: Node, path: Path) -> Position | None:
    """Line and column of the node at path (its key, for a mapping entry); None if it is not there."""
    node, mark = root, root.start_mark
    for part in path:
        if type(node) is MappingNode:
            for key_node, value_node in node.value:
                if type(key_node) is ScalarNode and key_node.value == part:
                    node, mark = value_node, key_node.start_mark
                    break
            else:
                return None
        elif type(node) is SequenceNode and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            mark = node.start_mark
        else:
            return None
    return Position(mark.line + 1, mark.column + 1)
