"""The `meshconfig` view: one target per place the mesh config sets the outbound traffic policy.

Reads the mesh configs kubeaudit.semantics.meshconfig knows (the `istio` ConfigMap,
IstioOperator, Flux HelmRelease and Argo CD Application values for istiod), and Istio's presence
kinds like every mesh view. A config whose text does not parse is a coverage gap naming file,
line and the parser's message; one whose mode may be set where the input does not show is a
notice. Neither is judged: `readable` is false.
"""

from __future__ import annotations

from typing import Any

from kubeaudit.inventory import Inventory
from kubeaudit.model import CoverageGap, Notice, Path, Resource
from kubeaudit.semantics.fieldtree import IDENTITY
from kubeaudit.semantics.meshconfig import MESH_CONFIG_KINDS, MeshConfigReading, readings
from kubeaudit.views.base import Target
from kubeaudit.views.mesh import PRESENCE_KINDS, mesh_model
from kubeaudit.views.registry import InventoryView, register

UNSET_MODE = "ALLOW_ANY"  # Istio's default


def _tell(inventory: Inventory, resource: Resource, reading: MeshConfigReading) -> None:
    """Say why a reading is not judged: a gap for text that does not parse, else a notice."""
    position = resource.origin.position(reading.at)
    line = position.line if position is not None else None
    what = f"{resource.kind} {resource.namespace or 'default'}/{resource.name}"
    message = f"{what}: outboundTrafficPolicy not evaluated: {reading.problem}"
    key = ("meshconfig", resource.origin.source, resource.ref, repr(reading.at))
    if reading.broken:
        where = f"{resource.origin.source}:{line}" if line else resource.origin.source
        inventory.gaps[key] = CoverageGap(f"{where} {what}", f"outboundTrafficPolicy not evaluated: {reading.problem}",
                                          resource.origin.context)  # fmt: skip
    else:
        inventory.notices[key] = Notice(resource.origin.source, message, line)


def meshconfig_targets(inventory: Inventory) -> list[Target]:
    model = mesh_model(inventory)
    targets = []
    for kind in sorted(MESH_CONFIG_KINDS):
        for resource in model.of(kind):
            for reading in readings(resource):
                if not reading.readable:
                    _tell(inventory, resource, reading)
                doc: dict[str, Any] = {
                    "kind": resource.kind,
                    "metadata": resource.data.get("metadata") or {},
                    "readable": reading.readable,
                    "outboundTrafficPolicy": reading.mode,
                    "effectiveOutboundTrafficPolicy": reading.mode or UNSET_MODE,
                }
                at: Path = reading.at
                prefixes: dict[Path, Path] = {("outboundTrafficPolicy",): at, ("effectiveOutboundTrafficPolicy",): at}
                targets.append(Target("meshconfig", resource, doc, prefixes))
    return targets


# `meshconfig`: one target per mesh configuration (`istio`/`istio-<rev>` ConfigMap with a `mesh`
# key, IstioOperator, each istiod source of a HelmRelease or Application). Document: `kind`,
# `metadata`, `readable` (the mode is known: the config parsed, and no values the input does not
# show could set it), `outboundTrafficPolicy` (the mode as written, or null),
# `effectiveOutboundTrafficPolicy` (ALLOW_ANY when unset, Istio's default).
MESHCONFIG_VIEW = register(
    InventoryView(
        name="meshconfig",
        kinds=PRESENCE_KINDS | MESH_CONFIG_KINDS,
        fields=frozenset({"kind", "metadata", "readable", "outboundTrafficPolicy", "effectiveOutboundTrafficPolicy"}),
        build=meshconfig_targets,
        # Of a ConfigMap only the mesh config text (mesh_config_text), never its other values.
        kind_fields={"ConfigMap": {**IDENTITY, "data": {"mesh": True}}},
    )
)
