"""Which Pod Security policy version each namespace's pods are judged at.

Pod Security Admission judges a pod at the version its namespace pins with the
`pod-security.kubernetes.io/enforce-version` label. `latest` (and a label that is not a
valid version, which upstream also reads as latest) means the API server's own version in
a cluster; in manifests it means the run's default (`--pss-version`, else the newest policy
version we know). A namespace without the label uses the run's default when one was given
(an admission configuration's default, `--pss-version`), else `latest`.

Sources hand Namespace objects over before the workloads in them (the cluster lists them
first, manifest files holding one are read first), so each pod's version is known when its
rules run and nothing has to be kept for later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kubeaudit.engine.policy_versions import LATEST, PolicyVersionError, latest_minor, parse_minor, resolve
from kubeaudit.model import Resource

PSA_PREFIX = "pod-security.kubernetes.io/"
MODES = ("enforce", "audit", "warn")
LEVELS = ("privileged", "baseline", "restricted")
_MINOR = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class NamespaceLabels:
    """The Pod Security Admission labels of one namespace, as written (None: not set)."""

    values: dict[str, str] = field(default_factory=dict)  # "enforce", "enforce-version", "warn"...

    def level(self, mode: str) -> str | None:
        return self.values.get(mode)

    def version(self, mode: str) -> str | None:
        return self.values.get(f"{mode}-version")

    @classmethod
    def of(cls, metadata: Any) -> NamespaceLabels:
        labels = metadata.get("labels") if isinstance(metadata, dict) else None
        if not isinstance(labels, dict):
            return cls()
        return cls(
            {
                k[len(PSA_PREFIX) :]: v
                for k, v in labels.items()
                if isinstance(k, str) and k.startswith(PSA_PREFIX) and isinstance(v, str)
            }
        )


@dataclass(frozen=True, slots=True)
class WorkloadSummary:
    """What admission planning needs of a workload the scan judged."""

    kind: str
    name: str
    runtime_class: str | None  # spec.runtimeClassName of its pods


# A judged workload as psa-plan records it: ((context, namespace), summary).
WorkloadEntry = tuple[tuple[str | None, str], WorkloadSummary]


def server_minor(facts: Any) -> int | None:
    """The minor version of a cluster's API server from its facts ("29+" reads as 29)."""
    version = facts.get("serverVersion") if isinstance(facts, dict) else None
    if not isinstance(version, dict) or str(version.get("major", "")).strip("+") != "1":
        return None
    match = _MINOR.match(str(version.get("minor", "")))
    return int(match.group(0)) if match else None


class NamespacePolicies:
    """Namespace labels seen so far, and the policy version each resource is judged at."""

    def __init__(self, default: str | None = None, unpinned: str | None = None, record_workloads: bool = False) -> None:
        self.latest = latest_minor()
        for given in (default, unpinned):
            if given is not None and given != LATEST:
                parse_minor(given)  # a bad version is a usage error, raised here
        self.default = default  # None: not given
        # The version of namespaces without an enforce-version label when it is not `default`
        # (an admission configuration's default enforce-version); None: `default`.
        self.unpinned = unpinned
        self.labels: dict[tuple[str | None, str], NamespaceLabels] = {}
        self.server: dict[str | None, int] = {}  # context -> server minor version
        # The workloads judged per (context, namespace): a few fields each, for psa-plan.
        self.workloads: dict[tuple[str | None, str], list[WorkloadSummary]] = {}
        self.record_workloads = record_workloads

    def use_facts(self, facts: dict[str, Any]) -> None:
        for value in facts.values():
            if isinstance(value, dict) and "context" in value:
                minor = server_minor(value)
                if minor is not None:
                    self.server[value["context"]] = minor

    def add_namespace(self, resource: Resource) -> None:
        metadata = resource.data.get("metadata")
        self.labels[(resource.origin.context, resource.name)] = NamespaceLabels.of(metadata)

    def workload_entry(self, resource: Resource, pod_spec: Any) -> WorkloadEntry | None:
        """What add_workload records of a judged workload (None: workloads are not recorded)."""
        if not self.record_workloads:
            return None
        runtime_class = pod_spec.get("runtimeClassName") if isinstance(pod_spec, dict) else None
        runtime_class = runtime_class if isinstance(runtime_class, str) else None
        summary = WorkloadSummary(resource.kind, resource.name, runtime_class)
        return (resource.origin.context, self.namespace_of(resource)), summary

    def add_workload(self, entry: WorkloadEntry) -> None:
        key, summary = entry
        self.workloads.setdefault(key, []).append(summary)

    def namespace_of(self, resource: Resource) -> str:
        return resource.namespace or "default"

    def latest_for(self, context: str | None) -> int:
        """What `latest` means: the server's version in a cluster, else the run's default."""
        if context is not None and context in self.server:
            return min(self.server[context], self.latest)
        if self.default is not None:
            return resolve(self.default, self.latest)
        return self.latest

    def version_for(self, resource: Resource) -> int:
        return self.version_of(resource.origin.context, self.namespace_of(resource))

    def version_of(self, context: str | None, namespace: str) -> int:
        labels = self.labels.get((context, namespace))
        pinned = labels.version("enforce") if labels is not None else None
        if pinned is None:
            wanted = self.unpinned or self.default
            if wanted is not None and wanted != LATEST:
                return resolve(wanted, self.latest)
            return self.latest_for(context)
        try:
            return resolve(pinned, self.latest_for(context)) if pinned == LATEST else resolve(pinned, self.latest)
        except PolicyVersionError:
            return self.latest_for(context)  # upstream reads an invalid version as latest
