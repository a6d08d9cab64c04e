"""Counts every reporter shows the same way."""

from __future__ import annotations

from collections import Counter

from kubeaudit.model import ScanResult, Severity


def findings_by_severity(result: ScanResult) -> dict[str, int]:
    """Findings that count (not suppressed), by severity."""
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
