"""What every source hands the pipeline: batches of resources, with what went wrong."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from kubeaudit.model import CoverageGap, Resource, ScanError


@dataclass(slots=True)
class Batch:
    """Resources read together (a file, a page of a list), evaluated before the next batch
    is read so memory stays bounded. `release` frees what was only kept for line look-ups."""

    resources: list[Resource] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    gaps: list[CoverageGap] = field(default_factory=list)
    files: int = 0
    documents: int = 0
    skipped_documents: int = 0
    facts: dict[str, object] = field(default_factory=dict)  # cluster facts: server version, nodes...
    release: Callable[[], None] | None = None


class Source(Protocol):
    """A place resources come from: manifest files, a live cluster."""

    def describe(self) -> list[str]:
        """What was scanned, for the report's `inputs` (paths, or cluster contexts)."""
        ...

    def batches(self) -> Iterator[Batch]: ...

    def unavailable_kinds(self) -> dict[str, str]:
        """Kinds this source could not fully read, with the reason (after batches() is done)."""
        ...
