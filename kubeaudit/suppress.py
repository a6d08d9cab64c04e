"""Suppressions: annotations in the manifest, exemptions in the config, a baseline file.

A suppressed finding is kept (reports show it as suppressed, SARIF marks it
dismissed) but does not count for the gate. Every suppression carries a reason,
and may carry an expiry date after which it stops applying and the report says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from typing import Any

from kubeaudit.baseline import Baseline
from kubeaudit.config import Config, Exemption
from kubeaudit.finding_store import FindingStore
from kubeaudit.model import Finding, Notice, Path, Resource, ScanResult, Suppression, format_path
from kubeaudit.semantics.workloads import POD_SPEC_LOCATIONS, get_path

IGNORE = "kubeaudit.io/ignore"
# Where suppression annotations may be written: the object's metadata, or its pod template's.
_ANNOTATED_METADATA: tuple[Path, ...] = (
    ("metadata",),
    *sorted({meta for _, meta in POD_SPEC_LOCATIONS.values() if meta != ("metadata",)}, key=len),
)
IGNORE_REASON = "kubeaudit.io/ignore-reason"
IGNORE_UNTIL = "kubeaudit.io/ignore-until"
CATCH_ALL = "*"
# Overrides of Shopify's deprecated Go kubeaudit (kubeaudit.io/allow-privilege-escalation...):
# migrating users expect them to work, so say that they do not, and what does.
FOREIGN_OVERRIDE = "kubeaudit.io/allow-"


def _annotation_sources(resource: Resource) -> list[tuple[dict[str, Any], Path]]:
    """Annotation maps that may suppress a resource's findings: the object's own and its pod template's."""
    found: list[tuple[dict[str, Any], Path]] = []
    for prefix in _ANNOTATED_METADATA:
        node = get_path(resource.data, prefix)
        annotations = node.get("annotations") if isinstance(node, dict) else None
        if isinstance(annotations, dict) and IGNORE in annotations:
            found.append((annotations, prefix))
    return found


def _matches(rule_id: str, patterns: Iterable[str]) -> bool:
    return any(fnmatchcase(rule_id, p.strip()) for p in patterns if p.strip())


