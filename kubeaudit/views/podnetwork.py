"""The `podnetwork` view: each workload with the NetworkPolicies that isolate its pods.

Built on the NetworkModel of kubeaudit.semantics.network.

`podnetwork` target: one per workload. Document: `apiVersion`, `kind`, `metadata`,
`podMetadata`, `namespace`, `labels` (the pods' labels), `ingressIsolated`, `egressIsolated`,
`ingressPolicies`, `egressPolicies` (names of the policies that isolate it),
`namespaceDefaultDenyIngress`, `namespaceDefaultDenyEgress`. Findings on the isolation flags
point at the pod template's labels.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from kubeaudit.inventory import Inventory
from kubeaudit.model import Path
from kubeaudit.semantics.network import NETWORK_DECISIVE_KINDS, NETWORK_KINDS, network_model
from kubeaudit.semantics.workloads import get_path
from kubeaudit.views.base import Target
from kubeaudit.views.registry import InventoryView, register


def podnetwork_targets(inventory: Inventory) -> Iterator[Target]:
    """One target per workload, each made as it is asked for (the pipeline judges one at a time)."""
    model = network_model(inventory)
    for ns_key, workloads in sorted(model.namespaces.items()):
        namespace = ns_key[1]
        deny_ingress = model.default_deny(ns_key, "Ingress")
        deny_egress = model.default_deny(ns_key, "Egress")
        for workload in workloads:
            data = workload.resource.data
            pod_metadata = get_path(data, workload.meta_path)
            doc: dict[str, Any] = {
                "apiVersion": data.get("apiVersion"),
                "kind": data.get("kind"),
                "metadata": data.get("metadata") or {},
                "podMetadata": pod_metadata if isinstance(pod_metadata, dict) else {},
                "namespace": namespace,
                "labels": workload.labels,
                "ingressIsolated": bool(workload.ingress),
                "egressIsolated": bool(workload.egress),
                "ingressPolicies": workload.ingress,
                "egressPolicies": workload.egress,
                "namespaceDefaultDenyIngress": deny_ingress,
                "namespaceDefaultDenyEgress": deny_egress,
            }
            labels_path: Path = (*workload.meta_path, "labels")
            prefixes: dict[Path, Path] = {("podMetadata",): workload.meta_path, ("labels",): labels_path}
            for key in ("ingressIsolated", "egressIsolated", "ingressPolicies", "egressPolicies"):
                prefixes[(key,)] = labels_path
            for key in ("namespace", "namespaceDefaultDenyIngress", "namespaceDefaultDenyEgress"):
                prefixes[(key,)] = ("metadata", "namespace")
            yield Target("podnetwork", workload.resource, doc, prefixes)


PODNETWORK_VIEW = register(
    InventoryView(
        name="podnetwork",
        kinds=NETWORK_KINDS,
        fields=frozenset(
            {
                "apiVersion", "kind", "metadata", "podMetadata", "namespace", "labels", "ingressIsolated",
                "egressIsolated", "ingressPolicies", "egressPolicies", "namespaceDefaultDenyIngress",
                "namespaceDefaultDenyEgress",
            }
        ),
        build=podnetwork_targets,
        decisive=NETWORK_DECISIVE_KINDS,
    )
)  # fmt: skip
