"""A record of documents that already passed their JSON Schema, so start-up can skip jsonschema.

Validating the built-in rules and reference data costs about 100 ms a run (most of it importing
jsonschema and building its validators), more than everything else `kubeaudit rules list` does.
The outcome depends only on the schema and the document, so it is remembered by a hash of both:

- an entry is the SHA-256 of the schema's text, the document exactly as parsed (its `repr`, which
  tells apart `1`, `1.0`, `"1"` and `True`) and the installed jsonschema package (its location and
  modification time, so an upgrade starts afresh). It says "this exact content was valid" and
  nothing else: the document is still read, parsed and compiled from its file every run;
- only successes are recorded; a document that fails is validated again every time, so its error
  message is always the validator's own;
- the record lives in the user's cache folder (``$KUBEAUDIT_CACHE_DIR``, else
  ``$XDG_CACHE_HOME/kubeaudit``, else the platform's cache folder), holds at most MAX_ENTRIES
  entries (oldest dropped first) and is replaced atomically. A missing, unreadable, oversized or
  malformed record is ignored and rebuilt; one that cannot be written is not an error (the next
  run validates again). ``KUBEAUDIT_NO_CACHE=1`` turns it off.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import stat
import sys
from pathlib import Path as FsPath
from typing import Any

FORMAT = 1
FILE_NAME = "validated.json"
MAX_ENTRIES = 4096
MAX_FILE_BYTES = 1 << 20  # MAX_ENTRIES keys take about 280 KB


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


def cache_dir() -> FsPath | None:
    """The folder the record lives in; None when caching is off."""
    if os.environ.get("KUBEAUDIT_NO_CACHE"):
        return None
    explicit = os.environ.get("KUBEAUDIT_CACHE_DIR")
    if explicit:
        return FsPath(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return FsPath(xdg) / "kubeaudit"
    home = FsPath.home()
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "kubeaudit"
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return FsPath(os.environ["LOCALAPPDATA"]) / "kubeaudit" / "Cache"
    return home / ".cache" / "kubeaudit"


def library_identity(name: str) -> str:
    """Where an installed library lives and when it was written, without importing it."""
    spec = importlib.util.find_spec(name)
    origin = spec.origin if spec is not None else None
    if origin is None:
        return f"{name}:none"
    try:
        info = os.stat(origin)
    except OSError:
        return f"{name}:{origin}"
    return f"{name}:{origin}:{info.st_mtime_ns}:{info.st_size}"


class ValidationCache:
    """The keys of documents known valid, read once, written back by `save` when it grew."""

    def __init__(self, folder: FsPath | None) -> None:
        self.path = folder / FILE_NAME if folder is not None else None
        self._keys: dict[str, None] = self._read() if self.path is not None else {}  # ordered: oldest first
        self._added = False
        self._identity: str | None = None

    def key(self, schema_text: str, document: Any) -> str:
        if self._identity is None:
            self._identity = library_identity("jsonschema")
        digest = hashlib.sha256()
        for part in (f"v{FORMAT}", self._identity, schema_text, repr(document)):
            encoded = part.encode("utf-8", "surrogatepass")
            digest.update(len(encoded).to_bytes(8, "big"))
            digest.update(encoded)
        return digest.hexdigest()

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def add(self, key: str) -> None:
        if key not in self._keys:
            self._keys[key] = None
            self._added = True

    def save(self) -> None:
        if not self._added or self.path is None:
            return
        self._added = False
        keys = list(self._keys)[-MAX_ENTRIES:]
        import tempfile  # 3 ms of imports that a run which validated nothing new need not pay

        with contextlib.suppress(OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            descriptor, partial = tempfile.mkstemp(dir=self.path.parent, prefix=f".{FILE_NAME}.", suffix=".partial")
            try:
                with open(descriptor, "w", encoding="utf-8") as handle:
                    json.dump({"format": FORMAT, "keys": keys}, handle)
                os.replace(partial, self.path)
            except OSError:
                with contextlib.suppress(OSError):
                    os.unlink(partial)
                raise

    def _read(self) -> dict[str, None]:
        assert self.path is not None
        record = read_json_record(self.path, MAX_FILE_BYTES)
        if not isinstance(record, dict) or record.get("format") != FORMAT or not isinstance(record.get("keys"), list):
            return {}
        return {key: None for key in record["keys"] if isinstance(key, str)}


_CACHES: dict[FsPath | None, ValidationCache] = {}


def validation_cache() -> ValidationCache:
    """The process's cache for the current cache folder, read on first use."""
    folder = cache_dir()
    found = _CACHES.get(folder)
    if found is None:
        found = _CACHES[folder] = ValidationCache(folder)
    return found
