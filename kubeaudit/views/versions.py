"""Version-currency views: APIs a target version removed or deprecated, and cluster and
kubelet versions against the release data (kubeaudit/semantics/versions.py, rules/data/).

`apiversion` (reads the kinds of rules/data/deprecated-apis.yaml; a cluster scan lists only those
it lists anyway, see _LISTED, and the objects at every deprecated version of the data the server
serves, see served_versions): one target per resource
whose apiVersion/kind is deprecated or removed at the target version: the apiVersion as
listed or written and, for cluster objects, the apiVersion in kubectl's
last-applied-configuration annotation (what the owner's manifests still say). Document:
`apiVersion`, `kind`, `metadata`, and `api`: {`apiVersion`, `kind`, `from` (`manifest`,
`cluster`, `last-applied` or `served`: a cluster serves the object at that deprecated version,
which the scan does not list the kind at), `deprecatedIn`, `removedIn`, `replacement`, `note`, `target`,
`removed`, `deprecated`}. The target is --target-version, else the cluster's server version,
else the newest release in the data.

`clusterversion` (cluster facts; Pods optionally): one target per scanned cluster, from its
/version; in a manifest scan, one per kube-apiserver static pod manifest, from its image tag
(findings point at the image). Document: `cluster` (which one, in words), `context` (null for
a manifest), `serverVersion`, `minor`, `endOfLife`, `pastEndOfLife`, `daysToEndOfLife`, `asOf`.

`node` (reads Node): one target per Node. Document: `name`, `kubeletVersion`, `kubeletMinor`,
`containerRuntimeVersion`, `serverVersion` (in a manifest scan: the --target-version, else null),
`endOfLife`,
`pastEndOfLife`, `daysToEndOfLife`, `minorsBehind` (API server minus kubelet), `skewSupported`
(null when either version is unknown), `maxMinorsBehind`, `asOf`.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from kubeaudit.inventory import Inventory
from kubeaudit.model import Origin, Path, Resource
from kubeaudit.refdata import load_data
from kubeaudit.semantics.fieldtree import IDENTITY
from kubeaudit.semantics.versions import (
    TARGET_SETTING,
    Minor,
    as_of,
    format_minor,
    kubelet_skew,
    parse_minor,
    server_minor,
    support,
    target_minor,
)
from kubeaudit.views.base import Target
from kubeaudit.views.pod import is_apiserver_pod
from kubeaudit.views.registry import InventoryView, register

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Kinds nobody writes manifests for, made by controllers and clients; a cluster has many.
_NOT_WRITTEN = frozenset(
    {"Event", "Lease", "EndpointSlice", "TokenReview", "SubjectAccessReview", "SelfSubjectAccessReview",
     "LocalSubjectAccessReview", "CSINode", "VolumeAttachment"}
)  # fmt: skip


@cache
def _deprecations() -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["apiVersion"], r["kind"]): r for r in load_data("deprecated-apis")["apis"]}


@cache
def deprecated_kinds() -> frozenset[str]:
    return frozenset(kind for _, kind in _deprecations()) - _NOT_WRITTEN


# A cluster scan judges the kinds it lists anyway (workloads, RBAC, NetworkPolicy, PSP): listing
# every kind with a deprecated version (CRDs, webhooks, storage...) would add a request per kind
# to every scan. Manifests are judged for every kind in the data.
_LISTED = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "CronJob", "NetworkPolicy", "PodSecurityPolicy",
     "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}
)  # fmt: skip


def _server(inventory: Inventory, context: str | None) -> tuple[str | None, Minor | None]:
    if context is None:
        return None, None
    facts = inventory.facts.get(f"cluster/{context}")  # as sources/cluster/facts.py files them
    version = facts.get("serverVersion") if isinstance(facts, dict) else None
    if not isinstance(version, dict):
        return None, None
    git = version.get("gitVersion")
    return (git if isinstance(git, str) else None), server_minor(version)


def _last_applied_version(resource: Resource) -> str | None:
    if resource.origin.context is None:
        return None
    annotations = (resource.data.get("metadata") or {}).get("annotations")
    text = annotations.get(LAST_APPLIED) if isinstance(annotations, dict) else None
    if not isinstance(text, str):
        return None
    try:
        applied = json.loads(text)
    except ValueError:
        return None
    version = applied.get("apiVersion") if isinstance(applied, dict) else None
    return version if isinstance(version, str) else None


@cache
def served_versions() -> frozenset[tuple[str, str]]:
    """The deprecated (apiVersion, kind) pairs a cluster scan looks for at every served version."""
    return frozenset(pair for pair in _deprecations() if pair[1] not in _NOT_WRITTEN)


def _served_resources(inventory: Inventory) -> list[tuple[Resource, str]]:
    """The objects each scanned cluster serves at a deprecated version (sources/cluster/facts.py),
    as resources at that version, metadata only."""
    out: list[tuple[Resource, str]] = []
    for key in sorted(inventory.facts):
        facts = inventory.facts[key]
        if not key.startswith("cluster/") or not isinstance(facts, dict):
            continue
        context = str(facts.get("context") or key.split("/", 1)[1])
        for entry in facts.get("servedVersions") or ():
            version, kind = entry["apiVersion"], entry["kind"]
            for obj in entry["objects"]:
                metadata = {k: v for k, v in obj.items() if v is not None}
                data = {"apiVersion": version, "kind": kind, "metadata": metadata}
                origin = Origin(source=f"cluster:{context}", context=context)
                out.append((Resource(version, kind, obj["name"], obj["namespace"], data, origin), "served"))
    return out


def _api_targets(inventory: Inventory) -> list[Target]:
    targets: list[Target] = []
    known = _deprecations()
    listed = [
        (r, "cluster" if r.origin.context else "manifest") for r in inventory.of_kind(*sorted(deprecated_kinds()))
    ]
    for resource, found in [*listed, *_served_resources(inventory)]:
        target = target_minor(inventory.settings, _server(inventory, resource.origin.context)[1])
        seen: set[str] = set()
        for where, version in (
            (found, resource.api_version),
            ("last-applied", _last_applied_version(resource)),
        ):
            record = known.get((version or "", resource.kind))
            if record is None or version in seen:
                continue
            seen.add(str(version))
            removed = target >= _minor(record["removedIn"])
            deprecated = not removed and target >= _minor(record["deprecatedIn"])
            if not (removed or deprecated):
                continue
            doc = {
                "apiVersion": resource.api_version,
                "kind": resource.kind,
                "metadata": resource.data.get("metadata") or {},
                "api": {
                    "apiVersion": version,
                    "kind": resource.kind,
                    "from": where,
                    "deprecatedIn": record["deprecatedIn"],
                    "removedIn": record["removedIn"],
                    "replacement": record.get("replacement") or "no successor API",
                    "note": record.get("note") or "",
                    "target": format_minor(target),
                    "removed": removed,
                    "deprecated": deprecated,
                },
            }
            # Findings point at the resource's apiVersion line (or its annotation).
            path: Path = ("apiVersion",) if where != "last-applied" else ("metadata", "annotations", LAST_APPLIED)
            prefixes: dict[Path, Path] = {("api", key): path for key in doc["api"]}
            targets.append(Target("apiversion", resource, doc, prefixes))
    return targets


def _minor(text: str) -> Minor:
    minor = parse_minor(text)
    assert minor is not None  # the schema's pattern
    return minor


def _support_fields(minor: Minor | None, settings: dict[str, Any]) -> dict[str, Any]:
    day = as_of(settings)
    if minor is None:
        return {"endOfLife": None, "pastEndOfLife": None, "daysToEndOfLife": None, "asOf": day.isoformat()}
    state = support(minor)
    return {
        "endOfLife": state.describe(),
        "pastEndOfLife": state.past(day),
        "daysToEndOfLife": state.days_left(day),
        "asOf": day.isoformat(),
    }


def cluster_resource(context: str) -> Resource:
    """The stand-in resource for findings about a whole cluster (no manifest line to point at)."""
    return Resource("v1", "Cluster", context, None, {}, Origin(source=f"cluster:{context}", context=context))


def _apiserver_image(pod: Resource) -> tuple[int, str] | None:
    """(container index, image) of the kube-apiserver container of a static pod."""
    spec = pod.data.get("spec")
    containers = spec.get("containers") if isinstance(spec, dict) else None
    for index, container in enumerate(containers if isinstance(containers, list) else ()):
        image = container.get("image") if isinstance(container, dict) else None
        if isinstance(image, str) and image.split("@")[0].rsplit("/", 1)[-1].startswith("kube-apiserver:"):
            return index, image
    return None


def _static_pod_targets(inventory: Inventory) -> list[Target]:
    """Manifest scans: the version of a kube-apiserver static pod manifest (a control-plane
    node's /etc/kubernetes/manifests, or a snapshot of kube-system), from its image tag."""
    targets = []
    for pod in inventory.of_kind("Pod"):
        found = _apiserver_image(pod) if pod.origin.context is None and is_apiserver_pod(pod) else None
        if found is None:
            continue
        index, image = found
        tag = image.split("@")[0].rsplit(":", 1)[-1]
        minor = parse_minor(tag)
        if minor is None:
            continue
        doc = {
            "cluster": f"of {pod.kind} {pod.namespace or 'default'}/{pod.name}",
            "context": None,
            "serverVersion": tag,
            "minor": format_minor(minor),
            **_support_fields(minor, inventory.settings),
        }
        path = ("spec", "containers", index, "image")
        targets.append(Target("clusterversion", pod, doc, {(key,): path for key in doc}))
    return targets


def _cluster_targets(inventory: Inventory) -> list[Target]:
    targets = _static_pod_targets(inventory)
    for key in sorted(inventory.facts):
        facts = inventory.facts[key]
        if not key.startswith("cluster/") or not isinstance(facts, dict):
            continue
        context = str(facts.get("context") or key.split("/", 1)[1])
        git, minor = _server(inventory, context)
        if minor is None:
            continue  # /version said nothing we can read: nothing to judge
        doc = {
            "cluster": f"in context {context}",
            "context": context,
            "serverVersion": git or format_minor(minor),
            "minor": format_minor(minor),
            **_support_fields(minor, inventory.settings),
        }
        targets.append(Target("clusterversion", cluster_resource(context), doc))
    return targets


def _node_targets(inventory: Inventory) -> list[Target]:
    targets = []
    for node in inventory.of_kind("Node"):
        status = node.data.get("status")
        info = status.get("nodeInfo") if isinstance(status, dict) else None
        info = info if isinstance(info, dict) else {}
        kubelet = info.get("kubeletVersion")
        kubelet_minor = parse_minor(kubelet) if isinstance(kubelet, str) else None
        if kubelet_minor is None:
            continue  # no version to judge
        git, server = _server(inventory, node.origin.context)
        if server is None and isinstance(inventory.settings.get(TARGET_SETTING), str):
            # A manifest scan (a node snapshot): judge the skew against the --target-version control plane.
            server = target_minor(inventory.settings, None)
            git = f"v{format_minor(server)} (target)"
        behind = None if server is None or server[0] != kubelet_minor[0] else server[1] - kubelet_minor[1]
        doc = {
            "name": node.name,
            "kubeletVersion": kubelet,
            "kubeletMinor": format_minor(kubelet_minor),
            "containerRuntimeVersion": info.get("containerRuntimeVersion"),
            "serverVersion": git,
            **_support_fields(kubelet_minor, inventory.settings),
            "minorsBehind": behind,
            "skewSupported": None if behind is None else 0 <= behind <= kubelet_skew(),
            "maxMinorsBehind": kubelet_skew(),
        }
        path: Path = ("status", "nodeInfo", "kubeletVersion")
        prefixes: dict[Path, Path] = {(key,): path for key in doc}
        targets.append(Target("node", node, doc, prefixes))
    return targets


APIVERSION_VIEW = register(
    InventoryView(
        name="apiversion",
        kinds=deprecated_kinds() & _LISTED,
        fields=frozenset({"apiVersion", "kind", "metadata", "api"}),
        build=_api_targets,
        decisive=frozenset(),  # an unread kind hides its own objects only: no false finding elsewhere
        optional_kinds=deprecated_kinds() - _LISTED,
        served_versions=served_versions(),
        # Its documents: the identity and metadata (the last-applied annotation too).
        kind_fields=dict.fromkeys(deprecated_kinds(), IDENTITY),
    )
)
CLUSTERVERSION_VIEW = register(
    InventoryView(
        name="clusterversion",
        kinds=frozenset(),
        fields=frozenset(
            {"cluster", "context", "serverVersion", "minor", "endOfLife", "pastEndOfLife", "daysToEndOfLife", "asOf"}
        ),
        build=_cluster_targets,
        optional_kinds=frozenset({"Pod"}),
        keep=lambda pod: pod.origin.context is None and is_apiserver_pod(pod),
    )
)
NODE_VIEW = register(
    InventoryView(
        name="node",
        kinds=frozenset({"Node"}),
        fields=frozenset(
            {
                "name",
                "kubeletVersion",
                "kubeletMinor",
                "containerRuntimeVersion",
                "serverVersion",
                "endOfLife",
                "pastEndOfLife",
                "daysToEndOfLife",
                "minorsBehind",
                "skewSupported",
                "maxMinorsBehind",
                "asOf",
            }
        ),
        build=_node_targets,
    )
)
