"""The view registry: every view the rules can target, declared in one place.

Cross-resource views (built once per scan from the inventory) register here with
the kinds they read and the fields of their documents.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from kubeaudit.inventory import Inventory
from kubeaudit.views.base import Target


@dataclass(frozen=True)
class InventoryView:
    name: str
    kinds: frozenset[str]  # what it reads from the inventory
    fields: frozenset[str]  # the top-level fields of its documents (for checking rule messages)
    build: Callable[[Inventory], list[Target]] = field(repr=False)
    # Kinds that, not fully read, could make its rules assert something false (a missing
    # NetworkPolicy reads as "not isolated"): then its rules do not run and its targets are
    # reported as not evaluated. None: every kind it reads.
    decisive: frozenset[str] | None = None

    @property
    def decisive_kinds(self) -> frozenset[str]:
        return self.kinds if self.decisive is None else self.decisive


# Filled by the modules that define cross-resource views (RBAC subjects, namespaces...).
INVENTORY_VIEWS: dict[str, InventoryView] = {}


def register(view: InventoryView) -> InventoryView:
    INVENTORY_VIEWS[view.name] = view
    return view
