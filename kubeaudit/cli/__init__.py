"""Command line: parse arguments, call the library, pick the exit code.

Exit codes: 0 clean; 1 findings at or above --fail-on; 2 usage error or an
incomplete scan (some input could not be read or evaluated). An incomplete scan
exits 2 even when it also has findings, because its result cannot be trusted.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kubeaudit.cli.common import Parser

# Nothing heavy is imported at module level: `kubeaudit --version` answers before any of it
# is needed, and each command imports what it uses (jsonschema, rich, sarif-om...) when it runs.

EXAMPLES = """\
examples:
  kubeaudit scan deploy/                              scan manifests (exit 1 on findings)
  kubeaudit scan charts/shop --helm-values prod.yaml  render a Helm chart; findings on template and values lines
  kubeaudit scan deploy/ --fail-on high -f sarif -o kubeaudit.sarif
  kubeaudit scan --cluster --context prod             audit a live cluster, read-only
  kubeaudit psa-plan --cluster --psa-config FILE      what each Pod Security level would reject, per namespace
  kubeaudit paths deploy/ --from exposed -f dot       attack paths from exposed workloads, as a Graphviz graph
  kubeaudit report merge reports/*.json               one summary of many clusters' JSON reports
  kubeaudit report diff old.json new.json -f markdown new, fixed and unchanged findings, as a PR comment
  kubeaudit fix deploy/ --diff                        the fixes the rules declare, as a diff (without --diff: made)
  kubeaudit rules list                                every rule, its severity and profile
  kubeaudit rules explain pss-baseline-privileged     what a rule checks and how to fix it

exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage error or incomplete scan
"""


# One module per command, in the order `kubeaudit --help` lists them.
COMMAND_MODULES = {
    "scan": "kubeaudit.cli.scan",
    "psa-plan": "kubeaudit.cli.psaplan",
    "paths": "kubeaudit.cli.paths",
    "fix": "kubeaudit.cli.fix",
    "baseline": "kubeaudit.cli.baseline",
    "report": "kubeaudit.cli.report",
    "rules": "kubeaudit.cli.rules",
}


# Commands with actions (`kubeaudit rules list`): the argparse destination of the action's name.
ACTIONS = {"rules": "rules_command", "baseline": "baseline_command", "report": "report_command"}


def commands(only: str | None = None) -> dict[str, ModuleType]:
    """The command modules by name; with `only` (a command's name), that one alone."""
    names = [only] if only in COMMAND_MODULES else list(COMMAND_MODULES)
    return {name: importlib.import_module(COMMAND_MODULES[name]) for name in names}


def version() -> str:
    from kubeaudit import __version__

    return __version__


def build_parser(only: str | None = None) -> tuple[Parser, dict[str, Parser]]:
    """The parser, and the parsers of the commands by name (`scan`, `rules`, `rules list`...).
    With `only` (a command's name), the parser knows that command alone: `kubeaudit rules list`
    need not import what `scan` needs to declare its options."""
    from kubeaudit.cli.common import Parser

    parser = Parser(
        prog="kubeaudit",
        description="Kubernetes security posture scanner: checks manifests or a live cluster against the Pod\n"
        "Security Standards, workload hygiene, RBAC and NetworkPolicy rules.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"kubeaudit {version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands_by_name: dict[str, Parser] = {}
    for module in commands(only).values():
        commands_by_name.update(module.add_parser(subparsers))
    return parser, commands_by_name


def _write_out(text: str) -> int:
    """Write a whole answer to standard output: exit 0, or 2 with one line if it cannot be written."""
    from kubeaudit.cli.stdout import stdout_failed

    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except OSError as exc:
        print(f"kubeaudit: error: {stdout_failed(exc)}", file=sys.stderr)
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else list(argv)
    if arguments == ["--version"]:  # the common check whether kubeaudit is installed: no parser needed
        return _write_out(f"kubeaudit {version()}\n")
    if arguments[:2] == ["rules", "list"]:  # the same answer as last time, unless what it reads changed
        from kubeaudit.cli.listing import recorded_listing

        recorded = recorded_listing(arguments[2:])
        if recorded is not None:
            return _write_out(recorded)
    from kubeaudit.baseline import BaselineError
    from kubeaudit.cli.common import EXIT_ERROR, UsageError
    from kubeaudit.config import ConfigError
    from kubeaudit.engine.loader import RuleError
    from kubeaudit.engine.selection import SelectionError
    from kubeaudit.safetext import printable
    from kubeaudit.sources.cluster.errors import ClusterError

    # The first word names the command (top-level options are --help and --version only): build
    # that command's parser alone. Anything else (a typo, --help) gets the whole parser.
    parser, parsers = build_parser(arguments[0] if arguments else None)
    try:
        args, unknown = parser.parse_known_args(arguments)
        action = ACTIONS.get(args.command)
        name = f"{args.command} {getattr(args, action) or ''}".strip() if action else args.command
        command = parsers.get(name or "", parser)
        if unknown:  # reported by the command they were given to, so the hint names its --help
            command.error(f"unrecognized arguments: {' '.join(unknown)}")
        if args.command is None or (action is not None and getattr(args, action) is None):
            # `kubeaudit`, `kubeaudit rules`, `kubeaudit report`: say what there is to do, and fail
            command.print_help(sys.stderr)
            return EXIT_ERROR
        args.command_line = arguments[2:]  # the key of the record of `rules list` (kubeaudit/cli/listing.py)
        return int(commands(args.command)[args.command].run(args))
    except (UsageError, RuleError, SelectionError, ConfigError, BaselineError) as exc:
        print(f"kubeaudit: error: {printable(str(exc))}", file=sys.stderr)
        return EXIT_ERROR
    except ClusterError as exc:  # cannot connect, TLS, credentials, kubeconfig: one line each
        for line in exc.lines:
            print(f"kubeaudit: error: {printable(line)}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("kubeaudit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError as exc:
        # A write to standard output that no writing_stdout() wraps: the reader went away, and
        # the output is incomplete, as it is for every report (kubeaudit.cli.stdout).
        from kubeaudit.cli.stdout import stdout_failed

        print(f"kubeaudit: error: {stdout_failed(exc)}", file=sys.stderr)
        return EXIT_ERROR
