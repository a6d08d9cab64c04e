"""Command line: parse arguments, call the library, pick the exit code.

Exit codes: 0 clean; 1 findings at or above --fail-on; 2 usage error or an
incomplete scan (some input could not be read or evaluated). An incomplete scan
exits 2 even when it also has findings, because its result cannot be trusted.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import difflib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path as FsPath
from typing import NoReturn, TextIO

from kubeaudit import __version__
from kubeaudit.api import (
    DEFAULT_FAIL_ON,
    ScanOptions,
    configured_rules,
    fail_on_threshold,
    gate,
    load_effective_config,
    run,
)
from kubeaudit.baseline import BaselineError, write_baseline
from kubeaudit.config import Config, ConfigError
from kubeaudit.engine.fixtures import check_rules
from kubeaudit.engine.loader import RuleError, load_rules
from kubeaudit.engine.rule import Rule
from kubeaudit.engine.selection import PROFILES, SelectionError
from kubeaudit.model import ScanError, ScanResult, Severity
from kubeaudit.report import FORMATS, REPORTERS
from kubeaudit.report import console as console_report
from kubeaudit.sources.cluster.errors import ClusterError
from kubeaudit.sources.cluster.progress import Progress
from kubeaudit.sources.manifests import DEFAULT_MAX_FILE_BYTES, MIB, STDIN, display_path, walk_manifests

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FAIL_ON_CHOICES = [s.value for s in Severity] + ["none"]
LIST_HINT = " (see `kubeaudit rules list`)"  # as kubeaudit.engine.selection words it


class UsageError(Exception):
    pass


EXAMPLES = """\
examples:
  kubeaudit scan deploy/                              scan manifests (exit 1 on findings)
  helm template charts/shop | kubeaudit scan -        scan rendered output from stdin
  kubeaudit scan deploy/ --fail-on high -f sarif -o kubeaudit.sarif
  kubeaudit scan --cluster --context prod             audit a live cluster, read-only
  kubeaudit rules list                                every rule, its severity and profile
  kubeaudit rules explain pss-baseline-privileged     what a rule checks and how to fix it

exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage error or incomplete scan
"""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (`kubeaudit: error: ...`), exit 2."""

    def error(self, message: str) -> NoReturn:
        hint = "" if "invalid choice" in message else f"; see `{self.prog} --help`"
        self.exit(EXIT_ERROR, f"kubeaudit: error: {message}{hint}\n")


def _add_command(commands: argparse._SubParsersAction, name: str, summary: str, details: str = "") -> _Parser:
    """A (sub-)command whose one-line summary is also the first sentence of its --help."""
    description = f"{summary[0].upper()}{summary[1:]}." + (f" {details}" if details else "")
    parser: _Parser = commands.add_parser(name, help=summary, description=description)
    return parser


