"""`kubeaudit baseline create`: record current findings so that only new ones fail the gate."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from kubeaudit.api import load_effective_config
from kubeaudit.baseline import baseline_text
from kubeaudit.cli.common import EXIT_ERROR, EXIT_OK, Parser, add_command
from kubeaudit.cli.inputs import run_with_sources, scan_options
from kubeaudit.cli.options import add_cluster_options, add_paths_argument, add_selection_options
from kubeaudit.cli.outputs import check_output, interrupted_outputs, open_output
from kubeaudit.safetext import printable


def add_parser(commands: argparse._SubParsersAction) -> dict[str, Parser]:
    baseline = add_command(commands, "baseline", "record current findings so that only new ones fail the gate")
    baseline_commands = baseline.add_subparsers(dest="baseline_command", metavar="ACTION")
    create = add_command(
        baseline_commands, "create", "scan PATHs (or --cluster) and write every finding to a baseline file",
        "Then `kubeaudit scan PATH... --baseline FILE` fails only on findings that are not in it.",
    )  # fmt: skip
    add_paths_argument(create)
    create.add_argument("--output", "-o", required=True, metavar="FILE", help="baseline file to write (required)")
    create.add_argument(
        "--reason",
        required=True,
        metavar="TEXT",
        help="why these findings are accepted (required; recorded with today's date in every entry)",
    )
    create.add_argument(
        "--expires",
        metavar="YYYY-MM-DD",
        type=_iso_date,
        help="after this date the entries stop applying and their findings count again",
    )
    add_selection_options(create)
    add_cluster_options(create)

    return {"baseline": baseline, "baseline create": create}


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def run(args: argparse.Namespace) -> int:
    check_output("--output", args.output)
    # Written as a report is: a temporary file renamed over the old baseline once complete, so a
    # full disk, Ctrl-C or a kill leaves the previous baseline whole, and the error says so.
    with interrupted_outputs([args.output], "baseline"):
        options = scan_options(args)
        result = run_with_sources(args, options, load_effective_config(options))
        text, count = baseline_text(result, args.reason.strip(), args.expires)
        with open_output(args.output) as handle:
            handle.write(text)
    for error in result.errors:
        print(f"kubeaudit: not scanned: {printable(str(error))}", file=sys.stderr)
    print(f"kubeaudit: wrote {count} finding(s) to {args.output}", file=sys.stderr)
    return EXIT_OK if result.complete else EXIT_ERROR
