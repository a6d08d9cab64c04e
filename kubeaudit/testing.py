"""Rule fixtures: manifests that must fail a rule (at marked lines) and must pass it.

Layout: <fixtures-dir>/<rule-id>/fail*.yaml and pass*.yaml, and optionally params.yaml:
the rule parameters the fixtures run with (a mapping, as under rules.params.<rule-id> in
.kubeaudit.yaml), for rules that do nothing with their defaults, and settings.yaml: the scan
settings they run with (`target_version: "1.N"`, `as_of: YYYY-MM-DD`, as --target-version and
--as-of set them), so that version and date rules have reproducible fixtures. In a fail fixture,
a comment `# ruleid: <rule-id>` marks the next non-comment line as one where the
rule must report a finding; the rule must report on every marked line and on no
other. A pass fixture must produce no finding of the rule. The same check runs
in our test suite and in `kubeaudit rules test` for users' own rules.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from kubeaudit.engine.loader import RuleError, compile_rule, read_rule_file
from kubeaudit.engine.rule import Rule
from kubeaudit.scan import scan_manifests
from kubeaudit.semantics.versions import AS_OF_SETTING, TARGET_SETTING
from kubeaudit.yamlfile import YamlFileError, read_document_file

MARKER = re.compile(r"#\s*ruleid:\s*([a-z0-9-]+)")
FIXTURE_SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(slots=True)
class FixtureResult:
    rule_id: str
    file: str  # fixture file, or the rule's fixture folder for missing fixtures
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def expected_lines(text: str, rule_id: str) -> set[int]:
    """Lines marked with `# ruleid: <rule_id>`: each marks the next line that is not a comment."""
    expected: set[int] = set()
    pending = 0
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        match = MARKER.search(stripped)
        if match and stripped.startswith("#"):
            if match.group(1) == rule_id:
                pending += 1
            continue
        if pending and stripped and not stripped.startswith("#"):
            expected.add(number)
            pending = 0
        if match and match.group(1) == rule_id:  # a trailing marker names its own line
            expected.add(number)
    return expected


def fixture_files(folder: FsPath) -> tuple[list[FsPath], list[FsPath]]:
    if not folder.is_dir():
        return [], []
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name.endswith(FIXTURE_SUFFIXES))
    return [p for p in files if p.name.startswith("fail")], [p for p in files if p.name.startswith("pass")]


def _with_fixture_params(rule: Rule, folder: FsPath) -> Rule:
    """The rule compiled with the fixture folder's params.yaml, if it has one."""
    params_file = folder / "params.yaml"
    if not params_file.is_file():
        return rule
    try:
        params = read_document_file(params_file, "fixture parameters")
    except OSError as exc:
        raise RuleError(params_file.as_posix(), f"cannot read fixture parameters: {exc}") from exc
    except YamlFileError as exc:
        raise RuleError(params_file.as_posix(), f"cannot read fixture parameters: {exc.message}", exc.line) from exc
    if not isinstance(params, dict):
        raise RuleError(params_file.as_posix(), "fixture parameters must be a mapping of parameter name to value")
    return compile_rule(
        read_rule_file(FsPath(rule.source)), {**rule.params, **params}, rule.builtin, params_file.as_posix()
    )


def _fixture_settings(folder: FsPath) -> dict[str, Any]:
    settings_file = folder / "settings.yaml"
    if not settings_file.is_file():
        return {}
    try:
        settings = read_document_file(settings_file, "fixture settings")
    except OSError as exc:
        raise RuleError(settings_file.as_posix(), f"cannot read fixture settings: {exc}") from exc
    except YamlFileError as exc:
        raise RuleError(settings_file.as_posix(), f"cannot read fixture settings: {exc.message}", exc.line) from exc
    unknown = (
        set(settings or {}) - {TARGET_SETTING, AS_OF_SETTING} if isinstance(settings, dict) else {"(not a mapping)"}
    )
    if unknown:
        raise RuleError(settings_file.as_posix(), f"unknown fixture settings: {', '.join(sorted(unknown))}")
    out = dict(settings or {})
    if TARGET_SETTING in out:
        out[TARGET_SETTING] = str(out[TARGET_SETTING]).lstrip("v")
    if AS_OF_SETTING in out and not isinstance(out[AS_OF_SETTING], dt.date):
        out[AS_OF_SETTING] = dt.date.fromisoformat(str(out[AS_OF_SETTING]))
    return out


def check_rule(rule: Rule, fixtures_dir: FsPath) -> list[FixtureResult]:
    folder = fixtures_dir / rule.id
    failing, passing = fixture_files(folder)
    results: list[FixtureResult] = []
    rule = _with_fixture_params(rule, folder)
    settings = _fixture_settings(folder)
    if not failing or not passing:
        missing = " and ".join(w for w, f in (("fail*", failing), ("pass*", passing)) if not f)
        results.append(FixtureResult(rule.id, folder.as_posix(), [f"no {missing} fixture in {folder.as_posix()}"]))
    for path in failing + passing:
        result = FixtureResult(rule.id, path.as_posix())
        # A fixture is the whole world of its test: what it does not define does not exist.
        outcome = scan_manifests([str(path)], [rule], settings={"strict_inputs": True, **settings})
        result.problems.extend(f"scan error: {e}" for e in outcome.errors)
        got = {f.line or 0 for f in outcome.findings if f.rule_id == rule.id}
        if path in failing:
            want = expected_lines(path.read_text(encoding="utf-8"), rule.id)
            if not want:
                result.problems.append(f"no '# ruleid: {rule.id}' marker: a fail fixture must say where it fails")
            for line in sorted(want - got):
                result.problems.append(f"expected a finding at line {line}, got none")
            for line in sorted(got - want):
                result.problems.append(f"unexpected finding at line {line}")
        elif got:
            result.problems.append(f"must pass, but has findings at lines {sorted(got)}")
        results.append(result)
    return results


def check_rules(rules: list[Rule], fixtures_dir: FsPath) -> list[FixtureResult]:
    results: list[FixtureResult] = []
    for rule in rules:
        results.extend(check_rule(rule, fixtures_dir))
    return results
