"""Where a resource `kubectl kustomize` rendered was written: the base file its origin
annotation names and the document in it that declares the resource; and, field by field, the
patch that set a field (kubeaudit.sources.kustomize_patches), else the field in the base, else
the nearest field the base has (at worst the resource's start)."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

import yaml

from kubeaudit.model import Locator, Origin, Path, Position, RenderedFrom, Resource
from kubeaudit.sources.kustomize_generators import generator_locator
from kubeaudit.sources.kustomize_patches import PATCH_TRANSFORMERS, Patch, patches_of
from kubeaudit.sources.manifests import ManifestFile, ParsedFile, display_path, parse_file
from kubeaudit.sources.projects import Project

ORIGIN_ANNOTATION = "config.kubernetes.io/origin"
TRANSFORMATIONS_ANNOTATION = "alpha.config.kubernetes.io/transformations"


class OriginMapper:
    """Maps the rendered resources of one overlay to their base files, parsing each file once."""

    def __init__(self, project: Project, wrapper: str) -> None:
        self.project = project
        self.wrapper = wrapper  # origin paths are relative to the wrapper kustomization's folder
        self._files: dict[str, ParsedFile] = {}
        self._patches: dict[str, list[Patch]] = {}

    def release(self) -> None:
        """Drop the base files' node trees (their text stays for later look-ups)."""
        for parsed in self._files.values():
            parsed.release_nodes()

    def origin(self, data: dict[str, Any], rendered: RenderedFrom, locator: Locator) -> Origin:
        annotation = _annotation(data, ORIGIN_ANNOTATION)
        path = annotation.get("path")
        if isinstance(path, str) and not annotation.get("repo"):
            declared = self._declared(self._resolve(path), data)
            if declared is not None:
                locator = FieldLocator(data, declared, self._patches_for(data))
                declared_in = declared.origin
                return Origin(
                    declared_in.source,
                    declared_in.document,
                    (),
                    locator,
                    rendered=rendered,
                    file_path=declared_in.file_path,
                )
        configured_in = annotation.get("configuredIn")
        if isinstance(configured_in, str):  # made by a generator (configMapGenerator...): its entry
            kustomization = self._resolve(configured_in)
            by = annotation.get("configuredBy")
            metadata = data.get("metadata")
            name = metadata.get("name") if isinstance(metadata, dict) else None
            entry = generator_locator(kustomization, by.get("kind") if isinstance(by, dict) else None, name)
            source = display_path(kustomization)
            return Origin(source, 0, (), entry or _Fixed(Position(1, 1)), rendered=rendered)
        return Origin(self.project.manifest_display, 0, (), _Fixed(Position(1, 1)), rendered=rendered)

    def _patches_for(self, data: dict[str, Any]) -> list[Patch]:
        """The patches that may have changed this resource, the last applied first: those of
        the kustomization files its transformations annotation names as patching it."""
        transformations = _annotation(data, TRANSFORMATIONS_ANNOTATION, list)
        files = []
        for step in transformations:
            if not isinstance(step, dict) or not isinstance(step.get("configuredIn"), str):
                continue
            by = step.get("configuredBy")
            if isinstance(by, dict) and by.get("kind") in PATCH_TRANSFORMERS:
                files.append(self._resolve(step["configuredIn"]))
        found: list[Patch] = []
        for file in dict.fromkeys(files):
            if file not in self._patches:
                self._patches[file] = patches_of(os.path.dirname(file), file)
            found.extend(p for p in self._patches[file] if p.target.selects(data))
        return found[::-1]

    def _resolve(self, path: str) -> str:
        return os.path.normpath(os.path.join(self.wrapper, path))

    def _declared(self, path: str, data: dict[str, Any]) -> Resource | None:
        """The resource in the base file that the rendered one was made from: same kind, and
        the name the rendered one's ends with (kustomize adds prefixes and suffixes)."""
        parsed = self._files.get(path)
        if parsed is None:
            parsed = self._files[path] = parse_file(ManifestFile(path, display_path(path), in_memory=True))
        kind = data.get("kind")
        metadata = data.get("metadata")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        same_kind = [r for r in parsed.resources if r.kind == kind]
        if not isinstance(name, str) or len(same_kind) <= 1:
            return same_kind[0] if same_kind else None
        named = [r for r in same_kind if r.name in name]
        return max(named, key=lambda r: len(r.name)) if named else same_kind[0]


# yaml.safe_load is the pure-Python loader: every rendered resource carries these annotations, and
# reading them with it cost a tenth of a scan of the bench corpus. Same constructor, in C.
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _annotation(data: dict[str, Any], key: str, kind: type = dict) -> Any:
    """A build annotation's YAML value (a mapping, or a list), empty when absent or unreadable."""
    metadata = data.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    text = annotations.get(key) if isinstance(annotations, dict) else None
    if not isinstance(text, str):
        return kind()
    try:
        value = yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError:
        return kind()
    return value if isinstance(value, kind) else kind()


