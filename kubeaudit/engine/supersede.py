"""How a restricted rule and the baseline rule it tightens report one problem once.

Both rules run. Where they flag the same field of the same resource, the finding that
says more stays: the higher severity, and on a tie the tightened (baseline) rule's,
whose message names the offending value. Elsewhere each rule's findings stand. So a
stricter profile reports everything the looser one does, never weaker or vaguer
(dropping the baseline rule instead let `--profile restricted` pass a pod that
`--profile baseline` failed).
"""

from __future__ import annotations

from collections.abc import Sequence

from kubeaudit.engine.rule import Rule
from kubeaudit.model import Finding


def _place(finding: Finding, family: str) -> tuple[object, ...]:
    origin = finding.resource.origin
    return (family, origin.source, origin.document, origin.base_path, finding.resource.ref, finding.path)


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
    store, kubeaudit.finding_store, makes a new Finding each time one is read)."""
    tightened_by = {rule.id: tuple(rule.supersedes) for rule in rules if rule.supersedes}
    if not tightened_by:
        return set()
    tightened = {old for olds in tightened_by.values() for old in olds}
    looser: dict[tuple[object, ...], int] = {}
    for i, f in enumerate(findings):
        if f.rule_id in tightened:
            looser[_place(f, f.rule_id)] = i
    dropped: set[int] = set()
    for i, finding in enumerate(findings):
        for old in tightened_by.get(finding.rule_id, ()):
            j = looser.get(_place(finding, old))
            if j is None or j in dropped:
                continue
            other = findings[j]
            if finding.severity.rank > other.severity.rank:
                loser, kept, dropped_index = other, finding, j
            else:
                loser, kept, dropped_index = finding, other, i
            dropped.add(dropped_index)
            if merged is not None:
                merged[kept.fingerprint] = (*merged.get(kept.fingerprint, ()), loser.rule_id)
            break
    return dropped
