"""`kubeaudit rules list` answered from a record of its last output, when nothing it read changed.

Listing the rules means importing the engine and loading ~150 rule files: about 0.1 s of CPU, for
an answer that only changes when a rule, the config or kubeaudit changes. So a successful listing
is recorded in the user cache folder (see kubeaudit/userpaths.py), keyed by:

- the command line, the working directory, KUBEAUDIT_* settings, Python and kubeaudit's version
  and the .py files of the installed package (by size and modification time: an edited checkout
  or an upgrade starts afresh), and the nearest .kubeaudit.yaml (a new one changes the answer);
- and, checked on every use, a SHA-256 of the content of everything the listing read: every file
  under the rule folders (built-in, the config's and --rules), the config file and its schema.

Only runs that succeeded are recorded (an error is always reported afresh), and only when what
they read did not change while they ran. A missing, unreadable or malformed record is a miss;
KUBEAUDIT_NO_CACHE=1 turns it off.
This module imports nothing of kubeaudit's beyond the light userpaths and records.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path as FsPath
from typing import Any

from kubeaudit.records import read_json_record, write_json_record
from kubeaudit.userpaths import cache_dir

FORMAT = 1
FILE_NAME = "listing.json"
MAX_ENTRIES = 8  # a few command lines (text, json, a project's --rules) each keep their answer
MAX_FILE_BYTES = 4 << 20
CONFIG_NAMES = (".kubeaudit.yaml", ".kubeaudit.yml")  # as kubeaudit.config.CONFIG_NAMES (a test checks)
PACKAGE = FsPath(__file__).resolve().parents[1]


def _update(digest: Any, part: str | bytes) -> None:
    encoded = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
    digest.update(len(encoded).to_bytes(8, "big"))
    digest.update(encoded)


def nearest_config() -> str:
    """The file kubeaudit.config.find_config would pick, or "" (stat calls only)."""
    folder = FsPath.cwd().resolve()
    for candidate_dir in (folder, *folder.parents):
        for name in CONFIG_NAMES:
            if (candidate_dir / name).is_file():
                return str(candidate_dir / name)
    return ""


def _package_stamp(digest: Any) -> None:
    for root, dirs, files in os.walk(PACKAGE):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".json")):
                path = os.path.join(root, name)
                try:
                    info = os.stat(path)
                except OSError:
                    continue
                _update(digest, f"{path}:{info.st_size}:{info.st_mtime_ns}")


def listing_key(arguments: Sequence[str]) -> str:
    from kubeaudit import __version__

    digest = hashlib.sha256()
    settings = sorted(f"{k}={v}" for k, v in os.environ.items() if k.startswith("KUBEAUDIT_"))
    for part in (f"v{FORMAT}", __version__, sys.version, os.getcwd(), nearest_config(), *settings):
        _update(digest, part)
    _update(digest, "\0".join(arguments))
    _package_stamp(digest)
    return digest.hexdigest()


def content_hash(folders: Iterable[str], files: Iterable[str]) -> str:
    """SHA-256 of the names and bytes of every file under `folders` and of `files` (a missing one
    counts as missing)."""
    digest = hashlib.sha256()
    for folder in folders:
        _update(digest, f"folder:{folder}")
        for root, dirs, names in os.walk(folder):
            dirs.sort()
            for name in sorted(names):
                _file(digest, os.path.join(root, name))
    for path in files:
        _file(digest, path)
    return digest.hexdigest()


def _file(digest: Any, path: str) -> None:
    _update(digest, path)
    try:
        with open(path, "rb") as handle:
            _update(digest, handle.read())
    except OSError as exc:
        _update(digest, f"unreadable:{exc.errno}")


def _record_path() -> FsPath | None:
    folder = cache_dir()
    return folder / FILE_NAME if folder is not None else None


def _entries(path: FsPath) -> list[dict[str, Any]]:
    record = read_json_record(path, MAX_FILE_BYTES)
    if not isinstance(record, dict) or record.get("format") != FORMAT or not isinstance(record.get("entries"), list):
        return []
    return [e for e in record["entries"] if isinstance(e, dict)]


def recorded_listing(arguments: Sequence[str]) -> str | None:
    """The recorded output of `kubeaudit rules list ARGUMENTS`, when it is still the answer."""
    path = _record_path()
    if path is None:
        return None
    key = listing_key(arguments)
    for entry in _entries(path):
        folders, files, output = entry.get("folders"), entry.get("files"), entry.get("output")
        if entry.get("key") != key or not isinstance(output, str):
            continue
        if not (isinstance(folders, list) and isinstance(files, list)):
            return None
        if not all(isinstance(p, str) for p in [*folders, *files]):
            return None
        return output if entry.get("content") == content_hash(folders, files) else None
    return None


def record_listing(arguments: Sequence[str], folders: list[str], files: list[str], content: str, output: str) -> None:
    """Remember `output` as the answer of `kubeaudit rules list ARGUMENTS`; `content` is the
    content_hash of `folders` and `files` taken before they were read."""
    path = _record_path()
    if path is None:
        return
    key = listing_key(arguments)
    entry = {"key": key, "folders": folders, "files": files, "content": content, "output": output}
    kept = [e for e in _entries(path) if e.get("key") != key][-(MAX_ENTRIES - 1) :]
    write_json_record(path, {"format": FORMAT, "entries": [*kept, entry]})
