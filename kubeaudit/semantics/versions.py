"""Kubernetes versions: parsing them, the target version of a scan, and what the release
data (rules/data/kubernetes-releases.yaml) says about a minor release on a given day.

Settings a scan passes (`inventory.settings`): `target_version` ("1.N", from
--target-version) and `as_of` (a date, from --as-of; default: today).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from kubeaudit.refdata import load_data

TARGET_SETTING = "target_version"
AS_OF_SETTING = "as_of"
_VERSION = re.compile(r"v?(\d+)\.(\d+)(?:\.\d+)?(?:[-+].*)?")
_MINOR_NUMBER = re.compile(r"(\d+)")

Minor = tuple[int, int]


def parse_minor(text: str) -> Minor | None:
    """(major, minor) of "v1.29.4", "1.29", "v1.29.4-eks-1a2b" or "v1.30.2+k3s1"; None otherwise."""
    match = _VERSION.fullmatch(text.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def format_minor(minor: Minor) -> str:
    return f"{minor[0]}.{minor[1]}"


def server_minor(server_version: dict[str, Any]) -> Minor | None:
    """The API server's minor from /version: gitVersion, else major and minor ("29+" on EKS/GKE)."""
    git = server_version.get("gitVersion")
    if isinstance(git, str) and (found := parse_minor(git)) is not None:
        return found
    major, minor = server_version.get("major"), server_version.get("minor")
    if isinstance(major, str) and isinstance(minor, str) and major.isdigit():
        number = _MINOR_NUMBER.match(minor)
        if number is not None:
            return (int(major), int(number.group(1)))
    return None


@dataclass(frozen=True, slots=True)
class Release:
    minor: Minor
    released: dt.date
    end_of_life: dt.date


@cache
def releases() -> tuple[Release, ...]:
    out = []
    for record in load_data("kubernetes-releases")["releases"]:
        minor = parse_minor(record["version"])
        assert minor is not None  # the schema's pattern
        out.append(
            Release(minor, dt.date.fromisoformat(record["released"]), dt.date.fromisoformat(record["endOfLife"]))
        )
    return tuple(sorted(out, key=lambda r: r.minor))


@cache
def target_range() -> tuple[Minor, Minor]:
    """The target versions the data can judge: from the oldest release the deprecated-API data
    mentions to the newest release in the release data. Outside it a target would be judged
    against data that says nothing about it (v1.99 would read as "every API is current")."""
    fields = ("deprecatedIn", "removedIn", "replacementAvailableIn")
    mentioned = [parse_minor(r[k]) for r in load_data("deprecated-apis")["apis"] for k in fields if k in r]
    return min(m for m in mentioned if m is not None), releases()[-1].minor


def kubelet_skew() -> int:
    return int(load_data("kubernetes-releases")["skew"]["kubeletOlderMinors"])


def newest_release(as_of: dt.date | None = None) -> Release:
    """The newest minor in the data (released by `as_of`, when given)."""
    known = [r for r in releases() if as_of is None or r.released <= as_of]
    return (known or list(releases()))[-1]


@dataclass(frozen=True, slots=True)
class Support:
    """Where a minor stands on a day: `end_of_life` is None for a minor newer than the data."""

    minor: Minor
    end_of_life: dt.date | None
    older_than_data: bool = False

    def past(self, day: dt.date) -> bool | None:
        if self.older_than_data:
            return True
        return None if self.end_of_life is None else day > self.end_of_life

    def days_left(self, day: dt.date) -> int | None:
        return None if self.end_of_life is None else (self.end_of_life - day).days

    def describe(self) -> str | None:
        if self.end_of_life is None:
            return None
        return f"on or before {self.end_of_life.isoformat()}" if self.older_than_data else self.end_of_life.isoformat()


def support(minor: Minor) -> Support:
    known = releases()
    for release in known:
        if release.minor == minor:
            return Support(minor, release.end_of_life)
    if minor < known[0].minor:  # every minor older than the data ended before its oldest one
        return Support(minor, known[0].end_of_life, older_than_data=True)
    return Support(minor, None)


def as_of(settings: dict[str, Any]) -> dt.date:
    day = settings.get(AS_OF_SETTING)
    return day if isinstance(day, dt.date) else dt.date.today()


def target_minor(settings: dict[str, Any], server: Minor | None) -> Minor:
    """--target-version, else the cluster's own version, else the newest release in the data."""
    given = settings.get(TARGET_SETTING)
    if isinstance(given, str) and (minor := parse_minor(given)) is not None:
        return minor
    if server is not None:
        return server
    return newest_release(as_of(settings)).minor
