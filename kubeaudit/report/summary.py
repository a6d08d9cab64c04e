"""Counts every reporter shows the same way."""

from __future__ import annotations

from collections import Counter

from kubeaudit.model import ScanResult, Severity


def findings_by_severity(result: ScanResult) -> dict[str, int]:
    """Findings that count (not suppressed), by severity."""
    from kubeaudit.finding_store import FindingStore  # it stores the model's types

    if isinstance(result.findings, FindingStore):
        counts = result.findings.active_severity_counts()  # read off the records, no finding made
    else:
        counts = Counter(f.severity for f in result.active_findings)
    return {s.value: counts.get(s, 0) for s in Severity}


SHOWN_TARGETS = 10  # a cluster can have thousands; the JSON report lists them all


def not_evaluated_text(result: ScanResult, rule_id: str) -> str:
    """Why a rule was not (fully) evaluated and, for a cross-resource rule that made no
    findings, the first targets it would have judged."""
    text = result.not_evaluated[rule_id]
    targets = result.not_evaluated_targets.get(rule_id)
    if targets:
        shown = ", ".join(targets[:SHOWN_TARGETS])
        more = f" and {len(targets) - SHOWN_TARGETS} more" if len(targets) > SHOWN_TARGETS else ""
        text += f"; not evaluated: {shown}{more}"
    return text


def not_evaluated_lines(result: ScanResult) -> list[str]:
    """The rules not (fully) evaluated, one line per reason: rules left out for the same reason
    (every kubelet rule when no node's kubelet configuration was read) share one line, their ids
    first, so one missing input is said once, not once per rule."""
    by_text: dict[str, list[str]] = {}
    for rule_id in sorted(result.not_evaluated):
        by_text.setdefault(not_evaluated_text(result, rule_id), []).append(rule_id)
    return [f"{', '.join(rule_ids)}: {text}" for text, rule_ids in by_text.items()]
