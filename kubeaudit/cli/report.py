"""`kubeaudit report merge|diff`: work with saved JSON reports (`kubeaudit scan -f json`)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import PurePath

from kubeaudit.cli.common import EXIT_ERROR, Parser, UsageError, add_command
from kubeaudit.cli.outputs import check_output, interrupted_outputs, open_output
from kubeaudit.fleet.render_diff import FORMATS as DIFF_FORMATS
from kubeaudit.fleet.render_merge import FORMATS as MERGE_FORMATS
from kubeaudit.model import Severity
from kubeaudit.safetext import printable

SEVERITIES = [s.value for s in Severity]
DEFAULT_FAIL_ON = "low"  # as kubeaudit.api.DEFAULT_FAIL_ON, the scan's default


def add_parser(commands: argparse._SubParsersAction) -> dict[str, Parser]:
    report = add_command(commands, "report", "merge or compare saved JSON reports (`scan -f json`)")
    actions = report.add_subparsers(dest="report_command", metavar="ACTION")
    merge = add_command(
        actions, "merge", "combine the JSON reports of many clusters or repositories into one summary",
        "A column per report: findings by severity and by rule, what each scan could not see, totals. Each "
        "column is named after the report's cluster context or input, else its file name (save each "
        "cluster's report as CLUSTER.json), or --name. Exit codes: 0 clean, 1 findings at or above "
        "--fail-on, 2 usage error, an input that is not a report, or an incomplete report.",
    )  # fmt: skip
    merge.add_argument("reports", nargs="+", metavar="REPORT", help="JSON reports written by `kubeaudit scan -f json`")
    _add_output_options(merge, MERGE_FORMATS, "the summary")
    merge.add_argument(
        "--name", action="append", default=[], metavar="REPORT=LABEL",
        help="call this report's column LABEL (REPORT: the path as given, or its file name; repeatable)",
    )  # fmt: skip
    merge.add_argument(
        "--fail-on", choices=[*SEVERITIES, "none"], default=DEFAULT_FAIL_ON, metavar="SEVERITY",
        help="exit 1 on a finding of this severity or higher in any report: critical, high, medium, low, info, "
        f"or none (default: {DEFAULT_FAIL_ON}, as scan)",
    )  # fmt: skip
    diff = add_command(
        actions, "diff", "show the findings that are new, fixed and unchanged between two JSON reports",
        "Findings are matched by fingerprint (as baselines match them), so moved lines and reformatting "
        "change nothing; compare reports of one cluster or repository. -f markdown writes a pull-request "
        "comment. Exit codes: 0 compared, 1 new findings at or above --fail-on-new, 2 usage error, an input "
        "that is not a report, or an incomplete report.",
    )  # fmt: skip
    diff.add_argument("old", metavar="OLD", help="the earlier JSON report")
    diff.add_argument("new", metavar="NEW", help="the later JSON report")
    _add_output_options(diff, DIFF_FORMATS, "the comparison")
    diff.add_argument(
        "--fail-on-new", choices=SEVERITIES, default=None, metavar="SEVERITY",
        help="exit 1 when NEW has findings of this severity or higher that OLD did not have "
        "(default: never fail on findings)",
    )  # fmt: skip
    return {"report": report, "report merge": merge, "report diff": diff}


# The format an output file's name says it holds (`-o fleet.html`).
FORMAT_OF_SUFFIX = {".json": "json", ".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}


def _add_output_options(parser: argparse.ArgumentParser, formats: tuple[str, ...], what: str) -> None:
    parser.add_argument(
        "--format", "-f", choices=formats, default=None,
        help=f"{', '.join(formats[:-1])} or {formats[-1]} (default: the one --output's name says, else console)",
    )  # fmt: skip
    parser.add_argument("--output", "-o", metavar="FILE", help=f"write {what} to FILE instead of standard output")


def output_format(chosen: str | None, output: str | None, formats: tuple[str, ...]) -> str:
    """--format, else the format --output's file name says (`fleet.html`), else console. A file named
    like one format that would get another is refused, as `scan` refuses it: a JSON parser or a
    browser would otherwise fail later, far from the mistake."""
    meant = FORMAT_OF_SUFFIX.get(PurePath(output).suffix.lower()) if output not in (None, "-") else None
    if meant is None or meant == chosen:
        return chosen or "console"
    if chosen is None and meant in formats:
        return meant
    fix = f"to write {meant} there: -f {meant}" if meant in formats else f"this command writes no {meant}"
    raise UsageError(f"--output {output}: would hold the {chosen or 'console'} output; {fix}")


def run(args: argparse.Namespace) -> int:
    formats = MERGE_FORMATS if args.report_command == "merge" else DIFF_FORMATS
    args.format = output_format(args.format, args.output, formats)
    check_output("--output", args.output)
    with interrupted_outputs([args.output]):
        return _merge(args) if args.report_command == "merge" else _diff(args)


def _merge(args: argparse.Namespace) -> int:
    from kubeaudit.fleet.merge import fleet_gate, merge_reports, read_columns
    from kubeaudit.fleet.naming import NamingError, column_names, parse_name_options
    from kubeaudit.fleet.render_merge import RENDERERS

    try:
        overrides = parse_name_options(args.name)
        # The HTML page lists every finding; the other formats only count them (one report in memory at a time).
        columns, unread = read_columns(args.reports, keep_documents=args.format == "html")
        names = column_names(columns, overrides)
    except NamingError as exc:
        raise UsageError(str(exc)) from None
    _print_errors(unread)
    if not columns:
        return EXIT_ERROR
    summary = merge_reports(columns, names, unread)
    with open_output(args.output) as stream:
        RENDERERS[args.format](summary, stream, args.fail_on)
    for column in summary.incomplete_columns:
        print(f"kubeaudit: incomplete report: {printable(column.path)} ({printable(column.name)})", file=sys.stderr)
    return fleet_gate(summary, args.fail_on)


def _diff(args: argparse.Namespace) -> int:
    from kubeaudit.fleet.diff import diff_gate, diff_reports
    from kubeaudit.fleet.render_diff import RENDERERS
    from kubeaudit.fleet.reports import read_reports

    (reports, unread) = read_reports([args.old, args.new])
    _print_errors(unread)
    if unread:
        return EXIT_ERROR
    old, new = reports
    comparison = diff_reports(old, new)
    with open_output(args.output) as stream:
        RENDERERS[args.format](comparison, stream, args.fail_on_new)
    for report in (old, new):
        if not report.complete:
            print(f"kubeaudit: incomplete report: {printable(report.path)}", file=sys.stderr)
    return diff_gate(comparison, args.fail_on_new)


def _print_errors(errors: Sequence[Exception]) -> None:
    for error in errors:
        print(f"kubeaudit: error: {printable(str(error))}", file=sys.stderr)
