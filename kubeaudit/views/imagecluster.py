"""Image facts that only a cluster (or a snapshot of one) can show.

`imagedrift` (cluster facts: the pods' status.containerStatuses; in a manifest scan, Pods with
a status, as `kubectl get pods -o yaml` writes them): one target per workload container whose
running replicas report more than one image digest (`imageID`) for the same image reference
(tag drift: the tag was resolved to different images at different pulls). Document: `workload`
(Kind/name), `namespace`, `container`, `image`, `imageIDs` (the distinct digests), `pods`
(how many pods run each), `drift`. In a cluster scan the workload is the top-level owner the
pods were folded into; in a manifest scan, the pods' controller (or the pod itself), and the
finding points at the imageID of the first pod that differs.

`imagesignature` (Kyverno ClusterPolicy/Policy, Sigstore ClusterImagePolicy, Gatekeeper
ConstraintTemplate and external-data Provider, Ratify Verifier): one target per scanned cluster
(or per manifest file that holds the `kube-system` Namespace, i.e. a whole-cluster snapshot,
judged by the policies in the same file; findings then point at that Namespace). Document:
`cluster`, `context`, `controls` (the image-signature admission controls found, in words),
`verifiesSignatures`. Not evaluated when
one of these kinds could not be read (forbidden): a policy we did not see may exist.
"""

from __future__ import annotations

from typing import Any

from kubeaudit.inventory import Inventory
from kubeaudit.model import Origin, Path, Resource
from kubeaudit.views.base import Target
from kubeaudit.views.registry import InventoryView, register

SIGNATURE_KINDS = frozenset(
    {"ClusterPolicy", "Policy", "ClusterImagePolicy", "ConstraintTemplate", "Provider", "Verifier"}
)
_GROUPS = {
    "ClusterPolicy": "kyverno.io",
    "Policy": "kyverno.io",
    "ClusterImagePolicy": "policy.sigstore.dev",
    "ConstraintTemplate": "templates.gatekeeper.sh",
    "Provider": "externaldata.gatekeeper.sh",
    "Verifier": "config.ratify.deislabs.io",
}


def _has_image_ids(pod: Resource) -> bool:
    status = pod.data.get("status")
    statuses = status.get("containerStatuses") if isinstance(status, dict) else None
    return isinstance(statuses, list) and any(isinstance(s, dict) and s.get("imageID") for s in statuses)


def _controller(pod: Resource) -> tuple[str, str]:
    refs = (pod.data.get("metadata") or {}).get("ownerReferences")
    for ref in refs if isinstance(refs, list) else ():
        if isinstance(ref, dict) and ref.get("controller") is True:
            return str(ref.get("kind")), str(ref.get("name"))
    return pod.kind, pod.name


def _drift_doc(workload: str, namespace: str, container: str, image: Any, ids: dict[str, list[str]]) -> dict[str, Any]:
    return {
        "workload": workload,
        "namespace": namespace,
        "container": container,
        "image": image,
        "imageIDs": sorted(ids),
        "pods": {image_id: len(pods) for image_id, pods in sorted(ids.items())},
        "drift": len(ids) > 1,
    }


def _cluster_drift(inventory: Inventory) -> list[Target]:
    targets = []
    for key in sorted(inventory.facts):
        facts = inventory.facts[key]
        if not key.startswith("cluster/") or not isinstance(facts, dict):
            continue
        context = str(facts.get("context") or key.split("/", 1)[1])
        for entry in (facts.get("podImages") or {}).values():
            resource = Resource(
                "v1", entry["kind"], entry["name"], entry["namespace"] or None, {},
                Origin(source=f"cluster:{context}", context=context),
            )  # fmt: skip
            for container, seen in sorted(entry["containers"].items()):
                doc = _drift_doc(f"{entry['kind']}/{entry['name']}", entry["namespace"], container, seen["image"],
                                 seen["ids"])  # fmt: skip
                targets.append(Target("imagedrift", resource, doc, container=container))
    return targets


