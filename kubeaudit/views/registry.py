"""The view registry: every view rules can target, declared once, one line per view.

A view declares its name, the kinds it reads and the top-level fields of the documents it
builds (checked against what it builds for the fixtures by tests/views/test_registry.py):

- a `ResourceView` makes targets from one resource at a time, as batches are read (`object`,
  `pod`, `container`);
- an `InventoryView` is built once per scan from the inventory of the kinds it reads, because
  its documents join resources (`subject`, `namespace`, `podnetwork`, `networkpolicy`).

The pipeline asks this registry which kinds to keep and which views to build; the rule loader
asks it which views exist and which fields a rule's message may name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kubeaudit.inventory import Inventory
from kubeaudit.model import Resource
from kubeaudit.semantics.fieldtree import FieldTree, union
from kubeaudit.views.base import Target

# What the per-resource views of one resource share (the pod and container views: one PodContext).
Shared = dict[str, Any]


@dataclass(frozen=True, kw_only=True)
class View:
    name: str
    kinds: frozenset[str] | None  # the kinds it reads (None: every kind)
    fields: frozenset[str]  # the top-level fields of its documents (for checking rule messages)


@dataclass(frozen=True, kw_only=True)
class ResourceView(View):
    build: Callable[[Resource, Shared], list[Target]] = field(repr=False)
    # The document is the resource as written, so it may hold fields beyond `fields` (which
    # then lists the ones rules commonly name).
    open_document: bool = False


@dataclass(frozen=True, kw_only=True)
class InventoryView(View):
    kinds: frozenset[str]  # what it reads from the inventory
    # Its targets; the pipeline takes them one at a time, so a view with many large documents
    # (attack paths) may make each as it is asked for.
    build: Callable[[Inventory], Iterable[Target]] = field(repr=False)
    # Kinds that, not fully read, could make its rules assert something false (a missing
    # NetworkPolicy reads as "not isolated"): then its rules do not run and its targets are
    # reported as not evaluated. None: every kind it reads.
    decisive: frozenset[str] | None = None
    # Kinds read when the input has them, whose absence the view does not need to know about
    # (so a source that could not read them leaves the view's targets evaluated, and a cluster
    # scan does not list them for this view).
    optional_kinds: frozenset[str] = frozenset()
    # When set: of the optional kinds, only the resources it accepts are kept, and kept whole
    # (not slimmed), e.g. the one kube-apiserver static pod among all pods.
    keep: Callable[[Resource], bool] | None = field(default=None, repr=False)
    # (apiVersion, kind) pairs it judges wherever a cluster serves them, not only at the version
    # the scan lists a kind at: a cluster source lists the objects the server serves at those
    # versions (metadata only) into its facts, `servedVersions` (sources/cluster/facts.py).
    served_versions: frozenset[tuple[str, str]] = frozenset()
    # What it reads of each kept workload's pod spec (kubeaudit.semantics.fieldtree); the inventory
    # keeps no other pod spec field of a slimmed workload. None: none.
    pod_fields: FieldTree | None = None
    # What it reads of the resources of other kinds it keeps, by kind (kubeaudit.semantics.fieldtree):
    # a kind every view keeping it declares is kept trimmed to the union; one that a view does not
    # declare is kept whole.
    kind_fields: Mapping[str, FieldTree] = field(default_factory=dict)

    def keeps(self, kind: str) -> bool:
        """Whether the inventory keeps every resource of this kind for this view."""
        return kind in self.all_kinds or (self.keep is None and kind in self.optional_kinds)

    @property
    def decisive_kinds(self) -> frozenset[str]:
        return self.kinds if self.decisive is None else self.decisive

    # Kinds only some fields need (a Gateway's credentials need Secrets): a rule that does not
    # read such a field does not depend on them, so a 403 on them leaves it evaluated.
    field_kinds: Mapping[str, frozenset[str]] = field(default_factory=dict)

    @property
    def all_kinds(self) -> frozenset[str]:
        """Every kind the view reads, for the inventory to keep."""
        return self.kinds.union(*self.field_kinds.values())

    def kinds_for(self, used_fields: frozenset[str] | None) -> frozenset[str]:
        """The kinds a rule reading these top-level fields needs (None: it may read any)."""
        if used_fields is None:
            return self.all_kinds
        return self.kinds.union(*(kinds for name, kinds in self.field_kinds.items() if name in used_fields))


AnyView = TypeVar("AnyView", bound=View)

# Filled, in import order, by the modules that define views (kubeaudit/views/__init__.py imports them).
VIEWS: dict[str, View] = {}


def register(view: AnyView) -> AnyView:
    """Add a view (its name must be new); returns it, so a module can keep it as a constant."""
    if view.name in VIEWS:
        raise ValueError(f"view {view.name!r} registered twice")
    VIEWS[view.name] = view
    _resource_views.clear()
    return view


# The per-resource views in registration order, worked out once (every resource asks) and again
# after a registration.
_resource_views: list[ResourceView] = []


def resource_views() -> list[ResourceView]:
    if not _resource_views:
        _resource_views.extend(v for v in VIEWS.values() if isinstance(v, ResourceView))
    return _resource_views


def inventory_view(name: str) -> InventoryView | None:
    view = VIEWS.get(name)
    return view if isinstance(view, InventoryView) else None


def kept_pod_fields(views: Iterable[InventoryView] | None = None) -> FieldTree:
    """The pod spec fields that `views` (by default every registered cross-resource view) read of
    the workloads the inventory keeps: what a slimmed workload keeps of its pod spec."""
    chosen = [v for v in VIEWS.values() if isinstance(v, InventoryView)] if views is None else views
    return union(*(v.pod_fields for v in chosen if v.pod_fields is not None))


def kept_kind_fields(views: Iterable[InventoryView], kinds: Iterable[str]) -> dict[str, FieldTree]:
    """For each of `kinds` that every one of `views` keeping it declares (kind_fields), the fields
    to keep of its resources: the union of their declarations. Kinds not in it are kept whole."""
    found: dict[str, FieldTree] = {}
    chosen = list(views)
    for kind in kinds:
        trees = [v.kind_fields.get(kind) for v in chosen if v.keeps(kind)]
        if trees and all(tree is not None for tree in trees):
            found[kind] = union(*(tree for tree in trees if tree is not None))
    return found


def view_fields(name: str) -> frozenset[str] | None:
    """Top-level fields of a view's documents, or None for an unknown view."""
    view = VIEWS.get(name)
    return view.fields if view is not None else None


def known_views() -> list[str]:
    return sorted(VIEWS)
