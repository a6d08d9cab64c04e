"""The patches of a Kustomize overlay, read the way kustomize applies them, so that a field a
patch set is reported on the patch's line rather than on the base it overrode.

Kustomize records which kustomization files patched a resource (the transformations build
annotation) but not which patch, nor where; so each patch of those files that may target the
resource (its `target`: kind, name, group, version, label and annotation selectors) is asked
whether it writes the field, and with the value the rendered resource has.
Strategic-merge patches (files or inline, under `patches` or `patchesStrategicMerge`) and
JSON 6902 patches (under `patches` or `patchesJson6902`) are both read; a patch that cannot be
read is left out (kustomize has rendered it, or said why not).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kubeaudit.model import Path, Position
from kubeaudit.sources.kustomize_selectors import SelectorError, matches, parse_selector, string_pairs
from kubeaudit.sources.manifests import ManifestFile, display_path, read_text
from kubeaudit.yamlnodes import YamlDocumentError, compose_documents, construct, locate

PATCH_TRANSFORMERS = frozenset(
    {
        "PatchTransformer",
        "PatchStrategicMergeTransformer",
        "PatchJson6902Transformer",
        "ImageTagTransformer",
        "ReplacementTransformer",
    }
)
_CONTAINER_LISTS = frozenset({"containers", "initContainers", "ephemeralContainers"})
_MISSING = object()


@dataclass(frozen=True, slots=True)
class Target:
    """Which resources a patch is for: kustomize's selector (group, version, kind, name,
    labelSelector, annotationSelector, all of which must match), or a strategic-merge patch's
    own kind and name. A name is a regular expression there; the rendered name may carry an
    overlay's prefix or suffix, so it is also matched inside the name. A selector we cannot
    read selects nothing (kustomize refuses it)."""

    kind: str | None = None
    name: str | None = None
    group: str | None = None
    version: str | None = None
    labels: str | None = None  # labelSelector, as written
    annotations: str | None = None  # annotationSelector, as written

    def selects(self, data: dict[str, Any]) -> bool:
        if self.kind is not None and data.get("kind") != self.kind:
            return False
        if not self._api_version_matches(data.get("apiVersion")):
            return False
        metadata = data.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        if not _selector_matches(self.labels, metadata.get("labels")):
            return False
        if not _selector_matches(self.annotations, metadata.get("annotations")):
            return False
        if self.name is None:
            return True
        name = metadata.get("name")
        if not isinstance(name, str):
            return False
        # The name before this overlay's prefix or suffix: the rendered one contains it.
        if self.name in name:
            return True
        try:
            return re.search(self.name, name) is not None
        except re.error:
            return False

    def _api_version_matches(self, api_version: Any) -> bool:
        if self.group is None and self.version is None:
            return True
        if not isinstance(api_version, str):
            return False
        group, _, version = api_version.rpartition("/")  # the core group is ""
        return (self.group is None or self.group == group) and (self.version is None or self.version == version)


def _selector_matches(selector: str | None, values: Any) -> bool:
    if selector is None:
        return True
    try:
        return matches(parse_selector(selector), string_pairs(values))
    except SelectorError:
        return False


@dataclass(frozen=True, slots=True)
class Text:
    """Where a patch's YAML is written: a file, or a block in a kustomization file."""

    file: str  # display path
    line_offset: int = 0  # lines before the text's first line (an inline block)
    column_offset: int = 0  # the block's indentation
    whole: Position | None = None  # an inline patch in a quoted string: lines inside it are not the file's

    def position(self, inner: Position) -> Position:
        if self.whole is not None:
            return self.whole
        return Position(inner.line + self.line_offset, inner.column + self.column_offset, self.file)


@dataclass(frozen=True, slots=True)
class StrategicMerge:
    """A strategic-merge patch document: the fields it writes, as data and as nodes."""

    target: Target
    data: dict[str, Any]
    root: Node
    text: Text

    def position(self, path: Path, rendered: dict[str, Any], in_base: bool) -> Position | None:
        """Where the patch writes the field, if it does. A mapping the base has too is only
        merged into, not written, by the patch (`in_base`): the base's line tells more."""
        own = translate(path, rendered, self.data)
        if own is None or (in_base and isinstance(_value_at(self.data, own), dict)):
            return None
        return self.text.position(locate(self.root, own))


