"""`kubeaudit paths`: every attack path the `path` view finds, as a list, not a gate.

The listing runs the ordinary scan pipeline (sources, inventory, not-evaluated handling) with one
generated rule per (entry kind, target) pair the filters select, each flagging every path of its
pair; the findings then carry the steps, and the rule says which pair a path belongs to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kubeaudit.condition import compile_condition
from kubeaudit.engine.rule import Checks, Compiled, Rule
from kubeaudit.model import Finding, Severity
from kubeaudit.semantics.paths import TARGETS

ENTRY_KINDS = ("Service", "Ingress", "Gateway", "HostNetwork", "Workload", "Subject")
EXPOSED_KINDS = ENTRY_KINDS[:4]
# --from accepts these words: an entry kind (any case), `exposed` (the first four) or `any`.
FROM_CHOICES = ("any", "exposed", *(kind.lower() for kind in ENTRY_KINDS))
TO_CHOICES = ("any", *TARGETS)
SEVERITY_OF_TARGET = {
    "cluster-admin": Severity.CRITICAL,
    "all-secrets": Severity.HIGH,
    "kube-system-secrets": Severity.HIGH,
    "node": Severity.HIGH,
    "cloud-metadata": Severity.MEDIUM,
}
RULE_PREFIX = "attack-path"


@dataclass(frozen=True, slots=True)
class ListedPath:
    entry_kind: str
    target: str
    finding: Finding


def entry_kinds(choices: list[str]) -> list[str]:
    """The entry kinds `--from` values select (none given: any)."""
    if not choices or "any" in choices:
        return list(ENTRY_KINDS)
    kinds = [kind for kind in ENTRY_KINDS if kind.lower() in choices]
    if "exposed" in choices:
        kinds = list(dict.fromkeys([*EXPOSED_KINDS, *kinds]))
    return kinds


def targets(choices: list[str]) -> list[str]:
    if not choices or "any" in choices:
        return list(TARGETS)
    return [target for target in TARGETS if target in choices]


def listing_rules(entries: list[str], wanted: list[str]) -> list[Rule]:
    """One rule per (entry kind, target): every path of that pair is a finding."""
    rules = []
    for entry in entries:
        for target in wanted:
            where = {
                "properties": {
                    "entry": {"properties": {"kind": {"const": entry}}},
                    "target": {"properties": {"kind": {"const": target}}},
                }
            }
            rules.append(
                Rule(
                    id=f"{RULE_PREFIX}-{entry.lower()}-{target}",
                    title=f"Attack path from {entry} to {TARGETS[target]}",
                    severity=SEVERITY_OF_TARGET[target],
                    category="attack-path",
                    view="path",
                    message="{route}",
                    remediation="Break one link of the path; each step names the field that makes it.",
                    references=(),
                    compiled=Compiled.ready(
                        Checks(compile_condition({"properties": {"length": {"maximum": 0}}}), compile_condition(where))
                    ),
                    raw={"condition": {"properties": {"length": {}}}, "match": {"where": where}},
                )
            )
    return rules


def listed(findings: Iterable[Finding]) -> list[ListedPath]:
    """The paths among the findings of the listing rules, by target severity, then where they start."""
    kinds = {f"{RULE_PREFIX}-{e.lower()}-{t}": (e, t) for e in ENTRY_KINDS for t in TARGETS}
    found = [ListedPath(*kinds[f.rule_id], f) for f in findings if f.rule_id in kinds]
    order = list(TARGETS)
    return sorted(found, key=lambda p: (-p.finding.severity.rank, order.index(p.target), len(p.finding.steps)))
