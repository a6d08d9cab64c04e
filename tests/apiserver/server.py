"""A read-only fake Kubernetes API server that speaks the real wire format.

Standard library only (``http.server`` + ``ssl`` + ``threading``).  The one
exception is *reading YAML manifests*: PyYAML is imported lazily for ``.yaml`` /
``.yml`` inputs (it is already a kubeaudit dependency); ``.json`` manifests need
nothing.

Run it as its own process::

    python -m tests.apiserver.server --manifests tests/apiserver/fixtures \\
        --port 0 --cert server.crt --key server.key --token s3cret --state-file state.json

Once the socket is listening it prints ``listening on https://127.0.0.1:PORT`` and
atomically writes ``{"pid", "host", "port", "url"}`` to ``--state-file``.  See
``README.md`` next to this file for the fault-injection options.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import copy
import hashlib
import json
import math
import os
import re
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

JSON = dict[str, Any]

DEFAULT_USER = "system:serviceaccount:kubeaudit:scanner"
DEFAULT_GIT_VERSION = "v1.37.1"  # a supported release (2026-12); tests of old clusters pass git_version
BASE_TIME = datetime(2024, 5, 1, 10, 0, 0, tzinfo=timezone.utc)
FIRST_RESOURCE_VERSION = 1000
SYSTEM_NAMESPACES = ("default", "kube-node-lease", "kube-public", "kube-system")
UID_NAMESPACE = uuid.UUID("6ba7b811-9dad-11d1-80b4-00c04fd430c8")  # uuid.NAMESPACE_URL
META_V1 = "meta.k8s.io"


# --------------------------------------------------------------------------------------------------
# Resource types
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResourceType:
    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    builtin: bool = True

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def base_path(self) -> str:
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"

    def key_prefix(self, namespace: str | None = None) -> str:
        prefix = f"/{self.group or 'core'}/{self.plural}/"
        return prefix + f"{namespace}/" if namespace else prefix

    def discovery(self) -> JSON:
        entry: JSON = {
            "name": self.plural,
            "singularName": self.singular,
            "namespaced": self.namespaced,
            "kind": self.kind,
            "verbs": ["get", "list", "watch"],
        }
        if self.short_names:
            entry["shortNames"] = list(self.short_names)
        if self.categories:
            entry["categories"] = list(self.categories)
        digest = hashlib.sha256(f"{self.group_version}/{self.kind}".encode()).digest()[:8]
        entry["storageVersionHash"] = base64.b64encode(digest).decode()
        return entry


def _rt(gv: str, kind: str, plural: str, namespaced: bool, short: tuple[str, ...] = (), cats: tuple[str, ...] = ()
        ) -> ResourceType:
    group, _, version = gv.rpartition("/")
    return ResourceType(group, version, plural, kind.lower(), kind, namespaced, short, cats)


_ALL = ("all",)
BUILTINS: tuple[ResourceType, ...] = (
    _rt("v1", "Binding", "bindings", True),
    _rt("v1", "ConfigMap", "configmaps", True, ("cm",)),
    _rt("v1", "Endpoints", "endpoints", True, ("ep",)),
    _rt("v1", "Event", "events", True, ("ev",)),
    _rt("v1", "LimitRange", "limitranges", True, ("limits",)),
    _rt("v1", "Namespace", "namespaces", False, ("ns",)),
    _rt("v1", "Node", "nodes", False, ("no",)),
    _rt("v1", "PersistentVolumeClaim", "persistentvolumeclaims", True, ("pvc",)),
    _rt("v1", "PersistentVolume", "persistentvolumes", False, ("pv",)),
    _rt("v1", "Pod", "pods", True, ("po",), _ALL),
    _rt("v1", "PodTemplate", "podtemplates", True),
    _rt("v1", "ReplicationController", "replicationcontrollers", True, ("rc",), _ALL),
    _rt("v1", "ResourceQuota", "resourcequotas", True, ("quota",)),
    _rt("v1", "Secret", "secrets", True),
    _rt("v1", "ServiceAccount", "serviceaccounts", True, ("sa",)),
    _rt("v1", "Service", "services", True, ("svc",), _ALL),
    _rt("apps/v1", "ControllerRevision", "controllerrevisions", True),
    _rt("apps/v1", "DaemonSet", "daemonsets", True, ("ds",), _ALL),
    _rt("apps/v1", "Deployment", "deployments", True, ("deploy",), _ALL),
    _rt("apps/v1", "ReplicaSet", "replicasets", True, ("rs",), _ALL),
    _rt("apps/v1", "StatefulSet", "statefulsets", True, ("sts",), _ALL),
    _rt("autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", True, ("hpa",), _ALL),
    _rt("batch/v1", "CronJob", "cronjobs", True, ("cj",), _ALL),
    _rt("batch/v1", "Job", "jobs", True, (), _ALL),
    _rt("networking.k8s.io/v1", "IngressClass", "ingressclasses", False),
    _rt("networking.k8s.io/v1", "Ingress", "ingresses", True, ("ing",)),
    _rt("networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", True, ("netpol",)),
    _rt("policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", True, ("pdb",)),
    _rt("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings", False),
    _rt("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", False),
    _rt("rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", True),
    _rt("rbac.authorization.k8s.io/v1", "Role", "roles", True),
    _rt("storage.k8s.io/v1", "StorageClass", "storageclasses", False, ("sc",)),
    _rt("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions", False, ("crd", "crds")),
    _rt("admissionregistration.k8s.io/v1", "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations", False),
    _rt("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations", False),
    _rt("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy", "validatingadmissionpolicies", False),
    _rt("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding",
        "validatingadmissionpolicybindings", False),
)


def pluralize(kind: str) -> str:
    """The apiserver's default plural (used for CRs without a CRD in the fixtures)."""
    low = kind.lower()
    if low.endswith("y") and len(low) > 1 and low[-2] not in "aeiou":
        return low[:-1] + "ies"
    if low.endswith(("s", "x", "z", "ch", "sh")):
        return low + "es"
    return low + "s"


class Registry:
    """All served resource types, keyed by (group, version, plural) and by (group, version, kind)."""

    def __init__(self) -> None:
        self.by_plural: dict[tuple[str, str, str], ResourceType] = {}
        self.by_kind: dict[tuple[str, str, str], ResourceType] = {}
        self.group_order: list[str] = []

    def add(self, rt: ResourceType) -> ResourceType:
        existing = self.by_kind.get((rt.group, rt.version, rt.kind))
        if existing is not None:
            return existing
        self.by_plural[(rt.group, rt.version, rt.plural)] = rt
        self.by_kind[(rt.group, rt.version, rt.kind)] = rt
        if rt.group not in self.group_order:
            self.group_order.append(rt.group)
        return rt

    def versions(self, group: str) -> list[str]:
        seen: list[str] = []
        for g, v, _ in self.by_plural:
            if g == group and v not in seen:
                seen.append(v)
        return sorted(seen, key=_version_priority)

    def resources(self, group: str, version: str) -> list[ResourceType]:
        return sorted((rt for (g, v, _), rt in self.by_plural.items() if g == group and v == version),
                      key=lambda r: r.plural)

    def groups(self) -> list[str]:
        return [g for g in self.group_order if g]


def _version_priority(version: str) -> tuple[int, int, int]:
    """Kubernetes version ordering: GA > beta > alpha, higher numbers first."""
    m = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not m:
        return (3, 0, 0)
    major, stage, minor = int(m.group(1)), m.group(2), int(m.group(3) or 0)
    rank = {"alpha": 2, "beta": 1, None: 0}[stage]
    return (rank, -major, -minor)


# --------------------------------------------------------------------------------------------------
# Loading manifests
# --------------------------------------------------------------------------------------------------


class ManifestError(ValueError):
    pass


