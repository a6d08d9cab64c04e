"""`--jobs N`: a source's independent batches read and evaluated by N worker processes.

Reading, parsing and the per-resource rules are most of a scan, and each manifest file is
independent once the Namespaces (whose labels pin the Pod Security policy version) are known.
So the scan reads what comes first itself (kubeaudit.sources.base.SplitBatches), then forks
workers that inherit that state, the compiled rules and the list of batches to read. Each worker
sends back what the scan keeps of a batch (kubeaudit.scan.BatchOutcome); the scanning process
merges the outcomes in input order, exactly as a serial scan does, then builds the
cross-resource views from all of them itself, so the report is the same byte for byte.

If a worker's batch holds a Namespace after all (a form the cheap test of the file's bytes
missed), the batches after it may have been judged without its labels: the pool is stopped
and the rest is evaluated here, in order, as a serial scan would.

Workers are forked (rules hold compiled conditions that cannot be pickled, and forking skips
loading them again); without fork (Windows) the scan runs serially. Findings travel with their
rule's id only and get the scanning process's own RuleMeta back.
"""

from __future__ import annotations

import io
import multiprocessing
import pickle
import signal
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from kubeaudit.model import RuleMeta
from kubeaudit.sources.base import Batch

if TYPE_CHECKING:
    from kubeaudit.scan import BatchEvaluator, BatchOutcome

# Batches handed to a worker at a time: enough to amortise the round trip, few enough that the
# last worker does not finish long after the others.
CHUNK_BATCHES = 8

# What forked workers read: set just before the pool forks, cleared after.
_work: tuple[Sequence[Callable[[], Batch]], BatchEvaluator] | None = None


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj: Any) -> str | None:
        return obj.id if type(obj) is RuleMeta else None


class _Unpickler(pickle.Unpickler):
    def __init__(self, data: bytes, metas: dict[str, RuleMeta]) -> None:
        super().__init__(io.BytesIO(data))
        self.metas = metas

    def persistent_load(self, pid: Any) -> RuleMeta:
        return self.metas[pid]


def _start_worker() -> None:
    # Ctrl-C and SIGTERM are the scanning process's to handle (it removes partial reports and
    # stops the pool); a worker must neither print a traceback nor run that clean-up itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _evaluate(position: int) -> bytes:
    assert _work is not None, "workers run only in a pool forked by parallel_outcomes"
    reads, evaluate = _work
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(evaluate(reads[position]()))
    return buffer.getvalue()


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


def parallel_outcomes(
    reads: Sequence[Callable[[], Batch]], evaluate: BatchEvaluator, jobs: int
) -> Iterator[BatchOutcome]:
    """Each batch of `reads` evaluated, in order, by `jobs` worker processes."""
    if not can_fork() or len(reads) < 2:
        yield from (evaluate(read()) for read in reads)
        return
    global _work
    metas = {rule.id: rule.meta for rule in evaluate.index.rules}
    done = 0
    _work = (reads, evaluate)
    try:
        with multiprocessing.get_context("fork").Pool(jobs, initializer=_start_worker) as pool:
            for data in pool.imap(_evaluate, range(len(reads)), chunksize=CHUNK_BATCHES):
                outcome: BatchOutcome = _Unpickler(data, metas).load()
                done += 1
                yield outcome
                if outcome.namespaces:
                    break  # later batches were judged without these labels: see the module's doc
    finally:
        _work = None
    yield from (evaluate(read()) for read in reads[done:])
