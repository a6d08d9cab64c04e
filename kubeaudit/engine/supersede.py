"""How a restricted rule and the baseline rule it tightens report one problem once.

Both rules run. Where they flag the same field of the same resource, the finding that
says more stays: the higher severity, and on a tie the tightened (baseline) rule's,
whose message names the offending value. Elsewhere each rule's findings stand. So a
stricter profile reports everything the looser one does, never weaker or vaguer
(dropping the baseline rule instead let `--profile restricted` pass a pod that
`--profile baseline` failed).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

from kubeaudit.engine.rule import Rule
from kubeaudit.finding_store import FindingStore
from kubeaudit.model import Finding, Resource


def _resource_place(resource: Resource) -> tuple[object, ...]:
    origin = resource.origin
    return (origin.source, origin.document, origin.base_path, resource.ref)


def merge_superseded(
    findings: list[Finding], rules: Sequence[Rule], merged: dict[str, tuple[str, ...]] | None = None
) -> list[Finding]:
    """`findings` with each pair of one problem (a superseding and a superseded rule's
    finding at the same place) reduced to the one that says more. `merged` gets, by the kept
    finding's fingerprint, the rules whose finding went into it: both rules found the problem."""
    dropped = superseded(findings, rules, merged)
    return [f for i, f in enumerate(findings) if i not in dropped] if dropped else findings


def superseded(
    findings: Sequence[Finding], rules: Sequence[Rule], merged: dict[str, tuple[str, ...]] | None = None
) -> set[int]:
    """The indexes of the findings merge_superseded drops (by index, not identity: a compact
    store, kubeaudit.finding_store, makes a new Finding each time one is read). A store's
    findings are told apart off its records: only the kept finding of a merged pair is made."""
    tightened_by = {rule.id: tuple(rule.supersedes) for rule in rules if rule.supersedes}
    if not tightened_by:
        return set()
    tightened = {old for olds in tightened_by.values() for old in olds}
    # (rule id, resource, path, severity rank) of each finding; resource and path compare as a
    # finding's place (its resource's file, document, base path and identity, and its field).
    facts: Sequence[tuple[str, Hashable, Hashable, int]]
    if isinstance(findings, FindingStore):
        facts = findings.placed(_resource_place)
    else:
        facts = [(f.rule_id, _resource_place(f.resource), f.path, f.severity.rank) for f in findings]
    looser: dict[tuple[str, Hashable, Hashable], int] = {}
    for i, (rule_id, resource, path, _rank) in enumerate(facts):
        if rule_id in tightened:
            looser[(rule_id, resource, path)] = i
    dropped: set[int] = set()
    for i, (rule_id, resource, path, rank) in enumerate(facts):
        for old in tightened_by.get(rule_id, ()):
            j = looser.get((old, resource, path))
            if j is None or j in dropped:
                continue
            kept, dropped_index = (i, j) if rank > facts[j][3] else (j, i)
            dropped.add(dropped_index)
            if merged is not None:
                fingerprint = findings[kept].fingerprint
                merged[fingerprint] = (*merged.get(fingerprint, ()), facts[dropped_index][0])
            break
    return dropped
