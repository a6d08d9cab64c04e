"""`kubeaudit scan`: scan manifests or live clusters, write the reports, pick the exit code."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from typing import TextIO, cast

from kubeaudit.api import DEFAULT_FAIL_ON, fail_on_threshold, gate, load_effective_config
from kubeaudit.cli.common import Parser, UsageError, add_command
from kubeaudit.cli.inputs import run_with_sources, scan_options
from kubeaudit.cli.options import add_cluster_options, add_paths_argument, add_selection_options
from kubeaudit.cli.outputs import add_report_options, interrupted_outputs, open_output, report_plan, use_color
from kubeaudit.compliance.frameworks import FRAMEWORK_IDS
from kubeaudit.model import ScanResult, Severity
from kubeaudit.report import REPORTERS, RenderOptions
from kubeaudit.report.sarif_limits import GzipMeter, limit_warnings

FAIL_ON_CHOICES = [s.value for s in Severity] + ["none"]


def add_parser(commands: argparse._SubParsersAction) -> dict[str, Parser]:
    scan = add_command(
        commands, "scan", "scan manifests or a live cluster for security problems",
        "Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage error or incomplete scan "
        "(some input could not be read).",
    )  # fmt: skip
    add_paths_argument(scan)
    add_report_options(scan)
    scan.add_argument(
        "--fail-on", choices=FAIL_ON_CHOICES, default=None, metavar="SEVERITY",
        help="exit 1 on a finding of this severity or higher: critical, high, medium, low, info, or none "
        f"to never fail on findings (default: the config file's value, else {DEFAULT_FAIL_ON})",
    )  # fmt: skip
    scan.add_argument(
        "--severity", choices=[s.value for s in Severity], default=None, metavar="SEVERITY",
        help="report only findings of this severity or higher, in every format; the others do not count "
        "for the exit code either (default: report all)",
    )  # fmt: skip
    scan.add_argument(
        "--baseline", metavar="FILE",
        help="findings recorded in this baseline (see `kubeaudit baseline create`) do not fail the scan",
    )  # fmt: skip
    scan.add_argument(
        "--show-suppressed", action="store_true",
        help="list each suppressed finding and its reason in the console report (default: only count them)",
    )  # fmt: skip
    scan.add_argument(
        "--compliance", action="append", choices=FRAMEWORK_IDS, default=[], metavar="FRAMEWORK",
        help=f"add a per-control table for FRAMEWORK ({', '.join(FRAMEWORK_IDS)}; repeatable) to the console, "
        "JSON and HTML reports: pass, fail, not evaluated (with why) and manual controls, and a score that counts "
        "not-evaluated controls as not passed; the exit code does not change",
    )  # fmt: skip
    scan.add_argument(
        "--sarif-fixes", action="store_true",
        help="give each SARIF result whose rule declares a fix the text changes that make it (SARIF fixes, for "
        "editors that offer them), as `kubeaudit fix` would make it alone; needs the fix extra and takes tens of "
        "milliseconds per finding (default: off)",
    )  # fmt: skip
    add_selection_options(scan)
    add_cluster_options(scan)

    return {"scan": scan}


def run(args: argparse.Namespace) -> int:
    plan = report_plan(args.formats, args.outputs)
    if args.sarif_fixes:
        _check_fix_extra(plan)
    options = scan_options(args)
    config = load_effective_config(options)
    fail_on = fail_on_threshold(args.fail_on, config)
    with interrupted_outputs([output for _, output in plan]):
        result = run_with_sources(args, options, config)
        if args.sarif_fixes:
            from kubeaudit.fix.proposals import proposed_fixes

            result.fixes = proposed_fixes(result.active_findings)
        render = RenderOptions(show_suppressed=args.show_suppressed, fail_on=fail_on)
        for fmt, output in plan:
            with open_output(output) as stream:
                options_here = replace(render, color=output in (None, "-") and use_color(stream, args.no_color))
                if fmt == "sarif":
                    _render_sarif(result, stream, options_here)
                else:
                    REPORTERS[fmt].render(result, stream, options_here)
    return gate(result, fail_on)


def _check_fix_extra(plan: list[tuple[str, str | None]]) -> None:
    if not any(fmt == "sarif" for fmt, _ in plan):
        raise UsageError("--sarif-fixes: there is no --format sarif report to put them in")
    from kubeaudit.fix.roundtrip import FixUnavailable, require_roundtrip

    try:
        require_roundtrip()
    except FixUnavailable as exc:
        raise UsageError(f"--sarif-fixes: {exc}") from exc


def _render_sarif(result: ScanResult, stream: TextIO, options: RenderOptions) -> None:
    """SARIF, measured as it is written, with a warning for each GitHub upload limit it exceeds."""
    meter = GzipMeter(stream)
    REPORTERS["sarif"].render(result, cast(TextIO, meter), options)
    for warning in limit_warnings(1, [len(result.findings)], meter.finish()):
        print(f"kubeaudit: warning: {warning}", file=sys.stderr)
