"""Views: the normalised documents rules are written against.

A per-resource view turns one resource into zero or more targets. Views that
join several resources (RBAC subjects, namespaces with their policies) are built
once from the whole inventory; they plug in beside these.
"""

from __future__ import annotations

from kubeaudit.model import Resource
from kubeaudit.semantics.workloads import WORKLOAD_KINDS
from kubeaudit.views import namespace, networkpolicy, podnetwork, subject  # noqa: F401  (register the cross-resource views)
from kubeaudit.views.base import ShapeError, Target
from kubeaudit.views.pod import PodContext, check_shape, container_targets, pod_targets
from kubeaudit.views.registry import INVENTORY_VIEWS
from kubeaudit.views.shapes import KIND_SHAPES, check_metadata_shape

# The top-level fields of each view's document, for checking rule messages at load time.
VIEW_FIELDS: dict[str, frozenset[str]] = {
    "object": frozenset({"apiVersion", "kind", "metadata", "spec", "data", "rules", "subjects"}),
    "pod": frozenset({"apiVersion", "kind", "metadata", "podMetadata", "os", "spec", "allContainers"}),
    "container": frozenset(
        {
            "apiVersion",
            "kind",
            "metadata",
            "podMetadata",
            "os",
            "pod",
            "container",
            "containerType",
            "effectiveSecurityContext",
            "hostPathMounts",
            "image",
        }
    ),
}


def view_fields(view: str) -> frozenset[str] | None:
    """Top-level fields of a view's documents, or None for an unknown view."""
    if view in VIEW_FIELDS:
        return VIEW_FIELDS[view]
    inventory_view = INVENTORY_VIEWS.get(view)
    return inventory_view.fields if inventory_view is not None else None


def known_views() -> list[str]:
    return sorted({*VIEW_FIELDS, *INVENTORY_VIEWS})


# Kinds each view can produce targets for (None: every kind).
VIEW_KINDS: dict[str, frozenset[str] | None] = {
    "object": None,
    "pod": WORKLOAD_KINDS,
    "container": WORKLOAD_KINDS,
}


def object_targets(resource: Resource) -> list[Target]:
    return [Target("object", resource, resource.data)]


def check_resource_shape(resource: Resource) -> None:
    """Raise ShapeError when a field rules or views read has the wrong type."""
    metadata = resource.data.get("metadata")
    if isinstance(metadata, dict):
        check_shape(check_metadata_shape, metadata, ("metadata",))
    kind_shape = KIND_SHAPES.get(resource.kind)
    if kind_shape is not None:
        check_shape(kind_shape, resource.data, ())


def resource_targets(resource: Resource, views: frozenset[str]) -> dict[str, list[Target]]:
    """Targets of each wanted view for one resource. Raises ShapeError on malformed pods."""
    found: dict[str, list[Target]] = {}
    if "object" in views:
        found["object"] = object_targets(resource)
    if resource.kind in WORKLOAD_KINDS and ("pod" in views or "container" in views):
        ctx = PodContext(resource)
        if "pod" in views:
            found["pod"] = pod_targets(resource, ctx)
        if "container" in views:
            found["container"] = container_targets(resource, ctx)
    return found


__all__ = [
    "VIEW_FIELDS",
    "VIEW_KINDS",
    "ShapeError",
    "Target",
    "check_resource_shape",
    "known_views",
    "resource_targets",
    "view_fields",
]
