"""`kubeaudit fix`: scan, make each finding's declared fix in its file, write, scan again.

Which files are edited, and which are left alone with a reason:
- a plain manifest file (.yaml, .yml) a finding points at: edited in place, atomically;
- a resource rendered from a Helm chart or a Kustomize overlay: not edited; the rendered field
  may come from a template, a values file, a base or a patch, so its source is fixed by hand;
- a file with Helm `{{ }}` syntax that is not rendered (a template outside a chart): not edited;
- a .json file: not edited (ruamel.yaml would re-emit JSON as YAML flow style);
- standard input and live clusters: nothing to write to.
After writing, the same scan runs again: a finding whose fix was made must be gone (else the
fix is a bug: exit 2), and no finding may appear that was not there before.
"""

from __future__ import annotations

import contextlib
import difflib
import os
import shutil
import stat
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path as FsPath

from kubeaudit.api import ScanOptions, run
from kubeaudit.config import Config
from kubeaudit.engine.fixes import Edit, anchor
from kubeaudit.fix.eligibility import HELM_SYNTAX, file_reason, introduced_rejections, planned_edits
from kubeaudit.fix.placeholders import Placeholder, insert_placeholders, placeholders_of
from kubeaudit.fix.roundtrip import EditError, Prepared, rewrite
from kubeaudit.model import Finding, ScanResult, format_path

MAX_ROUNDS = 4  # rewrites of one file while fixes the API server would reject are dropped


@dataclass(frozen=True, slots=True)
class Planned:
    """A finding and the edits that fix it."""

    finding: Finding
    edits: tuple[Edit, ...]


@dataclass(slots=True)
class FileChange:
    path: str  # as the scan names it
    original: str
    fixed: str

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.original.splitlines(True), self.fixed.splitlines(True), f"a/{self.path}", f"b/{self.path}"
            )
        )


@dataclass(slots=True)
class FixReport:
    fixed: list[Planned] = field(default_factory=list)
    not_removed: list[Planned] = field(default_factory=list)  # made, but the finding is still there: a bug
    new: list[Finding] = field(default_factory=list)  # findings the fixed files have that they did not before
    remaining: list[tuple[Finding, str]] = field(default_factory=list)  # not fixed, and why
    files: list[FileChange] = field(default_factory=list)
    made: list[Edit] = field(default_factory=list)  # the edits that changed a file (others were no-ops)
    problems: list[str] = field(default_factory=list)  # files that could not be fixed, and why
    before: ScanResult | None = None
    after: ScanResult | None = None

    @property
    def complete(self) -> bool:
        scans = [r for r in (self.before, self.after) if r is not None]
        return all(r.complete for r in scans) and not self.problems

    @property
    def exit_code(self) -> int:
        if self.not_removed or self.new or not self.complete:
            return 2
        return 1 if self.remaining else 0


@dataclass(slots=True)
class _FilePlan:
    path: str  # display
    real: str  # as opened
    items: list[Planned] = field(default_factory=list)
    placeholders: list[Placeholder] = field(default_factory=list)


def fix(
    options: ScanOptions, config: Config | None = None, write: bool = True, placeholders: bool = False
) -> FixReport:
    """Scan, fix, write (unless `write` is False: then the fixed copies are scanned), scan again.
    `placeholders`: also write a commented placeholder for each finding that needs a real value."""
    report = FixReport()
    before = run(options, config)
    report.before = before
    plans: dict[str, _FilePlan] = {}
    for finding in before.active_findings:
        reason = _plan(finding, plans)
        wanted = placeholders_of(finding) if placeholders and not file_reason(finding) else []
        if wanted:
            origin = finding.resource.origin
            plan = plans.setdefault(origin.source, _FilePlan(origin.source, origin.file_path or origin.source))
            plan.placeholders.extend(wanted)
            if reason.startswith("needs a real value"):
                reason = "needs a real value: placeholder written"
        if reason:
            report.remaining.append((finding, reason))
    for plan in plans.values():
        _fix_file(plan, report)
    if not report.files:  # nothing changed: what was planned did not fix anything
        report.after = before
        _compare(report, before, before, {})
    elif write:
        for change in report.files:
            atomic_write(_real_path(plans, change.path), change.fixed)
        report.after = run(options, config)
        _compare(report, before, report.after, {})
    else:
        with tempfile.TemporaryDirectory(prefix="kubeaudit-fix-") as scratch:
            copied, renames = _copy_inputs(options.paths, scratch, {_real_path(plans, c.path): c for c in report.files})
            report.after = run(replace(options, paths=copied), config)
            _compare(report, before, report.after, renames)
    return report


def _real_path(plans: dict[str, _FilePlan], shown: str) -> str:
    return plans[shown].real


def _plan(finding: Finding, plans: dict[str, _FilePlan]) -> str:
    """Add the finding's edits to its file's plan; '' when planned, else why it is not fixed."""
    reason, edits = planned_edits(finding)
    if reason:
        return reason
    origin = finding.resource.origin
    plan = plans.setdefault(origin.source, _FilePlan(origin.source, origin.file_path or origin.source))
    plan.items.append(Planned(finding, tuple(edits)))
    return ""


def _fix_file(plan: _FilePlan, report: FixReport) -> None:
    try:
        with open(plan.real, encoding="utf-8", newline="") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as exc:
        _give_up(plan, report, f"cannot read: {exc}")
        return
    if HELM_SYNTAX in text:
        for item in plan.items:
            report.remaining.append((item.finding, "Helm template syntax ({{ }}) in a file that is not rendered"))
        return
    items = list(plan.items)
    fixed = _fixed_text(plan, report, text, items) if items else text
    if fixed is None:
        return
    report.fixed.extend(items)
    if plan.placeholders:
        fixed = insert_placeholders(fixed, plan.placeholders)
    if fixed != text:
        report.files.append(FileChange(plan.path, text, fixed))


