"""The `networkpolicy` view: each NetworkPolicy as written, with where it lets pods reach a
cloud metadata service (kubeaudit.semantics.network.metadata_egress).

`networkpolicy` target: one per NetworkPolicy (every namespace). Document: `apiVersion`, `kind`,
`metadata`, `spec` as written, and `metadataEgress`: where the policy lets pods reach a cloud
metadata service (see `metadata_egress`), each with `egressRule`, `peer` (null: the rule has no
peers), `allDestinations`, `cidr` and `addresses`; an entry's findings point at the ipBlock's
`cidr`, or at the egress rule when it has no peers.
"""

from __future__ import annotations

from typing import Any

from kubeaudit.inventory import Inventory
from kubeaudit.model import Path
from kubeaudit.semantics.network import metadata_egress
from kubeaudit.views.base import Target
from kubeaudit.views.registry import InventoryView, register


def networkpolicy_targets(inventory: Inventory) -> list[Target]:
    targets = []
    for resource in inventory.of_kind("NetworkPolicy"):
        data = resource.data
        reached = metadata_egress(data.get("spec"))
        doc: dict[str, Any] = {
            "apiVersion": data.get("apiVersion"),
            "kind": data.get("kind"),
            "metadata": data.get("metadata") or {},
            "spec": data.get("spec") or {},
            "metadataEgress": [m.as_doc() for m in reached],
        }
        prefixes: dict[Path, Path] = {("metadataEgress", i): m.path for i, m in enumerate(reached)}
        targets.append(Target("networkpolicy", resource, doc, prefixes))
    return targets


NETWORKPOLICY_VIEW = register(
    InventoryView(
        name="networkpolicy",
        kinds=frozenset({"NetworkPolicy"}),
        fields=frozenset({"apiVersion", "kind", "metadata", "spec", "metadataEgress"}),
        build=networkpolicy_targets,
    )
)
