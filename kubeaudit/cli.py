"""Command line: parse arguments, call the library, pick the exit code.

Exit codes: 0 clean; 1 findings at or above --fail-on; 2 usage error or an
incomplete scan (some input could not be read or evaluated). An incomplete scan
exits 2 even when it also has findings, because its result cannot be trusted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path as FsPath
from typing import TextIO

from kubeaudit import __version__
from kubeaudit.api import DEFAULT_FAIL_ON, ScanOptions, fail_on_threshold, gate, load_effective_config, run
from kubeaudit.config import Config, ConfigError
from kubeaudit.engine.fixtures import check_rules
from kubeaudit.engine.loader import RuleError, load_rules
from kubeaudit.engine.rule import Rule
from kubeaudit.engine.selection import PROFILES, SelectionError
from kubeaudit.model import ScanResult, Severity
from kubeaudit.report import FORMATS, REPORTERS
from kubeaudit.report import console as console_report
from kubeaudit.sources.cluster.errors import ClusterError
from kubeaudit.sources.cluster.progress import Progress
from kubeaudit.suppress import BaselineError, write_baseline

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
FAIL_ON_CHOICES = [s.value for s in Severity] + ["none"]


class UsageError(Exception):
    pass


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kubeaudit",
        description="Kubernetes security posture scanner.",
        epilog="Exit codes: 0 clean, 1 findings at or above --fail-on, 2 usage error or incomplete scan.",
    )
    parser.add_argument("--version", action="version", version=f"kubeaudit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    scan = commands.add_parser("scan", help="scan manifests for security problems")
    scan.add_argument(
        "paths", nargs="*", metavar="PATH", help="files or directories to scan; - for stdin (or --cluster)"
    )
    _add_report_options(scan)
    scan.add_argument(
        "--fail-on", choices=FAIL_ON_CHOICES, default=None,
        help=f"exit 1 on findings of this severity or higher (default: the config's, else {DEFAULT_FAIL_ON})",
    )  # fmt: skip
    scan.add_argument("--baseline", metavar="FILE", help="findings recorded in this baseline do not fail the scan")
    scan.add_argument("--show-suppressed", action="store_true", help="list suppressed findings in the console report")
    _add_selection_options(scan)
    _add_cluster_options(scan)

    baseline = commands.add_parser("baseline", help="record current findings so only new ones fail the gate")
    baseline_commands = baseline.add_subparsers(dest="baseline_command", metavar="ACTION")
    create = baseline_commands.add_parser("create", help="scan PATHs and write their findings to a baseline file")
    create.add_argument("paths", nargs="*", metavar="PATH")
    create.add_argument("--output", "-o", required=True, metavar="FILE", help="baseline file to write")
    _add_selection_options(create)
    _add_cluster_options(create)

    rules = commands.add_parser("rules", help="list, explain and test rules")
    rule_commands = rules.add_subparsers(dest="rules_command", metavar="ACTION")
    listing = rule_commands.add_parser("list", help="list the available rules")
    _add_rule_options(listing)
    listing.add_argument("--format", choices=["text", "json"], default="text")
    explain = rule_commands.add_parser("explain", help="show what a rule checks and how to fix it")
    explain.add_argument("rule_id", metavar="RULE")
    _add_rule_options(explain)
    test = rule_commands.add_parser("test", help="check rules against their pass/fail fixtures")
    test.add_argument("dirs", nargs="*", metavar="RULES_DIR", help="rule directories (default: the built-in rules)")
    test.add_argument(
        "--fixtures",
        default="fixtures/rules",
        metavar="DIR",
        help="folder with one sub-folder of fixtures per rule id (default: fixtures/rules)",
    )
    return parser


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


def _add_rule_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rules", action="append", default=[], metavar="DIR", help="also load rules from DIR")


def _add_report_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--format", "-f", action="append", choices=FORMATS, dest="formats",
        help="report format (console by default); repeat with --output to write several reports",
    )  # fmt: skip
    parser.add_argument(
        "--output", "-o", action="append", dest="outputs", metavar="FILE",
        help="write the report to FILE; the n-th --output goes with the n-th --format",
    )  # fmt: skip
    parser.add_argument("--no-color", action="store_true", help="never colour the console report")


def _add_selection_options(parser: argparse.ArgumentParser) -> None:
    _add_rule_options(parser)
    parser.add_argument("--config", metavar="FILE", help="config file (default: .kubeaudit.yaml here or above)")
    parser.add_argument("--no-config", action="store_true", help="ignore any .kubeaudit.yaml")
    parser.add_argument(
        "--profile", choices=PROFILES, default=None,
        help="only the Pod Security Standards rules of this level (restricted includes baseline)",
    )  # fmt: skip
    parser.add_argument(
        "--enable", action=_Toggle, dest="toggles", default=[], metavar="RULE",
        help="also run RULE (glob patterns allowed), even if it is off by default",
    )  # fmt: skip
    parser.add_argument(
        "--disable", action=_Toggle, dest="toggles", default=[], metavar="RULE",
        help="do not run RULE (globs allowed); --enable/--disable apply in the order given, after the config's",
    )  # fmt: skip
    parser.add_argument(
        "--allow-partial", action="store_true",
        help="coverage gaps (kinds a cluster would not let us list) do not make the scan incomplete",
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


@contextlib.contextmanager
def _open_output(path: str | None) -> Iterator[TextIO]:
    if path is None or path == "-":
        yield sys.stdout
        return
    try:
        handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed by the with below
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror or exc}") from exc
    with handle:
        yield handle


def _report_plan(formats: list[str] | None, outputs: list[str] | None) -> list[tuple[str, str | None]]:
    formats = formats or ["console"]
    outputs = outputs or []
    if len(outputs) > len(formats):
        raise UsageError("more --output than --format options: each --output needs its own --format")
    plan = [(fmt, outputs[i] if i < len(outputs) else None) for i, fmt in enumerate(formats)]
    if sum(1 for _, out in plan if out in (None, "-")) > 1:
        raise UsageError("only one report can go to standard output: give the others an --output FILE")
    return plan


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
    )


def _cluster_sources(args: argparse.Namespace, options: ScanOptions) -> Progress | None:
    """With --cluster, connect to every context and put the cluster sources in options.
    Returns the progress display to close when the scan is over."""
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
            raise UsageError(f"{', '.join(used)} only apply to a live cluster: add --cluster")
        if not args.paths:
            raise UsageError("nothing to scan: give PATHs (files, directories, - for stdin) or --cluster")
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


def _run_with_sources(args: argparse.Namespace, options: ScanOptions, config: Config | None = None) -> ScanResult:
    progress = _cluster_sources(args, options)
    try:
        return run(options, config)
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
    if args.baseline_command != "create":
        raise UsageError("usage: kubeaudit baseline create -o FILE PATH...")
    result = _run_with_sources(args, _scan_options(args))
    count = write_baseline(result, FsPath(args.output))
    for error in result.errors:
        print(f"kubeaudit: not scanned: {error}", file=sys.stderr)
    print(f"kubeaudit: wrote {count} finding(s) to {args.output}", file=sys.stderr)
    return EXIT_OK if result.complete else EXIT_ERROR


def _find_rule(rules: Sequence[Rule], rule_id: str) -> Rule:
    for rule in rules:
        if rule.id == rule_id:
            return rule
    raise UsageError(f"no rule {rule_id!r} (see `kubeaudit rules list`)")


def _cmd_rules(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    from kubeaudit import ruledocs

    if args.rules_command == "list":
        rules = load_rules(args.rules)
        ruledocs.print_list(rules, args.format, sys.stdout)
        return EXIT_OK
    if args.rules_command == "explain":
        rule = _find_rule(load_rules(args.rules), args.rule_id)
        ruledocs.print_explain(rule, sys.stdout)
        return EXIT_OK
    if args.rules_command == "test":
        rules = load_rules(args.dirs, include_builtin=False) if args.dirs else load_rules()
        fixtures = FsPath(args.fixtures)
        if not fixtures.is_dir():
            raise UsageError(f"fixtures folder not found: {args.fixtures}")
        results = check_rules(rules, fixtures)
        return ruledocs.print_fixture_results(results, len(rules), sys.stdout)
    parser.parse_args(["rules", "--help"])
    return EXIT_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "scan":
            return _cmd_scan(args)
        if args.command == "rules":
            return _cmd_rules(args, parser)
        if args.command == "baseline":
            return _cmd_baseline(args)
        parser.print_help(sys.stderr)
        return EXIT_ERROR
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
