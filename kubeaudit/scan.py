"""The pipeline as a library call: sources -> resources -> views -> rules -> findings.

The CLI is a thin layer over `scan()`; anything a CI user can do, a Python user
can do by importing this module.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from kubeaudit.engine.rule import Rule
from kubeaudit.model import Finding, Resource, ScanError, ScanResult, ScanStats
from kubeaudit.sources.manifests import discover, parse_file
from kubeaudit.views import VIEW_KINDS, ShapeError, resource_targets


class RuleIndex:
    """Rules grouped by view and kind, so each resource meets only rules that can apply."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = list(rules)
        self.by_view: dict[str, list[Rule]] = defaultdict(list)
        for rule in self.rules:
            self.by_view[rule.view].append(rule)
        self.views = frozenset(self.by_view)
        self._all_kinds = any(r.kinds is None and VIEW_KINDS.get(r.view, None) is None for r in self.rules)
        kinds: set[str] = set()
        for rule in self.rules:
            view_kinds = VIEW_KINDS.get(rule.view)
            if rule.kinds is not None:
                kinds |= rule.kinds if view_kinds is None else (rule.kinds & view_kinds)
            elif view_kinds is not None:
                kinds |= view_kinds
        self.kinds = frozenset(kinds)

    def targets_kind(self, kind: str) -> bool:
        return self._all_kinds or kind in self.kinds


def evaluate_resource(resource: Resource, index: RuleIndex) -> list[Finding]:
    """Every finding of every applicable rule on one resource. Raises ShapeError."""
    findings: list[Finding] = []
    for view, targets in resource_targets(resource, index.views).items():
        rules = [r for r in index.by_view[view] if r.applies_to(resource)]
        if not rules:
            continue
        for target in targets:
            for rule in rules:
                findings.extend(rule.evaluate(target))
    return findings


def _dedupe(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[object, ...]] = set()
    unique = []
    for f in findings:
        key = (
            f.rule_id,
            f.resource.origin.source,
            f.resource.origin.document,
            f.resource.origin.base_path,
            f.path,
        )
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique


def sort_key(finding: Finding) -> tuple[object, ...]:
    origin = finding.resource.origin
    return (origin.source, finding.line or 0, origin.document or 0, finding.rule_id, finding.path.__repr__())


def scan_manifests(
    paths: Sequence[str],
    rules: Sequence[Rule],
    excluded: Callable[[str], bool] | None = None,
    on_file: Callable[[str], None] | None = None,
) -> ScanResult:
    index = RuleIndex(rules)
    errors: list[ScanError] = []
    stats = ScanStats()
    findings: list[Finding] = []
    for file in discover(paths, errors, excluded):
        if on_file is not None:
            on_file(file.display)
        stats.files += 1
        parsed = parse_file(file)
        errors.extend(parsed.errors)
        stats.documents += parsed.documents
        stats.skipped_documents += parsed.skipped_documents
        for resource in parsed.resources:
            stats.resources += 1
            if not index.targets_kind(resource.kind):
                stats.untargeted_resources += 1
                continue
            try:
                findings.extend(evaluate_resource(resource, index))
            except ShapeError as exc:
                position = resource.origin.position(exc.path)
                errors.append(
                    ScanError(
                        resource.origin.source,
                        f"{resource.kind}/{resource.name} not scanned: {exc.message}",
                        position.line if position else None,
                    )
                )
        # Lines for this file's findings are resolved above; the node trees can go.
        parsed.release_nodes()
    findings = _dedupe(findings)
    findings.sort(key=sort_key)
    return ScanResult(findings, errors, stats, list(paths), list(rules))


def scan(
    paths: Iterable[str],
    rules_dirs: Iterable[str] = (),
    profile: str = "all",
    toggles: Iterable[tuple[str, str]] = (),
) -> ScanResult:
    """Scan manifest paths with the built-in rules plus any rule directories."""
    from kubeaudit.engine.loader import load_rules
    from kubeaudit.engine.selection import select_rules

    rules = select_rules(load_rules(rules_dirs), profile, toggles)
    return scan_manifests(list(paths), rules)
