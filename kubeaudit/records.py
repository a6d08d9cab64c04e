"""Cache records on disk, read and written so that a bad one is only a miss.

Reading: a regular file only (a FIFO or device put in its place must not hang the scanner, so the
open does not block), at most a size cap, JSON; anything else is None. Writing: to a temporary
file beside it, then renamed over it, so a reader never sees half a record; failing to write is
not an error (the next run recomputes).
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
from pathlib import Path as FsPath
from typing import Any


def read_json_record(path: FsPath, max_bytes: int) -> Any:
    """The JSON value in the regular file at `path` of at most max_bytes; None when it is missing,
    not a regular file, too large or not JSON. A cache record that cannot be read is only a miss."""
    try:
        # O_NONBLOCK: a FIFO put in the record's place must not hang the scanner.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
            return None
        with open(descriptor, "rb", closefd=False) as handle:
            return json.loads(handle.read(max_bytes + 1))
    except (OSError, ValueError, RecursionError):
        return None
    finally:
        os.close(descriptor)


def write_json_record(path: FsPath, value: Any) -> bool:
    """Replace the record at `path` with `value` atomically; False when it could not be written."""
    import tempfile  # 3 ms of imports that a run which writes nothing need not pay

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    except OSError:
        return False
    try:
        with open(descriptor, "w", encoding="utf-8") as handle:
            json.dump(value, handle)
        os.replace(partial, path)
    except (OSError, ValueError):
        with contextlib.suppress(OSError):
            os.unlink(partial)
        return False
    return True
