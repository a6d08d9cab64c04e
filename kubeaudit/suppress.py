"""Suppressions: annotations in the manifest, exemptions in the config, a baseline file.

A suppressed finding is kept (reports show it as suppressed, SARIF marks it
dismissed) but does not count for the gate. Every suppression carries a reason,
and may carry an expiry date after which it stops applying and the report says so.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import replace
from fnmatch import fnmatchcase
from pathlib import Path as FsPath
from typing import Any

from kubeaudit import __version__
from kubeaudit.config import Config, Exemption
from kubeaudit.model import Finding, Notice, Path, ScanResult, Suppression, format_path
from kubeaudit.views.pod import POD_SPEC_LOCATIONS, get_path

IGNORE = "kubeaudit.io/ignore"
# Where suppression annotations may be written: the object's metadata, or its pod template's.
_ANNOTATED_METADATA: tuple[Path, ...] = (
    ("metadata",),
    *sorted({meta for _, meta in POD_SPEC_LOCATIONS.values() if meta != ("metadata",)}, key=len),
)
IGNORE_REASON = "kubeaudit.io/ignore-reason"
IGNORE_UNTIL = "kubeaudit.io/ignore-until"
BASELINE_VERSION = 1


class BaselineError(Exception):
    pass


def _annotation_sources(finding: Finding) -> list[tuple[dict[str, Any], Path]]:
    """Annotation maps that may suppress a finding: the object's own and its pod template's."""
    found: list[tuple[dict[str, Any], Path]] = []
    for prefix in _ANNOTATED_METADATA:
        node = get_path(finding.resource.data, prefix)
        annotations = node.get("annotations") if isinstance(node, dict) else None
        if isinstance(annotations, dict) and IGNORE in annotations:
            found.append((annotations, prefix))
    return found


def _matches(rule_id: str, patterns: Iterable[str]) -> bool:
    return any(fnmatchcase(rule_id, p.strip()) for p in patterns if p.strip())


class Suppressor:
    """Applies every kind of suppression to a scan's findings, with today's date."""

    def __init__(self, config: Config | None = None, baseline: set[str] | None = None, today: dt.date | None = None):
        self.config = config or Config()
        self.baseline = baseline
        self.today = today or dt.date.today()

    def __call__(self, findings: list[Finding], result: ScanResult) -> list[Finding]:
        notices: dict[tuple[str, str], Notice] = {}
        out = []
        for finding in findings:
            suppression = self._annotation(finding, notices) or self._exemption(finding, notices)
            if suppression is None and self.baseline is not None and finding.fingerprint in self.baseline:
                suppression = Suppression("external", "baseline", "present in the baseline")
            out.append(replace(finding, suppression=suppression) if suppression else finding)
        if self.baseline is not None:
            seen = {f.fingerprint for f in out}
            gone = len(self.baseline - seen)
            if gone:
                notices[("baseline", "")] = Notice(
                    "baseline", f"{gone} baselined finding(s) no longer occur; recreate the baseline to drop them"
                )
        result.notices.extend(notices.values())
        return out

    def _annotation(self, finding: Finding, notices: dict[tuple[str, str], Notice]) -> Suppression | None:
        for notes, prefix in _annotation_sources(finding):
            rules = str(notes.get(IGNORE, "")).split(",")
            if not _matches(finding.rule_id, rules):
                continue
            resource = finding.resource
            where = format_path((*prefix, "annotations"))
            position = resource.origin.position((*prefix, "annotations", IGNORE))
            line = position.line if position else None
            key = (resource.origin.source + resource.ref, where)
            reason = str(notes.get(IGNORE_REASON, "")).strip()
            if not reason:
                notices[key] = Notice(
                    resource.origin.source,
                    f"{resource.ref}: {IGNORE} in {where} has no {IGNORE_REASON}, so it is not applied",
                    line,
                )
                return None
            until = notes.get(IGNORE_UNTIL)
            expires = None
            if until is not None:
                try:
                    expires = dt.date.fromisoformat(str(until).strip())
                except ValueError:
                    notices[key] = Notice(
                        resource.origin.source,
                        f"{resource.ref}: {IGNORE_UNTIL} {until!r} is not a date (YYYY-MM-DD); suppression not applied",
                        line,
                    )
                    return None
                if expires < self.today:
                    notices[key] = Notice(
                        resource.origin.source,
                        f"{resource.ref}: suppression in {where} expired on {expires.isoformat()}; "
                        "its findings count again",
                        line,
                    )
                    return None
            return Suppression("inSource", "annotation", reason, expires.isoformat() if expires else None)
        return None

    def _exemption(self, finding: Finding, notices: dict[tuple[str, str], Notice]) -> Suppression | None:
        for exemption in self.config.exemptions:
            if not _exempts(exemption, finding):
                continue
            if exemption.expires is not None and exemption.expires < self.today:
                notices[("config", str(exemption.line))] = Notice(
                    self.config.path or "config",
                    f"exemption ({exemption.reason}) expired on {exemption.expires.isoformat()}; "
                    "its findings count again",
                    exemption.line,
                )
                continue
            return Suppression(
                "external", "config", exemption.reason, exemption.expires.isoformat() if exemption.expires else None
            )
        return None


def _exempts(exemption: Exemption, finding: Finding) -> bool:
    resource = finding.resource
    if exemption.rules and not _matches(finding.rule_id, exemption.rules):
        return False
    checks = (
        (exemption.namespace, resource.namespace or "default"),
        (exemption.kind, resource.kind),
        (exemption.name, resource.name),
    )
    return all(pattern is None or fnmatchcase(value, pattern) for pattern, value in checks)


def write_baseline(result: ScanResult, path: FsPath) -> int:
    """Record the findings that count now, by fingerprint. Returns how many."""
    active = [f for f in result.findings if f.suppression is None]
    entries = sorted(
        (
            {
                "fingerprint": f.fingerprint,
                "ruleId": f.rule_id,
                "resource": f.resource.ref,
                "path": format_path(f.path),
                "source": f.resource.origin.source,
            }
            for f in active
        ),
        key=lambda e: (e["source"], e["resource"], e["ruleId"], e["path"]),
    )
    document = {"version": BASELINE_VERSION, "tool": {"name": "kubeaudit", "version": __version__}, "findings": entries}
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return len(entries)


def read_baseline(path: FsPath) -> set[str]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc.strerror or exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BaselineError(f"{path}: not a kubeaudit baseline (invalid JSON: {exc})") from exc
    if not isinstance(document, dict) or document.get("version") != BASELINE_VERSION:
        raise BaselineError(f"{path}: not a kubeaudit baseline of version {BASELINE_VERSION}")
    entries = document.get("findings")
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries
    ):
        raise BaselineError(f"{path}: baseline findings must be a list of objects with a fingerprint")
    return {e["fingerprint"] for e in entries}
