"""The namespace view's `resources` facts: quotas, LimitRanges and the workloads they govern.

Reads ResourceQuota and LimitRange objects (grouped by kube context and namespace, like every
namespace fact) and the namespace's workloads as the network model lists them (a pod owned by a
listed Deployment is judged through it). Semantics in kubeaudit.semantics.resources.

Facts: `resourceQuotas` and `limitRanges` (names), `computeQuota` (a quota limits CPU or
memory), `bestEffort` (`Kind/name` of BestEffort workloads), `limitRangeViolations` (one line
per container limit or request outside a Container `min`/`max`), `qosClasses` (`Kind/name` ->
class).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from kubeaudit.inventory import Inventory
from kubeaudit.model import Resource
from kubeaudit.semantics.fieldtree import FieldTree
from kubeaudit.semantics.resources import compute_quota, limit_range_violations, qos_class, qos_containers
from kubeaudit.semantics.workloads import POD_SPEC_LOCATIONS, get_path

GOVERNANCE_KINDS = frozenset({"ResourceQuota", "LimitRange"})
NamespaceKey = tuple[str, str]


def _key(resource: Resource) -> NamespaceKey:
    return (resource.origin.context or "", resource.namespace or "default")


def _by_namespace(resources: Iterable[Resource]) -> dict[NamespaceKey, list[Resource]]:
    grouped: dict[NamespaceKey, list[Resource]] = {}
    for resource in sorted(resources, key=lambda r: r.name):
        grouped.setdefault(_key(resource), []).append(resource)
    return grouped


# What the namespace's resource facts read of each kept workload's pod spec (kubeaudit.semantics.fieldtree):
# each container's name and resources (QoS classes, LimitRange bounds).
_CONTAINER_FIELDS: FieldTree = {"name": True, "resources": True}
GOVERNANCE_POD_FIELDS: FieldTree = {"containers": _CONTAINER_FIELDS, "initContainers": _CONTAINER_FIELDS}


def pod_spec(resource: Resource) -> Any:
    return get_path(resource.data, POD_SPEC_LOCATIONS[resource.kind][0])


def namespace_resource_facts(
    inventory: Inventory, workloads: Mapping[NamespaceKey, Iterable[Resource]]
) -> dict[NamespaceKey, dict[str, Any]]:
    quotas = _by_namespace(inventory.of_kind("ResourceQuota"))
    limit_ranges = _by_namespace(inventory.of_kind("LimitRange"))
    facts: dict[NamespaceKey, dict[str, Any]] = {}
    for key, resources in workloads.items():
        ranges = [r.data for r in limit_ranges.get(key, [])]
        classes: dict[str, str] = {}
        violations: list[str] = []
        for resource in resources:
            ref = f"{resource.kind}/{resource.name}"
            spec = pod_spec(resource)
            classes[ref] = qos_class(spec)
            if not ranges:  # no bounds to break (most namespaces): skip reading every container again
                continue
            for container in qos_containers(spec):
                for problem in limit_range_violations(container, ranges):
                    violations.append(f"{ref} container {container.get('name')}: {problem}")
        facts[key] = {
            "resourceQuotas": [q.name for q in quotas.get(key, [])],
            "computeQuota": any(compute_quota(q.data) for q in quotas.get(key, [])),
            "limitRanges": [r.name for r in limit_ranges.get(key, [])],
            "bestEffort": [ref for ref, qos in classes.items() if qos == "BestEffort"],
            "limitRangeViolations": violations,
            "qosClasses": classes,
        }
    return facts
