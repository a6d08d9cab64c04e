"""Writing to standard output: a write error (a full disk, a closed pipe) is one line and exit 2,
whatever the command, not a traceback, nor a silent exit 0 for the reader that went away.

Kept free of heavy imports: `kubeaudit --version` and a recorded `rules list` use it."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from typing import TextIO


def stdout_failed(exc: OSError) -> str:
    """The error line for a failed write to standard output. Standard output then points at
    /dev/null, so that the interpreter's final flush does not print a second error."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return f"standard output: cannot write the report: {exc.strerror or exc}"


@contextlib.contextmanager
def writing_stdout() -> Iterator[TextIO]:
    """Standard output, flushed at the end; a write error is a UsageError (one line, exit 2)."""
    from kubeaudit.cli.common import UsageError

    try:
        yield sys.stdout
        sys.stdout.flush()
    except OSError as exc:
        raise UsageError(stdout_failed(exc)) from exc
