"""`kubeaudit psa-plan`: before turning Pod Security Admission on, which workloads each level
would reject, and the strictest level each namespace can enforce today."""

from __future__ import annotations

import argparse

from kubeaudit.api import ScanOptions, load_effective_config
from kubeaudit.cli.common import EXIT_ERROR, EXIT_OK, Parser, UsageError, add_command
from kubeaudit.cli.inputs import run_with_sources
from kubeaudit.cli.options import add_cluster_options, add_config_options, add_paths_argument, add_single_output
from kubeaudit.cli.outputs import check_output, open_output
from kubeaudit.engine.loader import load_rules
from kubeaudit.engine.policy_versions import LATEST
from kubeaudit.psa.admission import AdmissionConfig, AdmissionConfigError, load_admission_config
from kubeaudit.psa.plan import build_plan
from kubeaudit.psa.render import FORMATS, RENDERERS
from kubeaudit.sources.manifests import DEFAULT_MAX_FILE_BYTES


def add_parser(commands: argparse._SubParsersAction) -> dict[str, Parser]:
    plan = add_command(
        commands, "psa-plan",
        "plan Pod Security Admission: what each level would reject, and the strictest level each namespace "
        "can enforce today",
        "Reads manifests (PATHs) or a live cluster (--cluster, read-only). Each namespace's pods are judged at "
        "the policy version it pins. Exit codes: 0 plan written, 2 usage error or incomplete input.",
    )  # fmt: skip
    add_paths_argument(plan)
    add_single_output(
        plan,
        FORMATS,
        "console for people, json for scripts, markdown for a pull-request comment, html for a page",
        "plan",
    )
    plan.add_argument(
        "--psa-config", metavar="FILE",
        help="the API server's admission configuration (AdmissionConfiguration with a PodSecurity plugin, or a "
        "PodSecurityConfiguration): its defaults apply to unlabelled namespaces, its exemptions are reported",
    )  # fmt: skip
    plan.add_argument(
        "--pss-version", default=None, metavar="VERSION",
        help="policy version for namespaces that pin none: latest (v1.37) or v1.N (default: the admission "
        "configuration's enforce-version, else latest; in a cluster the server's version)",
    )  # fmt: skip
    add_config_options(plan)
    add_cluster_options(plan)
    plan.set_defaults(allow_partial=False, max_file_size=DEFAULT_MAX_FILE_BYTES)
    return {"psa-plan": plan}


def run(args: argparse.Namespace) -> int:
    check_output("--output", args.output)
    admission = AdmissionConfig()
    if args.psa_config is not None:
        try:
            admission = load_admission_config(args.psa_config)
        except AdmissionConfigError as exc:
            raise UsageError(str(exc)) from exc
    default_version = admission.default_version("enforce")
    options = ScanOptions(
        paths=list(args.paths),
        stdin_filename=args.stdin_filename,
        config_path=args.config,
        use_config=not args.no_config,
        pss_version=args.pss_version,
        unpinned_version=None if args.pss_version or default_version == LATEST else default_version,
        psa_plan=True,
    )
    result = run_with_sources(args, options, load_effective_config(options))
    supersedes = {r.id: r.supersedes for r in load_rules() if r.supersedes}
    plan = build_plan(result, admission, supersedes)
    with open_output(args.output) as stream:
        if args.format == "html":  # the page shows the findings behind the plan too
            from kubeaudit.psa.render_html import render_html

            render_html(plan, result, stream)
        else:
            RENDERERS[args.format](plan, stream)
    return EXIT_OK if plan.complete else EXIT_ERROR
