"""What every source hands the pipeline: batches of resources, with what went wrong."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from kubeaudit.model import CoverageGap, Notice, Resource, ScanError


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


@dataclass(slots=True)
class SplitBatches:
    """A source's batches in three parts, for scans across processes (kubeaudit.parallel): `first`
    is read in the scanning process, in order, before any worker starts (what later batches'
    evaluation depends on, such as the files holding Namespaces); `alongside` is read in the
    scanning process too, in order, while the workers read `rest` (it must start no thread or
    process before it is first iterated, which is after the workers fork); each of `rest` reads
    one independent batch and may be called in a forked worker process. Together, in order
    (first, alongside, rest), they are exactly what `batches()` yields."""

    first: Iterator[Batch]
    rest: Sequence[Callable[[], Batch]]
    alongside: Iterable[Batch] = ()


class NeedsKinds(Protocol):
    """What a source may ask of a rule (kubeaudit.engine.rule.Rule answers it)."""

    def needed_kinds(self) -> frozenset[str] | None:
        """Kinds the rule must see to be fully evaluated (None: any kind)."""
        ...

    def served_versions(self) -> frozenset[tuple[str, str]]:
        """(apiVersion, kind) pairs to look for at whatever versions a cluster serves."""
        ...


class Source(ABC):
    """A place resources come from: manifest files, a live cluster (and soon a rendered chart).

    `describe` and `batches` are what every source does; the other methods are optional
    capabilities, with defaults that do nothing, so the pipeline calls them on every source
    and a new source sees its whole surface here.
    """

    @abstractmethod
    def describe(self) -> list[str]:
        """What was scanned, for the report's `inputs` (paths, or cluster contexts)."""

    @abstractmethod
    def batches(self) -> Iterator[Batch]:
        """The resources, batch by batch (a file, a page of a list), with what went wrong."""

    def split(self) -> SplitBatches | None:
        """The batches, split for reading in several processes; None: this source cannot be."""
        return None

    def narrow_to(self, rules: Sequence[NeedsKinds]) -> None:  # noqa: B027 - optional, no-op by default
        """Read only what these rules need (a cluster lists fewer kinds). Called before batches()."""

    def unavailable_kinds(self) -> dict[str, str]:
        """Kinds this source could not fully read, with the reason (asked after batches() is done).
        Rules that need them are reported as not evaluated."""
        return {}

    def notices(self) -> list[Notice]:
        """What the source has to tell beyond findings (a cluster's owner folding), after the scan."""
        return []