@dataclass(frozen=True, slots=True)
class JsonPatchOp:
    """One `add` or `replace` of a JSON 6902 patch: the path it writes and the value."""

    target: Target
    path: Path  # "-" (append) stays a string
    value: Any
    value_node: Node
    text: Text

    def position(self, path: Path, rendered: dict[str, Any], in_base: bool) -> Position | None:
        """Where the operation writes the field, if it does (at or inside its value)."""
        size = len(self.path)
        if len(path) < size:
            return None
        for want, got in zip(self.path, path[:size], strict=True):
            if want != got and not (want == "-" and isinstance(got, int)) and str(want) != str(got):
                return None
        if self.path and self.path[-1] == "-" and _value_at(rendered, path[:size]) != self.value:
            return None
        rest = path[size:]
        own = translate(rest, _value_at(rendered, path[:size]), self.value)
        if own is None:
            return None
        return self.text.position(locate(self.value_node, own))


@dataclass(frozen=True, slots=True)
class ImageOverride:
    """An `images:` entry of a kustomization: a new name, tag or digest for an image."""

    name: str
    new_name: str | None
    written: Position  # the line of the tag, digest or name it sets
    target: Target = Target()

    def position(self, path: Path, rendered: dict[str, Any], in_base: bool) -> Position | None:
        """The entry, for a container's `image` it rewrote: the rendered image is the entry's
        new name (or its name) with a tag or digest."""
        if len(path) < 3 or path[-1] != "image" or path[-3] not in _CONTAINER_LISTS:
            return None
        image = _value_at(rendered, path)
        if not isinstance(image, str):
            return None
        repository = image.split("@", 1)[0]
        if ":" in repository.rsplit("/", 1)[-1]:
            repository = repository.rsplit(":", 1)[0]
        return self.written if repository == (self.new_name or self.name) else None


@dataclass(frozen=True, slots=True)
class ReplacementTarget:
    """One `targets` entry of a kustomization's `replacements`: the fields it copies a value
    into (`fieldPaths`, kustomize's dotted paths with `[key=value]` list items and `*`), in the
    resources its `select` picks and no `reject` entry does."""

    target: Target
    rejects: tuple[Target, ...]
    field_paths: tuple[tuple[tuple[str, ...], Position], ...]  # (segments, where the path is written)

    def position(self, path: Path, rendered: dict[str, Any], in_base: bool) -> Position | None:
        """The fieldPaths entry that wrote the field (or a parent of it), if one did."""
        if any(reject.selects(rendered) for reject in self.rejects):
            return None
        for segments, written in self.field_paths:
            if _field_path_covers(segments, path, rendered):
                return written
        return None


def _field_path_covers(segments: tuple[str, ...], path: Path, rendered: Any) -> bool:
    if len(path) < len(segments):
        return False
    node = rendered
    for segment, part in zip(segments, path, strict=False):
        if segment.startswith("[") and segment.endswith("]"):
            key, _, value = segment[1:-1].partition("=")
            item = node[part] if isinstance(node, list) and isinstance(part, int) and part < len(node) else None
            if not isinstance(item, dict) or str(item.get(key)) != value:
                return False
        elif segment != "*" and segment != str(part):
            return False
        node = _child(node, part)
    return True


_FIELD_PATH_PART = re.compile(r"\[[^\]]*\]|[^.\[]+")


def _replacement_targets(entry: dict[str, Any], node: MappingNode, here: str) -> Iterator[ReplacementTarget]:
    targets = _value_node(node, "targets")
    for raw, target_node in zip(entry.get("targets") or [], getattr(targets, "value", []), strict=False):
        if not isinstance(raw, dict) or not isinstance(target_node, MappingNode):
            continue
        paths = _value_node(target_node, "fieldPaths")
        written = [
            (tuple(_FIELD_PATH_PART.findall(item.value)), _node_position(item, here))
            for item in getattr(paths, "value", [])
            if isinstance(item, ScalarNode)
        ]
        rejects = tuple(t for t in map(_target, raw.get("reject") or []) if t is not None)
        if written:
            yield ReplacementTarget(_target(raw.get("select")) or Target(), rejects, tuple(written))


Patch = StrategicMerge | JsonPatchOp | ImageOverride | ReplacementTarget


