"""Manifest files in, resources out: discovery, decoding, documents, Lists."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

import yaml
from yaml.nodes import Node

from kubeaudit.model import Origin, Path, Position, Resource, ScanError
from kubeaudit.sources.base import Batch
from kubeaudit.sources.reparse import reparsed_documents
from kubeaudit.sources.yamlnodes import YamlDocumentError, compose_documents, construct, locate, yaml_error

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")
STDIN = "-"
# API groups of files that configure client tools (kustomize) rather than describe cluster objects.
CLIENT_SIDE_GROUPS = ("kustomize.config.k8s.io/",)
_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)


@dataclass(frozen=True, slots=True)
class ManifestFile:
    path: str  # filesystem path, or "-" for stdin
    display: str  # what reports show: relative to the working directory where possible


@dataclass(slots=True)
class ParsedFile:
    file: ManifestFile
    resources: list[Resource] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    documents: int = 0
    skipped_documents: int = 0
    locators: list[NodeLocator] = field(default_factory=list)

    def release_nodes(self) -> None:
        """Drop node trees; later line look-ups re-read the file."""
        for locator in self.locators:
            locator.release()


def display_path(path: str) -> str:
    if path == STDIN:
        return "<stdin>"
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return FsPath(path).as_posix()
    shown = path if rel.startswith("..") else rel
    return FsPath(shown).as_posix()


def discover(paths: Iterable[str], errors: list[ScanError], excluded: Any = None) -> list[ManifestFile]:
    """Expand the user's paths into manifest files, in a stable order.

    Directories are walked recursively for .yaml/.yml/.json files (hidden folders
    such as .git are skipped); a file named explicitly is read whatever its name.
    A path that does not exist is an error, not a silent skip.
    """
    found: list[ManifestFile] = []
    seen: set[str] = set()

    def add(path: str) -> None:
        key = os.path.realpath(path) if path != STDIN else STDIN
        if key in seen:
            return
        seen.add(key)
        shown = display_path(path)
        if excluded is not None and excluded(shown):
            return
        found.append(ManifestFile(path, shown))

    for raw in paths:
        if raw == STDIN:
            add(STDIN)
        elif os.path.isdir(raw):
            for root, dirs, files in os.walk(raw):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if name.lower().endswith(MANIFEST_SUFFIXES):
                        add(os.path.join(root, name))
        elif os.path.exists(raw):
            add(raw)
        else:
            errors.append(ScanError(display_path(raw), "no such file or directory"))
    return found


def read_text(file: ManifestFile) -> str:
    """The file's text; raises ValueError with a user-facing reason."""
    try:
        if file.path == STDIN:
            data = sys.stdin.buffer.read()
        else:
            with open(file.path, "rb") as handle:
                data = handle.read()
    except OSError as exc:
        raise ValueError(f"cannot read file: {exc.strerror or exc}") from exc
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ValueError(f"not valid {encoding} text") from exc
    if b"\x00" in data[:8192]:
        raise ValueError("not a text file (binary data)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValueError(f"not valid UTF-8 text (line {line})") from exc
    if file.path.lower().endswith(".json"):
        # JSON allows tabs between tokens, YAML does not. A JSON string cannot hold a
        # raw tab, so swapping them for spaces changes no value and no line number.
        text = text.replace("\t", " ")
    return text


class NodeLocator:
    """Line look-up for one document, keeping its node tree until released."""

    __slots__ = ("_chunk", "_file", "_index", "_root")

    def __init__(self, file: ManifestFile, chunk: tuple[int, int] | None, index: int, root: Node) -> None:
        self._file = file
        self._chunk = chunk  # (first line, end line) when the file was parsed piecewise
        self._index = index
        self._root: Node | None = root

    def release(self) -> None:
        if self._file.path != STDIN:  # stdin cannot be read twice
            self._root = None

    def position(self, path: Path) -> Position | None:
        root = self._root
        if root is None:
            root = self._reload()
            if root is None:
                return None
        return locate(root, path)

    def _reload(self) -> Node | None:
        documents = reparsed_documents((self._file.path, self._chunk), self._compose_all)
        return documents[self._index] if self._index < len(documents) else None

    def _compose_all(self) -> list[Node | None]:
        """Every document of the file (or chunk) up to the first syntax error, as first parsed."""
        documents: list[Node | None] = []
        try:
            text = read_text(self._file)
            if self._chunk is not None:
                text = _chunk_text(text.split("\n"), *self._chunk)
            for root in compose_documents(text):
                documents.append(root)
        except (ValueError, yaml.YAMLError):  # the file changed under us, or the error the scan reported
            pass
        return documents


def _chunk_text(lines: list[str], start: int, end: int) -> str:
    # Pad with empty lines so the parser's marks are the file's own line numbers.
    return "\n" * start + "\n".join(lines[start:end])


def parse_file(file: ManifestFile) -> ParsedFile:
    parsed = ParsedFile(file)
    try:
        text = read_text(file)
    except ValueError as exc:
        parsed.errors.append(ScanError(file.display, str(exc)))
        return parsed
    try:
        _parse_documents(parsed, text, None, compose_documents(text))
    except yaml.YAMLError as exc:
        err = yaml_error(exc)
        parsed.errors.append(ScanError(file.display, err.message, err.line))
        _parse_rest_piecewise(parsed, text, err.line)
    if parsed.documents == 0 and not parsed.errors:
        parsed.errors.append(ScanError(file.display, "file is empty: no YAML documents"))
    return parsed


def _parse_documents(
    parsed: ParsedFile, text: str, chunk: tuple[int, int] | None, nodes: Iterator[Node | None]
) -> None:
    for index, root in enumerate(nodes):
        parsed.documents += 1
        if root is None:
            parsed.skipped_documents += 1
            continue
        try:
            data = construct(root)
        except YamlDocumentError as exc:
            parsed.errors.append(ScanError(parsed.file.display, exc.message, exc.line))
            continue
        locator = NodeLocator(parsed.file, chunk, index, root)
        parsed.locators.append(locator)
        _add_document(parsed, data, parsed.documents - 1, locator, root.start_mark.line + 1)


def _parse_rest_piecewise(parsed: ParsedFile, text: str, error_line: int | None) -> None:
    """After a syntax error, keep the documents that follow the broken one.

    PyYAML cannot resume after an error, so we cut the rest of the file at its
    document separators and parse each piece alone.
    """
    lines = text.split("\n")
    separators = [i for i, line in enumerate(lines) if line.startswith("---") and line[3:4] in ("", " ", "\t")]
    first_bad = (error_line or 1) - 1
    starts = [s for s in separators if s > first_bad]
    if not starts:
        return
    bounds = list(zip(starts, [*starts[1:], len(lines)], strict=True))
    for start, end in bounds:
        chunk_text = _chunk_text(lines, start, end)
        try:
            _parse_documents(parsed, chunk_text, (start, end), compose_documents(chunk_text))
        except yaml.YAMLError as exc:
            err = yaml_error(exc)
            parsed.errors.append(ScanError(parsed.file.display, err.message, err.line))


def describe_type(value: Any) -> str:
    """'a mapping', 'a string'...: how error messages name a value's type."""
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return _TYPE_NAMES.get(type(value), type(value).__name__)


_TYPE_NAMES = {dict: "a mapping", list: "a list", str: "a string", int: "a number", float: "a number"}


def _add_document(parsed: ParsedFile, data: Any, index: int, locator: NodeLocator, line: int) -> None:
    display = parsed.file.display
    if data is None:  # an empty document, e.g. after a trailing ---
        parsed.skipped_documents += 1
        return
    if not isinstance(data, dict):
        parsed.errors.append(
            ScanError(display, f"document {index + 1} is {describe_type(data)}, not a Kubernetes object", line)
        )
        return
    if "apiVersion" not in data or "kind" not in data:
        parsed.skipped_documents += 1  # values files, kustomizations, other YAML
        return
    kind = data.get("kind")
    items = data.get("items")
    if isinstance(kind, str) and kind.endswith("List") and "items" in data:
        if not isinstance(items, list):
            pos = locator.position(("items",))
            parsed.errors.append(
                ScanError(
                    display, f"{kind}.items is {describe_type(items)}, expected a list", pos.line if pos else None
                )
            )
            return
        item_kind = kind[: -len("List")] or None
        for i, item in enumerate(items):
            base: Path = ("items", i)
            if isinstance(item, dict):
                if item_kind and "kind" not in item:  # typed lists (PodList) omit it per item
                    item = {"kind": item_kind, **item}
                if "apiVersion" not in item and isinstance(data.get("apiVersion"), str):
                    item = {"apiVersion": data["apiVersion"], **item}
            _add_resource(parsed, item, index, locator, base)
        return
    _add_resource(parsed, data, index, locator, ())


def _add_resource(parsed: ParsedFile, data: Any, index: int, locator: NodeLocator, base: Path) -> None:
    display = parsed.file.display

    def fail(message: str, path: Path) -> None:
        pos = locator.position(base + path)
        parsed.errors.append(ScanError(display, message, pos.line if pos else None))

    if not isinstance(data, dict):
        fail(f"list item is {describe_type(data)}, not a Kubernetes object", ())
        return
    if "apiVersion" not in data or "kind" not in data:
        parsed.skipped_documents += 1
        return
    api_version, kind = data["apiVersion"], data["kind"]
    if not isinstance(api_version, str) or not isinstance(kind, str) or not kind:
        fail("apiVersion and kind must be non-empty strings", ("kind",))
        return
    if api_version.startswith(CLIENT_SIDE_GROUPS):
        parsed.skipped_documents += 1  # tool configuration, never sent to a cluster
        return
    metadata = data.get("metadata", {})
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        fail(f"{kind}: metadata is {describe_type(metadata)}, expected a mapping", ("metadata",))
        return
    name = metadata.get("name") or metadata.get("generateName") or "<unnamed>"
    namespace = metadata.get("namespace")
    if not isinstance(name, str) or not (namespace is None or isinstance(namespace, str)):
        fail(f"{kind}: metadata.name and metadata.namespace must be strings", ("metadata",))
        return
    origin = Origin(parsed.file.display, index, base, locator)
    parsed.resources.append(Resource(api_version, kind, name, namespace or None, data, origin))


class ManifestSource:
    """Manifest files and folders (and stdin), one batch per file."""

    def __init__(self, paths: Iterable[str], excluded: Any = None) -> None:
        self.paths = list(paths)
        self.excluded = excluded

    def describe(self) -> list[str]:
        return list(self.paths)

    def unavailable_kinds(self) -> dict[str, str]:
        return {}  # a file either parses (errors say where not) or it does not

    def batches(self) -> Iterator[Batch]:
        errors: list[ScanError] = []
        files = discover(self.paths, errors, self.excluded)
        if errors:
            yield Batch(errors=errors)
        for file in files:
            parsed = parse_file(file)
            yield Batch(
                resources=parsed.resources,
                errors=parsed.errors,
                files=1,
                documents=parsed.documents,
                skipped_documents=parsed.skipped_documents,
                release=parsed.release_nodes,
            )
