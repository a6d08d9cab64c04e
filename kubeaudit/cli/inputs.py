"""What a scan reads: PATHs checked up front, or live clusters connected; then the scan itself."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

from kubeaudit.api import ScanOptions, run
from kubeaudit.cli.common import UsageError, did_you_mean
from kubeaudit.config import Config
from kubeaudit.engine.loader import RuleError, load_rules
from kubeaudit.engine.selection import SelectionError
from kubeaudit.model import ScanError, ScanResult
from kubeaudit.sources.cluster.progress import Progress
from kubeaudit.sources.manifests import MIB, STDIN, display_path
from kubeaudit.sources.projects import Project, chart_of_template, enclosing_project, walk_inputs
from kubeaudit.sources.render import RenderOptions


def _has_manifests(folder: str, config: Config) -> tuple[bool, int]:
    """Whether a directory holds a file, chart or overlay the scan would read (or a folder it
    cannot read, which the scan reports), and how many files the config excludes."""
    excluded = 0
    unreadable: list[ScanError] = []
    for item in walk_inputs(folder, unreadable):
        if not config.is_excluded(item.display if isinstance(item, Project) else display_path(item)):
            return True, excluded
        excluded += 1
    return bool(unreadable), excluded


def check_paths(paths: Sequence[str], config: Config) -> None:
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


def folders_of(paths: Sequence[str]) -> list[str]:
    """--folder-context: the folder of each file (a folder stays itself; a file of a chart or an
    overlay gives the chart or overlay), each once, and none that another one already holds
    (folders are walked recursively)."""
    folders: list[str] = []
    for path in paths:
        if path == STDIN:
            folders.append(path)
            continue
        folder = os.path.normpath(path if os.path.isdir(path) else os.path.dirname(path) or ".")
        folder = os.path.normpath(enclosing_project(folder))  # a template's chart, a patch's overlay
        if folder not in folders:
            folders.append(folder)
    real = {f: os.path.realpath(f) for f in folders if f != STDIN}

    def inside_another(folder: str) -> bool:
        mine = real.get(folder)
        return mine is not None and any(
            other != folder and (mine + os.sep).startswith(real[other].rstrip(os.sep) + os.sep) for other in real
        )

    return [f for f in folders if not inside_another(f)]


def charts_for_templates(paths: Sequence[str]) -> list[str]:
    """Each path as named, except a chart's template, which gives its chart (rendered, never
    read as plain YAML), each once."""
    named: list[str] = []
    for path in paths:
        chart = chart_of_template(path) if path != STDIN and os.path.isfile(path) else None
        mapped = os.path.normpath(chart) if chart is not None else path
        if mapped not in named:
            named.append(mapped)
    return named


def scan_options(args: argparse.Namespace) -> ScanOptions:
    return ScanOptions(
        paths=folders_of(args.paths) if args.folder_context else charts_for_templates(args.paths),
        strict_inputs=args.strict_inputs,
        min_severity=getattr(args, "severity", None),
        compliance=list(getattr(args, "compliance", None) or []),
        config_path=args.config,
        use_config=not args.no_config,
        rule_dirs=list(args.rules),
        profile=args.profile,
        toggles=list(args.toggles),
        baseline_path=getattr(args, "baseline", None),
        allow_partial=args.allow_partial,
        max_file_bytes=int(args.max_file_size * MIB),
        jobs=args.jobs,
        stdin_filename=args.stdin_filename,
        pss_version=args.pss_version,
        target_version=args.target_version,
        as_of=args.as_of,
        render=RenderOptions(
            helm_values=tuple(args.helm_values),
            helm_set=tuple(args.helm_set),
            release_name=args.helm_release_name,
            namespace=args.helm_namespace,
        ),
    )


def prepare_sources(args: argparse.Namespace, options: ScanOptions, config: Config) -> Progress | None:
    """Check the PATHs; or, with --cluster, connect to every context and put the cluster sources
    in options. Returns the progress display to close when the scan is over."""
    used = [
        flag
        for flag, value in (
            ("--kubeconfig", args.kubeconfig),
            ("--context", args.contexts),
            ("--cluster-name", args.cluster_name is not None),
            ("--namespace", args.namespaces),
            ("--page-size", args.page_size != 500),
            ("--request-timeout", args.request_timeout != 30.0),
            ("--scan-timeout", args.scan_timeout != 900.0),
            ("--max-pages", args.max_pages != 10_000),
            ("--max-response-mib", args.max_response_mib != 64.0),
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
        if args.stdin_filename is not None and STDIN not in args.paths:
            raise UsageError("--stdin-filename names what standard input holds: add - to the PATHs")
        if args.stdin_filename is not None and not args.stdin_filename.strip():
            raise UsageError("--stdin-filename must not be empty")
        check_paths(args.paths, config)
        for values in args.helm_values:
            if not os.path.isfile(values):
                raise UsageError(f"--helm-values {values}: no such file")
        return None
    if args.paths:
        raise UsageError("give either PATHs or --cluster, not both (scan them in two runs)")
    chart_flags = [f for f in ("helm_values", "helm_set", "helm_release_name", "helm_namespace") if getattr(args, f)]
    if chart_flags:
        raise UsageError(f"--{chart_flags[0].replace('_', '-')} applies to charts among the PATHs, not to --cluster")
    if args.stdin_filename is not None:
        raise UsageError("--stdin-filename applies to standard input, not to a live cluster")
    from kubeaudit.sources.cluster.progress import progress_for
    from kubeaudit.sources.cluster.source import ClusterOptions, open_cluster_sources

    cluster = ClusterOptions(
        kubeconfig=args.kubeconfig,
        contexts=list(args.contexts),
        cluster_name=args.cluster_name,
        namespaces=list(dict.fromkeys(args.namespaces)),
        page_size=args.page_size,
        request_timeout=args.request_timeout,
        scan_timeout=args.scan_timeout,
        max_pages=args.max_pages,
        max_response_mib=args.max_response_mib,
        concurrency=args.concurrency,
        read_kubelet_config=args.read_kubelet_config,
    )
    sources = open_cluster_sources(cluster)
    progress = progress_for(sys.stderr)
    for source in sources:
        source.progress = progress
    options.sources = list(sources)
    return progress


def selection_error(exc: SelectionError, options: ScanOptions, config: Config) -> str:
    """Name the config file when the unknown rule comes from it, and suggest the rule meant."""
    message = str(exc)
    wrong = exc.pattern
    for action, pattern in config.toggles:
        if pattern == wrong:  # the config's toggles are applied first
            message = f"{config.path}: rules.{action}: {message}"
            break
    if wrong is not None:
        with contextlib.suppress(RuleError):
            known = [r.id for r in load_rules([*config.rule_dirs, *options.rule_dirs])]
            message = did_you_mean(message, wrong, known)
    return message


def run_with_sources(args: argparse.Namespace, options: ScanOptions, config: Config) -> ScanResult:
    progress = prepare_sources(args, options, config)
    try:
        return run(options, config)
    except SelectionError as exc:
        raise UsageError(selection_error(exc, options, config)) from exc
    finally:
        if progress is not None:
            progress.close()
