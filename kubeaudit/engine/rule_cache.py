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
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from enum import Enum
from functools import cache
from pathlib import Path as FsPath
from types import UnionType
from typing import Any, Union, get_args, get_origin, get_type_hints

from kubeaudit import __version__
from kubeaudit.engine.rule import Compiled, Rule
from kubeaudit.validation_cache import cache_dir, library_identity, read_json_record

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
    record = read_json_record(path, MAX_RECORD_BYTES)
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


# A record keeps every field of each Rule but its compiled conditions (rebuilt from the rule's text
# when first used), derived from the dataclass: a field added to Rule is kept with no change here.
def _entry(rule: Rule) -> dict[str, Any]:
    return {name: encode(getattr(rule, name)) for name in _readers(Rule)}


def _rule(entry: dict[str, Any], compiled: Compiled) -> Rule:
    return Rule(compiled=compiled, **{name: read(entry[name]) for name, read in _readers(Rule).items()})


def encode(value: Any) -> Any:
    """A field's value as JSON data: enums by value, dataclasses as the list of their fields,
    tuples and sets as lists (sets sorted), compiled patterns as their text."""
    if isinstance(value, Enum):
        return value.value
    if is_dataclass(value) and not isinstance(value, type):
        return [encode(getattr(value, f.name)) for f in fields(value)]
    if isinstance(value, (frozenset, set)):
        return sorted(encode(v) for v in value)
    if isinstance(value, (tuple, list)):
        return [encode(v) for v in value]
    if isinstance(value, re.Pattern):
        return value.pattern
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    return value


def decode(hint: Any, data: Any) -> Any:
    """The value of type `hint` that `encode` wrote as `data`."""
    return reader(hint)(data)


@cache
def _readers(cls: type) -> dict[str, Callable[[Any], Any]]:
    """A reader per kept field of a dataclass (every field but Rule's compiled conditions)."""
    hints = get_type_hints(cls)
    return {f.name: reader(hints[f.name]) for f in fields(cls) if not (cls is Rule and f.name == "compiled")}


def reader(hint: Any) -> Callable[[Any], Any]:
    """A function that makes the value of type `hint` that `encode` wrote; built once per type,
    as reading the record is on the start-up path of `rules list`. It raises TypeError (or
    ValueError) for data of the wrong shape, and for a type it cannot make: a miss, the load is
    done afresh."""
    if hint is Any:
        return _same_value
    origin, args = get_origin(hint), get_args(hint)
    if origin in (UnionType, Union):
        (kind,) = (a for a in args if a is not type(None))  # X | None only
        inner = reader(kind)
        return lambda data: None if data is None else inner(data)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        item = reader(args[0])
        if item is _same_value:
            return lambda data: tuple(_as_list(data))
        return lambda data: tuple(item(v) for v in _as_list(data))
    if origin is tuple:
        items = [reader(a) for a in args]
        return lambda data: tuple(read(v) for read, v in zip(items, _as_list(data), strict=True))
    if origin is frozenset:
        member = reader(args[0])
        return lambda data: frozenset(member(v) for v in _as_list(data))
    if origin is dict:
        key, value = reader(args[0]), reader(args[1])
        if key is _same_value and value is _same_value:
            return _as_dict  # JSON's own mapping: a rule's raw text as data is most of the record
        return lambda data: {key(k): value(v) for k, v in _as_dict(data).items()}
    if origin is re.Pattern:
        return lambda data: re.compile(_of_type(str, data))
    if isinstance(hint, type) and issubclass(hint, Enum):
        return hint
    if isinstance(hint, type) and is_dataclass(hint):
        readers = list(_readers(hint).values())
        if all(read is _same_value for read in readers):
            return lambda data: hint(*_sized(_as_list(data), len(readers)))
        return lambda data: hint(*(read(v) for read, v in zip(readers, _as_list(data), strict=True)))
    if hint in (str, bool, int, float):
        return _same_value  # as JSON wrote it (store() checked that it reads back the same)
    raise TypeError(f"a rule record cannot hold a {hint!r}")


def _same_value(data: Any) -> Any:
    return data


def _of_type(kind: type, data: Any) -> Any:
    if type(data) is not kind:
        raise TypeError(f"not a {kind.__name__}")
    return data


def _sized(data: list[Any], size: int) -> list[Any]:
    if len(data) != size:
        raise ValueError("not the fields of this version")
    return data


def _as_dict(data: Any) -> dict[Any, Any]:
    if not isinstance(data, dict):
        raise TypeError("not a mapping")
    return data


def _as_list(data: Any) -> list[Any]:
    if not isinstance(data, list):
        raise TypeError("not a list")
    return data


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
