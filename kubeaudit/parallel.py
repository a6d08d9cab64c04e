"""`--jobs N`: a source's independent batches read and evaluated by N worker processes.

Reading, parsing and the per-resource rules are most of a scan, and each manifest file is
independent once the Namespaces (whose labels pin the Pod Security policy version) are known.
So the scan reads what comes first itself (kubeaudit.sources.base.SplitBatches), then forks
workers that inherit that state, the compiled rules and the list of batches to read. While they
read, the scanning process reads its own share (the charts and overlays, whose renderers it
mostly waits for) and merges it first; meanwhile a thread of the scanning process receives and
unpickles the workers' outcomes (at most AHEAD_BATCHES ahead of the merge), mostly while the main
thread waits for renderers, so that the workers never wait for it and the merge finds them ready.
Each worker sends back what the scan keeps of a batch
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
import queue
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

# Worker outcomes received ahead of the scanning process's merge at most: the workers go on while
# it reads its own share, and memory stays bounded at any corpus size. With 1,024 (as bytes) the
# workers of a scan of 10,000 resources (1,827 files for them) stopped for 1.8 s of a 10 s phase at
# load 4, waiting for the merge to start; unpickled, an outcome is about 13 KB (the peak of that
# scan rose 6 to 13 MiB with most of them waiting), so 2,048 ahead cost at most about 26 MiB.
AHEAD_BATCHES = 2048

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


def _evaluate(positions: range) -> list[bytes]:
    assert _work is not None, "workers run only in a pool forked by parallel_outcomes"
    reads, evaluate = _work
    outcomes = []
    for position in positions:
        buffer = io.BytesIO()
        _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(evaluate(reads[position]()))
        outcomes.append(buffer.getvalue())
    return outcomes


def can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods()


class _Receiver:
    """The workers' outcomes, in order, received and unpickled by a thread of this process as they
    come (`results` is the pool's ordered result iterator), so that unpickling them overlaps this
    process's own share. A worker's exception is raised where the outcome would have been."""

    _END = object()

    def __init__(self, results: Any, metas: dict[str, RuleMeta], stop: threading.Event) -> None:
        self._results = results
        self._metas = metas
        self._stop = stop
        self._ready: queue.SimpleQueue[Any] = queue.SimpleQueue()
        # A daemon: a pool stopped early never answers, and the thread then ends by `stop`.
        self._thread = threading.Thread(target=self._receive, name="kubeaudit-receive", daemon=True)
        self._thread.start()

    def _receive(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    chunk = self._results.next(timeout=0.05)
                except multiprocessing.TimeoutError:
                    continue
                for data in chunk:
                    self._ready.put(_Unpickler(data, self._metas).load())
        except StopIteration:
            pass
        except BaseException as exc:  # a worker's error: raised in the merge, in its place
            self._ready.put(exc)
        self._ready.put(self._END)

    def __iter__(self) -> Iterator[BatchOutcome]:
        while (item := self._ready.get()) is not self._END:
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        """Stop receiving (the pool is being stopped) and wait for the thread to end."""
        self._stop.set()
        self._thread.join()


def _paced(count: int, window: threading.Semaphore, stop: threading.Event) -> Iterator[range]:
    """0 to `count` - 1 in chunks of CHUNK_BATCHES, each once `window` has room for all of it;
    ends early once `stop` is set (the pool's task thread runs this and is joined when the pool
    stops: it must never block for good)."""
    for start in range(0, count, CHUNK_BATCHES):
        chunk = range(start, min(start + CHUNK_BATCHES, count))
        for _ in chunk:
            while not window.acquire(timeout=0.05):
                if stop.is_set():
                    return
        if stop.is_set():
            return
        yield chunk


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
            # Chunks of batches as tasks, not imap's own chunksize: its results cannot be waited for
            # with a timeout, and the receiving thread must end once `stop` is set.
            results = pool.imap(_evaluate, _paced(len(reads), window, stop))
            received = _Receiver(results, metas, stop)
            try:
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
                    for outcome in received:
                        window.release()
                        done += 1
                        yield outcome
                        if outcome.namespaces:
                            break  # later batches were judged without these labels: see the module's doc
            finally:
                received.close()  # before the pool stops: its task thread may be waiting for room
    finally:
        _work = None
    yield from (evaluate(read()) for read in reads[done:])
