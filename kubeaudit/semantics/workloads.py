"""Where each workload kind keeps its pod: the one table every view of pods reads.

A Deployment keeps its pod spec at `spec.template.spec`, a CronJob five levels deep;
the pod view, the network views and suppressions all find pods through this table.
"""

from __future__ import annotations

from typing import Any

from kubeaudit.model import Path

_TEMPLATE: tuple[Path, Path] = (("spec", "template", "spec"), ("spec", "template", "metadata"))
# kind -> (path of the pod spec, path of the pod's metadata)
POD_SPEC_LOCATIONS: dict[str, tuple[Path, Path]] = {
    "Pod": (("spec",), ("metadata",)),
    "Deployment": _TEMPLATE,
    "StatefulSet": _TEMPLATE,
    "DaemonSet": _TEMPLATE,
    "ReplicaSet": _TEMPLATE,
    "ReplicationController": _TEMPLATE,
    "Job": _TEMPLATE,
    "CronJob": (
        ("spec", "jobTemplate", "spec", "template", "spec"),
        ("spec", "jobTemplate", "spec", "template", "metadata"),
    ),
    "PodTemplate": (("template", "spec"), ("template", "metadata")),
}
WORKLOAD_KINDS = frozenset(POD_SPEC_LOCATIONS)


def get_path(data: Any, path: Path) -> Any:
    """The value at path in nested mappings, or None where the path leaves them."""
    for part in path:
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data
