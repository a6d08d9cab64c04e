"""Counts every reporter shows the same way."""

from __future__ import annotations

from collections import Counter

from kubeaudit.model import ScanResult, Severity


def findings_by_severity(result: ScanResult) -> dict[str, int]:
    """Findings that count (not suppressed), by severity."""
    counts = Counter(f.severity for f in result.active_findings)
    return {s.value: counts.get(s, 0) for s in Severity}
