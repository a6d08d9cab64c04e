"""Owner folding: objects a controller owns are reported once, at the top-level owner.

The rule: a Pod, ReplicaSet, Job (or any workload) whose *controller* ownerReference
(`controller: true`) points, by uid, at a workload object this scan has already seen
is not evaluated on its own; it is folded into that owner's top-level owner, and owned
Pods are counted there. The owner's pod template is what the findings are about, and
it is what a user fixes. Everything else is reported itself: bare Pods, Pods whose
owner is not a workload kind (an operator's custom resource), and Pods whose owner
could not be listed (a coverage gap must not hide them).

Owners are listed before what they own (Deployments and CronJobs, then ReplicaSets
and Jobs, then Pods), so the decision is made as each page streams by; only the uid
of each workload object is kept, never the objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubeaudit.model import Location, Origin

# Workload kinds that can own other workloads or pods (by controller ownerReference).
OWNER_KINDS = frozenset(
    {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Job", "CronJob"}
)
# Kinds that may be folded into an owner.
FOLDABLE_KINDS = OWNER_KINDS | {"Pod"}
# Listing order: a kind is listed only after every kind that can own it.
TIERS: tuple[frozenset[str], ...] = (
    frozenset({"ReplicaSet", "Job"}),  # owned by Deployment / CronJob
    frozenset({"Pod"}),  # owned by ReplicaSet, StatefulSet, DaemonSet, ReplicationController, Job
)


def tier_of(kind: str) -> int:
    for i, kinds in enumerate(TIERS, start=1):
        if kind in kinds:
            return i
    return 0


@dataclass(slots=True)
class OwnedCount:
    """What was folded into one top-level owner."""

    pods: int = 0
    objects: int = 0  # folded objects of any kind (ReplicaSets, Jobs, Pods)
    owner: tuple[str, str, str] = ("", "", "")  # the top-level owner: (kind, namespace, name)


@dataclass(frozen=True, slots=True)
class ClusterOrigin(Origin):
    """Origin of a cluster object; a workload owner also carries what was folded into it."""

    owned: OwnedCount | None = field(default=None, compare=False, repr=False)

    @property
    def owned_pods(self) -> int | None:
        return self.owned.pods if self.owned is not None else None

    def location(self) -> Location:
        return Location(self.source, context=self.context, owned_pods=self.owned_pods)


def controller_uid(obj: dict[str, Any]) -> str | None:
    meta = obj.get("metadata")
    refs = meta.get("ownerReferences") if isinstance(meta, dict) else None
    if not isinstance(refs, list):
        return None
    for ref in refs:
        if isinstance(ref, dict) and ref.get("controller") is True and isinstance(ref.get("uid"), str):
            return str(ref["uid"])
    return None


class OwnerIndex:
    """uid of every workload owner seen -> the counter of its top-level owner."""

    def __init__(self) -> None:
        self._top: dict[str, OwnedCount] = {}
        self.folded: dict[str, int] = {}  # kind -> objects folded

    def fold(self, kind: str, obj: dict[str, Any]) -> OwnedCount | None:
        """The counter of the top-level owner if obj is folded into it; None if obj stands alone.
        A standalone owner gets a fresh counter; call `counter_for` for it."""
        if kind not in FOLDABLE_KINDS:
            return None
        owner = controller_uid(obj)
        counter = self._top.get(owner) if owner is not None else None
        if counter is None:
            return None
        counter.objects += 1
        if kind == "Pod":
            counter.pods += 1
        else:
            self._remember(obj, counter)
        self.folded[kind] = self.folded.get(kind, 0) + 1
        return counter

    def counter_for(self, kind: str, obj: dict[str, Any]) -> OwnedCount | None:
        """A new counter for a top-level workload owner (None for kinds that own nothing)."""
        if kind not in OWNER_KINDS:
            return None
        raw = obj.get("metadata")
        meta: dict[str, Any] = raw if isinstance(raw, dict) else {}
        counter = OwnedCount(owner=(kind, str(meta.get("namespace") or ""), str(meta.get("name") or "")))
        self._remember(obj, counter)
        return counter

    def _remember(self, obj: dict[str, Any], counter: OwnedCount) -> None:
        meta = obj.get("metadata")
        uid = meta.get("uid") if isinstance(meta, dict) else None
        if isinstance(uid, str):
            self._top[uid] = counter
