"""Cluster facts for rules and views: server version, node versions, namespace labels.

They reach the pipeline as `Batch.facts` under one key per context,
`cluster/<context>`, so several clusters in one run do not overwrite each other:

    {"context": "prod",
     "serverVersion": {"gitVersion": "v1.29.4", "major": "1", "minor": "29", "platform": ...},
     "nodes": {"node-1": {"kubeletVersion": ..., "containerRuntimeVersion": ..., "osImage": ...,
                          "kernelVersion": ..., "architecture": ..., "operatingSystem": ...}},
     "namespaces": {"team-a": {"labels": {...}, "podSecurity": {"enforce": "baseline", ...}}},
     "scannedNamespaces": ["team-a"],  # with --namespace; null: every namespace was listed
     "servedVersions": [{"apiVersion": "autoscaling/v2beta2", "kind": "HorizontalPodAutoscaler",
                         "objects": [{"namespace": "team-a", "name": "web"}]}]}

`servedVersions` lists, for each deprecated version the rules asked about that the server serves
(and the scan does not list the kind at anyway), the objects the server serves there.
"""

from __future__ import annotations

from typing import Any

NODE_INFO_FIELDS = (
    "kubeletVersion",
    "containerRuntimeVersion",
    "kubeProxyVersion",
    "osImage",
    "kernelVersion",
    "architecture",
    "operatingSystem",
)
PSA_PREFIX = "pod-security.kubernetes.io/"


def facts_key(context: str) -> str:
    return f"cluster/{context}"


class ClusterFacts:
    def __init__(self, context: str) -> None:
        self.context = context
        self.server_version: dict[str, Any] = {}
        self.nodes: dict[str, dict[str, Any]] = {}
        self.namespaces: dict[str, dict[str, Any]] = {}
        # "Kind/namespace/name" of each top-level workload -> container -> imageID -> pod names,
        # from the pods' status.containerStatuses (read before the status is dropped).
        self.pod_images: dict[str, dict[str, Any]] = {}
        self.served_versions: dict[tuple[str, str], list[dict[str, Any]]] = {}  # (apiVersion, kind) -> objects
        # The namespaces a --namespace scan reads (None: all): objects elsewhere were never listed,
        # so a view must not take their absence as "does not exist".
        self.scanned_namespaces: list[str] | None = None

    def add_served(self, api_version: str, kind: str, items: list[dict[str, Any]]) -> None:
        objects = self.served_versions.setdefault((api_version, kind), [])
        for item in items:
            meta = item.get("metadata")
            meta = meta if isinstance(meta, dict) else {}
            name, namespace = meta.get("name"), meta.get("namespace")
            if isinstance(name, str) and name:
                objects.append({"namespace": namespace if isinstance(namespace, str) else None, "name": name})

    def add_node(self, node: dict[str, Any]) -> None:
        meta = node.get("metadata") or {}
        info = (node.get("status") or {}).get("nodeInfo") or {}
        if isinstance(info, dict):
            self.nodes[str(meta.get("name"))] = {k: info[k] for k in NODE_INFO_FIELDS if k in info}

    def add_pod_images(self, owner: tuple[str, str, str], pod: dict[str, Any]) -> None:
        kind, namespace, name = owner
        meta = pod.get("metadata") or {}
        status = pod.get("status")
        statuses = status.get("containerStatuses") if isinstance(status, dict) else None
        if not isinstance(statuses, list):
            return
        entry = self.pod_images.setdefault(
            f"{kind}/{namespace}/{name}", {"kind": kind, "namespace": namespace, "name": name, "containers": {}}
        )
        for item in statuses:
            if not isinstance(item, dict) or not isinstance(item.get("imageID"), str) or not item["imageID"]:
                continue
            container = entry["containers"].setdefault(str(item.get("name")), {"image": item.get("image"), "ids": {}})
            container["ids"].setdefault(item["imageID"], []).append(str(meta.get("name")))

    def add_namespace(self, namespace: dict[str, Any]) -> None:
        meta = namespace.get("metadata") or {}
        raw_labels = meta.get("labels")
        labels: dict[str, Any] = raw_labels if isinstance(raw_labels, dict) else {}
        psa = {k[len(PSA_PREFIX) :]: v for k, v in labels.items() if isinstance(k, str) and k.startswith(PSA_PREFIX)}
        self.namespaces[str(meta.get("name"))] = {"labels": dict(labels), "podSecurity": psa}

    def as_dict(self) -> dict[str, Any]:
        return {
            facts_key(self.context): {
                "context": self.context,
                "serverVersion": self.server_version,
                "nodes": self.nodes,
                "namespaces": self.namespaces,
                "scannedNamespaces": self.scanned_namespaces,
                "podImages": self.pod_images,
                "servedVersions": [
                    {"apiVersion": api_version, "kind": kind, "objects": objects}
                    for (api_version, kind), objects in sorted(self.served_versions.items())
                ],
            }
        }
