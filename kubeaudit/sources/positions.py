"""Source positions recorded before a node tree is released, for the part of a resource kept.

Once its own rules have run, a workload is kept only as a slim copy (identity, metadata, pod
template metadata) for the cross-resource views and suppressions. Their findings can only be
about fields of that copy, or about its missing fields, so recording where each node of the
copy is written, while the tree is still in memory, answers their line look-ups without
reading the file again. A look-up the record cannot answer exactly (a path into a part of
the resource that was not kept) goes to the fallback locator, which re-reads the file.
"""

from __future__ import annotations

from array import array
from typing import Any

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kubeaudit.model import Locator, Path, Position

# Records stay small: a kubectl dump's managedFields can hold hundreds of nodes nobody asks
# about. Past this many nodes a subtree is left to the fallback.
MAX_RECORDED_NODES = 96
_COMPLETE = 1  # low bit of a packed position: every child of the node is recorded too

# Every path recorded, numbered once for the whole process: records are kept for most resources
# of a scan, and a few thousand distinct paths (metadata.labels.app...) make up all of them, so a
# record stores numbers, not paths. Past this many paths a record is not taken (the fallback
# answers instead), so the table stays bounded whatever the input.
MAX_PATHS = 1 << 20


class _TableFull(Exception):
    pass


class _PathTable:
    """The process's numbered paths, as a tree: a path's number, and each numbered path's
    children by key (or list index), so that a walk finds a child's number from its parent's
    with one look-up by key, never making or hashing the child's whole path tuple."""

    __slots__ = ("children", "numbers", "paths")

    def __init__(self) -> None:
        self.numbers: dict[Path, int] = {(): 0}
        self.paths: list[Path] = [()]  # by number
        self.children: list[dict[str | int, int] | None] = [None]  # by number; None until one is numbered

    def child(self, parent: int, part: str | int) -> int:
        """The number of the path `part` below path number `parent`, numbered now if new."""
        children = self.children[parent]
        if children is None:
            children = self.children[parent] = {}
        number = children.get(part)
        if number is None:
            if len(self.paths) >= MAX_PATHS:
                raise _TableFull
            path = (*self.paths[parent], part)
            number = children[part] = self.numbers[path] = len(self.paths)
            self.paths.append(path)
            self.children.append(None)
        return number

    def number(self, path: Path) -> int:
        """A whole path's number, numbered now if new (raises _TableFull)."""
        number = self.numbers.get(path)
        if number is None:
            number = 0
            for part in path:
                number = self.child(number, part)
        return number


_table = _PathTable()


class Positions:
    """Recorded nodes' packed marks, by path: two flat arrays (path numbers, marks) of about 12
    bytes a node, where a dictionary of path tuples took about 190."""

    __slots__ = ("_ids", "_marks")

    def __init__(self, ids: array[int], marks: array[int]) -> None:
        self._ids = ids
        self._marks = marks

    def __len__(self) -> int:
        return len(self._ids)

    def get(self, path: Path) -> int | None:
        number = _table.numbers.get(path)
        if number is None:
            return None
        try:
            return self._marks[self._ids.index(number)]
        except ValueError:
            return None

    def __reduce__(self) -> tuple[Any, ...]:
        # Path numbers are this process's: a --jobs worker sends the paths themselves.
        paths = _table.paths
        return _restored, (dict(zip([paths[number] for number in self._ids], self._marks, strict=True)),)


def _restored(recorded: dict[Path, int]) -> Positions:
    """Unpickled positions, numbered in this process (none when its table is full: the fallback answers)."""
    try:
        ids = array("I", [_table.number(path) for path in recorded])
    except _TableFull:
        return Positions(array("I"), array("q"))
    return Positions(ids, array("q", recorded.values()))


class RecordedLocator:
    """Positions of the nodes of a kept copy (paths relative to the resource), else the fallback."""

    __slots__ = ("_base", "_fallback", "_positions")

    def __init__(self, base: Path, positions: Positions, fallback: Locator) -> None:
        self._base = base
        self._positions = positions
        self._fallback = fallback

    def position(self, path: Path) -> Position | None:
        size = len(self._base)
        if path[:size] != self._base:
            return self._fallback.position(path)
        relative = path[size:]
        positions = self._positions
        for depth in range(len(relative), -1, -1):
            packed = positions.get(relative[:depth])
            if packed is None:
                continue
            # The deepest recorded node on the path: the answer if the path ends there, or if
            # the node's children are all recorded (then the rest of the path does not exist).
            if depth == len(relative) or packed & _COMPLETE:
                return Position(packed >> 32, (packed >> 1) & 0x7FFFFFFF)
            break
        return self._fallback.position(path)

    def record(self, base: Path, kept: Any, original: Any) -> Locator:
        return self  # already a record; the node tree it was taken from is gone