def translate(path: Path, rendered: Any, written: Any) -> Path | None:
    """`path` into the rendered resource as a path into what a patch or base wrote, matching
    list items by name where they have one (a strategic merge matches containers by name), or
    None when the written data does not hold the field with the rendered value."""
    own: list[str | int] = []
    node, mine = rendered, written
    for part in path:
        if isinstance(part, int):
            if not isinstance(node, list) or not isinstance(mine, list) or part >= len(node):
                return None
            index = _same_item(node[part], mine, part)
            if index is None:
                return None
            own.append(index)
            node, mine = node[part], mine[index]
        else:
            if not isinstance(node, dict) or not isinstance(mine, dict) or part not in mine or part not in node:
                return None
            own.append(part)
            node, mine = node[part], mine[part]
    if not isinstance(node, (dict, list)) and node != mine:
        return None  # the patch wrote another value, which something later changed
    return tuple(own)


def _same_item(item: Any, items: list[Any], index: int) -> int | None:
    name = item.get("name") if isinstance(item, dict) else None
    if isinstance(name, str):
        for i, candidate in enumerate(items):
            if isinstance(candidate, dict) and candidate.get("name") == name:
                return i
        return None
    return index if index < len(items) else None


def _value_at(data: Any, path: Path) -> Any:
    for part in path:
        data = _child(data, part)
    return data


def _child(data: Any, part: str | int) -> Any:
    if isinstance(data, dict):
        return data.get(part, _MISSING)
    if isinstance(data, list) and isinstance(part, int) and part < len(data):
        return data[part]
    return _MISSING


def patches_of(folder: str, kustomization_file: str) -> list[Patch]:
    """Every patch a kustomization declares, in the order kustomize applies them
    (strategic-merge files, then `patches`, then `patchesJson6902`, then `images`, then the
    `replacements`, which run after every other transformer of their kustomization)."""
    try:
        text = read_text(ManifestFile(kustomization_file, display_path(kustomization_file)))
        root = next(iter(compose_documents(text)), None)
        data = construct(root) if root is not None else None
    except (ValueError, yaml.YAMLError, YamlDocumentError):
        return []
    if not isinstance(data, dict) or not isinstance(root, MappingNode):
        return []
    lines = text.split("\n")
    here = display_path(kustomization_file)
    found: list[Patch] = []
    for key, entry, node in _entries(root, data, "patchesStrategicMerge"):
        if isinstance(entry, str):  # a file name, or a patch written inline
            found.extend(_from_source(folder, entry, node if "\n" in entry else None, lines, here, None, key))
    for key in ("patches", "patchesJson6902"):
        for _, entry, node in _entries(root, data, key):
            if not isinstance(entry, dict) or not isinstance(node, MappingNode):
                continue
            target = _target(entry.get("target"))
            if isinstance(entry.get("path"), str):
                found.extend(_from_source(folder, entry["path"], None, lines, here, target, key))
            elif isinstance(entry.get("patch"), str):
                found.extend(_from_source(folder, entry["patch"], _value_node(node, "patch"), lines, here, target, key))
    for _, entry, node in _entries(root, data, "images"):
        if isinstance(entry, dict) and isinstance(entry.get("name"), str) and isinstance(node, MappingNode):
            new_name = entry.get("newName")
            written = next((_key_position(node, k, here) for k in ("digest", "newTag", "newName") if k in entry), None)
            found.append(
                ImageOverride(
                    entry["name"],
                    new_name if isinstance(new_name, str) else None,
                    written or Position(node.start_mark.line + 1, node.start_mark.column + 1, here),
                )
            )
    for _, entry, node in _entries(root, data, "replacements"):
        if isinstance(entry, dict) and isinstance(node, MappingNode):
            if isinstance(entry.get("path"), str):
                found.extend(_replacements_file(folder, entry["path"]))
            else:
                found.extend(_replacement_targets(entry, node, here))
    return found


def _replacements_file(folder: str, entry: str) -> list[Patch]:
    """The replacements of a `replacements: [{path: FILE}]` file (one replacement, or a list)."""
    path = os.path.normpath(os.path.join(folder, entry))
    try:
        root = next(iter(compose_documents(read_text(ManifestFile(path, display_path(path))))), None)
        data = construct(root) if root is not None else None
    except (ValueError, yaml.YAMLError, YamlDocumentError):
        return []
    if isinstance(data, dict):
        pairs: list[tuple[Any, Any]] = [(data, root)]
    else:
        pairs = list(zip(data, getattr(root, "value", []), strict=False)) if isinstance(data, list) else []
    shown = display_path(path)
    found: list[Patch] = []
    for item, node in pairs:
        if isinstance(item, dict) and isinstance(node, MappingNode):
            found.extend(_replacement_targets(item, node, shown))
    return found