def _parser() -> tuple[_Parser, dict[str, _Parser]]:
    """The parser, and the parsers of the commands by name (`scan`, `rules`, `rules list`...)."""
    parser = _Parser(
        prog="kubeaudit",
        description="Kubernetes security posture scanner: checks manifests or a live cluster against the Pod\n"
        "Security Standards, workload hygiene, RBAC and NetworkPolicy rules.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"kubeaudit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    scan = _add_command(
        commands, "scan", "scan manifests or a live cluster for security problems",
        "Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage error or incomplete scan "
        "(some input could not be read).",
    )  # fmt: skip
    _add_paths_argument(scan)
    _add_report_options(scan)
    scan.add_argument(
        "--fail-on", choices=FAIL_ON_CHOICES, default=None, metavar="SEVERITY",
        help="exit 1 on a finding of this severity or higher: critical, high, medium, low, info, or none "
        f"to never fail on findings (default: the config file's value, else {DEFAULT_FAIL_ON})",
    )  # fmt: skip
    scan.add_argument(
        "--baseline", metavar="FILE",
        help="findings recorded in this baseline (see `kubeaudit baseline create`) do not fail the scan",
    )  # fmt: skip
    scan.add_argument(
        "--show-suppressed", action="store_true",
        help="list each suppressed finding and its reason in the console report (default: only count them)",
    )  # fmt: skip
    _add_selection_options(scan)
    _add_cluster_options(scan)

    baseline = _add_command(commands, "baseline", "record current findings so that only new ones fail the gate")
    baseline_commands = baseline.add_subparsers(dest="baseline_command", metavar="ACTION")
    create = _add_command(
        baseline_commands, "create", "scan PATHs (or --cluster) and write every finding to a baseline file",
        "Then `kubeaudit scan PATH... --baseline FILE` fails only on findings that are not in it.",
    )  # fmt: skip
    _add_paths_argument(create)
    create.add_argument("--output", "-o", required=True, metavar="FILE", help="baseline file to write (required)")
    create.add_argument(
        "--reason", required=True, metavar="TEXT",
        help="why these findings are accepted (required; recorded with today's date in every entry)",
    )
    create.add_argument(
        "--expires", metavar="YYYY-MM-DD", type=_iso_date,
        help="after this date the entries stop applying and their findings count again",
    )
    _add_selection_options(create)
    _add_cluster_options(create)

    rules = _add_command(commands, "rules", "list, explain and test rules")
    rule_commands = rules.add_subparsers(dest="rules_command", metavar="ACTION")
    listing = _add_command(
        rule_commands, "list", "list the available rules: id, severity, title and Pod Security Standards profile"
    )
    _add_rule_options(listing)
    _add_config_options(listing)
    listing.add_argument(
        "--format", choices=["text", "json"], default="text", help="text for people, json for scripts (default: text)"
    )
    explain = _add_command(
        rule_commands, "explain", "show what a rule checks, why, how to fix it, its parameters and references"
    )
    explain.add_argument("rule_id", metavar="RULE", help="rule id, as `kubeaudit rules list` shows it")
    _add_rule_options(explain)
    _add_config_options(explain)
    test = _add_command(
        rule_commands, "test", "check rules against their pass/fail fixtures",
        "Each rule needs fail*.yaml and pass*.yaml fixtures; in a fail fixture, a comment `# ruleid: <id>` "
        "marks the next line as one where the rule must report, and it must report nowhere else. "
        "Exit 1 when a fixture fails.",
    )  # fmt: skip
    test.add_argument(
        "dirs", nargs="*", metavar="RULES_DIR", help="rule directories to test (default: the built-in rules)"
    )
    test.add_argument(
        "--fixtures",
        default="fixtures/rules",
        metavar="DIR",
        help="folder with one sub-folder of fixtures per rule id (default: fixtures/rules)",
    )
    commands_by_name = {"scan": scan, "baseline": baseline, "rules": rules, "baseline create": create}
    commands_by_name.update({"rules list": listing, "rules explain": explain, "rules test": test})
    return parser, commands_by_name


class _Toggle(argparse.Action):
    """Records --enable/--disable in command-line order: later ones win."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        toggles = [*getattr(namespace, self.dest, []), (self.option_strings[0].lstrip("-"), str(values))]
        setattr(namespace, self.dest, toggles)


def _add_paths_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", metavar="PATH",
        help="file or directory (walked for .yaml, .yml and .json files) to scan; - reads standard input",
    )  # fmt: skip


def _add_rule_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules", action="append", default=[], metavar="DIR",
        help="also load your own rules from DIR (repeatable; default: only the built-in rules)",
    )  # fmt: skip


def _add_config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", metavar="FILE",
        help="config file (default: the first .kubeaudit.yaml or .kubeaudit.yml in this directory or above)",
    )  # fmt: skip
    parser.add_argument("--no-config", action="store_true", help="ignore any .kubeaudit.yaml")


def _add_report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", "-f", action="append", choices=FORMATS, dest="formats", metavar="FORMAT",
        help="report format: console, json, sarif or junit (default: console); repeat, each with its own "
        "--output, to write several reports in one run",
    )  # fmt: skip
    parser.add_argument(
        "--output", "-o", action="append", dest="outputs", metavar="FILE",
        help="write the report to FILE instead of standard output (- is standard output); "
        "the n-th --output goes with the n-th --format",
    )  # fmt: skip
    parser.add_argument(
        "--no-color", action="store_true",
        help="never colour the console report (default: colour only on a terminal, and never when NO_COLOR is set)",
    )  # fmt: skip


def _add_selection_options(parser: argparse.ArgumentParser) -> None:
    _add_rule_options(parser)
    _add_config_options(parser)
    parser.add_argument(
        "--profile", choices=PROFILES, default=None, metavar="PROFILE",
        help="all: every rule that is on by default; baseline or restricted: only the Pod Security Standards "
        "rules of that level, restricted including baseline (default: the config file's value, else all)",
    )  # fmt: skip
    parser.add_argument(
        "--enable", action=_Toggle, dest="toggles", default=[], metavar="RULE",
        help="also run RULE, a rule id or glob, even if it is off by default (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--disable", action=_Toggle, dest="toggles", default=[], metavar="RULE",
        help="do not run RULE, a rule id or glob (repeatable); --enable and --disable apply in the order "
        "given, after the config's",
    )  # fmt: skip
    parser.add_argument(
        "--max-file-size", type=_positive(float), default=DEFAULT_MAX_FILE_BYTES / MIB, metavar="MIB",
        help="a manifest file larger than this many MiB is not read and is reported as not scanned "
        f"(default: {DEFAULT_MAX_FILE_BYTES // MIB})",
    )  # fmt: skip
    parser.add_argument(
        "--allow-partial", action="store_true",
        help="coverage gaps (kinds a cluster would not let us list) are reported but do not make the scan "
        "incomplete (exit 2)",
    )  # fmt: skip


def _positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0: {text!r}")
        return value

    return parse


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _add_cluster_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("live cluster (read-only: get and list requests only)")
    group.add_argument("--cluster", action="store_true", help="scan a live cluster instead of PATHs")
    group.add_argument(
        "--kubeconfig", metavar="FILE",
        help="kubeconfig file(s), joined by ':' (default: $KUBECONFIG, ~/.kube/config, or in-cluster credentials)",
    )  # fmt: skip
    group.add_argument(
        "--context", action="append", dest="contexts", default=[], metavar="NAME",
        help="kube context to scan; repeat to scan several clusters in one run (default: the current context)",
    )  # fmt: skip
    group.add_argument(
        "--namespace", "-n", action="append", dest="namespaces", default=[], metavar="NS",
        help="only these namespaces (repeatable) for namespaced kinds (default: all namespaces)",
    )  # fmt: skip
    group.add_argument(
        "--page-size", type=_positive(int), default=500, metavar="N", help="objects per list request (default: 500)"
    )
    group.add_argument(
        "--request-timeout", type=_positive(float), default=30.0, metavar="S",
        help="seconds to wait for each API request (default: 30)",
    )  # fmt: skip
    group.add_argument(
        "--concurrency", type=_positive(int), default=4, metavar="N", help="kinds listed at once (default: 4)"
    )


def _use_color(stream: TextIO, disabled: bool) -> bool:
    if disabled or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


def _check_output(option: str, path: str | None) -> None:
    """Refuse an output file that cannot be written before scanning, not after."""
    if path is None or path == "-":
        return
    target = FsPath(path)
    folder = target.parent
    if target.is_dir():
        raise UsageError(f"{option} {path}: is a directory, not a file")
    if not folder.is_dir():
        raise UsageError(f"{option} {path}: directory {folder.as_posix()} does not exist")
    if not os.access(target if target.exists() else folder, os.W_OK):
        raise UsageError(f"{option} {path}: permission denied")


@contextlib.contextmanager
def _open_output(path: str | None) -> Iterator[TextIO]:
    if path is None or path == "-":
        yield sys.stdout
        return
    try:
        handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise UsageError(f"--output {path}: cannot write: {exc.strerror or exc}") from exc
    with handle:
        yield handle


# A report file named like this but given no --format would get console text: a SARIF upload or a
# JSON parser would fail later, far from the mistake.
FORMAT_OF_SUFFIX = {".json": "json", ".sarif": "sarif", ".xml": "junit"}


def _report_plan(formats: list[str] | None, outputs: list[str] | None) -> list[tuple[str, str | None]]:
    outputs = outputs or []
    if not formats and outputs:
        meant = FORMAT_OF_SUFFIX.get(FsPath(outputs[0]).suffix.lower())
        if meant is not None:
            raise UsageError(f"--output {outputs[0]}: would hold the console report; add --format {meant}")
    formats = formats or ["console"]
    if len(outputs) > len(formats):
        raise UsageError("more --output than --format options: each --output needs its own --format")
    plan = [(fmt, outputs[i] if i < len(outputs) else None) for i, fmt in enumerate(formats)]
    if sum(1 for _, out in plan if out in (None, "-")) > 1:
        raise UsageError("only one report can go to standard output: give the others an --output FILE")
    for _, output in plan:
        _check_output("--output", output)
    return plan


def _has_manifests(folder: str, config: Config) -> tuple[bool, int]:
    """Whether a directory holds a file the scan would read (or a folder it cannot read, which
    the scan reports), and how many files the config excludes."""
    excluded = 0
    unreadable: list[ScanError] = []
    for path in walk_manifests(folder, unreadable):
        if not config.is_excluded(display_path(path)):
            return True, excluded
        excluded += 1
    return bool(unreadable), excluded


def _check_paths(paths: Sequence[str], config: Config) -> None:
    """A PATH that does not exist, or a directory with nothing to scan, is a mistake on the command
    line: refuse it up front, so a CI gate pointed at the wrong folder cannot pass with 0 findings."""
    for path in paths:
        if path == STDIN:
            continue
        if not os.path.exists(path):
            raise UsageError(f"{path}: no such file or directory")
        if not os.path.isdir(path):
            continue
        found, excluded = _has_manifests(path, config)
        if found:
            continue
        if excluded:
            raise UsageError(
                f"{path}: nothing to scan: all {_plural(excluded, '.yaml, .yml or .json file')} "
                f"in this directory are excluded by {config.path}"
            )
        raise UsageError(f"{path}: nothing to scan: no .yaml, .yml or .json files in this directory")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _scan_options(args: argparse.Namespace) -> ScanOptions:
    return ScanOptions(
        paths=list(args.paths),
        config_path=args.config,
        use_config=not args.no_config,
        rule_dirs=list(args.rules),
        profile=args.profile,
        toggles=list(args.toggles),
        baseline_path=getattr(args, "baseline", None),
        allow_partial=args.allow_partial,
        max_file_bytes=int(args.max_file_size * MIB),
    )


def _prepare_sources(args: argparse.Namespace, options: ScanOptions, config: Config) -> Progress | None:
    """Check the PATHs; or, with --cluster, connect to every context and put the cluster sources
    in options. Returns the progress display to close when the scan is over."""
    used = [
        flag
        for flag, value in (
            ("--kubeconfig", args.kubeconfig),
            ("--context", args.contexts),
            ("--namespace", args.namespaces),
            ("--page-size", args.page_size != 500),
            ("--request-timeout", args.request_timeout != 30.0),
            ("--concurrency", args.concurrency != 4),
        )
        if value
    ]
    if not args.cluster:
        if used:
            verb = "applies" if len(used) == 1 else "apply"
            raise UsageError(f"{', '.join(used)} only {verb} to a live cluster: add --cluster")
        if not args.paths:
            raise UsageError("nothing to scan: give PATHs (files, directories, - for stdin) or --cluster")
        _check_paths(args.paths, config)
        return None
    if args.paths:
        raise UsageError("give either PATHs or --cluster, not both (scan them in two runs)")
    from kubeaudit.sources.cluster.progress import progress_for
    from kubeaudit.sources.cluster.source import ClusterOptions, open_cluster_sources

    cluster = ClusterOptions(
        kubeconfig=args.kubeconfig,
        contexts=list(args.contexts),
        namespaces=list(dict.fromkeys(args.namespaces)),
        page_size=args.page_size,
        request_timeout=args.request_timeout,
        concurrency=args.concurrency,
    )
    sources = open_cluster_sources(cluster)
    progress = progress_for(sys.stderr)
    for source in sources:
        source.progress = progress
    options.sources = list(sources)
    return progress


def _selection_error(exc: SelectionError, options: ScanOptions, config: Config) -> str:
    """Name the config file when the unknown rule comes from it, and suggest the rule meant."""
    message = str(exc)
    for action, pattern in config.toggles:
        if message.startswith(f"no rule matches {pattern!r}"):  # the config's toggles are applied first
            message = f"{config.path}: rules.{action}: {message}"
            break
    wrong = next((p for _, p in [*config.toggles, *options.toggles] if f"{p!r}" in str(exc)), None)
    if wrong is not None:
        with contextlib.suppress(RuleError):
            known = [r.id for r in load_rules([*config.rule_dirs, *options.rule_dirs])]
            message = _did_you_mean(message, wrong, known)
    return message


def _did_you_mean(message: str, wrong: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(wrong, known, n=1, cutoff=0.75)
    if not close:
        return message
    return f"{message.replace(LIST_HINT, '')}; did you mean {close[0]!r}?"


def _run_with_sources(args: argparse.Namespace, options: ScanOptions, config: Config) -> ScanResult:
    progress = _prepare_sources(args, options, config)
    try:
        return run(options, config)
    except SelectionError as exc:
        raise UsageError(_selection_error(exc, options, config)) from exc
    finally:
        if progress is not None:
            progress.close()


def _cmd_scan(args: argparse.Namespace) -> int:
    plan = _report_plan(args.formats, args.outputs)
    options = _scan_options(args)
    config = load_effective_config(options)
    fail_on = fail_on_threshold(args.fail_on, config)
    result = _run_with_sources(args, options, config)
    for fmt, output in plan:
        with _open_output(output) as stream:
            color = output in (None, "-") and _use_color(stream, args.no_color)
            if fmt == "console":
                console_report.render(result, stream, color, show_suppressed=args.show_suppressed)
            else:
                REPORTERS[fmt](result, stream, color)
    return gate(result, fail_on)


def _cmd_baseline(args: argparse.Namespace) -> int:
    _check_output("--output", args.output)
    options = _scan_options(args)
    result = _run_with_sources(args, options, load_effective_config(options))
    try:
        count = write_baseline(result, FsPath(args.output), args.reason.strip(), args.expires)
    except OSError as exc:
        raise UsageError(f"--output {args.output}: cannot write: {exc.strerror or exc}") from exc
    for error in result.errors:
        print(f"kubeaudit: not scanned: {error}", file=sys.stderr)
    print(f"kubeaudit: wrote {count} finding(s) to {args.output}", file=sys.stderr)
    return EXIT_OK if result.complete else EXIT_ERROR


def _find_rule(rules: Sequence[Rule], rule_id: str) -> Rule:
    for rule in rules:
        if rule.id == rule_id:
            return rule
    message = _did_you_mean(f"no rule {rule_id!r}{LIST_HINT}", rule_id, [r.id for r in rules])
    raise UsageError(message)


def _cmd_rules(args: argparse.Namespace) -> int:
    from kubeaudit import ruledocs

    if args.rules_command in ("list", "explain"):
        # The rules a scan here would know: the config's own rule folders, parameters and
        # severity overrides included.
        options = ScanOptions(config_path=args.config, use_config=not args.no_config)
        configured = configured_rules(list(args.rules), load_effective_config(options))
    if args.rules_command == "list":
        ruledocs.print_list(configured, args.format, sys.stdout)
        return EXIT_OK
    if args.rules_command == "explain":
        rule = _find_rule(configured, args.rule_id)
        ruledocs.print_explain(rule, sys.stdout)
        return EXIT_OK
    rules = load_rules(args.dirs, include_builtin=False) if args.dirs else load_rules()
    fixtures = FsPath(args.fixtures)
    if not fixtures.is_dir():
        raise UsageError(f"{args.fixtures}: fixtures folder not found; name yours with --fixtures DIR")
    results = check_rules(rules, fixtures)
    return ruledocs.print_fixture_results(results, len(rules), sys.stdout)


def main(argv: Sequence[str] | None = None) -> int:
    parser, commands = _parser()
    try:
        args, unknown = parser.parse_known_args(argv)
        action = {"rules": "rules_command", "baseline": "baseline_command"}.get(args.command)
        name = f"{args.command} {getattr(args, action) or ''}".strip() if action else args.command
        command = commands.get(name or "", parser)
        if unknown:  # reported by the command they were given to, so the hint names its --help
            command.error(f"unrecognized arguments: {' '.join(unknown)}")
        if args.command is None or (action is not None and getattr(args, action) is None):
            # `kubeaudit`, `kubeaudit rules`, `kubeaudit baseline`: say what there is to do, and fail
            command.print_help(sys.stderr)
            return EXIT_ERROR
        if args.command == "scan":
            return _cmd_scan(args)
        if args.command == "rules":
            return _cmd_rules(args)
        return _cmd_baseline(args)
    except (UsageError, RuleError, SelectionError, ConfigError, BaselineError) as exc:
        print(f"kubeaudit: error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except ClusterError as exc:  # cannot connect, TLS, credentials, kubeconfig: one line each
        for line in exc.lines:
            print(f"kubeaudit: error: {line}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        print("kubeaudit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); that is not our error to report.
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return EXIT_OK
