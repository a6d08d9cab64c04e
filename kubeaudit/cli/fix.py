"""`kubeaudit fix`: make the declared fixes of the findings in manifest files, then scan again."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, TextIO

from kubeaudit.api import load_effective_config
from kubeaudit.cli.common import EXIT_ERROR, Parser, UsageError, add_command
from kubeaudit.cli.inputs import check_paths, scan_options
from kubeaudit.cli.options import add_paths_argument, add_selection_options
from kubeaudit.cli.outputs import open_output
from kubeaudit.model import Finding
from kubeaudit.safetext import printable

if TYPE_CHECKING:  # the fix machinery (ruamel.yaml) is imported when a fix runs
    from kubeaudit.fix.run import FixReport


def add_parser(commands: argparse._SubParsersAction) -> dict[str, Parser]:
    fix = add_command(
        commands, "fix", "fix what a scan finds in manifest files, changing only the lines that need it",
        "Scans PATHs as `scan` does, makes the fix each finding's rule declares in the file it points at "
        "(comments, key order, quoting and indentation of every other line are kept), writes each file "
        "atomically, and scans again. Rendered charts and overlays, files with Helm {{ }} syntax and JSON "
        "files are not edited (each finding says why). Exit codes: 0 nothing remains, 1 findings remain, "
        "2 a fix did not remove its finding or added one, a file could not be fixed, or the scan was incomplete.",
    )  # fmt: skip
    add_paths_argument(fix)
    fix.add_argument("--dry-run", action="store_true", help="write nothing: report what would be fixed")
    fix.add_argument(
        "--diff", action="store_true",
        help="print the changes as a unified diff instead of writing them (implies --dry-run)",
    )  # fmt: skip
    fix.add_argument(
        "--placeholders", action="store_true",
        help="for findings that need a real value (runAsUser, resource requests and limits), write a commented "
        "placeholder above the line to fill in (default: leave them)",
    )  # fmt: skip
    add_selection_options(fix)
    fix.set_defaults(cluster=False)
    return {"fix": fix}


def run(args: argparse.Namespace) -> int:
    from kubeaudit.fix.roundtrip import FixUnavailable, require_roundtrip
    from kubeaudit.fix.run import fix

    if not args.paths:
        raise UsageError("fix: name the manifest files or directories to fix")
    if "-" in args.paths:
        raise UsageError("fix: standard input (-) has no file to write the fixes to")
    try:
        require_roundtrip()
    except FixUnavailable as exc:
        print(f"kubeaudit: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    options = scan_options(args)
    config = load_effective_config(options)
    check_paths(options.paths, config)
    if sys.stdout is None:  # started with standard output closed: refused before any file is changed
        raise UsageError("standard output is closed: nowhere to write what fix did")
    dry = args.dry_run or args.diff
    report = fix(options, config, write=not dry, placeholders=args.placeholders)
    # A full disk or a closed pipe on standard output is one line and exit 2, as for every report.
    with open_output(None) as out:
        _write_listing(out, report, "would fix" if dry else "fixed", args.diff)
    return report.exit_code


def _write_listing(out: TextIO, report: FixReport, verb: str, diff: bool) -> None:
    if diff:
        for change in report.files:  # a line of a manifest may hold control characters: shown escaped
            out.writelines(printable(line.rstrip("\n")) + "\n" for line in change.diff().splitlines(True))
    for item in report.fixed:
        _line(out, verb, item.finding, "; ".join(e.describe() for e in item.edits if e in report.made))
    for item in report.not_removed:
        _line(out, "NOT REMOVED", item.finding, "the fix was made but the finding is still there (a bug in the fix)")
    for finding in report.new:
        _line(out, "NEW", finding, f"the fix introduced this finding: {finding.message}")
    for finding, why in report.remaining:
        _line(out, "remains", finding, why or finding.message)
    for problem in report.problems:
        print(f"kubeaudit: error: {printable(problem)}", file=sys.stderr)
    for error in [*(report.before.errors if report.before else []), *(report.after.errors if report.after else [])]:
        print(f"kubeaudit: error: {printable(str(error))}", file=sys.stderr)
    files = len(report.files)
    out.write(
        f"kubeaudit fix: {len(report.fixed)} finding(s) {verb} in {files} file(s); {len(report.remaining)} remain; "
        f"{len(report.not_removed)} fix(es) did not remove their finding; {len(report.new)} new finding(s)\n"
    )


def _line(out: TextIO, status: str, finding: Finding, detail: str) -> None:
    where = f"{finding.file}:{finding.line}" if finding.line else (finding.file or finding.resource.origin.source)
    out.write(printable(f"{status}: {where} {finding.rule_id} {finding.resource.ref}: {detail}") + "\n")
