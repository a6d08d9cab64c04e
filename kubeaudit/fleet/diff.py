"""`kubeaudit report diff`: what changed between two reports of the same cluster or repository.

Findings are matched by fingerprint, as baselines match them (rule, resource identity and field
path: it survives reformatting and moved lines, and includes the cluster context or the file).
Only findings that count are compared: a finding suppressed in the new report is not "fixed", it
is listed as suppressed. A finding the new report could not have made, because its rule was not
evaluated there (for that resource or at all) or did not run, is not "fixed" either: it is listed as not
evaluated, since the scan did not see whether it still holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kubeaudit.fleet.reports import SavedReport, at_or_above, resource_ref, rule_list
from kubeaudit.model import Severity

Finding = dict[str, Any]  # as the JSON report writes it


@dataclass(frozen=True, slots=True)
class ReportDiff:
    old: SavedReport
    new: SavedReport
    added: list[Finding]  # count in the new report, not in the old
    fixed: list[Finding]  # counted in the old report, gone from the new
    unchanged: list[Finding]  # in both (as the new report has them)
    suppressed: list[Finding] = field(default_factory=list)  # counted in the old, suppressed in the new
    not_evaluated: list[Finding] = field(default_factory=list)  # counted in the old, rule not evaluated in the new
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.old.complete and self.new.complete


def diff_reports(old: SavedReport, new: SavedReport) -> ReportDiff:
    old_active = _by_fingerprint(old.active_findings)
    new_active = _by_fingerprint(new.active_findings)
    new_suppressed = {f["fingerprint"] for f in new.findings if f["suppression"] is not None}
    unevaluated = _unevaluated(new)
    ran = new.rule_ids
    if ran is not None:  # a rule the new scan did not run judged nothing there
        unevaluated.update({f["ruleId"]: None for f in old.active_findings if f["ruleId"] not in ran})
    added, unchanged, gone = [], [], []
    for fingerprint, findings in new_active.items():
        kept = len(old_active.get(fingerprint, []))
        unchanged += findings[:kept]
        added += findings[kept:]
    for fingerprint, findings in old_active.items():
        gone += findings[len(new_active.get(fingerprint, [])) :]
    fixed, suppressed, not_evaluated = [], [], []
    for finding in gone:
        if finding["fingerprint"] in new_suppressed:
            suppressed.append(finding)
        elif _not_judged(finding, unevaluated):
            not_evaluated.append(finding)
        else:
            fixed.append(finding)
    return ReportDiff(
        old, new, _sorted(added), _sorted(fixed), _sorted(unchanged), _sorted(suppressed), _sorted(not_evaluated),
        _notes(old, new),
    )  # fmt: skip


def _by_fingerprint(findings: Iterable[Finding]) -> dict[str, list[Finding]]:
    """Findings by fingerprint: two findings of one report may share one (one resource written twice)."""
    grouped: dict[str, list[Finding]] = {}
    for finding in findings:
        grouped.setdefault(finding["fingerprint"], []).append(finding)
    return grouped


def _unevaluated(report: SavedReport) -> dict[str, set[str] | None]:
    """Rules the report did not (fully) evaluate: the targets not judged, or None for all of them."""
    return {e["ruleId"]: (set(e["targets"]) if e.get("targets") else None) for e in report.not_evaluated}


def _not_judged(finding: Finding, unevaluated: dict[str, set[str] | None]) -> bool:
    if finding["ruleId"] not in unevaluated:
        return False
    targets = unevaluated[finding["ruleId"]]
    return targets is None or resource_ref(finding["resource"]) in targets


def _sorted(findings: list[Finding]) -> list[Finding]:
    def key(f: Finding) -> tuple[int, str, str, int, str, str]:
        location = f["location"]
        return (
            -Severity(f["severity"]).rank, f["ruleId"], location["source"], location.get("line") or 0,
            resource_ref(f["resource"]), f["path"],
        )  # fmt: skip

    return sorted(findings, key=key)


def _notes(old: SavedReport, new: SavedReport) -> list[str]:
    """What makes the comparison less than like for like."""
    notes = []
    if old.tool_version != new.tool_version:
        notes.append(
            f"the reports were made by different kubeaudit versions ({old.tool_version}, then {new.tool_version}): "
            "some new or fixed findings may come from changed rules, not from changed resources"
        )
    if old.rule_ids is not None and new.rule_ids is not None:
        only_old, only_new = old.rule_ids - new.rule_ids, new.rule_ids - old.rule_ids
        if only_old:
            notes.append(
                f"rules only the old report ran: {rule_list(only_old)}: their findings are listed as not evaluated, "
                "not as fixed"
            )
        if only_new:
            notes.append(f"rules only the new report ran: {rule_list(only_new)}: their findings show as new")
    elif old.rule_count != new.rule_count:
        notes.append(
            f"the reports ran different rule sets ({old.rule_count} rules, then {new.rule_count}): "
            "a finding of a rule only one of them ran shows as new or fixed"
        )
    if sorted(old.inputs) != sorted(new.inputs):
        notes.append(
            f"the reports are of different inputs ({', '.join(old.inputs) or 'none'}, then "
            f"{', '.join(new.inputs) or 'none'}): fingerprints include the cluster context or file, "
            "so findings of one resource in both show as fixed and new"
        )
    for label, report in (("old", old), ("new", new)):
        if not report.complete:
            notes.append(
                f"the {label} report is incomplete (some inputs could not be read or evaluated): "
                + ("findings it could not see may show as new" if label == "old" else
                   "findings it could not see may show as fixed")
            )  # fmt: skip
    return notes


def new_at_or_above(diff: ReportDiff, threshold: str) -> list[Finding]:
    return at_or_above(diff.added, threshold)


def diff_gate(diff: ReportDiff, fail_on_new: str | None) -> int:
    """2 when either report is incomplete; 1 with new findings at or above --fail-on-new; else 0."""
    if not diff.complete:
        return 2
    if fail_on_new is not None and new_at_or_above(diff, fail_on_new):
        return 1
    return 0
