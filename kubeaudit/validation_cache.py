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

import hashlib
import importlib.util
import os
from pathlib import Path as FsPath
from typing import Any

# Also reached from here by rule_cache and the tests: hence the explicit re-exports.
from kubeaudit.records import read_json_record as read_json_record
from kubeaudit.records import write_json_record
from kubeaudit.userpaths import cache_dir as cache_dir

FORMAT = 1
FILE_NAME = "validated.json"
MAX_ENTRIES = 4096
MAX_FILE_BYTES = 1 << 20  # MAX_ENTRIES keys take about 280 KB


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
        write_json_record(self.path, {"format": FORMAT, "keys": keys})

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
