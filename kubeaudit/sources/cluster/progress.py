"""A progress display on stderr while a cluster is listed: only on a terminal, quiet otherwise."""

from __future__ import annotations

import sys
from typing import Any, Protocol, TextIO


class Progress(Protocol):
    def listing(self, context: str, label: str, count: int, total: int | None) -> None: ...

    def done(self, context: str, label: str) -> None: ...

    def close(self) -> None: ...


class NoProgress:
    def listing(self, context: str, label: str, count: int, total: int | None) -> None:
        pass

    def done(self, context: str, label: str) -> None:
        pass

    def close(self) -> None:
        pass


class RichProgress:
    """One line per (context, resource) being listed, removed when the scan ends."""

    def __init__(self, stream: TextIO) -> None:
        from rich.console import Console
        from rich.markup import escape
        from rich.progress import BarColumn, MofNCompleteColumn, SpinnerColumn, TextColumn, TimeElapsedColumn
        from rich.progress import Progress as RichBar

        self._bar = RichBar(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(file=stream),
            transient=True,
        )
        self._tasks: dict[tuple[str, str], Any] = {}
        self._escape = escape
        self._bar.start()

    def listing(self, context: str, label: str, count: int, total: int | None) -> None:
        key = (context, label)
        if key not in self._tasks:
            # Names are text, not rich markup: "[prod]" would otherwise be read as a style tag and vanish.
            self._tasks[key] = self._bar.add_task(self._escape(f"[{context}] {label}"), total=None)
        self._bar.update(self._tasks[key], completed=count, total=total)

    def done(self, context: str, label: str) -> None:
        task = self._tasks.get((context, label))
        if task is not None:
            completed = self._bar.tasks[self._tasks_index(task)].completed
            self._bar.update(task, total=completed or 1, completed=completed or 1, visible=False)

    def _tasks_index(self, task: Any) -> int:
        return next(i for i, t in enumerate(self._bar.tasks) if t.id == task)

    def close(self) -> None:
        self._bar.stop()


def progress_for(stream: TextIO | None = None) -> Progress:
    """A rich display when the stream (stderr by default) is a terminal, else nothing."""
    stream = stream if stream is not None else sys.stderr
    isatty = getattr(stream, "isatty", None)
    return RichProgress(stream) if isatty is not None and isatty() else NoProgress()
