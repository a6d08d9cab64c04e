"""The rules a load produced, remembered by a hash of everything the load read, so that listing
rules does not parse, validate or compile them again.

`kubeaudit rules list` needs each rule's metadata, not its compiled conditions; parsing, checking
and compiling the built-in rules (and importing the YAML parser, the condition compiler and every
view they are checked against) is most of its time. A load is a function of its inputs, so its
result is kept under a SHA-256 of all of them:

- the bytes of every rule file and shared parameter file the load reads, with their paths (a
  changed, added or removed rule file is a different key, seen on the very next run);
- the load's settings: the rule folders, parameter overrides, replaceable ids, config source;
- what the result depends on besides: the Python version, kubeaudit's own files and the built-in
  schemas and reference data (path, size and modification time of each), and the installed
  YAML parser, regular expression engine and schema validator (where each lives, and when it
  was written).

Only loads that succeeded are kept, so an error is always the loader's own, found afresh. A hit
gives the same rules as the load did, field by field (`store` checks that the record reads back
exactly, and keeps nothing otherwise); their conditions are compiled from the same text when a
scan first evaluates them. The records live in the user's cache folder beside the validation
record (kubeaudit/validation_cache.py: same folder, `KUBEAUDIT_NO_CACHE=1` turns both off), one
file per key, the MAX_RECORDS most recently used kept. A missing, unreadable or malformed record
is a miss; one that cannot be written is not an error.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import stat
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path as FsPath
from typing import Any

from kubeaudit import __version__
from kubeaudit.engine.fixes import FixChange
from kubeaudit.engine.rule import Compiled, Rule
from kubeaudit.model import Reference, Severity
from kubeaudit.validation_cache import cache_dir, library_identity

FORMAT = 1
FOLDER = "rules"
MAX_RECORDS = 16
MAX_RECORD_BYTES = 64 << 20
# Libraries whose behaviour a load depends on: parsing (yaml), pattern compilation (re2), schema checks.
LIBRARIES = ("yaml", "re2", "jsonschema")
PACKAGE_DIR = FsPath(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class Inputs:
    """What one load reads: the key of it all, and each file's text exactly as hashed."""

    key: str
    texts: dict[FsPath, str]


def read_inputs(files: Iterable[FsPath], settings: object, depends_on: Sequence[FsPath]) -> Inputs | None:
    """The key of a load that reads `files` with `settings` (anything with a faithful repr) and
    whose result also depends on the files in the folders `depends_on`; None when caching is off
    or a file cannot be read (the load then says why)."""
    if cache_dir() is None:
        return None
    digest = hashlib.sha256()

    def feed(part: str | bytes) -> None:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)

    feed(f"v{FORMAT} {sys.version} {__version__}")
    feed(repr(settings))
    for folder in (PACKAGE_DIR, *depends_on):
        feed(_folder_identity(folder))
    for name in LIBRARIES:
        feed(library_identity(name))
    texts: dict[FsPath, str] = {}
    for path in files:
        try:
            data = path.read_bytes()
            # As Path.read_text reads it: UTF-8, universal newlines.
            text = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        except (OSError, UnicodeDecodeError):
            return None
        feed(path.as_posix())
        feed(data)
        texts[path] = text
    return Inputs(digest.hexdigest(), texts)


def lookup(inputs: Inputs, compiled_for: Callable[[dict[str, Any]], Compiled]) -> list[Rule] | None:
    """The rules stored under `inputs.key`, each compiled lazily by `compiled_for(record)`."""
    path = _record_path(inputs.key)
    if path is None:
        return None
    record = _read_json(path)
    if not isinstance(record, dict) or record.get("format") != FORMAT or record.get("key") != inputs.key:
        return None
    try:
        rules = [_rule(entry, compiled_for(entry)) for entry in record["rules"]]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)  # recently used: kept when older records are dropped
    return rules


