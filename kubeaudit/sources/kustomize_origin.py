"""Where a resource `kubectl kustomize` rendered was written: the base file its origin
annotation names, and the document in it that declares the resource."""

from __future__ import annotations

import os
from typing import Any

import yaml

from kubeaudit.model import Locator, Origin, Path, Position, RenderedFrom, Resource
from kubeaudit.sources.manifests import ManifestFile, ParsedFile, display_path, parse_file
from kubeaudit.sources.projects import Project

ORIGIN_ANNOTATION = "config.kubernetes.io/origin"


class OriginMapper:
    """Maps the rendered resources of one overlay to their base files, parsing each file once."""

    def __init__(self, project: Project, wrapper: str) -> None:
        self.project = project
        self.wrapper = wrapper  # origin paths are relative to the wrapper kustomization's folder
        self._files: dict[str, ParsedFile] = {}

    def origin(self, data: dict[str, Any], rendered: RenderedFrom, locator: Locator) -> Origin:
        annotation = _annotation(data, ORIGIN_ANNOTATION)
        path = annotation.get("path")
        if isinstance(path, str) and not annotation.get("repo"):
            declared = self._declared(self._resolve(path), data)
            if declared is not None:
                return Origin(
                    declared.origin.source,
                    declared.origin.document,
                    declared.origin.base_path,
                    declared.origin.locator,
                    rendered=rendered,
                )
        configured_in = annotation.get("configuredIn")
        if isinstance(configured_in, str):  # made by a generator (configMapGenerator...)
            source = display_path(self._resolve(configured_in))
            return Origin(source, 0, (), _Fixed(Position(1, 1)), rendered=rendered)
        return Origin(self.project.manifest_display, 0, (), _Fixed(Position(1, 1)), rendered=rendered)

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


def _annotation(data: dict[str, Any], key: str) -> dict[str, Any]:
    metadata = data.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    text = annotations.get(key) if isinstance(annotations, dict) else None
    if not isinstance(text, str):
        return {}
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return {}
    return value if isinstance(value, dict) else {}


class _Fixed:
    """Every field at one position: for a resource kustomize generated, with no file of its own."""

    __slots__ = ("_position",)

    def __init__(self, position: Position) -> None:
        self._position = position

    def position(self, path: Path) -> Position | None:
        return self._position

    def record(self, base: Path, kept: Any, original: Any) -> Locator:
        return self