class FieldLocator:
    """A rendered resource's fields in the files they were written in: the last patch that set
    a field with the value rendered, else the base's declaration (list items matched by name)."""

    __slots__ = ("_declared", "_patches", "_rendered")

    def __init__(self, rendered: dict[str, Any], declared: Resource, patches: list[Patch]) -> None:
        self._rendered = rendered
        self._declared = declared
        self._patches = patches

    def position(self, path: Path) -> Position | None:
        in_base, declared = _base_path(path, self._rendered, self._declared.data)
        in_base_file = self._declared.origin.position(declared)
        if path:  # the resource itself is where the base declares it
            for patch in self._patches:
                found = patch.position(path, self._rendered, in_base)
                if found is not None:  # via: where the base has the field (or its nearest parent)
                    return replace(found, via=in_base_file) if in_base_file is not None else found
        return in_base_file

    def record(self, base: Path, kept: Any, original: Any) -> Locator:
        # The kept copy's fields are the rendered resource's own (shared): map paths through it,
        # so the whole rendered resource need not be kept for its look-ups. Where the base file
        # declares those fields is recorded now, while its node tree is alive, so later look-ups
        # need not parse the base file again.
        if base != () or not isinstance(kept, dict):
            return self
        declared = self._declared
        in_base = _declared_part(kept, declared.data)
        if in_base is not None:
            declared = replace(declared, origin=declared.origin.keep(in_base, declared.data))
        return FieldLocator(kept, declared, self._patches)


def _declared_part(rendered: Any, declared: Any) -> Any:
    """The part of the base's declaration that the fields of `rendered` map to (as _base_path maps
    paths: list items by name), for recording its positions: the declaration's own subtree where
    every field of it is mapped, so the record knows the subtree whole; None where nothing maps."""
    if isinstance(rendered, dict) and isinstance(declared, dict):
        part = {}
        for key, value in rendered.items():
            if key in declared:
                inner = _declared_part(value, declared[key])
                part[key] = declared[key] if inner is None else inner
        whole = len(part) == len(declared) and all(part[key] is declared[key] for key in declared)
        return declared if whole else part
    if isinstance(rendered, list) and isinstance(declared, list):
        # The recorder walks a list's first items by index: unmapped items before a mapped one
        # are recorded as themselves, without their fields ({}).
        mapped: dict[int, Any] = {}
        for index, item in enumerate(rendered):
            name = item.get("name") if isinstance(item, dict) else None
            at: int | None = index
            if isinstance(name, str):
                at = next((i for i, c in enumerate(declared) if isinstance(c, dict) and c.get("name") == name), None)
            if at is not None and at < len(declared) and at not in mapped:
                inner = _declared_part(item, declared[at])
                mapped[at] = declared[at] if inner is None else inner
        if not mapped:
            return None
        part_list = [mapped.get(i, {}) for i in range(max(mapped) + 1)]
        whole = len(part_list) == len(declared) and all(a is b for a, b in zip(part_list, declared, strict=True))
        return declared if whole else part_list
    return None


def _base_path(path: Path, rendered: Any, declared: Any) -> tuple[bool, Path]:
    """Whether the base has the field, and `path` with list indexes of the rendered resource
    turned into the base's (by name) as far as the base has it; locating that path then stops
    at the nearest field the base has."""
    own: list[str | int] = []
    for part in path:
        if isinstance(part, int):
            item = rendered[part] if isinstance(rendered, list) and part < len(rendered) else None
            name = item.get("name") if isinstance(item, dict) else None
            index: int | None = part
            if isinstance(name, str) and isinstance(declared, list):
                index = next((i for i, c in enumerate(declared) if isinstance(c, dict) and c.get("name") == name), None)
            if index is None or not isinstance(declared, list) or index >= len(declared):
                return False, tuple(own)
            own.append(index)
            rendered, declared = item, declared[index]
        else:
            if not isinstance(declared, dict) or part not in declared:
                return False, tuple(own)
            own.append(part)
            rendered = rendered.get(part) if isinstance(rendered, dict) else None
            declared = declared[part]
    return True, tuple(own)


class _Fixed:
    """Every field at one position: for a resource kustomize generated, with no file of its own."""

    __slots__ = ("_position",)

    def __init__(self, position: Position) -> None:
        self._position = position

    def position(self, path: Path) -> Position | None:
        return self._position

    def record(self, base: Path, kept: Any, original: Any) -> Locator:
        return self
