"""The order in which list tasks are handed to the workers: tier by tier (owners before what
they own, see owners.py), each tier as soon as the workers have *listed* the one before.

The workers advance the tiers themselves, not the consumer: while the pipeline is still
evaluating the last Deployment pages, the ReplicaSets are already being listed. Folding
stays correct because a worker folds each page it fetched (source.py, `_sort_page`) and puts
its outcome into the consumer's FIFO queue before it reports the task finished here, so every
owner of a tier is known before any object of the next tier is folded.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from typing import Generic, TypeVar

T = TypeVar("T")


class TierQueue(Generic[T]):
    def __init__(self, tiers: Sequence[Sequence[T]]) -> None:
        self._tiers = [list(t) for t in tiers]
        self._outstanding = [len(t) for t in self._tiers]
        self._current = -1
        self._lock = threading.Lock()
        self.todo: queue.Queue[tuple[int, T]] = queue.Queue()  # (tier, task)
        with self._lock:
            self._advance()

    def finished(self, tier: int, spawned: Sequence[T] = ()) -> None:
        """One task of TIER is over; SPAWNED tasks (one list per namespace, after a forbidden
        cluster-wide list) join the same tier and hold it open until they are over too."""
        with self._lock:
            self._outstanding[tier] += len(spawned) - 1
            for task in spawned:
                self.todo.put((tier, task))
            self._advance()

    def later(self) -> list[T]:
        """The tasks of the tiers not started yet."""
        with self._lock:
            return [t for tier in self._tiers[self._current + 1 :] for t in tier]

    def _advance(self) -> None:
        while self._current + 1 < len(self._tiers) and (self._current < 0 or self._outstanding[self._current] == 0):
            self._current += 1
            for task in self._tiers[self._current]:
                self.todo.put((self._current, task))
