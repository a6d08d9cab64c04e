"""The `admission` view: each Namespace that has workloads, with its Pod Security Admission labels.

Reads Namespace objects and workloads. `admission` target: one per Namespace object (read from
the input or the cluster) with at least one workload. Document: `namespace`, `metadata` (the
Namespace's), `labels` (its labels as written, `{}` when it has none) and `workloads` (how many).
A namespace whose Namespace object was not read has no target: its labels are unknown.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from kubeaudit.inventory import Inventory
from kubeaudit.model import Path
from kubeaudit.semantics.workloads import WORKLOAD_KINDS
from kubeaudit.views.base import Target
from kubeaudit.views.registry import InventoryView, register


def admission_targets(inventory: Inventory) -> list[Target]:
    workloads: Counter[tuple[str | None, str]] = Counter(
        (r.origin.context, r.namespace or "default") for r in inventory.of_kind(*sorted(WORKLOAD_KINDS))
    )
    targets = []
    for namespace in inventory.of_kind("Namespace"):
        count = workloads.get((namespace.origin.context, namespace.name), 0)
        if not count:
            continue
        metadata = namespace.data.get("metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        labels = metadata.get("labels")
        doc: dict[str, Any] = {
            "namespace": namespace.name,
            "metadata": metadata,
            "labels": labels if isinstance(labels, dict) else {},
            "workloads": count,
        }
        prefixes: dict[Path, Path] = {("metadata",): ("metadata",), ("labels",): ("metadata", "labels")}
        targets.append(Target("admission", namespace, doc, prefixes))
    return targets


ADMISSION_VIEW = register(
    InventoryView(
        name="admission",
        kinds=frozenset({*WORKLOAD_KINDS, "Namespace"}),
        fields=frozenset({"namespace", "metadata", "labels", "workloads"}),
        build=admission_targets,
        decisive=frozenset({"Namespace"}),
    )
)
