"""The `object` view: any resource as it is written."""

from __future__ import annotations

from kubeaudit.model import Resource
from kubeaudit.views.base import Target
from kubeaudit.views.registry import ResourceView, Shared, register


def object_targets(resource: Resource, shared: Shared) -> list[Target]:
    return [Target("object", resource, resource.data)]


OBJECT_VIEW = register(
    ResourceView(
        name="object",
        kinds=None,
        # The fields rules commonly name; the document is the resource itself, so it has any others too.
        fields=frozenset({"apiVersion", "kind", "metadata", "spec", "data", "rules", "subjects"}),
        build=object_targets,
        open_document=True,
    )
)
