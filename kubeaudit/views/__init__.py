"""Views: the normalised documents rules are written against.

A per-resource view turns one resource into zero or more targets. Views that
join several resources (RBAC subjects, namespaces with their policies) are built
once from the whole inventory. Both kinds register in one place (registry.py),
with the kinds they read and their documents' fields; a new view is a module
here and one import below.
"""

from __future__ import annotations

from kubeaudit.model import Resource

# Importing a view's module registers it (per-resource views build their targets in registration
# order: object, pod, container).
from kubeaudit.views import (  # noqa: F401
    admission,
    controlplane,
    imagecluster,
    kubelet,
    mesh,
    meshconfig,
    namespace,
    networkpolicy,
    objects,
    paths,
    pod,
    podnetwork,
    subject,
    versions,
)
from kubeaudit.views.base import ShapeError, Target
from kubeaudit.views.pod import check_shape
from kubeaudit.views.registry import Shared, known_views, resource_views, view_fields
from kubeaudit.views.shapes import KIND_SHAPES, check_metadata_shape


def check_resource_shape(resource: Resource) -> None:
    """Raise ShapeError when a field rules or views read has the wrong type."""
    metadata = resource.data.get("metadata")
    if isinstance(metadata, dict):
        check_shape(check_metadata_shape, metadata, ("metadata",))
    kind_shape = KIND_SHAPES.get(resource.kind)
    if kind_shape is not None:
        check_shape(kind_shape, resource.data, ())


def resource_targets(resource: Resource, views: frozenset[str], policy: int | None = None) -> dict[str, list[Target]]:
    """Targets of each wanted per-resource view for one resource, its pod judged at Pod Security
    policy v1.`policy`. Raises ShapeError on malformed pods."""
    found: dict[str, list[Target]] = {}
    shared: Shared = {"policy": policy}
    for view in resource_views():
        if view.name in views and (view.kinds is None or resource.kind in view.kinds):
            found[view.name] = view.build(resource, shared)
    return found


__all__ = [
    "ShapeError",
    "Target",
    "check_resource_shape",
    "known_views",
    "resource_targets",
    "view_fields",
]