def store(inputs: Inputs, rules: list[Rule]) -> None:
    """Keep `rules` under `inputs.key`, if their record reads back as exactly these rules."""
    path = _record_path(inputs.key)
    if path is None:
        return
    try:
        text = json.dumps({"format": FORMAT, "key": inputs.key, "rules": [_entry(rule) for rule in rules]})
        back = json.loads(text)["rules"]
    except (TypeError, ValueError):  # a parameter value JSON cannot hold (a date, a binary)
        return
    if len(back) != len(rules) or not all(_same(_rule(e, r.compiled), r) for e, r in zip(back, rules, strict=True)):
        return  # JSON would change a value (an integer key, a tuple): not kept, loaded afresh each time
    import tempfile

    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=".record.", suffix=".partial")
        try:
            with open(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.replace(partial, path)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(partial)
            raise
        _drop_old(path.parent)


def _entry(rule: Rule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "title": rule.title,
        "severity": rule.severity.value,
        "category": rule.category,
        "view": rule.view,
        "message": rule.message,
        "remediation": rule.remediation,
        "references": [[ref.title, ref.url] for ref in rule.references],
        "kinds": sorted(rule.kinds) if rule.kinds is not None else None,
        "profile": rule.profile,
        "description": rule.description,
        "enabled_by_default": rule.enabled_by_default,
        "tags": list(rule.tags),
        "frameworks": [[name, list(ids)] for name, ids in rule.frameworks],
        "params": rule.params,
        "param_docs": rule.param_docs,
        "data": list(rule.data),
        "supersedes": list(rule.supersedes),
        # the fix block as parsed (FixChange fields; `when` as its compiled expressions' text)
        "fix": [
            [c.operation, list(c.path), c.at, c.value, c.comment, [w.pattern for w in c.when]] for c in rule.fix
        ],
        "source": rule.source,
        "builtin": rule.builtin,
        "raw": rule.raw,
    }


def _rule(entry: dict[str, Any], compiled: Compiled) -> Rule:
    kinds = entry["kinds"]
    return Rule(
        id=entry["id"],
        title=entry["title"],
        severity=Severity(entry["severity"]),
        category=entry["category"],
        view=entry["view"],
        message=entry["message"],
        remediation=entry["remediation"],
        references=tuple(Reference(title, url) for title, url in entry["references"]),
        compiled=compiled,
        kinds=frozenset(kinds) if kinds is not None else None,
        profile=entry["profile"],
        description=entry["description"],
        enabled_by_default=entry["enabled_by_default"],
        tags=tuple(entry["tags"]),
        frameworks=tuple((name, tuple(ids)) for name, ids in entry["frameworks"]),
        params=entry["params"],
        param_docs=entry["param_docs"],
        data=tuple(entry["data"]),
        supersedes=tuple(entry["supersedes"]),
        fix=tuple(
            FixChange(op, tuple(path), at, value, comment, tuple(re.compile(w) for w in when))
            for op, path, at, value, comment, when in entry["fix"]
        ),
        source=entry["source"],
        builtin=entry["builtin"],
        raw=entry["raw"],
    )


def _same(a: Rule, b: Rule) -> bool:
    """Every field but the compiled conditions equal, down to the type of each value."""
    return all(_exact(getattr(a, f.name)) == _exact(getattr(b, f.name)) for f in fields(Rule) if f.name != "compiled")


def _exact(value: Any) -> Any:
    if isinstance(value, dict):
        return ("dict", tuple((_exact(k), _exact(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_exact(v) for v in value))
    if isinstance(value, frozenset):
        return ("frozenset", tuple(sorted(repr(v) for v in value)))
    return (type(value).__name__, repr(value))


def _record_path(key: str) -> FsPath | None:
    folder = cache_dir()
    return folder / FOLDER / f"{key}.json" if folder is not None else None


def _read_json(path: FsPath) -> Any:
    try:
        # O_NONBLOCK: a FIFO put in the record's place must not hang the scanner.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_RECORD_BYTES:
            return None
        with open(descriptor, "rb", closefd=False) as handle:
            return json.loads(handle.read(MAX_RECORD_BYTES + 1))
    except (OSError, ValueError, RecursionError):
        return None
    finally:
        os.close(descriptor)


def _drop_old(folder: FsPath) -> None:
    records = []
    for entry in os.scandir(folder):
        if entry.name.endswith(".json"):
            with contextlib.suppress(OSError):
                records.append((entry.stat().st_mtime_ns, entry.path))
    for _, old in sorted(records, reverse=True)[MAX_RECORDS:]:
        with contextlib.suppress(OSError):
            os.unlink(old)


def _folder_identity(folder: FsPath) -> str:
    """Every file under `folder` (compiled bytecode aside): path, size, modification time."""
    parts = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            path = os.path.join(root, name)
            with contextlib.suppress(OSError):
                info = os.stat(path)
                parts.append(f"{path}:{info.st_size}:{info.st_mtime_ns}")
    return "\n".join(parts)