def _fixed_text(plan: _FilePlan, report: FixReport, text: str, items: list[Planned]) -> str | None:
    """The text with the items' fixes made; items whose fix the API server would reject are taken
    out of `items` (they remain, with the reason). None: the file cannot be fixed (recorded)."""
    try:
        prepared = Prepared.of(text)
    except Exception as exc:  # ruamel's parse errors have no common base class
        _give_up(plan, report, f"cannot load for editing: {exc}")
        return None
    for _ in range(MAX_ROUNDS):
        try:
            fixed = _rewrite(text, items, report.made, prepared)
        except EditError as exc:
            _give_up(plan, report, str(exc))
            return None
        rejected = introduced_rejections(text, fixed, [item.finding for item in items])
        if not rejected:
            break
        for bad_path, reason in rejected:
            kept = []
            for item in items:
                if any(e.path[: len(bad_path)] == bad_path for e in item.edits):
                    report.remaining.append((item.finding, f"not fixed: the API server would reject it ({reason})"))
                else:
                    kept.append(item)
            items[:] = kept
    else:
        _give_up(plan, report, "the fixes conflict with each other")
        return None
    return fixed


def _give_up(plan: _FilePlan, report: FixReport, why: str) -> None:
    report.problems.append(f"{plan.path}: {why}")
    for item in plan.items:
        report.remaining.append((item.finding, f"not fixed: {why}"))


def _rewrite(text: str, items: list[Planned], made: list[Edit], prepared: Prepared) -> str:
    by_document: dict[int, list[Edit]] = defaultdict(list)
    for item in items:
        edits = by_document[item.finding.resource.origin.document or 0]
        edits.extend(e for e in item.edits if e not in edits)
    fixed, changed = rewrite(text, dict(by_document), prepared)
    made.extend(e for e in changed if e not in made)
    return fixed


def finding_key(finding: Finding, renames: dict[str, str] | None = None) -> tuple[str, str, str, str]:
    """What makes two findings, before and after a fix, the same: rule, file, resource, and the
    container the field is in (else the field): a rule that names the nearest existing field
    (`securityContext` while it is missing, `securityContext.readOnlyRootFilesystem` once it
    exists) reports one problem of one container either way."""
    origin = finding.resource.origin
    source = origin.file_path or origin.source
    real = os.path.realpath(source) if source and not source.startswith(("<", "-", "cluster:")) else source
    container = anchor("container", finding.resource.kind, finding.path)
    where = format_path(container if container is not None else finding.path)
    return (finding.rule_id, (renames or {}).get(real, real), finding.resource.ref, where)


def _compare(report: FixReport, before: ScanResult, after: ScanResult, renames: dict[str, str]) -> None:
    """Sort the fixed findings into fixed and not removed, find the new ones, and list what remains
    (with why it was not fixed, where known)."""
    old = {finding_key(f, {}) for f in before.active_findings}
    still = {finding_key(f, renames): f for f in after.active_findings}
    fixed: list[Planned] = []
    for item in report.fixed:
        (report.not_removed if finding_key(item.finding, {}) in still else fixed).append(item)
    report.fixed = fixed
    report.new = [f for key, f in still.items() if key not in old]
    broken = {finding_key(item.finding, {}) for item in report.not_removed}
    why = {finding_key(f, {}): reason for f, reason in report.remaining}
    report.remaining = [(f, why.get(key, "")) for key, f in still.items() if key in old and key not in broken]


def _copy_inputs(paths: list[str], scratch: str, changed: dict[str, FileChange]) -> tuple[list[str], dict[str, str]]:
    """A copy of the inputs with the fixed files' new text, for a re-scan that writes nothing; and
    the copied files' real paths -> the originals', so findings can be compared."""
    copied: list[str] = []
    renames: dict[str, str] = {}
    changed_real = {os.path.realpath(p): c for p, c in changed.items()}
    for index, path in enumerate(paths):
        if path == "-":
            continue
        source = os.path.realpath(path)
        target = os.path.join(scratch, str(index), os.path.basename(source) or "input")
        if os.path.isdir(source):
            shutil.copytree(source, target, symlinks=True)
        else:
            os.makedirs(os.path.dirname(target), exist_ok=True)
            shutil.copyfile(source, target)
        for root, _dirs, files in os.walk(target) if os.path.isdir(target) else [("", [], [target])]:
            for name in files:
                copy = os.path.realpath(os.path.join(root, name))
                original = os.path.join(source, os.path.relpath(copy, os.path.realpath(target)))
                original = os.path.normpath(original) if os.path.isdir(source) else source
                renames[copy] = original
                if original in changed_real:
                    FsPath(copy).write_text(changed_real[original].fixed, encoding="utf-8", newline="")
        copied.append(target)
    return copied, renames


def atomic_write(path: str, text: str) -> None:
    """Write the file whole or not at all: a temporary file beside it, renamed over it, with its mode."""
    target = FsPath(path)
    mode = stat.S_IMODE(target.stat().st_mode)
    descriptor, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".partial")
    try:
        with open(descriptor, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(partial, mode)
        os.replace(partial, target)
    except BaseException:
        with_suppressed_unlink(partial)
        raise


def with_suppressed_unlink(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
