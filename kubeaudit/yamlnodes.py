"""YAML parsing that yields plain data and keeps the node tree for line look-ups.

PyYAML's C parser composes a node tree (with line/column marks) quickly; turning
nodes into Python objects is what its loaders spend most time on, in Python.
So we compose with the C parser and build plain data with a small constructor
of our own. The node tree is kept only as long as a caller needs line numbers,
and a path is resolved to a line only when a finding asks for it.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Callable, Iterator
from sys import intern
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kubeaudit.model import Path, Position

try:  # the C parser is an optional part of PyYAML builds
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

HAS_C_PARSER = _Loader.__name__.startswith("C")

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + t for t in ("str", "int", "float", "bool", "null"))
_MERGE, _BINARY, _MAP, _SEQ = (_TAG + t for t in ("merge", "binary", "map", "seq"))
# Tags that only build plain data. Anything else (!!python/object, custom !Tags) is
# refused: Kubernetes would not accept it, and nothing in YAML may make us run code.
_PLAIN_TAGS = frozenset(
    _TAG + t for t in ("str", "int", "float", "bool", "null", "binary", "timestamp", "map", "seq", "merge", "set")
)
_TRUE_WORDS = frozenset({"yes", "true", "on", "y"})
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+$")

# Aliases let a small document describe a huge one ("billion laughs"). We share
# constructed objects between aliases (as PyYAML does) so expansion costs nothing,
# but a document that still has more nodes than this is refused.
MAX_NODES_PER_DOCUMENT = 2_000_000
# Kubernetes objects nest a few dozen levels at most (CRD schemas included); deeper input
# is refused rather than allowed to exhaust the interpreter's recursion limit.
MAX_DEPTH = 200
# Python refuses to convert longer decimal strings (sys.get_int_max_str_digits); no Kubernetes field
# holds a number anywhere near this long, so longer integers are an error in the document.
MAX_INT_DIGITS = 4300


def safe_load(text: str | bytes) -> Any:
    """yaml.safe_load with libyaml's parser when PyYAML has it: the same values, about ten times
    faster on the small documents tools write (kustomization files, build annotations)."""
    return yaml.load(text, Loader=_Loader)


class YamlDocumentError(Exception):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


class _ComposeLoader(_Loader):
    """The C parser with a memoised implicit-tag resolver.

    Manifests repeat the same plain scalars (keys like `name`, values like `true`)
    thousands of times, and PyYAML resolves each one with regular expressions in
    Python. A plain scalar's tag depends only on its text, so we remember it.
    We use no path resolvers, so the per-node resolver bookkeeping is skipped too,
    and so is PyYAML's resolve for what it answers without looking (a quoted scalar is
    a string, a mapping a map, a sequence a seq): the parser calls this once for every
    node (about a million at 10,000 resources), so it does as little as it can.
    """

    _plain_tags: dict[str, str] = {}

    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        return None

    def ascend_resolver(self) -> None:
        return None

    def resolve(
        self, kind: type, value: Any, implicit: tuple[bool, bool], _known: Callable[[str], str | None] = _plain_tags.get
    ) -> str:
        if kind is ScalarNode:
            if not implicit[0]:  # quoted, or tagged `!`: what BaseResolver answers with no path resolvers
                return _STR
            tag = _known(value)
            if tag is None:
                tag = super().resolve(kind, value, implicit)
                if len(self._plain_tags) < 200_000:  # bounded: hostile input cannot grow it forever
                    self._plain_tags[value] = tag
            return tag
        return _MAP if kind is MappingNode else _SEQ


def compose_documents(text: str) -> Iterator[Node | None]:
    """Yield the root node of each document (None for an empty document)."""
    loader = _ComposeLoader(text)
    try:
        while loader.check_node():
            yield loader.get_node()
    finally:
        loader.dispose()


# Rule files and the config are compiled by walking their data with aliases expanded (parameter
# substitution, schema validation), so for them what counts is the expanded size: nine levels of
# ten aliases are a billion values. The largest built-in rule has under 1,000.
MAX_EXPANDED_VALUES = 100_000


def check_expanded_size(data: Any, what: str, line: int | None = None) -> None:
    """Raise YamlDocumentError if data, with every alias expanded, holds more than MAX_EXPANDED_VALUES
    values. Costs one visit per distinct object: shared objects are sized once."""
    sizes: dict[int, int] = {}
    cap = MAX_EXPANDED_VALUES + 1

    def size(value: Any) -> int:
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            return 1
        known = sizes.get(id(value))
        if known is None:
            known = min(cap, 1 + len(children) + sum(size(child) for child in children))
            sizes[id(value)] = known
        return known

    if size(data) > MAX_EXPANDED_VALUES:
        raise YamlDocumentError(
            f"{what} too large: more than {MAX_EXPANDED_VALUES} values once its aliases are expanded", line
        )


def yaml_error(exc: yaml.YAMLError, line_offset: int = 0, text: str | None = None) -> YamlDocumentError:
    """A one-line message for a YAML error, with the line where the parser stopped. Given the text
    parsed, a key over YAML's length limit is named as such rather than in the parser's words."""
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    key_length = _overlong_key_length(text, getattr(exc, "problem_mark", None))
    if key_length is not None:
        line = mark.line + 1 + line_offset if mark is not None else None
        return YamlDocumentError(
            f"a mapping key longer than {IMPLICIT_KEY_LIMIT:,} characters is not supported ({key_length:,} characters)",
            line,
        )
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    message = f"{context}, {problem}" if context else str(problem)
    line = mark.line + 1 + line_offset if mark is not None else None
    return YamlDocumentError(f"invalid YAML: {message}", line)


# YAML lets a key without a `?` indicator (every key JSON and kubectl write) run to 1,024
# characters; past that libyaml stops treating it as a key, and the ':' after it is reported as
# a stray "mapping values are not allowed" or "did not find expected ',' or '}'".
IMPLICIT_KEY_LIMIT = 1024


def _overlong_key_length(text: str | None, mark: Any) -> int | None:
    """The length of the key ending at the ':' the parser stopped on, when it is over the limit."""
    index = getattr(mark, "index", None)  # libyaml's marks count characters, as str indexes do
    if text is None or index is None or not 0 < index < len(text) or text[index] != ":":
        return None
    line_start = text.rfind("\n", 0, index) + 1
    if index - line_start <= IMPLICIT_KEY_LIMIT:
        return None
    end = len(text[line_start:index].rstrip()) + line_start
    start = _key_start(text, line_start, end)
    before = start - 1
    while before >= line_start and text[before] in " \t":
        before -= 1
    # A key starts a line, an entry ("- ", "? ") or a flow collection's item; a long scalar after
    # "key: " is a value with a stray ':' after it, whatever its length.
    if before >= line_start and text[before] not in "{[,-?":
        return None
    return end - start if end - start > IMPLICIT_KEY_LIMIT else None


def _key_start(text: str, line_start: int, end: int) -> int:
    """Where the key ending at `end` would begin: its opening quote, or after what comes before a plain key."""
    quote = text[end - 1]
    if quote == '"':  # the opening quote is the first one before it that no backslash escapes
        position = text.rfind('"', line_start, end - 1)
        while position > line_start:
            slashes = 0
            while position - slashes > line_start and text[position - slashes - 1] == "\\":
                slashes += 1
            if slashes % 2 == 0:
                break
            position = text.rfind('"', line_start, position)
        return max(position, line_start)
    if quote == "'":  # inside single quotes, '' is a quote
        position = end - 2
        while position >= line_start:
            position = text.rfind("'", line_start, position + 1)
            if position > line_start and text[position - 1] == "'":
                position -= 2
                continue
            break
        return max(position, line_start)
    # A plain key follows a flow indicator, a value indicator or the line's indentation and "- ".
    before = max(text.rfind(c, line_start, end) for c in ("{", "[", ",", ": "))
    start = line_start if before < 0 else before + (2 if text.startswith(": ", before) else 1)
    while start < end and (text[start] in " \t" or text.startswith("- ", start)):
        start += 2 if text[start] == "-" else 1
    return start


SHARED_TEXT = 40  # mapping values up to this many characters are interned


def construct(node: Node) -> Any:
    """Plain Python data (dict, list, str, int, float, bool, None) for a node tree."""
    return _Constructor().build(node)


class _Constructor:
    __slots__ = ("building", "count", "memo")

    def __init__(self) -> None:
        self.memo: dict[int, Any] = {}
        self.building: set[int] = set()  # collections under construction, to refuse cycles
        self.count = 0

    def build(self, node: Node, depth: int = 0) -> Any:
        if type(node) is ScalarNode:
            return _scalar(node)
        if node.tag not in _PLAIN_TAGS:
            raise YamlDocumentError(f"unsupported YAML tag {node.tag}", node.start_mark.line + 1)
        key = id(node)
        if key in self.memo:  # an alias: share the already-built object
            if key in self.building:
                raise YamlDocumentError("recursive alias: a node contains itself", node.start_mark.line + 1)
            return self.memo[key]
        if depth > MAX_DEPTH:
            raise YamlDocumentError(f"document nested more than {MAX_DEPTH} levels deep", node.start_mark.line + 1)
        self.count += len(node.value)
        if self.count > MAX_NODES_PER_DOCUMENT:
            raise YamlDocumentError(
                f"document too large: more than {MAX_NODES_PER_DOCUMENT} nodes", node.start_mark.line + 1
            )
        self.building.add(key)
        try:
            if type(node) is SequenceNode:
                seq: list[Any] = []
                self.memo[key] = seq
                build = self.build
                deeper = depth + 1
                seq.extend(
                    [
                        (
                            (item.value if item.tag == _STR else _scalar(item))
                            if type(item) is ScalarNode
                            else build(item, deeper)
                        )
                        for item in node.value
                    ]
                )
                return seq
            if type(node) is MappingNode:
                mapping: dict[Any, Any] = {}
                self.memo[key] = mapping
                self._fill_mapping(node, mapping, depth + 1)
                return mapping
        finally:
            self.building.discard(key)
        raise YamlDocumentError(f"unsupported YAML node {type(node).__name__}", node.start_mark.line + 1)

    def _fill_mapping(self, node: MappingNode, mapping: dict[Any, Any], depth: int) -> None:
        merges: list[Node] | None = None
        build = self.build
        # Most keys and values are strings: those are taken as they are, without _scalar's checks
        # (a scan constructs about a million nodes at 10,000 resources).
        for key_node, value_node in node.value:
            if type(key_node) is ScalarNode and key_node.tag == _STR:
                # One object per distinct key: kept resources repeat `metadata`, `labels`, `app`...
                # each a string of its own as parsed, and lookups by key then match by identity.
                key = intern(key_node.value)
            else:
                if key_node.tag == _MERGE:
                    if merges is None:
                        merges = []
                    merges.append(value_node)
                    continue
                key = self._key(key_node, depth)
            if type(value_node) is ScalarNode:
                value = value_node.value if value_node.tag == _STR else _scalar(value_node)
                # Short texts repeat across resources (namespaces, label values, kinds, `Always`):
                # one object each, for what the scan keeps.
                mapping[key] = intern(value) if type(value) is str and len(value) <= SHARED_TEXT else value
            else:
                mapping[key] = build(value_node, depth)
        if merges is None:
            return
        # Merge keys (<<) supply values the mapping does not set itself.
        for merge in merges:
            sources = merge.value if type(merge) is SequenceNode else [merge]
            for source in sources:
                value = self.build(source, depth)
                if not isinstance(value, dict):
                    raise YamlDocumentError("merge key (<<) needs a mapping", source.start_mark.line + 1)
                for k, v in value.items():
                    mapping.setdefault(k, v)

    def _key(self, key_node: Node, depth: int) -> Any:
        """A mapping key that is not a plain string (a number, a boolean, null, or not a scalar)."""
        key = _scalar(key_node) if type(key_node) is ScalarNode else self.build(key_node, depth)
        if isinstance(key, (int, float)) and not isinstance(key, bool):
            key = key_node.value  # as in JSON (and so in Kubernetes): `8080:` is the key "8080"
        if type(key) is str:
            key = intern(key)
        elif isinstance(key, (dict, list)):
            raise YamlDocumentError("a mapping key must be a scalar", key_node.start_mark.line + 1)
        return key


def _scalar(node: ScalarNode) -> Any:
    tag = node.tag
    value = node.value
    if tag == _STR:
        return value
    if tag == _INT:
        try:
            return _int(value)
        except ValueError as exc:  # `0x_`, `0b_`, or more digits than Python converts
            raise YamlDocumentError(_bad_number("integer", value), node.start_mark.line + 1) from exc
    if tag == _BOOL:
        return value.lower() in _TRUE_WORDS
    if tag == _NULL:
        return None
    if tag == _FLOAT:
        try:
            return _float(value)
        except ValueError as exc:  # `._`: the YAML 1.1 float pattern allows it, float() does not
            raise YamlDocumentError(_bad_number("number", value), node.start_mark.line + 1) from exc
    if tag == _BINARY:
        try:
            return base64.decodebytes(value.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise YamlDocumentError(f"invalid !!binary value: {exc}", node.start_mark.line + 1) from exc
    if tag not in _PLAIN_TAGS:
        raise YamlDocumentError(f"unsupported YAML tag {tag}", node.start_mark.line + 1)
    # Timestamps stay strings: Kubernetes reads them as strings too.
    return value


def _bad_number(what: str, text: str) -> str:
    digits = len(text.lstrip("+-"))
    if what == "integer" and (digits > MAX_INT_DIGITS or _looks_numeric(text)):
        return f"integer too large: {digits} characters long; integers must be below 10^{MAX_INT_DIGITS}"
    shown = text if len(text) <= 40 else text[:39] + "…"
    return f"not a valid {what}: {shown!r}"


def _looks_numeric(text: str) -> bool:
    """Whether the text is a well-formed integer (so a failure means it was too large)."""
    value = text.replace("_", "").lstrip("+-")
    body = value[2:] if value[:2] in ("0x", "0b", "0o") else value
    return bool(body) and body.isalnum()


def _int(text: str) -> int:
    value = text.replace("_", "")
    if len(value) > MAX_INT_DIGITS + 3:  # sign and base prefix; refuse before converting
        raise ValueError("too many digits")
    number = _int_value(value)
    if abs(number) >= _INT_LIMIT:  # a hexadecimal string can make an int too long to print
        raise ValueError("too large")
    return number


_INT_LIMIT = 10**MAX_INT_DIGITS


def _int_value(value: str) -> int:
    sign = -1 if value.startswith("-") else 1
    if value[:1] in "+-":
        value = value[1:]
    if value == "0":
        return 0
    if value.startswith("0b"):
        return sign * int(value[2:], 2)
    if value.startswith("0x"):
        return sign * int(value[2:], 16)
    if value.startswith("0o"):
        return sign * int(value[2:], 8)
    if value.startswith("0"):
        return sign * int(value, 8)
    if ":" in value and _SEXAGESIMAL.match(value):
        total = 0
        for part in value.split(":"):
            total = total * 60 + int(part)
        return sign * total
    return sign * int(value)


def _float(text: str) -> float:
    value = text.replace("_", "").lower()
    sign = -1.0 if value.startswith("-") else 1.0
    if value[:1] in "+-":
        value = value[1:]
    if value == ".inf":
        return sign * math.inf
    if value == ".nan":
        return math.nan
    if ":" in value:
        total = 0.0
        for part in value.split(":"):
            total = total * 60 + float(part)
        return sign * total
    return sign * float(value)


# An embedded document (a mesh config, Helm values in a string) is parsed for a line look-up only
# up to this size: a look-up must stay cheap whatever the input holds.
MAX_EMBEDDED_CHARS = 1_000_000
# Reads one line of the document's file (0-based), or None: what a look-up into a literal block
# needs to know the block's indentation, which the node tree does not record.
LineText = Callable[[int], "str | None"]


def locate(root: Node, path: Path, line_text: LineText | None = None) -> Position:
    """Line and column of the deepest existing node along path.

    For a mapping entry we point at its key (where a reader's eye goes); for a list
    item, at the item. A path that leaves the document stops at the nearest parent
    that exists, which is exactly what a finding about a missing field wants.

    A path that goes on into a literal block scalar (`key: |`) holding a YAML mapping, the
    way a ConfigMap embeds Istio's mesh config or an Argo CD Application its Helm values,
    continues inside it: each line of a literal block is a line of the file, so the line is
    exact. The column needs the block's indentation, taken from `line_text` when given
    (else the usual two spaces past the key).
    """
    mark = root.start_mark
    node: Node = root
    for depth, part in enumerate(path):
        if type(node) is MappingNode:
            for key_node, value_node in node.value:
                if type(key_node) is ScalarNode and key_node.value == part:
                    mark = key_node.start_mark
                    node = value_node
                    break
            else:
                break
        elif type(node) is SequenceNode and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            mark = node.start_mark
        else:
            if type(node) is ScalarNode and node.style == "|":
                inside = _embedded_position(node, path[depth:], mark.column, line_text)
                if inside is not None:
                    return inside
            break
    return Position(mark.line + 1, mark.column + 1)


def _embedded_position(block: ScalarNode, path: Path, key_column: int, line_text: LineText | None) -> Position | None:
    """Where `path` is written inside a literal block holding one YAML mapping; None when the
    block holds no such mapping or not even the path's first key."""
    text = block.value
    if len(text) > MAX_EMBEDDED_CHARS:
        return None
    try:
        roots = [n for n in compose_documents(text) if n is not None]
    except yaml.YAMLError:
        return None
    if len(roots) != 1 or type(roots[0]) is not MappingNode:
        return None
    if not any(type(k) is ScalarNode and k.value == path[0] for k, _ in roots[0].value):
        return None
    inner = locate(roots[0], path)
    # A literal block's content starts on the line after its indicator (`|`), line for line.
    line = block.start_mark.line + inner.line  # 0-based line of the file
    lines = text.split("\n")
    written = lines[inner.line - 1] if inner.line <= len(lines) else ""
    shown = line_text(line) if line_text is not None else None
    shown = shown.rstrip("\r") if shown is not None else None
    if shown is not None and shown.endswith(written) and shown[: len(shown) - len(written)].strip() == "":
        indent = len(shown) - len(written)
    else:
        indent = key_column + 2
    return Position(line + 1, indent + inner.column)
