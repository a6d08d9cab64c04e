"""`--jobs N`: a source's independent batches read and evaluated by N worker processes.

Reading, parsing and the per-resource rules are most of a scan, and each manifest file is
independent once the Namespaces (whose labels pin the Pod Security policy version) are known.
So the scan reads what comes first itself (kubeaudit.sources.base.SplitBatches), then forks
workers that inherit that state, the compiled rules and the list of batches to read. While they
read, the scanning process reads its own share (the charts and overlays, whose renderers it
mostly waits for) and merges it first; the workers' outcomes wait for that as bytes, at most
AHEAD_BATCHES of them. Each worker sends back what the scan keeps of a batch
(kubeaudit.scan.BatchOutcome); the scanning process merges the outcomes in input order, exactly
as a serial scan does, then builds the cross-resource views from all of them itself, so the
report is the same byte for byte.

If a batch read alongside the workers or a worker's batch holds a Namespace after all (a form
the cheap test of the files' bytes missed), the batches after it may have been judged without
its labels: the pool is stopped and the rest is evaluated here, in order, as a serial scan would.

Workers are forked (rules hold compiled conditions that cannot be pickled, and forking skips
loading them again); without fork (Windows) the scan runs serially. Findings travel with their
rule's id only and get the scanning process's own RuleMeta back.
"""

from __future__ import annotations

import io
import multiprocessing
import pickle
import signal
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from kubeaudit.model import RuleMeta
from kubeaudit.sources.base import Batch

if TYPE_CHECKING:
    from kubeaudit.scan import BatchEvaluator, BatchOutcome

# Batches handed to a worker at a time: enough to amortise the round trip, few enough that the
# last worker does not finish long after the others.
CHUNK_BATCHES = 8

# Worker outcomes (pickled, about 12 KB a file) read ahead of the scanning process's merge at most:
# the workers go on while it reads its own share, and memory stays bounded at any corpus size.
AHEAD_BATCHES = 1024

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


def _paced(count: int, window: threading.Semaphore, stop: threading.Event) -> Iterator[int]:
    """0 to `count` - 1, each once `window` has room for it; ends early once `stop` is set (the
    pool's task thread runs this and is joined when the pool stops: it must never block for good)."""
    for position in range(count):
        while not window.acquire(timeout=0.05):
            if stop.is_set():
                return
        if stop.is_set():
            return
        yield position


def parallel_outcomes(
    reads: Sequence[Callable[[], Batch]], evaluate: BatchEvaluator, jobs: int, alongside: Iterable[Batch] = ()
) -> Iterator[BatchOutcome]:
    """Each batch of `alongside` evaluated here while `jobs` worker processes evaluate those of
    `reads`; all in order, `alongside` first."""
    if not can_fork() or len(reads) < 2:
        yield from map(evaluate, alongside)
        yield from (evaluate(read()) for read in reads)
        return
    global _work
    metas = {rule.id: rule.meta for rule in evaluate.index.rules}
    done = 0
    _work = (reads, evaluate)
    window, stop = threading.Semaphore(AHEAD_BATCHES), threading.Event()
    try:
        with multiprocessing.get_context("fork").Pool(jobs, initializer=_start_worker) as pool:
            try:
                results = pool.imap(_evaluate, _paced(len(reads), window, stop), chunksize=CHUNK_BATCHES)
                pinned = False
                outcome: BatchOutcome
                for batch in alongside:
                    outcome = evaluate(batch)
                    if outcome.namespaces and not pinned:
                        pinned = True  # the workers judged without these labels: see the module's doc
                        stop.set()
                        pool.terminate()
                    yield outcome
                if not pinned:
                    for data in results:
                        window.release()
                        outcome = _Unpickler(data, metas).load()
                        done += 1
                        yield outcome
                        if outcome.namespaces:
                            break  # later batches were judged without these labels: see the module's doc
            finally:
                stop.set()  # before the pool stops: its task thread may be waiting for room
    finally:
        _work = None
    yield from (evaluate(read()) for read in reads[done:])
