"""The compliance table of one scan against one framework: every control with its status.

A control is judged by the rules that name it in `frameworks:`:

- **fail**: one of them reported an active (not suppressed) finding; the row counts them;
- **pass**: every one of them ran, judged at least one target, and reported nothing active;
- **not evaluated**: none failed, but one could not vouch for it: disabled, a parameter it needs is
  empty, below --severity, a kind it needs could not be read, or nothing it checks was in the input
  (no control-plane pod among the files). A control no rule checks is not evaluated too (the
  reason says whether the API and manifests could show it at all), unless it is
- **manual**: no rule checks it and the framework assesses it by hand.

The score is the share of passing controls among those a scan could decide (every control but the
manual ones): a control not evaluated counts as not passed, so coverage gaps lower the score
rather than hide in it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from kubeaudit.compliance.frameworks import Control, Framework
from kubeaudit.engine.rule import Rule
from kubeaudit.model import ScanResult, Severity


class Status(str, Enum):
    PASS = "pass"
    FAIL = "fail"
    NOT_EVALUATED = "not-evaluated"
    MANUAL = "manual"


NO_RULE = "no kubeaudit rule checks it"
NODE_ONLY = "only visible on the nodes (files, processes), not from the API or manifests"


@dataclass(frozen=True, slots=True)
class ControlRow:
    control: Control
    status: Status
    rules: tuple[str, ...] = ()  # the rules that check it (those of this scan's rule set)
    findings: int = 0  # active findings of those rules
    suppressed: int = 0  # their suppressed findings (which do not fail the control)
    reasons: tuple[str, ...] = ()  # why it is not evaluated: one per rule that could not vouch for it


@dataclass(frozen=True, slots=True)
class ComplianceTable:
    """What the console, JSON and HTML reports show for `--compliance FRAMEWORK`."""

    framework: Framework
    rows: tuple[ControlRow, ...]

    def count(self, status: Status) -> int:
        return sum(1 for row in self.rows if row.status is status)

    @property
    def decidable(self) -> int:
        """Controls a scan could decide: all but the manual ones."""
        return len(self.rows) - self.count(Status.MANUAL)

    @property
    def score(self) -> float | None:
        """Percentage of decidable controls that pass (not evaluated counts as not passed);
        None when the framework has no decidable control."""
        if not self.decidable:
            return None
        return round(100 * self.count(Status.PASS) / self.decidable, 1)


@dataclass(frozen=True, slots=True)
class _RuleOutcome:
    findings: int = 0
    suppressed: int = 0
    reason: str | None = None  # why the rule cannot vouch for its controls (None: it can)


def _unset_requirements(rule: Rule) -> list[str]:
    return [name for name in rule.raw.get("requires", ()) if rule.params.get(name) in (None, [], "", {})]


def _rule_outcomes(rules: Sequence[Rule], result: ScanResult, min_severity: Severity | None) -> dict[str, _RuleOutcome]:
    active: Counter[str] = Counter()
    suppressed: Counter[str] = Counter()
    for finding in result.findings:
        counts = active if finding.suppression is None else suppressed
        # A finding a superseding rule's said more than was merged into it: both rules found it.
        for rule_id in (finding.rule_id, *result.merged_rules.get(finding.fingerprint, ())):
            counts[rule_id] += 1
    ran = {meta.id for meta in result.rules}
    outcomes: dict[str, _RuleOutcome] = {}
    for rule in rules:
        found, hidden = active[rule.id], suppressed[rule.id]
        reason = None
        if rule.id not in ran:
            reason = f"{rule.id}: rule disabled"
        elif unset := _unset_requirements(rule):
            reason = f"{rule.id}: parameter {', '.join(unset)} not set"
        elif min_severity is not None and rule.severity.rank < min_severity.rank:
            reason = f"{rule.id}: below --severity {min_severity.value}, not reported"
        elif rule.id in result.not_evaluated:
            reason = f"{rule.id}: {result.not_evaluated[rule.id]}"
        elif not found and not hidden and rule.id not in result.judged_rules:
            reason = f"{rule.id}: nothing it checks was in the input"
        outcomes[rule.id] = _RuleOutcome(found, hidden, None if found else reason)
    return outcomes


def _row(control: Control, rule_ids: list[str], outcomes: dict[str, _RuleOutcome]) -> ControlRow:
    if not rule_ids:
        if control.manual:
            return ControlRow(control, Status.MANUAL)
        return ControlRow(control, Status.NOT_EVALUATED, reasons=(NODE_ONLY if control.node_only else NO_RULE,))
    mine = [outcomes[r] for r in rule_ids]
    findings = sum(o.findings for o in mine)
    suppressed = sum(o.suppressed for o in mine)
    reasons = tuple(o.reason for o in mine if o.reason is not None)
    status = Status.FAIL if findings else Status.NOT_EVALUATED if reasons else Status.PASS
    return ControlRow(control, status, tuple(rule_ids), findings, suppressed, () if findings else reasons)


def compliance_table(
    framework: Framework, rules: Sequence[Rule], result: ScanResult, min_severity: Severity | None = None
) -> ComplianceTable:
    """The table of `result` against `framework`. `rules`: every rule the run knew of (selected
    or not), so a control whose rule was disabled says so instead of passing."""
    checking: dict[str, list[str]] = {}
    for rule in sorted(rules, key=lambda r: r.id):
        for control_id in dict(rule.frameworks).get(framework.id, ()):
            checking.setdefault(control_id, []).append(rule.id)
    outcomes = _rule_outcomes([r for r in rules if framework.id in dict(r.frameworks)], result, min_severity)
    return ComplianceTable(framework, tuple(_row(c, checking.get(c.id, []), outcomes) for c in framework.controls))


def score_sentence(score: float | None, passed: int, failed: int, not_evaluated: int, manual: int) -> str:
    """The score with what it is made of, so that it is never read without its coverage."""
    shown = "n/a" if score is None else f"{score:g}%"
    text = f"Score {shown}: {passed} of {passed + failed + not_evaluated} controls pass ({failed} fail, "
    text += (
        f"{not_evaluated} not evaluated, which count as not passed)"
        if not_evaluated
        else f"{not_evaluated} not evaluated)"
    )
    if manual:
        text += f"; {manual} manual control{'' if manual == 1 else 's'}, which no scan can check, not scored"
    return text + "."
