"""Pod Security Standards policy versions: parse them, and read how each control changed.

The version history is data (rules/data/pss-versions.yaml, validated by its JSON Schema):
for each rule, the upstream Pod Security Admission check it encodes and, oldest first, the
policy version each change starts at, with the rule parameters that version uses. A rule
evaluated at policy v1.N uses the newest change whose `since` is not newer than v1.N; at a
version older than its first change the control does not exist and the rule does not run.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from kubeaudit.refdata import DataFileError, load_data

VERSION = re.compile(r"v1\.(0|[1-9][0-9]*)")
LATEST = "latest"
DATA_NAME = "pss-versions"  # rules/data/pss-versions.yaml, with its .schema.json


class PolicyVersionError(ValueError):
    """A policy version that is neither `latest` nor `v1.N`."""


@dataclass(frozen=True, slots=True)
class Change:
    since: int  # the minor version: policy v1.since
    summary: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Control:
    rule_id: str
    check: str  # upstream check id
    level: str
    changes: tuple[Change, ...]  # oldest first

    @property
    def since(self) -> int:
        return self.changes[0].since


@dataclass(frozen=True, slots=True)
class PolicyVersions:
    source: str
    updated: dt.date
    latest: int
    controls: dict[str, Control]


def version_name(minor: int) -> str:
    return f"v1.{minor}"


def parse_minor(text: str) -> int:
    """The minor version of `v1.N`; raises PolicyVersionError otherwise (not for `latest`)."""
    match = VERSION.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise PolicyVersionError(f"{text!r} is not a Pod Security policy version (use latest or v1.N, e.g. v1.30)")
    return int(match.group(1))


def resolve(text: str, latest: int) -> int:
    """`latest` or `v1.N` as the minor version evaluated: newer than `latest` counts as `latest`,
    as Pod Security Admission does. Raises PolicyVersionError."""
    if text == LATEST:
        return latest
    return min(parse_minor(text), latest)


@cache
def load_policy_versions() -> PolicyVersions:
    data = load_data(DATA_NAME)
    controls: dict[str, Control] = {}
    for rule_id, entry in data["controls"].items():
        changes = tuple(
            Change(parse_minor(v["since"]), " ".join(v["change"].split()), dict(v.get("params") or {}))
            for v in entry["versions"]
        )
        minors = [c.since for c in changes]
        if minors != sorted(set(minors)):
            where = f"rules/data/{DATA_NAME}.yaml: controls.{rule_id}"
            raise DataFileError(f"{where}: versions must be strictly increasing")
        controls[rule_id] = Control(rule_id, entry["check"], entry["level"], changes)
    return PolicyVersions(
        source=data["source"],
        updated=dt.date.fromisoformat(str(data["updated"])),
        latest=parse_minor(data["latest"]),
        controls=controls,
    )


def latest_minor() -> int:
    return load_policy_versions().latest
