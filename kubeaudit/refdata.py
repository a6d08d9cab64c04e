"""Reference data shipped with the rules: `rules/data/<name>.yaml`, each validated by
`rules/data/<name>.schema.json` and carrying a `source` and an `updated` date.

Release and end-of-life dates, deprecated APIs and known-risky images change upstream
more often than the code that reads them, so they are data: loaded once, checked
against their schema (a broken file fails loudly, naming it), never executed.
"""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path as FsPath
from typing import Any

from kubeaudit.validation_cache import validation_cache

# The report notes data older than this: upstream has probably moved on.
STALE_AFTER_DAYS = 180


class DataFileError(Exception):
    """A reference data file that is missing, unreadable or breaks its schema."""


def builtin_rules_dir() -> FsPath:
    """The rules shipped with kubeaudit: inside the wheel, or rules/ in a source checkout."""
    # The package is a folder on disk (the rules are read as files), so this is what
    # importlib.resources would answer, without its 4 ms of imports.
    packaged = FsPath(__file__).parent / "builtin_rules"
    if packaged.is_dir():
        return packaged
    return FsPath(__file__).resolve().parents[1] / "rules"


def data_dir() -> FsPath:
    return builtin_rules_dir() / "data"


@cache
def load_data(name: str) -> dict[str, Any]:
    """The data file `name` (without suffix), validated against its schema; read once per process."""
    return read_data_file(data_dir() / f"{name}.yaml")


def schema_path_of(path: FsPath) -> FsPath:
    """Every data file `<name>.yaml` has its JSON Schema beside it, `<name>.schema.json`."""
    return path.with_name(path.name.removesuffix(".yaml") + ".schema.json")


def read_data_file(path: FsPath) -> dict[str, Any]:
    """A data file, validated against its schema. Raises DataFileError naming the file and field."""
    schema_path = schema_path_of(path)
    import yaml  # listing rules known to load (engine/rule_cache.py) reads no data file

    # libyaml's parser when PyYAML has it: the same documents, parsed about ten times faster.
    loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=loader)
        schema_text = schema_path.read_text(encoding="utf-8")
        schema = json.loads(schema_text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError, json.JSONDecodeError) as exc:
        raise DataFileError(f"{path.as_posix()}: cannot read reference data: {exc}") from exc
    cache = validation_cache()
    key = cache.key(schema_text, data)
    if key not in cache:
        import jsonschema  # only for content not already known valid (validation_cache.py)

        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.path))
        if errors:
            where = "/".join(str(p) for p in errors[0].absolute_path) or "(file)"
            raise DataFileError(f"{path.as_posix()}: {where}: {errors[0].message}")
        cache.add(key)
        cache.save()
    if not isinstance(data, dict):
        raise DataFileError(f"{path.as_posix()}: reference data must be a mapping")
    return data


def updated(name: str) -> dt.date:
    return dt.date.fromisoformat(str(load_data(name)["updated"]))


def stale_note(name: str, today: dt.date) -> str | None:
    """A sentence for the report when the data file is older than STALE_AFTER_DAYS."""
    age = (today - updated(name)).days
    if age <= STALE_AFTER_DAYS:
        return None
    return (
        f"reference data rules/data/{name}.yaml was last updated {updated(name).isoformat()} ({age} days ago); "
        "newer releases or deprecations may be missing (see README: refreshing reference data)"
    )