def _iter_manifest_files(paths: Iterable[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.suffix.lower() in (".yaml", ".yml", ".json"):
                    yield child
        elif path.is_file():
            yield path
        else:
            raise ManifestError(f"manifest path does not exist: {path}")


def _parse_file(path: Path) -> list[Any]:
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        data = json.loads(text)
        return data if isinstance(data, list) else [data]
    import yaml  # lazily: only needed for YAML manifests

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return [doc for doc in yaml.load_all(text, Loader=loader) if doc is not None]


def flatten(docs: Iterable[Any]) -> Iterator[JSON]:
    """Flatten ``kind: List`` and typed lists (``PodList``) into plain objects."""
    for doc in docs:
        if not isinstance(doc, dict):
            continue
        kind = str(doc.get("kind") or "")
        if kind.endswith("List") and isinstance(doc.get("items"), list):
            item_kind = kind[: -len("List")]
            for item in doc["items"]:
                if isinstance(item, dict) and item_kind and item_kind != "" and "kind" not in item:
                    item = {"apiVersion": doc.get("apiVersion", "v1"), "kind": item_kind, **item}
                yield from flatten([item])
        else:
            yield doc


def load_manifests(paths: Iterable[Path]) -> list[JSON]:
    docs: list[JSON] = []
    for file in _iter_manifest_files(paths):
        try:
            docs.extend(flatten(_parse_file(file)))
        except Exception as exc:  # pragma: no cover - reported to the operator
            raise ManifestError(f"{file}: {exc}") from exc
    return docs


# --------------------------------------------------------------------------------------------------
# Generated (benchmark) cluster
# --------------------------------------------------------------------------------------------------

_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def _suffix(n: int, length: int = 5) -> str:
    out = []
    for _ in range(length):
        n, r = divmod(n, len(_SUFFIX_ALPHABET))
        out.append(_SUFFIX_ALPHABET[r])
    return "".join(out)


def _container_variant(i: int) -> tuple[JSON, JSON]:
    """(pod securityContext, container) - a mix of hardened and risky workloads."""
    variant = i % 5
    container: JSON = {
        "name": "app",
        "image": f"registry.example.com/team/app-{i % 37}:1.{i % 11}.0",
        "ports": [{"containerPort": 8080, "protocol": "TCP"}],
    }
    pod_sc: JSON = {}
    if variant == 0:  # restricted
        pod_sc = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
        container["securityContext"] = {
            "allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        }
        container["resources"] = {"limits": {"cpu": "500m", "memory": "256Mi"},
                                  "requests": {"cpu": "100m", "memory": "128Mi"}}
    elif variant == 1:  # privileged
        container["securityContext"] = {"privileged": True}
    elif variant == 2:  # root with added caps
        container["securityContext"] = {"runAsUser": 0, "capabilities": {"add": ["NET_ADMIN", "SYS_TIME"]}}
        container["image"] = f"docker.io/library/nginx:{'latest' if i % 2 else '1.25'}"
    elif variant == 3:  # host namespaces handled by caller
        container["securityContext"] = {"allowPrivilegeEscalation": True}
    return pod_sc, container


def generate_cluster(pods: int, namespaces: int = 10, replicas: int = 5, bare: bool = False) -> list[JSON]:
    """Deployments -> ReplicaSets -> Pods (with ownerReferences) totalling *pods* pods.
    bare: the same pods without owners (nothing for a scanner to fold)."""
    namespaces = max(1, namespaces)
    replicas = max(1, replicas)
    docs: list[JSON] = []
    ns_names = [f"gen-{i:03d}" for i in range(namespaces)]
    for ns in ns_names:
        docs.append({"apiVersion": "v1", "kind": "Namespace",
                     "metadata": {"name": ns, "labels": {"kubernetes.io/metadata.name": ns, "generated": "true"}}})
    n_nodes = max(1, math.ceil(pods / 110))
    for n in range(n_nodes):
        docs.append({"apiVersion": "v1", "kind": "Node",
                     "metadata": {"name": f"node-{n:04d}", "labels": {"kubernetes.io/hostname": f"node-{n:04d}"}},
                     "spec": {"podCIDR": f"10.{n // 256}.{n % 256}.0/24"},
                     "status": {"nodeInfo": {"kubeletVersion": DEFAULT_GIT_VERSION}}})
    remaining = pods
    d = 0
    while remaining > 0:
        ns = ns_names[d % namespaces]
        name = f"app-{d:05d}"
        count = min(replicas, remaining)
        template_hash = f"{(d * 2654435761) % (16 ** 10):010x}"
        rs_name = f"{name}-{template_hash}"
        labels = {"app": name, "tier": ("frontend", "backend", "batch")[d % 3]}
        pod_sc, container = _container_variant(d)
        pod_spec: JSON = {"containers": [container]}
        if pod_sc:
            pod_spec["securityContext"] = pod_sc
        if d % 5 == 3:
            pod_spec["hostNetwork"] = True
            pod_spec["hostPID"] = d % 2 == 0
        if d % 7 == 0:
            pod_spec["volumes"] = [{"name": "host", "hostPath": {"path": "/var/run", "type": "Directory"}}]
            container["volumeMounts"] = [{"name": "host", "mountPath": "/host/run"}]
        template = {"metadata": {"labels": labels}, "spec": pod_spec}
        if bare:
            for r in range(count):
                node = f"node-{(d * replicas + r) % n_nodes:04d}"
                docs.append({"apiVersion": "v1", "kind": "Pod",
                             "metadata": {"name": f"{name}-{_suffix(d * 131 + r)}", "namespace": ns, "labels": labels},
                             "spec": {**copy.deepcopy(pod_spec), "nodeName": node}})
            remaining -= count
            d += 1
            continue
        docs.append({"apiVersion": "apps/v1", "kind": "Deployment",
                     "metadata": {"name": name, "namespace": ns, "labels": labels},
                     "spec": {"replicas": count, "selector": {"matchLabels": labels},
                              "template": copy.deepcopy(template)}})
        rs_labels = {**labels, "pod-template-hash": template_hash}
        rs_template = {"metadata": {"labels": rs_labels}, "spec": copy.deepcopy(pod_spec)}
        docs.append({"apiVersion": "apps/v1", "kind": "ReplicaSet",
                     "metadata": {"name": rs_name, "namespace": ns, "labels": rs_labels,
                                  "ownerReferences": [_owner("apps/v1", "Deployment", name)]},
                     "spec": {"replicas": count, "selector": {"matchLabels": rs_labels},
                              "template": rs_template}})
        for r in range(count):
            docs.append({"apiVersion": "v1", "kind": "Pod",
                         "metadata": {"name": f"{rs_name}-{_suffix(d * 131 + r)}", "namespace": ns,
                                      "labels": rs_labels,
                                      "ownerReferences": [_owner("apps/v1", "ReplicaSet", rs_name)]},
                         "spec": {**copy.deepcopy(pod_spec), "nodeName": f"node-{(d * replicas + r) % n_nodes:04d}"}})
        remaining -= count
        d += 1
    return docs


def _owner(api_version: str, kind: str, name: str) -> JSON:
    return {"apiVersion": api_version, "kind": kind, "name": name, "controller": True, "blockOwnerDeletion": True}


# --------------------------------------------------------------------------------------------------
# The object store
# --------------------------------------------------------------------------------------------------


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_json_default).encode()


def _ts(offset_seconds: int) -> str:
    return (BASE_TIME + timedelta(seconds=offset_seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Entry:
    key: str
    namespace: str | None
    name: str
    obj: JSON  # full object, with kind/apiVersion
    item: bytes  # JSON as it appears in list ``items`` (typed lists drop kind/apiVersion)


def _image_pull_policy(image: str) -> str:
    if "@" in image:
        return "IfNotPresent"
    last = image.rsplit("/", 1)[-1]
    if ":" not in last or last.endswith(":latest"):
        return "Always"
    return "IfNotPresent"


def default_pod_spec(spec: JSON, is_pod: bool) -> None:
    """The subset of apiserver defaulting (plus ServiceAccount admission) a scanner may notice."""
    spec.setdefault("restartPolicy", "Always")
    spec.setdefault("terminationGracePeriodSeconds", 30)
    spec.setdefault("dnsPolicy", "ClusterFirst")
    spec.setdefault("securityContext", {})
    spec.setdefault("schedulerName", "default-scheduler")
    if is_pod:
        spec.setdefault("serviceAccountName", spec.get("serviceAccount") or "default")
        spec.setdefault("serviceAccount", spec["serviceAccountName"])
        spec.setdefault("enableServiceLinks", True)
        spec.setdefault("preemptionPolicy", "PreemptLowerPriority")
        spec.setdefault("priority", 0)
    elif "serviceAccountName" in spec:
        spec.setdefault("serviceAccount", spec["serviceAccountName"])
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for c in spec.get(key) or []:
            if not isinstance(c, dict):
                continue
            c.setdefault("imagePullPolicy", _image_pull_policy(str(c.get("image", ""))))
            c.setdefault("terminationMessagePath", "/dev/termination-log")
            c.setdefault("terminationMessagePolicy", "File")
            c.setdefault("resources", {})


def apply_defaults(obj: JSON) -> None:
    kind = obj.get("kind")
    spec = obj.get("spec")
    if kind == "Secret":
        string_data = obj.pop("stringData", None) or {}
        data = obj.setdefault("data", {}) if string_data else obj.get("data")
        for k, v in string_data.items():
            data[k] = base64.b64encode(str(v).encode()).decode()
        obj.setdefault("type", "Opaque")
    if not isinstance(spec, dict):
        return
    if kind == "Pod":
        default_pod_spec(spec, is_pod=True)
        obj.setdefault("status", {"phase": "Running"})
        return
    template = spec.get("template")
    if kind == "CronJob":
        template = (spec.get("jobTemplate") or {}).get("spec", {}).get("template")
        spec.setdefault("concurrencyPolicy", "Allow")
        spec.setdefault("suspend", False)
    if isinstance(template, dict) and isinstance(template.get("spec"), dict):
        template.setdefault("metadata", {"creationTimestamp": None})
        default_pod_spec(template["spec"], is_pod=False)
    if kind == "Deployment":
        spec.setdefault("replicas", 1)
        spec.setdefault("revisionHistoryLimit", 10)
        spec.setdefault("progressDeadlineSeconds", 600)
        spec.setdefault("strategy", {"type": "RollingUpdate",
                                     "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}})
    elif kind in ("ReplicaSet", "StatefulSet"):
        spec.setdefault("replicas", 1)


def _managed_fields(obj: JSON, manager: str, ts: str) -> list[JSON]:
    def keys(d: Any) -> JSON:
        return {f"f:{k}": {} for k in d} if isinstance(d, dict) else {}

    meta = obj.get("metadata", {})
    fields: JSON = {}
    meta_fields = {f"f:{k}": keys(meta[k]) for k in ("labels", "annotations") if meta.get(k)}
    if meta.get("ownerReferences"):
        meta_fields["f:ownerReferences"] = {
            f'k:{{"uid":"{o.get("uid", "")}"}}': {} for o in meta["ownerReferences"] if isinstance(o, dict)
        }
    if meta_fields:
        fields["f:metadata"] = meta_fields
    for top in ("spec", "data", "rules", "subjects", "roleRef", "type", "stringData"):
        if top in obj:
            fields[f"f:{top}"] = keys(obj[top])
    return [{"manager": manager, "operation": "Update", "apiVersion": obj.get("apiVersion", "v1"),
             "time": ts, "fieldsType": "FieldsV1", "fieldsV1": fields}]


def _status_managed_fields(obj: JSON, ts: str) -> JSON:
    status = obj.get("status")
    return {"manager": "kubelet" if obj.get("kind") == "Pod" else "kube-controller-manager",
            "operation": "Update", "apiVersion": obj.get("apiVersion", "v1"), "time": ts,
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:status": {f"f:{k}": {} for k in status} if isinstance(status, dict) else {}},
            "subresource": "status"}


class Cluster:
    """Immutable snapshot of the fixture cluster."""

    def __init__(self, docs: list[JSON], *, implicit: bool = True, defaulting: bool = True,
                 warn: Any = None) -> None:
        self.registry = Registry()
        for rt in BUILTINS:
            self.registry.add(rt)
        self.entries: dict[ResourceType, list[Entry]] = {}
        self.keys: dict[ResourceType, list[str]] = {}
        self.index: dict[tuple[ResourceType, str | None, str], Entry] = {}
        self.resource_version = FIRST_RESOURCE_VERSION
        self._warn = warn or (lambda msg: print(f"apiserver: warning: {msg}", file=sys.stderr))
        self._build(docs, implicit=implicit, defaulting=defaulting)

    # -- construction -----------------------------------------------------------------------------
    def _register_crds(self, docs: list[JSON]) -> None:
        for doc in docs:
            if doc.get("kind") != "CustomResourceDefinition":
                continue
            spec = doc.get("spec") or {}
            names = spec.get("names") or {}
            if not (spec.get("group") and names.get("kind") and names.get("plural")):
                continue
            versions = [v.get("name") for v in spec.get("versions") or [] if v.get("served", True)]
            for version in versions or ([spec["version"]] if spec.get("version") else []):
                self.registry.add(ResourceType(
                    spec["group"], version, names["plural"], names.get("singular") or names["kind"].lower(),
                    names["kind"], spec.get("scope", "Namespaced") == "Namespaced",
                    tuple(names.get("shortNames") or ()), tuple(names.get("categories") or ()), builtin=False))

    def _type_for(self, docs: list[JSON]) -> dict[int, ResourceType]:
        unknown_ns: dict[tuple[str, str, str], bool] = {}
        for doc in docs:
            group, _, version = str(doc.get("apiVersion", "")).rpartition("/")
            key = (group, version, str(doc.get("kind")))
            if key not in self.registry.by_kind:
                has_ns = bool((doc.get("metadata") or {}).get("namespace"))
                unknown_ns[key] = unknown_ns.get(key, False) or has_ns
        for (group, version, kind), namespaced in unknown_ns.items():
            builtin_plural = next((b for b in BUILTINS if b.kind == kind and b.group == group), None)
            if builtin_plural is not None:  # e.g. batch/v1beta1 CronJob: another version of a built-in
                self.registry.add(ResourceType(group, version, builtin_plural.plural, builtin_plural.singular,
                                               kind, builtin_plural.namespaced, builtin_plural.short_names))
            else:
                self.registry.add(ResourceType(group, version, pluralize(kind), kind.lower(), kind, namespaced,
                                               builtin=False))
        out: dict[int, ResourceType] = {}
        for i, doc in enumerate(docs):
            group, _, version = str(doc.get("apiVersion", "")).rpartition("/")
            out[i] = self.registry.by_kind[(group, version, str(doc.get("kind")))]
        return out

    def _build(self, raw_docs: list[JSON], *, implicit: bool, defaulting: bool) -> None:
        docs: list[JSON] = []
        for doc in raw_docs:
            meta = doc.get("metadata")
            if not doc.get("apiVersion") or not doc.get("kind") or not isinstance(meta, dict) or not (
                meta.get("name")
            ):
                self._warn(f"skipping object without apiVersion/kind/metadata.name: {str(doc)[:120]}")
                continue
            docs.append(copy.deepcopy(doc))
        self._register_crds(docs)
        types = self._type_for(docs)
        namespaces_seen: set[str] = set()
        explicit_ns: set[str] = set()
        for i, doc in enumerate(docs):
            rt, meta = types[i], doc["metadata"]
            if rt.namespaced:
                meta["namespace"] = meta.get("namespace") or "default"
                namespaces_seen.add(meta["namespace"])
            else:
                meta.pop("namespace", None)
                if rt.kind == "Namespace" and rt.group == "":
                    explicit_ns.add(meta["name"])
        wanted_ns = sorted(namespaces_seen | (set(SYSTEM_NAMESPACES) if implicit else set()))
        ns_rt = self.registry.by_kind[("", "v1", "Namespace")]
        sa_rt = self.registry.by_kind[("", "v1", "ServiceAccount")]
        extra: list[tuple[ResourceType, JSON]] = []
        for ns in wanted_ns:
            if ns not in explicit_ns:
                extra.append((ns_rt, {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}))
        if implicit:
            explicit_sa = {(d["metadata"].get("namespace"), d["metadata"]["name"])
                           for i, d in enumerate(docs) if types[i] is sa_rt}
            for ns in sorted(set(wanted_ns) | explicit_ns):
                if (ns, "default") not in explicit_sa:
                    extra.append((sa_rt, {"apiVersion": "v1", "kind": "ServiceAccount",
                                          "metadata": {"name": "default", "namespace": ns}}))
        typed = [(types[i], d) for i, d in enumerate(docs)] + extra

        # identity + metadata
        by_owner_key: dict[tuple[str | None, str, str], str] = {}
        for n, (rt, obj) in enumerate(typed):
            meta = obj["metadata"]
            ns = meta.get("namespace")
            meta.setdefault("uid", str(uuid.uuid5(UID_NAMESPACE,
                                                  f"kubeaudit-test/{rt.group}/{rt.kind}/{ns or ''}/{meta['name']}")))
            if not meta.get("creationTimestamp"):
                meta["creationTimestamp"] = _ts(n)
            by_owner_key[(ns, rt.kind, meta["name"])] = str(meta["uid"])
            if rt.kind == "Namespace" and rt.group == "":
                meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
                obj.setdefault("spec", {"finalizers": ["kubernetes"]})
                obj.setdefault("status", {"phase": "Active"})
        for rt, obj in typed:
            meta = obj["metadata"]
            for ref in meta.get("ownerReferences") or []:
                if isinstance(ref, dict) and not ref.get("uid"):
                    uid = by_owner_key.get((meta.get("namespace"), str(ref.get("kind")), str(ref.get("name"))))
                    uid = uid or by_owner_key.get((None, str(ref.get("kind")), str(ref.get("name"))))
                    ref["uid"] = uid or str(uuid.uuid5(UID_NAMESPACE, f"missing-owner/{ref}"))
            # managedFields describe what the client sent: computed before defaulting
            needs_managed = "managedFields" not in meta
            if needs_managed:
                manager = "kube-controller-manager" if meta.get("ownerReferences") else "kubectl-client-side-apply"
                meta["managedFields"] = _managed_fields(obj, manager, str(meta["creationTimestamp"]))
            if defaulting:
                apply_defaults(obj)
            if needs_managed and "status" in obj:
                meta["managedFields"].append(_status_managed_fields(obj, str(meta["creationTimestamp"])))
            if isinstance(obj.get("spec"), dict) and rt.kind not in ("Pod", "Namespace", "Node"):
                meta.setdefault("generation", 1)
            self.resource_version += 1
            meta["resourceVersion"] = str(meta.get("resourceVersion") or self.resource_version)
            self._store(rt, obj)
        for rt, entries in self.entries.items():
            entries.sort(key=lambda e: e.key)
            self.keys[rt] = [e.key for e in entries]

    def _store(self, rt: ResourceType, obj: JSON) -> None:
        meta = obj["metadata"]
        ns = meta.get("namespace")
        name = str(meta["name"])
        key = rt.key_prefix(ns) + name
        # Built-in lists drop kind/apiVersion from their items; unstructured (custom resource) lists keep them.
        item = obj if not rt.builtin else {k: v for k, v in obj.items() if k not in ("kind", "apiVersion")}
        entry = Entry(key, ns, name, obj, dumps(item))
        if (rt, ns, name) in self.index:
            self._warn(f"duplicate {rt.kind} {ns + '/' if ns else ''}{name}: the later one wins")
            self.entries[rt] = [e for e in self.entries[rt] if e.key != key]
        self.index[(rt, ns, name)] = entry
        self.entries.setdefault(rt, []).append(entry)

    # -- queries ----------------------------------------------------------------------------------
    def select(self, rt: ResourceType, namespace: str | None) -> tuple[list[Entry], list[str]]:
        entries, keys = self.entries.get(rt, []), self.keys.get(rt, [])
        if namespace is None:
            return entries, keys
        prefix = rt.key_prefix(namespace)
        lo = bisect.bisect_left(keys, prefix)
        hi = bisect.bisect_left(keys, prefix + "\U0010ffff")
        return entries[lo:hi], keys[lo:hi]

    def get(self, rt: ResourceType, namespace: str | None, name: str) -> Entry | None:
        return self.index.get((rt, namespace, name))

    def counts(self) -> dict[str, int]:
        return {f"{rt.plural}.{rt.group}" if rt.group else rt.plural: len(v) for rt, v in self.entries.items()}


# --------------------------------------------------------------------------------------------------
# Selectors
# --------------------------------------------------------------------------------------------------


class BadRequest(ValueError):
    pass


def _split_selector(s: str) -> list[str]:
    terms, depth, cur = [], 0, []
    for ch in s:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    terms.append("".join(cur))
    return [t.strip() for t in terms if t.strip()]


_LABEL_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"
_SET_RE = re.compile(rf"^({_LABEL_KEY})\s+(in|notin)\s+\(([^)]*)\)$")
_EQ_RE = re.compile(rf"^({_LABEL_KEY})\s*(==|=|!=)\s*([-A-Za-z0-9_.]*)$")
_EXISTS_RE = re.compile(rf"^(!?)\s*({_LABEL_KEY})$")


def label_matcher(selector: str) -> Any:
    preds = []
    for term in _split_selector(selector):
        if m := _SET_RE.match(term):
            key, op, values = m.group(1), m.group(2), {v.strip() for v in m.group(3).split(",") if v.strip()}
            preds.append(lambda lb, k=key, o=op, vs=values: (lb.get(k) in vs) == (o == "in"))
        elif m := _EQ_RE.match(term):
            key, op, value = m.groups()
            preds.append(lambda lb, k=key, o=op, v=value: (lb.get(k) == v) != (o == "!="))
        elif m := _EXISTS_RE.match(term):
            neg, key = m.groups()
            preds.append(lambda lb, k=key, n=bool(neg): (k in lb) != n)
        else:
            raise BadRequest(f"unable to parse requirement: {term!r}")
    return lambda obj: all(p((obj.get("metadata") or {}).get("labels") or {}) for p in preds)


def field_matcher(selector: str) -> Any:
    preds = []
    for term in _split_selector(selector):
        m = re.match(r"^([A-Za-z0-9_.]+)\s*(==|=|!=)\s*(.*)$", term)
        if not m:
            raise BadRequest(f"invalid field selector: {term!r}")
        path, op, value = m.group(1).split("."), m.group(2), m.group(3).strip()

        def pred(obj: JSON, path: list[str] = path, op: str = op, value: str = value) -> bool:
            cur: Any = obj
            for part in path:
                cur = cur.get(part) if isinstance(cur, dict) else None
            actual = "" if cur is None else (str(cur).lower() if isinstance(cur, bool) else str(cur))
            return (actual == value) != (op == "!=")

        preds.append(pred)
    return lambda obj: all(p(obj) for p in preds)


# --------------------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------------------


def resource_matches(pattern: str, rt: ResourceType) -> bool:
    """``*``, ``pods``, ``deployments.apps`` or ``authorizationpolicies.security.istio.io``."""
    pattern = pattern.strip().lower()
    return pattern in ("*", rt.plural, f"{rt.plural}.{rt.group}", rt.kind.lower()) or (
        not rt.group and pattern == f"{rt.plural}.core"
    )


@dataclass
class CountedFault:
    pattern: str
    remaining: int
    value: float = 0.0  # Retry-After seconds (throttle) / pages before expiry (expire)

    def take(self) -> bool:
        if self.remaining <= 0:
            return False
        self.remaining -= 1
        return True


@dataclass
class Faults:
    forbid: list[tuple[str | None, str]] = field(default_factory=list)  # (namespace or None, pattern)
    fail: list[CountedFault] = field(default_factory=list)
    throttle: list[CountedFault] = field(default_factory=list)
    expire: list[CountedFault] = field(default_factory=list)
    delay: list[tuple[str, float]] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # discovery lists them; list/get answer 404
    ignore_accept: list[str] = field(default_factory=list)  # full objects even when metadata is asked
    duplicate: list[str] = field(default_factory=list)  # a continued page repeats the previous page's last item
    revoke_token: list[CountedFault] = field(default_factory=list)  # after N requests: 401 for everything
    die_after: list[CountedFault] = field(default_factory=list)  # after N requests: the process exits
    # Faults on the wire (see Handler._send); "version" also matches GET /version.
    trickle: list[tuple[str, float]] = field(default_factory=list)  # 64 bytes of the body per SECONDS
    truncate: list[CountedFault] = field(default_factory=list)  # first N answers: half the body, then close
    reset: list[CountedFault] = field(default_factory=list)  # first N answers: part of the body, then a TCP RST
    huge: list[tuple[str, int]] = field(default_factory=list)  # list answers padded to BYTES, streamed chunked
    cycle_continue: list[str] = field(default_factory=list)  # the third page answers with the first token again
    fresh_continue: list[str] = field(default_factory=list)  # a new continue token on every page, forever
    malform: list[tuple[str, str, Any]] = field(default_factory=list)  # (target, dotted path, JSON value)
    revoked: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Bumped by every injected 410, like an etcd compaction: continue tokens issued before it stay dead.
    compactions: int = 0

    @staticmethod
    def parse(forbid: list[str], fail: list[str], throttle: list[str], expire: list[str],
              delay: list[str], missing: list[str] | None = None, ignore_accept: list[str] | None = None,
              duplicate: list[str] | None = None, revoke_token: list[str] | None = None,
              die_after: list[str] | None = None, trickle: list[str] | None = None,
              truncate: list[str] | None = None, reset: list[str] | None = None, huge: list[str] | None = None,
              cycle_continue: list[str] | None = None, fresh_continue: list[str] | None = None,
              malform: list[str] | None = None) -> Faults:
        f = Faults(missing=_csv(missing), ignore_accept=_csv(ignore_accept), duplicate=_csv(duplicate),
                   cycle_continue=_csv(cycle_continue), fresh_continue=_csv(fresh_continue))
        for spec in _csv(trickle):
            pattern, _, seconds = spec.partition(":")
            f.trickle.append((pattern, float(seconds or 0.1)))
        for spec in _csv(huge):
            pattern, _, size = spec.partition(":")
            f.huge.append((pattern, int(size)))
        for spec in malform or []:  # not comma-split: the JSON value may hold commas
            left, _, value = spec.partition("=")
            target, _, path = left.rpartition(":")
            f.malform.append((target, path, json.loads(value)))
        for specs, counted in ((revoke_token, f.revoke_token), (die_after, f.die_after), (truncate, f.truncate),
                               (reset, f.reset), (fail, f.fail)):
            for spec in _csv(specs):  # RESOURCE:N
                pattern, _, n = spec.partition(":")
                counted.append(CountedFault(pattern, int(n or 1)))
        for spec in _csv(forbid):
            ns, _, pattern = spec.rpartition("/")
            f.forbid.append((ns or None, pattern))
        for spec in _csv(throttle):
            parts = spec.split(":")
            f.throttle.append(CountedFault(parts[0], int(parts[1]) if len(parts) > 1 and parts[1] else 1,
                                           float(parts[2]) if len(parts) > 2 else 1.0))
        for spec in _csv(expire):
            parts = spec.split(":")
            f.expire.append(CountedFault(parts[0], int(parts[2]) if len(parts) > 2 else 1,
                                         float(parts[1]) if len(parts) > 1 and parts[1] else 1.0))
        for spec in _csv(delay):
            pattern, _, seconds = spec.partition(":")
            f.delay.append((pattern, float(seconds or 1)))
        return f

    def forbidden(self, rt: ResourceType, namespace: str | None) -> bool:
        for ns, pattern in self.forbid:
            if not resource_matches(pattern, rt):
                continue
            # Cluster-wide requests need cluster-wide permission: any namespace denial denies them too.
            if ns is None or namespace is None or ns == namespace:
                return True
        return False

    def delay_for(self, rt: ResourceType) -> float:
        return sum(seconds for pattern, seconds in self.delay if resource_matches(pattern, rt))

    def _take(self, faults: list[CountedFault], rt: ResourceType) -> CountedFault | None:
        with self.lock:
            for fault in faults:
                if resource_matches(fault.pattern, rt) and fault.take():
                    return fault
        return None

    def matches(self, patterns: list[str], rt: ResourceType) -> bool:
        return any(resource_matches(p, rt) for p in patterns)

    def exhausted(self, faults: list[CountedFault], rt: ResourceType) -> bool:
        """Counts this request against the matching faults; True once one has served its N requests."""
        with self.lock:
            for fault in faults:
                if resource_matches(fault.pattern, rt) and not fault.take():
                    return True
        return False

    def wire_fault(self, name: str, rt: ResourceType | None) -> tuple[str, float] | None:
        """The fault on the wire for this answer: ("trickle", seconds), ("truncate", 0), ("reset", 0)."""
        def hit(pattern: str) -> bool:
            return pattern.strip().lower() in ("*", name) if rt is None else resource_matches(pattern, rt)

        for pattern, seconds in self.trickle:
            if hit(pattern):
                return ("trickle", seconds)
        with self.lock:
            for mode, faults in (("truncate", self.truncate), ("reset", self.reset)):
                for fault in faults:
                    if hit(fault.pattern) and fault.take():
                        return (mode, 0.0)
        return None

    def huge_for(self, rt: ResourceType) -> int:
        return max((size for pattern, size in self.huge if resource_matches(pattern, rt)), default=0)

    def take_throttle(self, rt: ResourceType) -> CountedFault | None:
        return self._take(self.throttle, rt)

    def take_fail(self, rt: ResourceType) -> CountedFault | None:
        return self._take(self.fail, rt)

    def take_expire(self, rt: ResourceType, page: int) -> bool:
        with self.lock:
            for fault in self.expire:
                if resource_matches(fault.pattern, rt) and page >= int(fault.value) and fault.take():
                    self.compactions += 1
                    return True
        return False


def set_path(value: JSON, path: str, new: Any) -> None:
    """Set a dotted PATH ("status", "metadata.namespace") in VALUE, creating mappings on the way."""
    *parents, last = path.split(".")
    for part in parents:
        child = value.get(part)
        if not isinstance(child, dict):
            child = value[part] = {}
        value = child
    value[last] = new


def malform_cluster(cluster: Cluster, faults: Faults) -> None:
    """Apply the --malform faults aimed at objects: RESOURCE (its first object) or RESOURCE/NAME."""
    for target, path, wrong in faults.malform:
        if target == "version" or target.startswith("group:"):
            continue
        pattern, _, name = target.partition("/")
        for rt, entries in cluster.entries.items():
            if not resource_matches(pattern, rt):
                continue
            for entry in [e for e in entries if e.name == name] if name else entries[:1]:
                set_path(entry.obj, path, wrong)
                item = entry.obj if not rt.builtin else {k: v for k, v in entry.obj.items()
                                                         if k not in ("kind", "apiVersion")}
                entry.item = dumps(item)


def _csv(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


# --------------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------------


def status_object(code: int, reason: str, message: str, details: JSON | None = None,
                  metadata: JSON | None = None) -> JSON:
    body: JSON = {"kind": "Status", "apiVersion": "v1", "metadata": metadata or {}, "status": "Failure",
                  "message": message, "reason": reason}
    if details:
        body["details"] = details
    body["code"] = code
    return body


def encode_continue(rv: int, start_key: str, page: int) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start_key + "\x00", "p": page},
                     separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continue(token: str, prefix: str) -> tuple[str, int, int]:
    """Returns (start key, page number, resource version) or raises BadRequest."""
    try:
        data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        start, page, rv = data["start"], int(data.get("p", 1)), data["rv"]
        if data.get("v") != "meta.k8s.io/v1" or not isinstance(start, str) or not isinstance(rv, int):
            raise ValueError
    except Exception as exc:
        raise BadRequest("continue key is not valid: incorrect encoded start resourceVersion "
                         "(version meta.k8s.io/v1)") from exc
    if not start.startswith(prefix):
        raise BadRequest(f"continue key is not valid: key {start.rstrip(chr(0))!r} is not in prefix {prefix!r}")
    return start, page, rv


def negotiate(accept: str | None, want: str) -> tuple[str, str] | None:
    """Pick a representation: ("json", "") or ("partial", meta-version). *want* is "list" or "object"."""
    if not accept:
        return ("json", "")
    for media_range in accept.split(","):
        parts = [p.strip() for p in media_range.split(";")]
        media_type = parts[0].lower()
        params = {}
        for p in parts[1:]:
            k, _, v = p.partition("=")
            params[k.strip().lower()] = v.strip()
        if media_type not in ("application/json", "application/*", "*/*"):
            continue
        as_ = params.get("as")
        if as_ is None:
            return ("json", "")
        wanted_as = "PartialObjectMetadataList" if want == "list" else "PartialObjectMetadata"
        if as_ == wanted_as and params.get("g") == META_V1 and params.get("v") in ("v1", "v1beta1"):
            return ("partial", params["v"])
    return None


def partial(obj: JSON, meta_version: str) -> JSON:
    return {"kind": "PartialObjectMetadata", "apiVersion": f"{META_V1}/{meta_version}",
            "metadata": obj.get("metadata", {})}


@dataclass
class ServerConfig:
    tokens: tuple[str, ...]
    user: str = DEFAULT_USER
    git_version: str = DEFAULT_GIT_VERSION
    faults: Faults = field(default_factory=Faults)
    request_log: Path | None = None
    verbose: bool = False
    watch_timeout: float = 1.0
    max_limit: int = 0  # 0 = unlimited page size
    remaining_count: bool = True  # metadata.remainingItemCount on lists that have more
    # node name -> what its kubelet answers at /configz through the node proxy: a configuration,
    # or "forbidden" (403 on nodes/proxy for that node), "unreachable" (503), "malformed".
    kubelet_configs: dict[str, Any] = field(default_factory=dict)


# What a node's kubelet answers at /configz when --kubelet-configs says nothing of it: the
# v1beta1 defaults, with client certificate rotation on (as kubeadm writes it).
DEFAULT_KUBELET_CONFIG: JSON = {
    "enableServer": True, "syncFrequency": "1m0s", "address": "0.0.0.0", "port": 10250,
    "rotateCertificates": True, "serverTLSBootstrap": False,
    "authentication": {"x509": {"clientCAFile": "/etc/kubernetes/pki/ca.crt"},
                       "webhook": {"enabled": True, "cacheTTL": "2m0s"}, "anonymous": {"enabled": False}},
    "authorization": {"mode": "Webhook", "webhook": {"cacheAuthorizedTTL": "5m0s", "cacheUnauthorizedTTL": "30s"}},
    "eventRecordQPS": 50, "eventBurst": 100, "streamingConnectionIdleTimeout": "4h0m0s",
    "makeIPTablesUtilChains": True, "protectKernelDefaults": False, "featureGates": {},
}


class ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], cluster: Cluster, config: ServerConfig,
                 tls: ssl.SSLContext | None) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)
        if tls is not None:
            # Handshake lazily in the worker thread, so a client that stalls (or rejects our
            # certificate) never blocks the accept loop.
            self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        self.cluster = cluster
        self.config = config
        self.scheme = "https" if tls is not None else "http"
        self._log_lock = threading.Lock()
        self._log_file = open(config.request_log, "a", encoding="utf-8") if config.request_log else None  # noqa: SIM115

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (socket.getfqdn), which can hang in sandboxes.
        socketserver.TCPServer.server_bind(self)
        self.server_name = str(self.server_address[0])
        self.server_port = int(self.server_address[1])

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def log_request_entry(self, entry: JSON) -> None:
        if self._log_file is None:
            return
        line = json.dumps(entry, separators=(",", ":"), ensure_ascii=False)
        with self._log_lock:
            self._log_file.write(line + "\n")
            self._log_file.flush()

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (ssl.SSLError, ConnectionError, TimeoutError, OSError)):
            if self.config.verbose:
                print(f"apiserver: connection from {client_address}: {exc!r}", file=sys.stderr)
            return
        super().handle_error(request, client_address)

    def server_close(self) -> None:
        super().server_close()
        if self._log_file is not None:
            self._log_file.close()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall between them
    server_version = "kubeaudit-test-apiserver"
    sys_version = ""
    timeout = 60
    server: ApiServer

    # Any method other than GET still reaches _dispatch (and is logged), then gets a 405.
    def __getattr__(self, name: str) -> Any:
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._dispatch()

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.config.verbose:
            sys.stderr.write(f"apiserver: {self.address_string()} {format % args}\n")

    # -- plumbing ---------------------------------------------------------------------------------
    def _dispatch(self) -> None:
        started = time.monotonic()
        self._status = 0
        self._cut_off = False  # the client stopped reading the answer before its end
        self._wire: tuple[str, float] | None = None
        self._user: str | None = None
        split = urlsplit(self.path)
        self._query = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        try:
            self._route(split.path)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        except Exception:
            traceback.print_exc()
            if not self._status:
                self._send_status(status_object(500, "InternalError", "Internal error occurred: server bug"))
        finally:
            raw_q = parse_qs(split.query, keep_blank_values=True)
            self.server.log_request_entry({
                "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                "method": self.command,
                "path": split.path,
                "query": {k: v[-1] if len(v) == 1 else v for k, v in raw_q.items()},
                "raw_query": split.query,
                "status": self._status,
                "user": self._user,
                "accept": self.headers.get("Accept"),
                "user_agent": self.headers.get("User-Agent"),
                "duration_ms": round((time.monotonic() - started) * 1000, 2),
                "cut_off": self._cut_off,
            })

    def _send(self, code: int, body: bytes, content_type: str = "application/json",
              headers: dict[str, str] | None = None) -> None:
        self._status = code
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache, private")
        self.send_header("Audit-Id", str(uuid.uuid4()))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command == "HEAD":
            return
        wire = getattr(self, "_wire", None)
        if wire is None:
            self.wfile.write(body)
        elif wire[0] == "trickle":  # every chunk arrives well within any per-read timeout
            for start in range(0, len(body), 64):
                self.wfile.write(body[start:start + 64])
                self.wfile.flush()
                time.sleep(wire[1])
        elif wire[0] == "truncate":  # Content-Length promised the whole body; half of it comes
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
        else:  # reset: part of the body, then RST instead of FIN
            self.wfile.write(body[: len(body) // 3])
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True

    def _send_huge(self, head: bytes, size: int) -> None:
        """A valid JSON list body of about SIZE bytes (padding in the list metadata), streamed with
        chunked encoding and no Content-Length, so only counting while reading can stop it."""
        self._status = 200
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"x" * (1 << 20)
        prefix = head[:-1] + b',"padding":"'
        pieces = [prefix, *([chunk] * max(0, -(-(size - len(prefix)) >> 20))), b'"},"items":[]}']
        try:
            for piece in pieces:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client stopped reading (a broken pipe, a reset, TLS EOF): that is the point
            self._cut_off = True
        self.close_connection = True

    def _send_json(self, value: JSON, code: int = 200, content_type: str = "application/json") -> None:
        self._send(code, dumps(value), content_type)

    def _send_status(self, status: JSON, headers: dict[str, str] | None = None) -> None:
        self._send(int(status["code"]), dumps(status), "application/json", headers)

    def _not_found(self) -> None:
        self._send_status(status_object(404, "NotFound", "the server could not find the requested resource",
                                        {}))

    def _drain_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > 10 * 1024 * 1024:
            self.close_connection = True
            return
        while length > 0:
            chunk = self.rfile.read(min(length, 65536))
            if not chunk:
                break
            length -= len(chunk)
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True

    def _authenticate(self) -> bool:
        header = self.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if self.server.config.faults.revoked:
            return False
        if scheme.lower() == "bearer" and token.strip() and token.strip() in self.server.config.tokens:
            self._user = self.server.config.user
            return True
        return False

    # -- routing ----------------------------------------------------------------------------------
    def _route(self, path: str) -> None:
        if self.command != "GET":
            self._drain_body()
        if path in ("/healthz", "/readyz", "/livez") and self.command == "GET":
            self._send(200, b"ok", "text/plain; charset=utf-8")
            return
        if not self._authenticate():
            self._send_status(status_object(401, "Unauthorized", "Unauthorized"))
            return
        if self.command != "GET":
            self._send_status(status_object(
                405, "MethodNotAllowed", "the server does not allow this method on the requested resource",
                {}), headers={"Allow": "GET"})
            return
        parts = [unquote(p) for p in path.strip("/").split("/") if p]
        if parts == ["version"]:
            self._wire = self.server.config.faults.wire_fault("version", None)
            self._send_json(self._malformed("version", self._version()))
        elif parts == ["api"]:
            self._send_json({"kind": "APIVersions", "versions": ["v1"], "serverAddressByClientCIDRs": [
                {"clientCIDR": "0.0.0.0/0", "serverAddress": f"{self.server.server_address[0]}:{self.server.port}"}]})
        elif parts == ["apis"]:
            self._send_json({"kind": "APIGroupList", "apiVersion": "v1",
                             "groups": [self._malformed(f"group:{g}", self._api_group(g))
                                        for g in self.server.cluster.registry.groups()]})
        elif len(parts) == 2 and parts[0] == "apis":
            if parts[1] in self.server.cluster.registry.groups():
                self._send_json({"kind": "APIGroup", "apiVersion": "v1", **self._api_group(parts[1])})
            else:
                self._not_found()
        elif parts[:1] == ["api"] and len(parts) >= 2:
            self._route_group("", parts[1], parts[2:])
        elif parts[:1] == ["apis"] and len(parts) >= 3:
            self._route_group(parts[1], parts[2], parts[3:])
        else:
            self._not_found()

    def _version(self) -> JSON:
        git_version = self.server.config.git_version
        m = re.match(r"v?(\d+)\.(\d+)(?:\.\d+)?(.*)", git_version)
        major, minor, rest = (m.group(1), m.group(2), m.group(3)) if m else ("1", "0", "")
        if rest.startswith("-") and "+" not in rest:
            minor += "+"  # managed distributions (EKS, GKE) report e.g. minor "29+"
        return {"major": major, "minor": minor, "emulationMajor": major, "emulationMinor": minor.rstrip("+"),
                "minCompatibilityMajor": major, "minCompatibilityMinor": str(max(0, int(minor.rstrip("+")) - 1)),
                "gitVersion": git_version, "gitCommit": hashlib.sha1(git_version.encode()).hexdigest(),
                "gitTreeState": "clean", "buildDate": "2024-04-16T00:00:00Z", "goVersion": "go1.21.9",
                "compiler": "gc", "platform": "linux/amd64"}

    def _malformed(self, target: str, value: JSON) -> JSON:
        """VALUE with the --malform faults for TARGET ("version", "group:apps") applied."""
        for name, path, wrong in self.server.config.faults.malform:
            if name == target:
                value = copy.deepcopy(value)
                set_path(value, path, wrong)
        return value

    def _api_group(self, group: str) -> JSON:
        versions = [{"groupVersion": f"{group}/{v}", "version": v}
                    for v in self.server.cluster.registry.versions(group)]
        return {"name": group, "versions": versions, "preferredVersion": versions[0]}

    def _route_group(self, group: str, version: str, rest: list[str]) -> None:
        registry = self.server.cluster.registry
        if version not in registry.versions(group):
            self._not_found()
            return
        if not rest:
            gv = f"{group}/{version}" if group else version
            self._send_json({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                             "resources": [rt.discovery() for rt in registry.resources(group, version)]})
            return
        namespace: str | None = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        rt = registry.by_plural.get((group, version, rest[0]))
        if rt is None or (namespace is not None and not rt.namespaced):
            self._not_found()
            return
        if group == "" and rest[0] == "nodes" and len(rest) == 4 and rest[2:] == ["proxy", "configz"]:
            self._configz(rest[1])
        elif len(rest) == 1:
            self._resource_request(rt, namespace, None)
        elif len(rest) == 2 and (namespace is not None or not rt.namespaced):
            self._resource_request(rt, namespace, rest[1])
        else:
            self._not_found()  # subresources (status, log, scale, ...) are not served

    # -- the node proxy: a kubelet's /configz ------------------------------------------------------
    def _configz(self, node: str) -> None:
        config = self.server.config
        nodes = self.server.cluster.registry.by_plural.get(("", "v1", "nodes"))
        if nodes is None or self.server.cluster.get(nodes, None, node) is None:
            self._send_status(status_object(404, "NotFound", f'nodes "{node}" not found',
                                            {"name": node, "kind": "nodes"}))
            return
        answer = config.kubelet_configs.get(node, DEFAULT_KUBELET_CONFIG)
        if answer == "forbidden" or config.faults.forbidden(nodes, None):
            self._send_status(status_object(
                403, "Forbidden", f'nodes "{node}" is forbidden: User "{config.user}" cannot get resource '
                f'"nodes/proxy" in API group "" at the cluster scope', {"name": node, "kind": "nodes"}))
        elif answer == "unreachable":
            self._send_status(status_object(
                503, "ServiceUnavailable",
                f"error trying to reach service: dial tcp 10.0.0.1:10250: connect: connection refused ({node})"))
        elif answer == "malformed":
            self._send_json({"kubeletconfig": "not an object"})
        else:
            self._send_json({"kubeletconfig": answer})

    # -- resources --------------------------------------------------------------------------------
    def _resource_request(self, rt: ResourceType, namespace: str | None, name: str | None) -> None:
        config, faults, q = self.server.config, self.server.config.faults, self._query
        if faults.exhausted(faults.die_after, rt):
            self._die()
        if faults.exhausted(faults.revoke_token, rt):
            faults.revoked = True
            self._send_status(status_object(401, "Unauthorized", "Unauthorized"))
            return
        if faults.matches(faults.missing, rt):  # e.g. a CRD deleted after discovery was read
            self._send_status(status_object(404, "NotFound", "the server could not find the requested resource",
                                            {}))
            return
        watch = q.get("watch", "").lower() in ("true", "1")
        verb = "get" if name else ("watch" if watch else "list")
        if faults.forbidden(rt, namespace):
            scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
            target = f'{rt.plural} "{name}"' if name else rt.plural
            details: JSON = {"name": name} if name else {}
            if rt.group:
                details["group"] = rt.group
            details["kind"] = rt.plural
            self._send_status(status_object(
                403, "Forbidden",
                f'{target} is forbidden: User "{config.user}" cannot {verb} resource "{rt.plural}" '
                f'in API group "{rt.group}" {scope}', details))
            return
        delay = faults.delay_for(rt)
        if delay > 0:
            time.sleep(delay)
        if (throttle := faults.take_throttle(rt)) is not None:
            retry_after = max(0, math.ceil(throttle.value))
            self._send_status(status_object(429, "TooManyRequests", "Too many requests, please try again later.",
                                            {"retryAfterSeconds": retry_after}),
                              headers={"Retry-After": str(retry_after)})
            return
        if faults.take_fail(rt) is not None:
            self._send_status(status_object(500, "InternalError",
                                            "Internal error occurred: injected transient failure",
                                            {"causes": [{"message": "injected transient failure"}]}))
            return
        rep = negotiate(self.headers.get("Accept"), "object" if name else "list")
        if rep is not None and faults.matches(faults.ignore_accept, rt):
            rep = ("json", "")  # like an aggregated API server that does not know PartialObjectMetadata
        if rep is None:
            self._send_status(status_object(
                406, "NotAcceptable",
                "only the following media types are accepted: application/json, "
                "application/json;as=PartialObjectMetadata[List];g=meta.k8s.io;v=v1"))
            return
        self._wire = faults.wire_fault(rt.plural, rt)
        try:
            if name is not None:
                self._get(rt, namespace, name, rep)
            elif watch:
                self._watch(rt, namespace, rep)
            else:
                self._list(rt, namespace, rep)
        except BadRequest as exc:
            self._send_status(status_object(400, "BadRequest", str(exc)))

    def _get(self, rt: ResourceType, namespace: str | None, name: str, rep: tuple[str, str]) -> None:
        entry = self.server.cluster.get(rt, namespace, name)
        if entry is None:
            details: JSON = {"name": name}
            if rt.group:
                details["group"] = rt.group
            details["kind"] = rt.plural
            self._send_status(status_object(404, "NotFound", f'{rt.plural}{"." + rt.group if rt.group else ""} '
                                            f'"{name}" not found', details))
            return
        if rep[0] == "partial":
            self._send_json(partial(entry.obj, rep[1]),
                            content_type=f"application/json;as=PartialObjectMetadata;g={META_V1};v={rep[1]}")
        else:
            self._send_json(entry.obj)

    def _filtered(self, rt: ResourceType, namespace: str | None) -> tuple[list[Entry], list[str], bool]:
        entries, keys = self.server.cluster.select(rt, namespace)
        selectors = []
        if self._query.get("labelSelector"):
            selectors.append(label_matcher(self._query["labelSelector"]))
        if self._query.get("fieldSelector"):
            selectors.append(field_matcher(self._query["fieldSelector"]))
        if selectors:
            pairs = [(e, k) for e, k in zip(entries, keys, strict=True) if all(s(e.obj) for s in selectors)]
            return [p[0] for p in pairs], [p[1] for p in pairs], True
        return entries, keys, False

    def _list(self, rt: ResourceType, namespace: str | None, rep: tuple[str, str]) -> None:
        cluster, q = self.server.cluster, self._query
        entries, keys, filtered = self._filtered(rt, namespace)
        try:
            limit = int(q.get("limit") or 0)
        except ValueError as exc:
            raise BadRequest(f"invalid limit: {q.get('limit')!r}") from exc
        if self.server.config.max_limit and (limit <= 0 or limit > self.server.config.max_limit):
            limit = self.server.config.max_limit
        prefix = rt.key_prefix(namespace)
        faults = self.server.config.faults
        list_rv = cluster.resource_version + faults.compactions
        start, page = 0, 0
        token = q.get("continue")
        if token:
            if q.get("resourceVersion"):
                raise BadRequest("specifying resource version is not allowed when using continue")
            start_key, page, token_rv = decode_continue(token, prefix)
            if token_rv < list_rv or faults.take_expire(rt, page):
                list_rv = cluster.resource_version + faults.compactions
                fresh = encode_continue(list_rv, start_key.rstrip("\x00"), page)
                self._send_status(status_object(
                    410, "Expired",
                    "The provided continue parameter is too old to display a consistent list result. You can "
                    "start a new list without the continue parameter, or use the continue token in this response "
                    "to retrieve the remainder of the results. Continuing with the provided token results in an "
                    "inconsistent list - objects that were created, modified, or deleted between the time the "
                    "first chunk was returned and now may show up in the list.",
                    metadata={"continue": fresh}))
                return
            start = bisect.bisect_left(keys, start_key)
        end = min(len(entries), start + limit) if limit > 0 else len(entries)
        page_entries = entries[start:end]
        if token and start > 0 and faults.matches(faults.duplicate, rt):
            page_entries = [entries[start - 1], *page_entries]  # an object seen on the previous page again
        list_meta: JSON = {"resourceVersion": str(list_rv)}
        if end < len(entries):
            list_meta["continue"] = encode_continue(list_rv, keys[end - 1] if end > 0 else prefix, page + 1)
            if not filtered and self.server.config.remaining_count:
                list_meta["remainingItemCount"] = len(entries) - end
        if faults.matches(faults.fresh_continue, rt):  # a new token every time, past the end too
            last = keys[end - 1] if 0 < end <= len(keys) else (keys[-1] if keys else prefix)
            list_meta["continue"] = encode_continue(list_rv, last, page + 1)
            list_meta.pop("remainingItemCount", None)
        elif faults.matches(faults.cycle_continue, rt) and page >= 2 and limit > 0 and keys:
            # A -> B -> A: the token of the first page again
            list_meta["continue"] = encode_continue(list_rv, keys[min(limit, len(keys)) - 1], 1)
            list_meta.pop("remainingItemCount", None)
        if (size := faults.huge_for(rt)) > 0:
            self._send_huge(dumps({"kind": rt.list_kind, "apiVersion": rt.group_version, "metadata": list_meta}),
                            size)
            return
        if rep[0] == "partial":
            body = dumps({"kind": "PartialObjectMetadataList", "apiVersion": f"{META_V1}/{rep[1]}",
                          "metadata": list_meta, "items": [partial(e.obj, rep[1]) for e in page_entries]})
            self._send(200, body, f"application/json;as=PartialObjectMetadataList;g={META_V1};v={rep[1]}")
            return
        head = dumps({"kind": rt.list_kind, "apiVersion": rt.group_version, "metadata": list_meta})
        body = head[:-1] + b',"items":[' + b",".join(e.item for e in page_entries) + b"]}"
        self._send(200, body)

    def _die(self) -> None:
        """The server goes away mid-scan: log this request, then exit without answering it.
        The connection is dropped and later connections are refused."""
        self._status = 0
        self.server.log_request_entry({
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"), "method": self.command,
            "path": urlsplit(self.path).path, "query": self._query, "raw_query": urlsplit(self.path).query,
            "status": 0, "user": self._user, "accept": self.headers.get("Accept"),
            "user_agent": self.headers.get("User-Agent"), "duration_ms": 0.0, "died": True})
        os._exit(0)

    def _watch(self, rt: ResourceType, namespace: str | None, rep: tuple[str, str]) -> None:
        """Minimal watch: synthetic ADDED events for current objects (unless resuming), then end."""
        entries, _, _ = self._filtered(rt, namespace)
        rv = self._query.get("resourceVersion", "")
        try:
            timeout = float(self._query.get("timeoutSeconds") or self.server.config.watch_timeout)
        except ValueError:
            timeout = self.server.config.watch_timeout
        self._status = 200
        self.close_connection = True
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Connection", "close")
        self.end_headers()
        if rv in ("", "0"):
            for e in entries:
                obj = partial(e.obj, rep[1]) if rep[0] == "partial" else e.obj
                self.wfile.write(dumps({"type": "ADDED", "object": obj}) + b"\n")
        self.wfile.flush()
        time.sleep(max(0.0, min(timeout, self.server.config.watch_timeout)))


# --------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tests.apiserver.server",
                                description="Read-only fake Kubernetes API server for tests and benchmarks.")
    p.add_argument("--manifests", nargs="*", type=Path, default=[], metavar="PATH",
                   help="manifest files or directories (.yaml/.yml/.json, multi-document, kind: List)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    p.add_argument("--cert", type=Path, help="server certificate (PEM); without --cert/--key: plain HTTP")
    p.add_argument("--key", type=Path, help="server private key (PEM)")
    p.add_argument("--token", action="append", default=[], help="accepted bearer token (repeatable)")
    p.add_argument("--user", default=DEFAULT_USER, help="user name reported in 403 messages")
    p.add_argument("--state-file", type=Path, help='written atomically once listening: {"pid","host","port","url"}')
    p.add_argument("--request-log", type=Path, help="append one JSON line per request")
    p.add_argument("--git-version", default=DEFAULT_GIT_VERSION, help="gitVersion served at /version")
    p.add_argument("--forbid", action="append", default=[], metavar="[NS/]RESOURCE[,...]",
                   help="403 for a resource (pods, deployments.apps, *), optionally only in namespace NS")
    p.add_argument("--fail", action="append", default=[], metavar="RESOURCE:N",
                   help="the first N requests for RESOURCE get 500 InternalError")
    p.add_argument("--throttle", action="append", default=[], metavar="RESOURCE:N[:SECONDS]",
                   help="the first N requests for RESOURCE get 429 with Retry-After SECONDS (default 1)")
    p.add_argument("--expire-continue", action="append", default=[], metavar="RESOURCE[:PAGES[:TIMES]]",
                   help="410 Expired for a continue token once PAGES pages (default 1) were served; TIMES times")
    p.add_argument("--delay", action="append", default=[], metavar="RESOURCE:SECONDS",
                   help="sleep SECONDS before answering each request for RESOURCE")
    p.add_argument("--missing", action="append", default=[], metavar="RESOURCE[,...]",
                   help="discovery lists RESOURCE but list and get answer 404 (a CRD removed mid-scan)")
    p.add_argument("--ignore-accept", action="append", default=[], metavar="RESOURCE[,...]",
                   help="serve full objects for RESOURCE even when metadata-only lists are asked for")
    p.add_argument("--duplicate", action="append", default=[], metavar="RESOURCE[,...]",
                   help="every continued page of RESOURCE starts with the previous page's last item again")
    p.add_argument("--revoke-token-after", action="append", default=[], metavar="RESOURCE:N",
                   help="after N requests for RESOURCE, every request (of anything) gets 401")
    p.add_argument("--die-after", action="append", default=[], metavar="RESOURCE:N",
                   help="after N requests for RESOURCE, the next one makes the process exit without answering")
    p.add_argument("--trickle", action="append", default=[], metavar="RESOURCE:SECONDS",
                   help="send the body of each answer for RESOURCE (or 'version') 64 bytes per SECONDS")
    p.add_argument("--truncate", action="append", default=[], metavar="RESOURCE:N",
                   help="the first N answers for RESOURCE send half their body, then close the connection")
    p.add_argument("--reset", action="append", default=[], metavar="RESOURCE:N",
                   help="the first N answers for RESOURCE send a third of their body, then reset the connection")
    p.add_argument("--huge", action="append", default=[], metavar="RESOURCE:BYTES",
                   help="list answers for RESOURCE are padded to BYTES, streamed without Content-Length")
    p.add_argument("--cycle-continue", action="append", default=[], metavar="RESOURCE[,...]",
                   help="the third page of RESOURCE answers with the first page's continue token (A -> B -> A)")
    p.add_argument("--fresh-continue", action="append", default=[], metavar="RESOURCE[,...]",
                   help="every page of RESOURCE, past the end too, carries a new continue token")
    p.add_argument("--malform", action="append", default=[], metavar="TARGET:PATH=JSON",
                   help="set a dotted PATH to a JSON value in RESOURCE's first object, RESOURCE/NAME, "
                        "'version' (GET /version) or 'group:NAME' (the group's entry in GET /apis)")
    p.add_argument("--no-remaining-count", action="store_true", help="never send metadata.remainingItemCount")
    p.add_argument("--max-limit", type=int, default=0,
                   help="cap page size (also applied when the client sends no limit); 0 = no cap")
    p.add_argument("--generate-pods", type=int, default=0, metavar="N",
                   help="add a generated cluster: Deployments -> ReplicaSets -> N Pods (+ Nodes, Namespaces)")
    p.add_argument("--generate-namespaces", type=int, default=10)
    p.add_argument("--generate-replicas", type=int, default=5, help="pods per generated Deployment")
    p.add_argument("--generate-bare", action="store_true", help="generated pods have no owners (no Deployments)")
    p.add_argument("--no-implicit", action="store_true",
                   help="do not add system namespaces and per-namespace default ServiceAccounts")
    p.add_argument("--no-defaulting", action="store_true", help="serve objects without apiserver defaulting")
    p.add_argument("--watch-timeout", type=float, default=1.0, help="max seconds a watch stays open")
    p.add_argument("--kubelet-configs", type=Path, metavar="FILE",
                   help='JSON: node name -> its /configz kubeletconfig, or "forbidden", "unreachable", "malformed"')
    p.add_argument("--verbose", "-v", action="store_true", help="access log and connection errors on stderr")
    return p


def make_server(args: argparse.Namespace) -> ApiServer:
    docs = load_manifests(args.manifests)
    if args.generate_pods:
        docs.extend(generate_cluster(args.generate_pods, args.generate_namespaces, args.generate_replicas,
                                     args.generate_bare))
    cluster = Cluster(docs, implicit=not args.no_implicit, defaulting=not args.no_defaulting)
    faults = Faults.parse(args.forbid, args.fail, args.throttle, args.expire_continue, args.delay, args.missing,
                          args.ignore_accept, args.duplicate, args.revoke_token_after, args.die_after,
                          args.trickle, args.truncate, args.reset, args.huge, args.cycle_continue,
                          args.fresh_continue, args.malform)
    malform_cluster(cluster, faults)
    if not args.token:
        raise SystemExit("at least one --token is required")
    config = ServerConfig(tokens=tuple(args.token), user=args.user, git_version=args.git_version, faults=faults,
                          request_log=args.request_log, verbose=args.verbose, watch_timeout=args.watch_timeout,
                          max_limit=args.max_limit, remaining_count=not args.no_remaining_count,
                          kubelet_configs=json.loads(args.kubelet_configs.read_text()) if args.kubelet_configs else {})
    tls = None
    if args.cert or args.key:
        if not (args.cert and args.key):
            raise SystemExit("--cert and --key go together")
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.minimum_version = ssl.TLSVersion.TLSv1_2
        tls.load_cert_chain(str(args.cert), str(args.key))
        tls.set_alpn_protocols(["http/1.1"])
    return ApiServer((args.host, args.port), cluster, config, tls)


def write_state(path: Path, state: JSON) -> None:
    tmp = path.with_name(path.name + f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state))
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    started = time.monotonic()
    server = make_server(args)
    host = server.server_address[0]
    url_host = f"[{host}]" if ":" in host else host
    url = f"{server.scheme}://{url_host}:{server.port}"

    def _terminate(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, _terminate)
    state = {"pid": os.getpid(), "host": host, "port": server.port, "url": url,
             "objects": sum(server.cluster.counts().values()),
             "startup_seconds": round(time.monotonic() - started, 3)}
    if args.state_file:
        write_state(args.state_file, state)
    print(f"listening on {url}", flush=True)
    try:
        server.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
