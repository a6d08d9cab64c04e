"""Baseline files: the findings a team accepted, each with the reason, the date it was
accepted and an optional expiry, like every other suppression.

Version 2 entries carry `reason`, `accepted` and `expires`; version 1 files (fingerprints
only) are still read, their entries without a reason or expiry.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path as FsPath
from typing import Any

from kubeaudit import __version__
from kubeaudit.model import ScanResult, format_path

BASELINE_VERSION = 2
READABLE_VERSIONS = (1, 2)
NO_REASON = "present in the baseline"  # version 1 entries


class BaselineError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class BaselineEntry:
    reason: str
    accepted: dt.date | None = None
    expires: dt.date | None = None


Baseline = dict[str, BaselineEntry]  # by fingerprint


def baseline_text(
    result: ScanResult, reason: str, expires: dt.date | None = None, today: dt.date | None = None
) -> tuple[str, int]:
    """The baseline file recording the findings that count now, by fingerprint, with why and
    when, and how many it records. Writing it is the caller's (atomically, as reports are)."""
    accepted = (today or dt.date.today()).isoformat()
    entries = sorted(
        (
            {
                "fingerprint": f.fingerprint,
                "ruleId": f.rule_id,
                "resource": f.resource.ref,
                "path": format_path(f.path),
                "source": f.resource.origin.source,
                "reason": reason,
                "accepted": accepted,
                "expires": expires.isoformat() if expires else None,
            }
            for f in result.findings
            if f.suppression is None
        ),
        key=lambda e: (e["source"], e["resource"], e["ruleId"], e["path"]),
    )
    document = {"version": BASELINE_VERSION, "tool": {"name": "kubeaudit", "version": __version__}, "findings": entries}
    return json.dumps(document, indent=2) + "\n", len(entries)


def _date(path: FsPath, entry: dict[str, Any], key: str) -> dt.date | None:
    value = entry.get(key)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise BaselineError(f"{path}: {key} {value!r} of {entry['fingerprint']} is not a date (YYYY-MM-DD)") from None


def read_baseline(path: FsPath) -> Baseline:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror or exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: not a kubeaudit baseline (invalid JSON: {exc})") from exc
    if not isinstance(document, dict) or document.get("version") not in READABLE_VERSIONS:
        raise BaselineError(f"{path}: not a kubeaudit baseline of version {BASELINE_VERSION}")
    entries = document.get("findings")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries
    ):
        raise BaselineError(f"{path}: baseline findings must be a list of objects with a fingerprint")
    return {
        e["fingerprint"]: BaselineEntry(
            str(e.get("reason") or NO_REASON), _date(path, e, "accepted"), _date(path, e, "expires")
        )
        for e in entries
    }
