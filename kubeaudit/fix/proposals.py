"""SARIF `fixes`: for each finding whose rule declares a fix, the text replacements that make it.

Each finding's fix is made alone on the file as it is (an editor may offer each one), with the
same round trip and checks as `kubeaudit fix`; a finding whose file `fix` would not edit, or whose
fix the API server would reject, gets none. ruamel.yaml is pure Python (a few tens of
milliseconds per file and finding), so `scan` computes them only when asked (--sarif-fixes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from difflib import SequenceMatcher

from kubeaudit.engine.fixes import Edit
from kubeaudit.fix.eligibility import HELM_SYNTAX, introduced_rejections, planned_edits
from kubeaudit.fix.roundtrip import EditError, Prepared, rewrite
from kubeaudit.model import Finding, ProposedFix, TextReplacement


def proposed_fixes(findings: Iterable[Finding]) -> dict[str, ProposedFix]:
    """Fingerprint -> the finding's fix, for the findings that have one."""
    by_file: dict[str, list[tuple[Finding, list[Edit]]]] = defaultdict(list)
    for finding in findings:
        reason, edits = planned_edits(finding)
        if not reason:
            origin = finding.resource.origin
            by_file[origin.file_path or origin.source].append((finding, edits))
    found: dict[str, ProposedFix] = {}
    for path, items in by_file.items():
        try:
            with open(path, encoding="utf-8", newline="") as handle:
                text = handle.read()
        except (OSError, UnicodeDecodeError):
            continue
        if HELM_SYNTAX in text:
            continue
        try:
            prepared = Prepared.of(text)
        except Exception:  # ruamel's parse errors have no common base class
            continue
        for finding, edits in items:
            try:
                fixed, changed = rewrite(text, {finding.resource.origin.document or 0: edits}, prepared)
            except EditError:
                continue
            if not changed or introduced_rejections(text, fixed, [finding]):
                continue
            found[finding.fingerprint] = ProposedFix(
                description="; ".join(edit.describe() for edit in changed),
                file=finding.resource.origin.source,
                replacements=text_replacements(text, fixed),
            )
    return found


def text_replacements(original: str, fixed: str) -> tuple[TextReplacement, ...]:
    """The changed stretches of lines, as character offset, length and new text in the original."""
    old, new = original.splitlines(True), fixed.splitlines(True)
    starts = [0]
    for line in old:
        starts.append(starts[-1] + len(line))
    out = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            out.append(TextReplacement(starts[i1], starts[i2] - starts[i1], "".join(new[j1:j2])))
    return tuple(out)