def _node_position(node: Node, file: str) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1, file)


def _key_position(node: MappingNode, key: str, file: str) -> Position | None:
    for key_node, _ in node.value:
        if isinstance(key_node, ScalarNode) and key_node.value == key:
            return Position(key_node.start_mark.line + 1, key_node.start_mark.column + 1, file)
    return None


def _entries(root: MappingNode, data: dict[str, Any], key: str) -> Iterator[tuple[str, Any, Node]]:
    entries = data.get(key)
    node = _value_node(root, key)
    if isinstance(entries, list) and isinstance(node, SequenceNode):
        for entry, item in zip(entries, node.value, strict=False):
            yield key, entry, item


def _value_node(node: Node, key: str) -> Node | None:
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                return value_node
    return None


def _target(raw: Any) -> Target | None:
    if not isinstance(raw, dict):
        return None

    def text(key: str) -> str | None:
        value = raw.get(key)
        return value if isinstance(value, str) else None

    return Target(
        text("kind"), text("name"), text("group"), text("version"), text("labelSelector"), text("annotationSelector")
    )


def _from_source(
    folder: str, entry: str, inline: Node | None, lines: list[str], here: str, target: Target | None, key: str
) -> list[Patch]:
    """The patches in a file (`entry` is its path) or an inline block (`inline` is its node)."""
    if inline is None and "\n" not in entry:
        path = os.path.normpath(os.path.join(folder, entry))
        try:
            text = read_text(ManifestFile(path, display_path(path)))
        except ValueError:
            return []
        where = Text(display_path(path))
    else:
        text = entry
        where = _inline_text(inline, lines, here)
    try:
        roots = [r for r in compose_documents(text) if r is not None]
        documents = [(r, construct(r)) for r in roots]
    except (yaml.YAMLError, YamlDocumentError):
        return []
    found: list[Patch] = []
    for root, data in documents:
        if isinstance(data, list) and key != "patchesStrategicMerge" and isinstance(root, SequenceNode):
            found.extend(_json_ops(data, root, target or Target(), where))
        elif isinstance(data, dict):
            found.append(StrategicMerge(target or _own_target(data), data, root, where))
    return found


def _own_target(data: dict[str, Any]) -> Target:
    metadata = data.get("metadata")
    name = metadata.get("name") if isinstance(metadata, dict) else None
    kind = data.get("kind")
    return Target(kind if isinstance(kind, str) else None, name if isinstance(name, str) else None)


def _json_ops(ops: list[Any], root: SequenceNode, target: Target, where: Text) -> Iterator[JsonPatchOp]:
    for op, node in zip(ops, root.value, strict=False):
        if not isinstance(op, dict) or op.get("op") not in ("add", "replace") or "value" not in op:
            continue
        pointer = op.get("path")
        value_node = _value_node(node, "value")
        if isinstance(pointer, str) and value_node is not None:
            yield JsonPatchOp(target, _pointer(pointer), op["value"], value_node, where)


def _pointer(pointer: str) -> Path:
    """A JSON pointer (RFC 6901) as a path; numbers are list indexes, `-` stays as it is."""
    parts: list[str | int] = []
    for raw in pointer.split("/")[1:]:
        part = raw.replace("~1", "/").replace("~0", "~")
        parts.append(int(part) if part.isdigit() else part)
    return tuple(parts)


def _inline_text(node: Node | None, lines: list[str], here: str) -> Text:
    """Where an inline patch's lines are in the kustomization file: a block scalar (`|`) starts
    on the line after its indicator, indented; any other style is pointed at as a whole."""
    if node is None or not isinstance(node, ScalarNode) or node.style not in ("|", ">"):
        mark = node.start_mark if node is not None else None
        return Text(here, whole=Position(mark.line + 1, mark.column + 1, here) if mark else Position(1, 1, here))
    first = node.start_mark.line + 1
    indent = 0
    for text in lines[first:]:
        if text.strip():
            indent = len(text) - len(text.lstrip(" "))
            break
    return Text(here, first, indent)
