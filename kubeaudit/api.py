"""One scan, from options to result: config, rules, sources, suppressions.

This is the library entry point the CLI is a thin layer over:

    from kubeaudit.api import ScanOptions, run
    result = run(ScanOptions(paths=["deploy/"], profile="restricted"))
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path as FsPath
from typing import TYPE_CHECKING

from kubeaudit.config import Config, ConfigError, find_config, load_config
from kubeaudit.engine.loader import RuleError, load_rules, references_at
from kubeaudit.engine.rule import Rule
from kubeaudit.engine.selection import select_rules
from kubeaudit.model import Notice, ScanResult, Severity
from kubeaudit.refdata import stale_note
from kubeaudit.semantics.versions import AS_OF_SETTING, TARGET_SETTING
from kubeaudit.sources.limits import DEFAULT_MAX_FILE_BYTES

if TYPE_CHECKING:
    from kubeaudit.sources.base import Source
    from kubeaudit.sources.render import RenderOptions

# The scan itself (kubeaudit.scan, suppressions, baselines, sources) is imported by `run`, when a
# scan runs: `kubeaudit rules list` uses this module for the configured rules alone.

DEFAULT_FAIL_ON = "low"


@dataclass(slots=True)
class ScanOptions:
    paths: list[str] = field(default_factory=list)
    config_path: str | None = None  # None: look for .kubeaudit.yaml from the working directory up
    use_config: bool = True
    rule_dirs: list[str] = field(default_factory=list)
    profile: str | None = None  # None: the config's, else "all"
    toggles: list[tuple[str, str]] = field(default_factory=list)
    baseline_path: str | None = None
    allow_partial: bool = False
    sources: list[Source] | None = None  # instead of paths (e.g. live clusters)
    max_file_bytes: int = DEFAULT_MAX_FILE_BYTES  # a bigger manifest file is not read, and is reported
    stdin_filename: str | None = None  # what reports call standard input ("-"); None: <stdin>
    # The files are everything there is (a role not in them does not exist); None: the config's.
    strict_inputs: bool | None = None
    # Report (and gate on) only findings at or above this severity; None: all of them.
    min_severity: str | None = None
    pss_version: str | None = None  # None: the config's, else latest (the server's version in a cluster)
    target_version: str | None = None  # "1.N": judge deprecated APIs against it (None: cluster's, else newest)
    as_of: dt.date | None = None  # compare end-of-life dates with this day (None: today)
    # psa-plan: every Pod Security Standards rule whatever the config selects, each finding kept
    # (no merging of a restricted rule's finding with the baseline one's), workloads recorded.
    psa_plan: bool = False
    unpinned_version: str | None = None  # psa-plan: the admission configuration's default enforce-version
    render: RenderOptions | None = None  # charts among the paths: values files, release name... (None: defaults)
    jobs: int = 1  # processes that read and evaluate manifest files (kubeaudit.parallel)
    # Run exactly these rules instead of the configured ones (`kubeaudit paths`: its listing rules).
    rules: list[Rule] | None = None
    # Framework ids (kubeaudit.compliance.frameworks.FRAMEWORK_IDS) to give a compliance table each
    # (ScanResult.compliance), judged by every configured rule that names their controls.
    compliance: list[str] = field(default_factory=list)


def load_effective_config(options: ScanOptions) -> Config:
    if not options.use_config:
        return Config()
    if options.config_path is not None:
        path = FsPath(options.config_path)
        if not path.is_file():
            raise ConfigError(f"{options.config_path}: config file not found")
        return load_config(path)
    found = find_config()
    return load_config(found) if found is not None else Config()


def configured_rules(rule_dirs: list[str], config: Config) -> list[Rule]:
    """Every rule (built-in, the config's folders, `rule_dirs`) with the config's parameters
    and severity overrides applied, before any selection."""
    source = config.path or "config"
    rules = load_rules(
        [*config.rule_dirs, *rule_dirs], params=config.params, replace=config.replace_rules, config_source=source
    )
    known = {r.id for r in rules}
    unknown = sorted(set(config.severity) - known)
    if unknown:
        raise RuleError(source, f"rules.severity names unknown rule(s): {', '.join(unknown)}")
    return [replace(r, severity=config.severity[r.id]) if r.id in config.severity else r for r in rules]


def pss_version(options: ScanOptions, config: Config) -> str | None:
    """The policy version asked for (--pss-version, else the config's); None: not asked.
    Raises ConfigError for one that is neither latest nor v1.N up to the newest policy in the data."""
    from kubeaudit.engine.policy_versions import LATEST, PolicyVersionError, latest_minor, parse_minor

    wanted = options.pss_version or config.pss_version
    if wanted is not None and wanted != LATEST:
        try:
            minor = parse_minor(wanted)
        except PolicyVersionError as exc:
            raise ConfigError(f"--pss-version: {exc}") from exc
        if minor > latest_minor():  # it would silently mean latest: say what the data knows
            raise ConfigError(
                f"--pss-version: {wanted!r} is not a Pod Security policy version kubeaudit's data knows: "
                f"v1.0 to v1.{latest_minor()}, or latest"
            )
    return wanted


def effective_rules(options: ScanOptions, config: Config, configured: list[Rule] | None = None) -> list[Rule]:
    """The rules this run applies, from CONFIGURED (default: configured_rules), compiled: a rule
    the loader knew from before is compiled here, before any input is read (and before --jobs
    forks its workers, which then share the compiled conditions)."""
    if options.rules is not None:
        return list(options.rules)
    rules = configured if configured is not None else configured_rules(options.rule_dirs, config)
    if options.psa_plan:
        selected = [replace(r, supersedes=()) for r in rules if r.profile in ("baseline", "restricted")]
    else:
        profile = options.profile or config.profile or "all"
        selected = select_rules(rules, profile, [*config.toggles, *options.toggles])
    for rule in selected:
        rule.compiled.get()
    wanted = pss_version(options, config)
    if wanted is None:
        return selected
    from kubeaudit.engine.policy_versions import latest_minor, resolve

    # References name the policy version the run applies by default.
    minor = resolve(wanted, latest_minor())
    return [replace(r, references=references_at(r.raw, minor)) if r.variants else r for r in selected]


def fail_on_threshold(cli_value: str | None, config: Config) -> str:
    return cli_value or config.fail_on or DEFAULT_FAIL_ON


def run(options: ScanOptions, config: Config | None = None) -> ScanResult:
    from kubeaudit.baseline import read_baseline
    from kubeaudit.scan import run_scan
    from kubeaudit.sources.manifests import ManifestSource
    from kubeaudit.suppress import Suppressor

    config = config if config is not None else load_effective_config(options)
    known = configured_rules(options.rule_dirs, config)
    rules = effective_rules(options, config, known)
    baseline = read_baseline(FsPath(options.baseline_path)) if options.baseline_path else None
    sources = (
        options.sources
        if options.sources is not None
        else [
            ManifestSource(
                options.paths,
                config.is_excluded,
                options.max_file_bytes,
                options.render,
                stdin_filename=options.stdin_filename,
            )
        ]
    )
    for source in sources:
        source.narrow_to(rules)
    result = run_scan(
        sources,
        rules,
        settings=_settings(options, config),
        postprocess=Suppressor(config, baseline, known_rules=frozenset(r.id for r in known)),
        allow_partial=options.allow_partial,
        jobs=options.jobs,
    )
    for source in sources:
        result.notices.extend(source.notices())
    result.notices.extend(stale_data_notices(rules, options.as_of or dt.date.today()))
    if options.min_severity is not None:
        _keep_at_or_above(result, Severity(options.min_severity))
    if options.compliance:
        from kubeaudit.compliance.frameworks import load_framework
        from kubeaudit.compliance.table import compliance_table

        severity = Severity(options.min_severity) if options.min_severity is not None else None
        known_or_run = known if options.rules is None else rules
        result.compliance = [
            compliance_table(load_framework(name), known_or_run, result, severity) for name in options.compliance
        ]
    return result


def _keep_at_or_above(result: ScanResult, severity: Severity) -> None:
    """--severity: what is not reported must not fail the gate either, so the findings go."""
    from kubeaudit.finding_store import FindingStore

    findings = result.findings if isinstance(result.findings, FindingStore) else FindingStore(result.findings)
    kept = findings.where(lambda f: f.severity.rank >= severity.rank)
    dropped = len(findings) - len(kept)
    result.findings = kept
    if dropped:
        result.notices.append(
            Notice("--severity", f"{dropped} finding(s) below --severity {severity.value} not reported")
        )


def _settings(options: ScanOptions, config: Config) -> dict[str, object]:
    settings: dict[str, object] = {**config.settings, "pss_version": pss_version(options, config)}
    if options.strict_inputs is not None:
        settings["strict_inputs"] = options.strict_inputs
    if options.target_version is not None:
        settings[TARGET_SETTING] = options.target_version
    if options.as_of is not None:
        settings[AS_OF_SETTING] = options.as_of
    if options.psa_plan:
        from kubeaudit.engine.namespace_policy import NamespacePolicies

        settings["namespace_policies"] = NamespacePolicies(
            options.pss_version or config.pss_version, options.unpinned_version, record_workloads=True
        )
    return settings


def stale_data_notices(rules: list[Rule], today: dt.date) -> list[Notice]:
    """A note for each reference data file the selected rules rely on that is older than
    refdata.STALE_AFTER_DAYS: their verdicts may miss newer releases or deprecations."""
    notices = []
    for name in sorted({name for rule in rules for name in rule.data}):
        note = stale_note(name, today)
        if note is not None:
            notices.append(Notice(f"rules/data/{name}.yaml", note))
    return notices


def gate(result: ScanResult, fail_on: str) -> int:
    """Exit code: 2 incomplete, 1 active findings at or above fail_on, else 0."""
    if not result.complete:
        return 2
    if fail_on == "none":
        return 0
    threshold = Severity(fail_on).rank
    return 1 if any(f.severity.rank >= threshold for f in result.active_findings) else 0
