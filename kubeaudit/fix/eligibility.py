"""Which findings `kubeaudit fix` (and SARIF `fixes`) can fix, with what edits, and why not.

The same answer for both: a finding in a plain manifest file whose rule declares a fix that
applies to its field. A resource rendered from a chart or overlay, a JSON file, standard input
and a live cluster are not edited (see kubeaudit.fix.run); the API server's cross-field rules
(kubeaudit.fix.apichecks) are checked on the result.
"""

from __future__ import annotations

from typing import Any

import yaml

from kubeaudit.engine.fixes import Edit, edits_for
from kubeaudit.fix.apichecks import rejections
from kubeaudit.model import Finding, Path

JSON_SUFFIX = ".json"
HELM_SYNTAX = "{{"


def file_reason(finding: Finding) -> str:
    """Why the finding's file is not one `fix` edits; '' when it is."""
    origin = finding.resource.origin
    if origin.context is not None:
        return "in a live cluster: fix the manifest it was applied from"
    if origin.rendered is not None:
        return (
            f"rendered by {origin.rendered.tool} from {origin.rendered.project}: the field may come from a template, "
            "values, a base or a patch, so fix its source by hand"
        )
    if origin.source == "-" or origin.source.startswith("<"):
        return "read from standard input: nothing to write the fix to"
    if (origin.file_path or origin.source).lower().endswith(JSON_SUFFIX):
        return "a JSON file: kubeaudit fix edits YAML files only"
    return ""


def planned_edits(finding: Finding) -> tuple[str, list[Edit]]:
    """('', the edits that fix the finding), or (why it is not fixed, [])."""
    if not finding.rule.fix:
        return "no mechanical fix: it needs a decision (see the rule's remediation)", []
    reason = file_reason(finding)
    if reason:
        return reason, []
    origin = finding.resource.origin
    edits = edits_for(finding.rule.fix, finding.resource.kind, finding.path, origin.base_path)
    edits = [e for e in edits if e.operation != "placeholder"]
    if not edits:
        if all(change.is_placeholder for change in finding.rule.fix):
            return "needs a real value: `kubeaudit fix --placeholders` writes a commented placeholder to fill in", []
        return "the rule's fix does not apply to this field", []
    return "", edits


def introduced_rejections(text: str, fixed: str, findings: list[Finding]) -> list[tuple[Path, str]]:
    """(security context path in the document, reason) for each thing the API server would reject
    in the findings' resources after the fix that it would not have rejected before."""
    if fixed == text:
        return []
    old, new = list(yaml.safe_load_all(text)), list(yaml.safe_load_all(fixed))
    found: list[tuple[Path, str]] = []
    seen: set[tuple[int, Path]] = set()
    for finding in findings:
        origin = finding.resource.origin
        key = (origin.document or 0, origin.base_path)
        if key in seen:
            continue
        seen.add(key)
        kind = finding.resource.kind
        was = {str(r) for r in rejections(kind, _at(old, *key))}
        for rejection in rejections(kind, _at(new, *key)):
            if str(rejection) not in was:
                context = rejection.path[: rejection.path.index("securityContext") + 1]
                found.append(((*origin.base_path, *context), rejection.reason))
    return found


def _at(documents: list[Any], index: int, base: Path) -> Any:
    node = documents[index] if index < len(documents) else None
    for part in base:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node
