"""What a rule evaluates: a target document derived from a resource, and how its
paths map back to the resource so findings point at the real source line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubeaudit.model import Path, Resource, Step


@dataclass(slots=True)
class Target:
    """One thing a rule looks at. `prefixes` maps view-path prefixes to resource paths."""

    view: str
    resource: Resource
    doc: dict[str, Any]
    prefixes: dict[Path, Path] = field(default_factory=dict)
    container: str | None = None
    policy: int | None = None  # the Pod Security policy version (minor) its pod is judged at
    steps: tuple[Step, ...] = ()  # the links of a multi-resource target (an attack path), for its findings
    # Top-level document fields the view could not decide from what the scan read, with why (a
    # Gateway's credentials when a --namespace scan did not read every namespace): a rule that
    # reads one of them does not judge this target, which is listed as not evaluated.
    unread: dict[str, str] = field(default_factory=dict)
    # What the findings are about when it is not `resource` (a namespace, a cluster's mesh, reported
    # at one of its objects): their fingerprints name it (model.subject_fingerprint), so a
    # baseline entry or a diff does not follow whichever object the finding happens to be shown at.
    subject: str | None = None

    def resource_path(self, view_path: Path) -> Path:
        """The path in the resource that a path in this view's document stands for."""
        for size in range(min(len(view_path), 3), 0, -1):
            prefix = self.prefixes.get(view_path[:size])
            if prefix is not None:
                return prefix + view_path[size:]
        return view_path

    def container_for(self, view_path: Path) -> str | None:
        """The container a violation is about, or None for a pod-level field."""
        return self.container_at(view_path, self.resource_path(view_path) if self.container is not None else ())

    def container_at(self, view_path: Path, resource_path: Path) -> str | None:
        """container_for, given the resource path `view_path` stands for (resource_path)."""
        if self.container is not None:
            own = self.prefixes.get(("container",))
            return self.container if own is not None and resource_path[: len(own)] == own else None
        if len(view_path) >= 2 and view_path[0] == "allContainers" and isinstance(view_path[1], int):
            containers = self.doc.get("allContainers") or []
            if view_path[1] < len(containers) and isinstance(containers[view_path[1]], dict):
                name = containers[view_path[1]].get("name")
                return name if isinstance(name, str) else None
        return None


class ShapeError(Exception):
    """A resource whose structure is not what Kubernetes accepts (wrong types)."""

    def __init__(self, path: Path, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message
