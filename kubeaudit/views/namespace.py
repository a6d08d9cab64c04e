"""The `namespace` view: each namespace with its NetworkPolicies and whether they isolate its workloads.

Built on the NetworkModel of kubeaudit.semantics.network (which namespaces are in scope, and
the policy semantics).

`namespace` target: the Namespace object when the input has it, else the namespace's workload
first by kind and name (findings then point at its `metadata.namespace`). Document: `namespace`,
`metadata` (the Namespace's, or just the name), `policies` (a summary per policy: `name`,
`selectsAllPods`, `policyTypes` (effective), `isolatesIngress`/`isolatesEgress`,
`allowsAllIngress`/`allowsAllEgress`, `invalidSelector`), `defaultDenyIngress`,
`defaultDenyEgress`, `workloads` (each with `kind`, `name`, `ingressIsolated`,
`egressIsolated`, `ingressPolicies`, `egressPolicies`), `unisolatedIngress` and
`unisolatedEgress` (`Kind/name` of workloads no policy isolates), and `mesh`: the Istio facts of
kubeaudit.views.mesh (`present`, `evidence`, `injection`, `inMesh`, `outsideMesh`, `optedOut`,
`authorizationPolicies`, `meshWideDenyByDefault`, `meshSystem`: the mesh root namespace or one
istiod runs in), and `resources`: quotas, LimitRanges and QoS
classes (kubeaudit.views.governance). Only rules reading `mesh` or `resources` depend on their kinds.
"""

from __future__ import annotations

from typing import Any

from kubeaudit.inventory import Inventory
from kubeaudit.model import Path
from kubeaudit.semantics.network import NETWORK_DECISIVE_KINDS, NETWORK_KINDS, network_model
from kubeaudit.views.base import Target
from kubeaudit.views.governance import GOVERNANCE_KINDS, GOVERNANCE_POD_FIELDS, namespace_resource_facts
from kubeaudit.views.mesh import NAMESPACE_MESH_KINDS, namespace_mesh_facts
from kubeaudit.views.registry import InventoryView, register


def namespace_targets(inventory: Inventory) -> list[Target]:
    model = network_model(inventory)
    mesh = namespace_mesh_facts(inventory)
    governance = namespace_resource_facts(
        inventory, {key: [w.resource for w in workloads] for key, workloads in model.namespaces.items()}
    )
    targets = []
    for ns_key, workloads in sorted(model.namespaces.items()):
        namespace = ns_key[1]
        policies = model.policies.get(ns_key, [])
        doc: dict[str, Any] = {
            "namespace": namespace,
            "policies": [p.summary() for p in policies],
            "defaultDenyIngress": model.default_deny(ns_key, "Ingress"),
            "defaultDenyEgress": model.default_deny(ns_key, "Egress"),
            "ingressDenyState": model.deny_state(ns_key, "Ingress"),
            "egressDenyState": model.deny_state(ns_key, "Egress"),
            "workloads": [w.summary() for w in workloads],
            "unisolatedIngress": [w.ref for w in workloads if not w.ingress],
            "unisolatedEgress": [w.ref for w in workloads if not w.egress],
            "mesh": mesh.get(ns_key),
            "resources": governance.get(ns_key),
        }
        namespace_object = model.namespace_objects.get(ns_key)
        if namespace_object is not None:
            resource = namespace_object
            metadata = namespace_object.data.get("metadata")
            doc["metadata"] = metadata if isinstance(metadata, dict) else {"name": namespace}
            at: Path = ("metadata", "name")
            prefixes: dict[Path, Path] = {("metadata",): ("metadata",)}
        else:
            # Shown at a workload chosen by identity, not input order, so the finding's place is
            # the same for reordered files and documents (its fingerprint names the namespace).
            resource = min(workloads, key=lambda w: (w.resource.kind, w.resource.name)).resource
            doc["metadata"] = {"name": namespace}
            at = ("metadata", "namespace")
            prefixes = {("metadata",): at, ("metadata", "name"): at}
        for key, value in doc.items():
            if key != "metadata":
                prefixes[(key,)] = at
                # A fact set's fields are facts about the namespace, not fields of the resource.
                for fact in value if isinstance(value, dict) else ():
                    prefixes[(key, fact)] = at
        # The findings are about the namespace, whichever object shows them: fingerprints name it.
        subject = f"{ns_key[0]}\x1fNamespace\x1f{namespace}"
        targets.append(Target("namespace", resource, doc, prefixes, subject=subject))
    return targets


NAMESPACE_VIEW = register(
    InventoryView(
        name="namespace",
        kinds=NETWORK_KINDS,
        fields=frozenset(
            {
                "namespace", "metadata", "policies", "defaultDenyIngress", "defaultDenyEgress", "workloads",
                "unisolatedIngress", "unisolatedEgress", "mesh", "ingressDenyState", "egressDenyState", "resources",
            }
        ),
        build=namespace_targets,
        decisive=NETWORK_DECISIVE_KINDS,
        field_kinds={"mesh": NAMESPACE_MESH_KINDS, "resources": GOVERNANCE_KINDS},
        pod_fields=GOVERNANCE_POD_FIELDS,
    )
)  # fmt: skip
