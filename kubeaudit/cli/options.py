"""Options several commands share: what to scan, which rules, the config, a live cluster."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable

from kubeaudit.engine.selection import PROFILES
from kubeaudit.semantics.versions import format_minor, parse_minor, target_range
from kubeaudit.sources.limits import DEFAULT_MAX_FILE_BYTES, MIB


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


def add_paths_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "paths", nargs="*", metavar="PATH",
        help="file or directory (walked for .yaml, .yml and .json files) to scan; - reads standard input",
    )  # fmt: skip
    parser.add_argument(
        "--folder-context", action="store_true",
        help="scan the folder of each file named (once each), so that a file is judged with the NetworkPolicies, "
        "roles and bindings beside it (for hooks that pass only the changed files)",
    )  # fmt: skip
    parser.add_argument(
        "--stdin-filename", default=None, metavar="NAME",
        help="the file standard input (-) holds, as reports should name it: SARIF results then point at it, "
        "so GitHub can annotate it (default: <stdin>; SARIF points at the repository root)",
    )  # fmt: skip
    add_chart_options(parser)


def add_chart_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("Helm charts among the PATHs (rendered as `helm template` would)")
    group.add_argument(
        "--helm-values", action="append", default=[], metavar="FILE",
        help="values file for every chart scanned, after the chart's values.yaml (repeatable; later files win)",
    )  # fmt: skip
    group.add_argument(
        "--helm-set", action="append", default=[], metavar="KEY=VALUE",
        help="a value for every chart scanned, as helm --set reads it (repeatable; wins over values files)",
    )  # fmt: skip
    group.add_argument(
        "--helm-release-name", default=None, metavar="NAME", help="release name the charts see (default: release-name)"
    )
    group.add_argument(
        "--helm-namespace", default=None, metavar="NS", help="release namespace the charts see (default: default)"
    )


def add_single_output(parser: argparse.ArgumentParser, formats: tuple[str, ...], uses: str, what: str) -> None:
    """--format (one of `formats`, console by default) and --output FILE, for commands that write one
    document (a plan, a list); `uses` says what each format is for."""
    parser.add_argument(
        "--format", "-f", choices=formats, default="console", help=f"{uses} (default: console)",
    )  # fmt: skip
    parser.add_argument("--output", "-o", metavar="FILE", help=f"write the {what} to FILE instead of standard output")


def add_rule_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules", action="append", default=[], metavar="DIR",
        help="also load your own rules from DIR (repeatable; default: only the built-in rules)",
    )  # fmt: skip


def add_config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config", metavar="FILE",
        help="config file (default: the first .kubeaudit.yaml or .kubeaudit.yml in this directory or above)",
    )  # fmt: skip
    parser.add_argument("--no-config", action="store_true", help="ignore any .kubeaudit.yaml")


def _target_version(text: str) -> str:
    minor = parse_minor(text)
    if minor is None or text.count(".") != 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a minor version like v1.31")
    oldest, newest = target_range()
    if not oldest <= minor <= newest:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a version kubeaudit's data knows: v{format_minor(oldest)} to v{format_minor(newest)}"
        )
    return format_minor(minor)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-12-01") from None


def add_version_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target-version", type=_target_version, default=None, metavar="v1.N",
        help="judge deprecated and removed APIs against this Kubernetes minor version, one the data knows "
        "(v1.6 to the newest release in rules/data; default: the cluster's version in a cluster scan, else "
        "the newest release kubeaudit knows)",
    )  # fmt: skip
    parser.add_argument(
        "--as-of", type=_date, default=None, metavar="DATE",
        help="compare end-of-life dates with this day (YYYY-MM-DD) instead of today, for reproducible runs",
    )  # fmt: skip


def add_selection_options(parser: argparse.ArgumentParser) -> None:
    add_rule_options(parser)
    add_config_options(parser)
    add_version_options(parser)
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
        "--max-file-size", type=positive(float), default=DEFAULT_MAX_FILE_BYTES / MIB, metavar="MIB",
        help="a manifest file larger than this many MiB is not read and is reported as not scanned "
        f"(default: {DEFAULT_MAX_FILE_BYTES // MIB})",
    )  # fmt: skip
    parser.add_argument(
        "--jobs", "-j", type=positive(int), default=1, metavar="N",
        help="read and check manifest files in N processes; the report is the same as with 1 (default: 1)",
    )  # fmt: skip
    parser.add_argument(
        "--strict-inputs", action="store_true", default=None,
        help="take the files given as everything there is: a binding whose role is not in them is reported as "
        "missing (default: a note, the role may live in another file; config: strict-inputs)",
    )  # fmt: skip
    parser.add_argument(
        "--pss-version", default=None, metavar="VERSION",
        help="Pod Security policy version the Pod Security Standards rules apply: latest (v1.37) or v1.N. "
        "A namespace that pins enforce-version is judged at its own version; in a cluster latest is the "
        "server's version (default: the config file's pss-version, else latest)",
    )  # fmt: skip
    parser.add_argument(
        "--allow-partial", action="store_true",
        help="coverage gaps (kinds a cluster would not let us list) are reported but do not make the scan "
        "incomplete (exit 2)",
    )  # fmt: skip


def positive(kind: type[int] | type[float]) -> Callable[[str], int | float]:
    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be greater than 0: {text!r}")
        return value

    return parse


def add_cluster_options(parser: argparse.ArgumentParser) -> None:
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
        "--cluster-name", metavar="NAME",
        help="the name every report gives the cluster, in place of its context's name (in a pod, whose "
        "credentials have none, the context is in-cluster): findings, gaps, inputs (cluster:NAME), SARIF "
        "URIs and fingerprints, so that merged reports tell clusters apart; letters, digits, '.', '_' and "
        "'-'; one context per run (default: the context's name)",
    )  # fmt: skip
    group.add_argument(
        "--namespace", "-n", action="append", dest="namespaces", default=[], metavar="NS",
        help="only these namespaces (repeatable) for namespaced kinds (default: all namespaces)",
    )  # fmt: skip
    group.add_argument(
        "--page-size", type=positive(int), default=500, metavar="N", help="objects per list request (default: 500)"
    )
    group.add_argument(
        "--request-timeout", type=positive(float), default=30.0, metavar="S",
        help="seconds each API request may take, answer included, however slowly it comes (default: 30)",
    )  # fmt: skip
    group.add_argument(
        "--scan-timeout", type=positive(float), default=900.0, metavar="S",
        help="seconds for reading the whole cluster; what is not read by then is a coverage gap (default: 900)",
    )  # fmt: skip
    group.add_argument(
        "--max-pages", type=positive(int), default=10_000, metavar="N",
        help="pages per list before the list is a coverage gap (default: 10000)",
    )  # fmt: skip
    group.add_argument(
        "--max-response-mib", type=positive(float), default=64.0, metavar="MIB",
        help="largest answer read (a bigger page is asked for again in smaller pages) (default: 64)",
    )  # fmt: skip
    group.add_argument(
        "--concurrency", type=positive(int), default=4, metavar="N", help="kinds listed at once (default: 4)"
    )
    group.add_argument(
        "--read-kubelet-config", action="store_true",
        help="also read each node's running kubelet configuration (GET /api/v1/nodes/NAME/proxy/configz) for the "
        "kubelet rules. WARNING: this needs get on nodes/proxy, a permission as strong as exec in every pod "
        "of every node; grant it to the scanner only for such a run (default: off; the kubelet rules are then "
        "not evaluated in cluster mode)",
    )  # fmt: skip
