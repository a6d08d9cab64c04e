"""`kubeaudit paths`: list the attack paths of manifests or a cluster (console, JSON, DOT)."""

from __future__ import annotations

import argparse

from kubeaudit.api import ScanOptions, load_effective_config
from kubeaudit.attackpaths.listing import FROM_CHOICES, TO_CHOICES, entry_kinds, listed, listing_rules, targets
from kubeaudit.attackpaths.render import FORMATS, RENDERERS
from kubeaudit.cli.common import EXIT_ERROR, EXIT_OK, Parser, add_command
from kubeaudit.cli.inputs import run_with_sources
from kubeaudit.cli.options import add_cluster_options, add_config_options, add_paths_argument, add_single_output
from kubeaudit.cli.outputs import check_output, open_output
from kubeaudit.sources.manifests import DEFAULT_MAX_FILE_BYTES


def add_parser(commands: argparse._SubParsersAction) -> dict[str, Parser]:
    paths = add_command(
        commands, "paths",
        "list the attack paths from entry points to crown jewels (cluster-admin, every Secret, a node...)",
        "Reads manifests (PATHs) or a live cluster (--cluster, read-only) as `scan` does and lists every path "
        "the path view finds, each with its steps; `scan` reports the ones the path rules select. Exit codes: "
        "0 listed (whether or not there are paths), 2 usage error or incomplete input.",
    )  # fmt: skip
    add_paths_argument(paths)
    add_single_output(paths, FORMATS, "console for people, json for scripts, dot for Graphviz (`dot -Tsvg`)", "list")
    paths.add_argument(
        "--from", dest="sources", action="append", choices=FROM_CHOICES, default=[], metavar="ENTRY",
        help=f"only paths from these entry points: {', '.join(FROM_CHOICES)} (repeatable; default: any)",
    )  # fmt: skip
    paths.add_argument(
        "--to", dest="targets", action="append", choices=TO_CHOICES, default=[], metavar="TARGET",
        help=f"only paths to these targets: {', '.join(TO_CHOICES)} (repeatable; default: any)",
    )  # fmt: skip
    add_config_options(paths)
    add_cluster_options(paths)
    paths.set_defaults(allow_partial=False, max_file_size=DEFAULT_MAX_FILE_BYTES)
    return {"paths": paths}


def run(args: argparse.Namespace) -> int:
    check_output("--output", args.output)
    rules = listing_rules(entry_kinds(args.sources), targets(args.targets))
    options = ScanOptions(paths=list(args.paths), config_path=args.config, use_config=not args.no_config, rules=rules)
    result = run_with_sources(args, options, load_effective_config(options))
    found = listed(result.findings)
    with open_output(args.output) as stream:
        RENDERERS[args.format](found, result, stream)
    return EXIT_OK if result.complete and not result.not_evaluated else EXIT_ERROR
