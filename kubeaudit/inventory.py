"""The inventory: the resources cross-resource views read, kept for the whole scan.

Questions that join resources (who can read secrets once every binding is added
up? which pods does no NetworkPolicy select?) are answered from it, once, so that
rules over those views stay declarative. A view names the kinds it reads; the
pipeline keeps only resources of those kinds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any, TypeVar

from kubeaudit.model import CoverageGap, Notice, Resource

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
        # What views have to tell beyond findings (a reference to something not in the input),
        # by a key so that a view built twice says it once.
        self.notices: dict[tuple[str, ...], Notice] = {}
        # What views could not read in what they were given (a mesh config that is not YAML),
        # by key as notices are: coverage gaps, so the scan is incomplete.
        self.gaps: dict[tuple[str, ...], CoverageGap] = {}
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
