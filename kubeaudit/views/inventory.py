"""Cross-resource views: built once per scan from the resources they need.

Questions that join resources (who can read secrets once every binding is added
up? which pods does no NetworkPolicy select?) are answered here, once, so that
rules over these views stay declarative. A view names the kinds it reads; the
pipeline keeps only resources of those kinds for the whole scan.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kubeaudit.model import Resource
from kubeaudit.views.base import Target

T = TypeVar("T")


class Inventory:
    """The resources cross-resource views asked for, plus facts sources report."""

    def __init__(self, kinds: frozenset[str]) -> None:
        self.kinds = kinds
        self._by_kind: dict[str, list[Resource]] = defaultdict(list)
        self.facts: dict[str, Any] = {}
        self.settings: dict[str, Any] = {}  # from the config file, for views that take options
        # Kinds a source could not read (e.g. 403 on a cluster): a view must not read their
        # absence as "does not exist" (no false "missing role" findings).
        self.unavailable: dict[str, str] = {}
        self._derived: dict[str, Any] = {}

    def derived(self, name: str, build: Callable[[Inventory], T]) -> T:
        """What `build` makes of this inventory, made once and shared by the views that read it
        (the namespace and podnetwork views share one network model)."""
        if name not in self._derived:
            self._derived[name] = build(self)
        return self._derived[name]

    def wants(self, kind: str) -> bool:
        return kind in self.kinds

    def add(self, resource: Resource) -> None:
        self._derived.clear()  # built from fewer resources
        self._by_kind[resource.kind].append(resource)

    def of_kind(self, *kinds: str) -> list[Resource]:
        found: list[Resource] = []
        for kind in kinds:
            found.extend(self._by_kind.get(kind, ()))
        return found


@dataclass(frozen=True)
class InventoryView:
    name: str
    kinds: frozenset[str]  # what it reads from the inventory
    fields: frozenset[str]  # the top-level fields of its documents (for checking rule messages)
    build: Callable[[Inventory], list[Target]] = field(repr=False)


# Filled by the modules that define cross-resource views (RBAC subjects, namespaces...).
INVENTORY_VIEWS: dict[str, InventoryView] = {}


def register(view: InventoryView) -> InventoryView:
    INVENTORY_VIEWS[view.name] = view
    return view