def record_positions(root: Node, base: Path, kept: Any, original: Any) -> Positions | None:
    """Positions of the nodes of `kept` (a copy of the resource `original` that shares the
    subtrees it keeps whole), found in the document tree `root` at `base`; None when the
    resource is not where `base` says (or the table of paths is full)."""
    node = root
    for part in base:
        child = _child(node, part)
        if child is None:
            return None
        node = child
    recorder = _Recorder()
    try:
        recorder.walk(node, 0, kept, original, _pack(node.start_mark))
    except _TableFull:
        return None
    positions = recorder.positions
    return Positions(array("I", positions.keys()), array("q", positions.values()))


class _Recorder:
    __slots__ = ("budget", "positions")

    def __init__(self) -> None:
        self.positions: dict[int, int] = {}  # packed marks by path number
        self.budget = MAX_RECORDED_NODES

    def walk(self, node: Node, number: int, kept: Any, original: Any, mark: int) -> bool:
        """Record `node` (at path number `number`, its mark packed in `mark`) and the children
        `kept` holds; False when the budget is spent and nothing was recorded.

        A node is marked complete when every child it has in the file is recorded too, so a
        path to a child it lacks is known not to exist (the finding then points at the node,
        as a look-up in the tree would). A scalar child (most nodes) is recorded here, not by
        a call of its own: it has no children, so it is complete unless a literal block
        (which may hold a document: yamlnodes.locate).
        """
        if self.budget <= 0:
            return False
        self.budget -= 1
        complete = False
        positions = self.positions
        # A few hundred thousand nodes at 10,000 resources: names bound, marks packed inline.
        walk, child_number = self.walk, _table.child
        if type(node) is MappingNode and isinstance(kept, dict):
            complete = kept is original  # a subtree shared whole; else only the kept keys are recorded
            originals = original if isinstance(original, dict) else None
            numbered = _table.children[number] or {}  # the children numbered before: most are
            for key_node, value_node in node.value:
                if type(key_node) is not ScalarNode:
                    complete = False
                    continue
                key = key_node.value
                if key not in kept:
                    complete = False
                    continue
                child = numbered.get(key)
                if child is None:
                    child = child_number(number, key)
                if child in positions:  # a duplicate key: a look-up in the tree stops at the first
                    continue
                start = key_node.start_mark
                packed = ((start.line + 1) << 32) | ((start.column + 1) << 1)
                if type(value_node) is ScalarNode:
                    if self.budget <= 0:
                        complete = False
                        continue
                    self.budget -= 1
                    positions[child] = packed | (_COMPLETE if value_node.style != "|" else 0)
                elif not walk(
                    value_node, child, kept[key], originals.get(key) if originals is not None else None, packed
                ):
                    complete = False
        elif type(node) is SequenceNode and isinstance(kept, list):
            complete = kept is original and len(kept) == len(node.value)
            originals_list = original if isinstance(original, list) else None
            for index, item in enumerate(node.value[: len(kept)]):
                inner = originals_list[index] if originals_list is not None and index < len(originals_list) else None
                start = item.start_mark
                if not walk(
                    item,
                    child_number(number, index),
                    kept[index],
                    inner,
                    ((start.line + 1) << 32) | ((start.column + 1) << 1),
                ):
                    complete = False
        else:  # a scalar has no children; a node the copy replaced is left to the fallback
            complete = type(node) is ScalarNode and node.style != "|"
        positions[number] = mark | (_COMPLETE if complete else 0)
        return True


def _pack(mark: Any) -> int:
    return ((mark.line + 1) << 32) | ((mark.column + 1) << 1)


def _child(node: Node | None, part: str | int) -> Node | None:
    if type(node) is MappingNode:
        for key_node, value_node in node.value:
            if type(key_node) is ScalarNode and key_node.value == part:
                return value_node
        return None
    if type(node) is SequenceNode and isinstance(part, int) and 0 <= part < len(node.value):
        return node.value[part]
    return None
