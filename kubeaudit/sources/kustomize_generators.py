"""Where a resource a Kustomize generator made was declared: its `configMapGenerator` or
`secretGenerator` entry in the kustomization file, and, for one of its keys, the line that
gives it (a `literals` item `KEY=value`, a `files` item `KEY=path` or `path/KEY`).

Only where a key is written is read, never a value: a Secret's data stays unread here too."""

from __future__ import annotations

import os
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from kubeaudit.model import Locator, Path, Position
from kubeaudit.sources.manifests import ManifestFile, display_path, read_text
from kubeaudit.yamlnodes import compose_documents

GENERATOR_LISTS = {"ConfigMapGenerator": "configMapGenerator", "SecretGenerator": "secretGenerator"}
DATA_FIELDS = frozenset({"data", "binaryData", "stringData"})


class GeneratorLocator:
    """The fields of a generated ConfigMap or Secret at the lines of its generator entry."""

    __slots__ = ("_entry", "_keys")

    def __init__(self, entry: Position, keys: dict[str, Position]) -> None:
        self._entry = entry
        self._keys = keys

    def position(self, path: Path) -> Position | None:
        if len(path) >= 2 and path[0] in DATA_FIELDS and isinstance(path[1], str) and path[1] in self._keys:
            return self._keys[path[1]]
        return self._entry

    def record(self, base: Path, kept: Any, original: Any) -> Locator:
        return self


def generator_locator(kustomization: str, generator_kind: Any, rendered_name: Any) -> GeneratorLocator | None:
    """The locator for a resource `generator_kind` (ConfigMapGenerator...) of the kustomization
    file made, named `rendered_name` (the entry's name, with prefixes, suffixes and a hash)."""
    list_key = GENERATOR_LISTS.get(generator_kind) if isinstance(generator_kind, str) else None
    if list_key is None or not isinstance(rendered_name, str):
        return None
    try:
        text = read_text(ManifestFile(kustomization, display_path(kustomization)))
        root = next(iter(compose_documents(text)), None)
    except (ValueError, yaml.YAMLError):
        return None
    entries = _value(root, list_key)
    if not isinstance(entries, SequenceNode):
        return None
    shown = display_path(kustomization)
    named = [(name, item) for item in entries.value if (name := _scalar(_value(item, "name")))]
    named = [(name, item) for name, item in named if name in rendered_name]
    if not named:
        return None
    _, entry = max(named, key=lambda pair: len(pair[0]))  # `app` and `app-extra`: the longer one that fits
    keys: dict[str, Position] = {}
    for source in ("files", "literals"):
        items = _value(entry, source)
        for item in items.value if isinstance(items, SequenceNode) else ():
            written = _scalar(item)
            if written is None:
                continue
            key = written.split("=", 1)[0] if "=" in written or source == "literals" else os.path.basename(written)
            keys.setdefault(key.strip(), _position(item, shown))
    name_key = next((k for k, _ in entry.value if _scalar(k) == "name"), entry)  # entry: a mapping, as it has a name
    return GeneratorLocator(_position(name_key, shown), keys)


def _value(node: Node | None, key: str) -> Node | None:
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                return value_node
    return None


def _scalar(node: Node | None) -> str | None:
    return node.value if isinstance(node, ScalarNode) and isinstance(node.value, str) else None


def _position(node: Node, file: str) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1, file)