def _manifest_drift(inventory: Inventory) -> list[Target]:
    groups: dict[tuple[str, str, str], list[Resource]] = {}
    for pod in inventory.of_kind("Pod"):
        if pod.origin.context is None and _has_image_ids(pod):
            kind, name = _controller(pod)
            groups.setdefault((pod.namespace or "default", kind, name), []).append(pod)
    targets = []
    for (namespace, kind, name), pods in sorted(groups.items()):
        # container -> imageID -> [(pod, index in containerStatuses)]
        seen: dict[str, dict[str, list[tuple[Resource, int]]]] = {}
        images: dict[str, Any] = {}
        for pod in pods:
            for index, item in enumerate(pod.data["status"]["containerStatuses"]):
                if isinstance(item, dict) and item.get("imageID"):
                    container = str(item.get("name"))
                    images.setdefault(container, item.get("image"))
                    seen.setdefault(container, {}).setdefault(str(item["imageID"]), []).append((pod, index))
        for container, by_id in sorted(seen.items()):
            first, *others = list(by_id.values())
            pod, index = (others[0] if others else first)[0]
            doc = _drift_doc(f"{kind}/{name}", namespace, container, images[container],
                             {image_id: [p.name for p, _ in where] for image_id, where in by_id.items()})  # fmt: skip
            path: Path = ("status", "containerStatuses", index, "imageID")
            prefixes: dict[Path, Path] = {(field,): path for field in doc}
            targets.append(Target("imagedrift", pod, doc, prefixes, container=container))
    return targets


def _controls(resources: list[Resource]) -> list[str]:
    found = []
    for resource in sorted(resources, key=lambda r: (r.kind, r.namespace or "", r.name)):
        group = resource.api_version.split("/")[0]
        if _GROUPS.get(resource.kind) != group:
            continue  # same kind name in another API group (a Policy of something else)
        spec = resource.data.get("spec")
        spec = spec if isinstance(spec, dict) else {}
        label = f"{resource.kind} {resource.name}"
        if resource.kind in ("ClusterPolicy", "Policy"):
            rules = spec.get("rules")
            if any(isinstance(r, dict) and r.get("verifyImages") for r in (rules if isinstance(rules, list) else ())):
                found.append(f"Kyverno {label} (verifyImages)")
        elif resource.kind == "ClusterImagePolicy":
            found.append(f"Sigstore policy-controller {label}")
        elif resource.kind == "Verifier":
            found.append(f"Ratify {label}")
        elif "ratify" in f"{resource.name} {spec.get('url', '')}".lower():
            found.append(f"Gatekeeper {label} (Ratify)")
    return found


def _admission_targets(inventory: Inventory) -> list[Target]:
    by_context: dict[str | None, list[Resource]] = {}
    by_file: dict[str, list[Resource]] = {}  # manifests: a snapshot is one file
    for resource in inventory.of_kind(*sorted(SIGNATURE_KINDS)):
        by_context.setdefault(resource.origin.context, []).append(resource)
        if resource.origin.context is None:
            by_file.setdefault(resource.origin.source, []).append(resource)
    targets = []
    for key in sorted(k for k in inventory.facts if k.startswith("cluster/")):
        facts = inventory.facts[key]
        context = str(facts.get("context") if isinstance(facts, dict) else key.split("/", 1)[1])
        controls = _controls(by_context.get(context, []))
        doc = {"cluster": f"in context {context}", "context": context, "controls": controls,
               "verifiesSignatures": bool(controls)}  # fmt: skip
        resource = Resource("v1", "Cluster", context, None, {}, Origin(source=f"cluster:{context}", context=context))
        targets.append(Target("imagesignature", resource, doc))
    for namespace in inventory.of_kind("Namespace"):
        if namespace.origin.context is None and namespace.name == "kube-system":
            controls = _controls(by_file.get(namespace.origin.source, []))
            doc = {"cluster": f"of the snapshot {namespace.origin.source}", "context": None, "controls": controls,
                   "verifiesSignatures": bool(controls)}  # fmt: skip
            prefixes: dict[Path, Path] = {(field,): ("metadata", "name") for field in doc}
            targets.append(Target("imagesignature", namespace, doc, prefixes))
    return targets


IMAGEDRIFT_VIEW = register(
    InventoryView(
        name="imagedrift",
        kinds=frozenset(),
        fields=frozenset({"workload", "namespace", "container", "image", "imageIDs", "pods", "drift"}),
        build=lambda inventory: _cluster_drift(inventory) + _manifest_drift(inventory),
        decisive=frozenset({"Pod"}),
        optional_kinds=frozenset({"Pod"}),
        keep=lambda pod: pod.origin.context is None and _has_image_ids(pod),
    )
)
IMAGESIGNATURE_VIEW = register(
    InventoryView(
        name="imagesignature",
        kinds=SIGNATURE_KINDS,
        fields=frozenset({"cluster", "context", "controls", "verifiesSignatures"}),
        build=_admission_targets,
        optional_kinds=frozenset({"Namespace"}),
        keep=lambda ns: ns.origin.context is None and ns.name == "kube-system",
    )
)
