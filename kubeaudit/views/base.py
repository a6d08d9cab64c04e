"""What a rule evaluates: a target document derived from a resource, and how its
paths map back to the resource so findings point at the real source line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubeaudit.model import Path, Resource


@dataclass(slots=True)
class Target:
    """One thing a rule looks at. `prefixes` maps view-path prefixes to resource paths."""

    view: str
    resource: Resource
    doc: dict[str, Any]
    prefixes: dict[Path, Path] = field(default_factory=dict)
    container: str | None = None

    def resource_path(self, view_path: Path) -> Path:
        """The path in the resource that a path in this view's document stands for."""
        for size in range(min(len(view_path), 3), 0, -1):
            prefix = self.prefixes.get(view_path[:size])
            if prefix is not None:
                return prefix + view_path[size:]
        return view_path


class ShapeError(Exception):
    """A resource whose structure is not what Kubernetes accepts (wrong types)."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