class Suppressor:
    """Applies every kind of suppression to a scan's findings, with today's date."""

    def __init__(
        self,
        config: Config | None = None,
        baseline: Baseline | None = None,
        today: dt.date | None = None,
        known_rules: frozenset[str] | None = None,  # every rule id loaded, selected or not; None: unchecked
    ):
        self.config = config or Config()
        self.baseline = baseline
        self.today = today or dt.date.today()
        self.known_rules = known_rules

    def __call__(self, findings: Sequence[Finding], result: ScanResult) -> FindingStore:
        notices: dict[tuple[str, str], Notice] = {}
        self._expired_entries: dict[tuple[str, str], int] = {}
        # Compact records, as the scan keeps them: never every finding alive at once.
        store = findings if isinstance(findings, FindingStore) else FindingStore(findings)
        seen: set[str] = set()

        def suppression(finding: Finding) -> Suppression | None:
            if self.baseline is not None:
                seen.add(finding.fingerprint)
            return (
                self._annotation(finding, notices)
                or self._exemption(finding, notices)
                or self._baselined(finding, notices)
            )

        # Without a baseline or exemptions only a resource's own annotations can suppress its
        # findings: the findings of the (many) resources without any are not made at all.
        every_finding = self.baseline is not None or bool(self.config.exemptions)
        out = store.with_suppressions(
            suppression, lambda resource: every_finding or bool(_annotation_sources(resource))
        )
        _note_foreign_overrides(store.resources_in_order(), notices)
        if self.known_rules is not None:
            _note_unknown_rule_ids(store.resources_in_order(), self.known_rules, notices)
        for (expired, reason), count in sorted(self._expired_entries.items()):
            notices[("baseline", expired + reason)] = Notice(
                "baseline",
                f"{count} baseline entr{'y' if count == 1 else 'ies'} ({reason}) expired on {expired}; "
                "their findings count again",
            )
        if self.baseline is not None:
            gone = len(self.baseline.keys() - seen)
            if gone:
                notices[("baseline", "")] = Notice(
                    "baseline", f"{gone} baselined finding(s) no longer occur; recreate the baseline to drop them"
                )
        result.notices.extend(notices.values())
        return out

    def _annotation(self, finding: Finding, notices: dict[tuple[str, str], Notice]) -> Suppression | None:
        for notes, prefix in _annotation_sources(finding.resource):
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
            refused = self._refused_inline(finding.rule_id, rules)
            if refused:
                notices[(key[0], where + refused)] = Notice(
                    resource.origin.source, f"{resource.ref}: {IGNORE} in {where} not applied: {refused}", line
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

    def _refused_inline(self, rule_id: str, tokens: list[str]) -> str:
        """Why the config does not let a manifest suppress this rule itself ("" if it does)."""
        policy = self.config.inline
        setting = f"suppressions.inline in {self.config.path}" if self.config.path else "suppressions.inline"
        if not policy.enabled:
            return f"inline suppressions are off ({setting})"
        if not _matches(rule_id, [t for t in tokens if t.strip() != CATCH_ALL]) and not policy.allows_catch_all:
            return f"'{CATCH_ALL}' suppresses every rule and needs the config to allow it ({setting}: ['{CATCH_ALL}'])"
        if policy.rules is not None and not _matches(rule_id, policy.rules):
            return f"{rule_id} may not be suppressed inline ({setting} allows {', '.join(policy.rules)})"
        return ""

    def _baselined(self, finding: Finding, notices: dict[tuple[str, str], Notice]) -> Suppression | None:
        entry = self.baseline.get(finding.fingerprint) if self.baseline is not None else None
        if entry is None:
            return None
        if entry.expires is not None and entry.expires < self.today:
            key = (entry.expires.isoformat(), entry.reason)
            self._expired_entries[key] = self._expired_entries.get(key, 0) + 1
            return None
        expires = entry.expires.isoformat() if entry.expires else None
        return Suppression("external", "baseline", entry.reason, expires)

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


def _note_unknown_rule_ids(
    resources: Iterable[Resource], known: frozenset[str], notices: dict[tuple[str, str], Notice]
) -> None:
    """A rule id in kubeaudit.io/ignore that names no rule (a typo, a renamed rule) suppresses
    nothing, and the finding it was meant for counts: say so, at the annotation's line. (The
    resources are those with findings, in the order of their first finding.)"""
    seen: set[tuple[str, str]] = set()
    for resource in resources:
        if (resource.origin.source, resource.ref) in seen:
            continue
        seen.add((resource.origin.source, resource.ref))
        for notes, prefix in _annotation_sources(resource):
            tokens = [t.strip() for t in str(notes.get(IGNORE, "")).split(",") if t.strip()]
            unknown = [t for t in tokens if t != CATCH_ALL and not any(fnmatchcase(r, t) for r in known)]
            if not unknown:
                continue
            where = format_path((*prefix, "annotations"))
            position = resource.origin.position((*prefix, "annotations", IGNORE))
            names = ", ".join(repr(t) for t in unknown)
            notices[(resource.origin.source + resource.ref, where + "unknown")] = Notice(
                resource.origin.source,
                f"{resource.ref}: {IGNORE} in {where} names no known rule: {names}; it suppresses nothing "
                "(see kubeaudit rules list)",
                position.line if position else None,
            )


def _note_foreign_overrides(resources: Iterable[Resource], notices: dict[tuple[str, str], Notice]) -> None:
    seen: set[tuple[str, str]] = set()
    for resource in resources:
        if (resource.origin.source, resource.ref) in seen:
            continue
        seen.add((resource.origin.source, resource.ref))
        for prefix in _ANNOTATED_METADATA:
            meta = get_path(resource.data, prefix)
            for where in ("labels", "annotations"):
                keys = meta.get(where) if isinstance(meta, dict) else None
                for key in (
                    sorted(k for k in keys if str(k).startswith(FOREIGN_OVERRIDE)) if isinstance(keys, dict) else ()
                ):
                    position = resource.origin.position((*prefix, where, key))
                    notices[(resource.origin.source + resource.ref, f"{where}/{key}")] = Notice(
                        resource.origin.source,
                        f"{resource.ref}: {key} is an override of the deprecated Shopify kubeaudit and is not "
                        f"honoured; to suppress a finding use {IGNORE}: RULE-ID with {IGNORE_REASON}",
                        position.line if position else None,
                    )
