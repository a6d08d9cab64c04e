"""A rule's `fix:` block as typed data, and what it means for one finding.

A rule declares its fix as changes (rules/schema.json, `$defs/fixChange`): set a value, add a
value to a list, remove a key or list item, or, only when asked (--placeholders), insert a
commented placeholder for a value a person must choose. Each change's path is relative to an
anchor of the finding (its field, the list item it is in, its container, its pod spec...), so
one declaration fits every workload kind: a CronJob's container is five levels deeper than a
Pod's, and the anchor says where it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from kubeaudit.model import Path, format_path
from kubeaudit.semantics.workloads import POD_SPEC_LOCATIONS

OPERATIONS = ("set", "add", "remove", "placeholder")
# Anchors that only a finding in a workload's pod has, and the views whose findings are.
POD_ANCHORS = frozenset({"container", "pod", "podMetadata"})
POD_ANCHOR_VIEWS = frozenset({"pod", "container"})
CONTAINER_LISTS = frozenset({"containers", "initContainers", "ephemeralContainers"})


@dataclass(frozen=True, slots=True)
class FixChange:
    """One declared change, as the rule file writes it."""

    operation: str  # set, add, remove or placeholder
    path: tuple[str, ...]  # keys below the anchor; () is the anchor itself
    at: str = "finding"
    value: Any = None
    comment: str = ""
    when: tuple[re.Pattern[str], ...] = ()  # the finding's field path must end with one of these

    @property
    def is_placeholder(self) -> bool:
        return self.operation == "placeholder"

    def applies_to(self, finding_path: Path) -> bool:
        if not self.when:
            return True
        shown = "." + format_path(finding_path)
        return any(pattern.search(shown) for pattern in self.when)


@dataclass(frozen=True, slots=True)
class Edit:
    """A change resolved for one finding: the operation at a path of the whole document."""

    operation: str
    path: Path  # from the document's root (a List's item included)
    value: Any = None
    comment: str = ""

    def describe(self) -> str:
        where = format_path(self.path)
        if self.operation == "set":
            return f"set {where} to {_shown(self.value)}"
        if self.operation == "add":
            return f"add {_shown(self.value)} to {where}"
        if self.operation == "remove":
            return f"remove {where}"
        return f"placeholder for {where}"


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def parse_fix(raw: list[dict[str, Any]] | None) -> tuple[FixChange, ...]:
    """The changes of a `fix:` block that rules/schema.json has already validated."""
    changes = []
    for item in raw or ():
        operation = next(op for op in OPERATIONS if op in item)
        path = tuple(part for part in item[operation].split(".") if part)
        changes.append(
            FixChange(
                operation=operation,
                path=path,
                at=item.get("at", "finding"),
                value=item.get("value"),
                comment=item.get("comment", ""),
                when=tuple(_pattern(text) for text in item.get("when", ())),
            )
        )
    return tuple(changes)


def _pattern(text: str) -> re.Pattern[str]:
    """A `when` pattern as a regular expression over "." + format_path's text: the path must end
    with it, at a segment boundary (every segment's expression starts with its delimiter)."""
    out = []
    for segment in re.findall(r"\[\*\]|[^.\[]+", text):
        if segment == "[*]":
            out.append(r"\[\d+\]")
        elif segment == "*":
            out.append(r"(?:\.[A-Za-z0-9_-]+|\['[^']*'\])")
        else:
            out.append(r"\." + re.escape(segment))
    return re.compile("".join(out) + "$")


def anchor(at: str, kind: str, finding_path: Path) -> Path | None:
    """The path (in the resource) a change's path is relative to; None where the finding has no
    such anchor (a pod-level field has no container)."""
    if at == "finding":
        return finding_path
    if at == "resource":
        return ()
    if at == "parent":
        return finding_path[:-1] if finding_path else None
    if at == "item":
        for end in range(len(finding_path), 0, -1):
            if isinstance(finding_path[end - 1], int):
                return finding_path[:end]
        return None
    locations = POD_SPEC_LOCATIONS.get(kind)
    if locations is None:
        return None
    spec_path, meta_path = locations
    if at == "pod":
        return spec_path
    if at == "podMetadata":
        return meta_path
    # at == "container": the containers[i] (or init, ephemeral) the finding's field is in
    size = len(spec_path)
    inside = finding_path[:size] == spec_path and len(finding_path) >= size + 2
    if inside and finding_path[size] in CONTAINER_LISTS and isinstance(finding_path[size + 1], int):
        return finding_path[: size + 2]
    return None


def edits_for(
    changes: tuple[FixChange, ...], kind: str, finding_path: Path, base: Path = (), placeholders: bool = False
) -> list[Edit]:
    """The edits that fix one finding of a resource of `kind` at `finding_path`; `base` is where
    the resource sits in its document (an item of a List). Placeholders only when asked."""
    edits = []
    for change in changes:
        if change.is_placeholder and not placeholders:
            continue
        if not change.applies_to(finding_path):
            continue
        start = anchor(change.at, kind, finding_path)
        if start is None:
            continue
        edits.append(Edit(change.operation, (*base, *start, *change.path), change.value, change.comment))
    return edits
