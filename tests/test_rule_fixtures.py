"""Every built-in rule is proven by fixtures: manifests that must fail it at marked
lines, and manifests that must pass it. The same runner backs `kubeaudit rules test`."""

from __future__ import annotations

import re

import pytest
from conftest import FIXTURES, REPO, RULE_FIXTURES

from kubeaudit.engine.loader import load_rules
from kubeaudit.scan import scan_manifests
from kubeaudit.testing import check_rule, expected_lines, fixture_files

RULES = load_rules()
RULE_IDS = [r.id for r in RULES]


def test_builtin_rules_exist_and_cover_every_pss_control() -> None:
    ids = set(RULE_IDS)
    baseline = {
        "host-process", "host-namespaces", "privileged", "capabilities", "host-path-volumes", "host-ports",
        "host-probes", "apparmor", "selinux", "proc-mount", "seccomp", "sysctls",
    }  # fmt: skip
    restricted = {
        "volume-types",
        "privilege-escalation",
        "run-as-non-root",
        "run-as-user",
        "seccomp",
        "capabilities",
    }
    assert {f"pss-baseline-{c}" for c in baseline} <= ids
    assert {f"pss-restricted-{c}" for c in restricted} <= ids


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_rule_has_fail_and_pass_fixtures(rule) -> None:  # type: ignore[no-untyped-def]
    failing, passing = fixture_files(RULE_FIXTURES / rule.id)
    assert failing, f"{rule.id} has no fixtures/rules/{rule.id}/fail*.yaml"
    assert passing, f"{rule.id} has no fixtures/rules/{rule.id}/pass*.yaml"


@pytest.mark.parametrize("rule", RULES, ids=RULE_IDS)
def test_rule_fixtures_fail_at_marked_lines_and_pass_elsewhere(rule) -> None:  # type: ignore[no-untyped-def]
    problems = [f"{r.file}: {p}" for r in check_rule(rule, RULE_FIXTURES) for p in r.problems]
    assert not problems, "\n".join(problems)


def test_every_fixture_folder_belongs_to_a_rule() -> None:
    orphans = sorted(p.name for p in RULE_FIXTURES.iterdir() if p.is_dir() and p.name not in RULE_IDS)
    assert not orphans, f"fixture folders without a rule: {orphans}"


def test_rule_prose_is_consistent() -> None:
    """Messages and remediations are sentences; PSS rules name their profile and cite the standard."""
    for rule in RULES:
        assert rule.message.endswith("."), f"{rule.id}: message should end with a full stop"
        assert rule.remediation.rstrip().endswith("."), f"{rule.id}: remediation should end with a full stop"
        assert rule.source.endswith(f"{rule.id}.yaml")
        if rule.id.startswith(("pss-baseline-", "pss-restricted-")):  # pss-namespace-*: admission labels
            level = rule.id.split("-")[1]
            assert rule.profile == level, f"{rule.id}: profile should be {level}"
            assert any("Pod Security Standards" in ref.title for ref in rule.references), rule.id


def test_scanning_all_fixtures_reports_every_marked_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """`kubeaudit scan fixtures/` with every rule finds what the fixture markers say."""
    monkeypatch.chdir(REPO)
    result = scan_manifests([str(FIXTURES)], RULES, settings={"strict_inputs": True})
    assert not result.errors, [str(e) for e in result.errors]
    # Where a restricted rule and the baseline rule it tightens flag one field, the finding
    # that says more stands for both (engine.supersede).
    replaced_by = {old: r.id for r in RULES for old in r.supersedes}
    found = {(f.file, f.line, f.rule_id) for f in result.findings}
    found |= {(s, line, replaced_by[r]) for s, line, r in found if r in replaced_by}
    missing = []
    # One input holds one mesh, whose root-namespace policies decide for every fixture at once:
    # the rules that read mesh-wide policy are proven per fixture folder only (above).
    mesh_wide = {"mesh-mtls-not-strict", "mesh-namespace-authorization-missing"}
    for path in sorted(FIXTURES.rglob("*.y*ml")):
        if (path.parent / "params.yaml").is_file() or (path.parent / "settings.yaml").is_file():
            continue  # these fixtures need their folder's parameters or settings; checked rule by rule above
        if path.name != "values.yaml" and (path.parent / "Chart.yaml").is_file():
            continue  # a chart's extra values file counts when a scan names it (tests/sources/test_helm.py)
        text = path.read_text(encoding="utf-8")
        shown = path.relative_to(REPO).as_posix()
        for rule_id in set(re.findall(r"#\s*ruleid:\s*([a-z0-9-]+)", text)) - mesh_wide:
            missing += [
                (shown, line, rule_id) for line in expected_lines(text, rule_id) if (shown, line, rule_id) not in found
            ]
    assert not missing, missing
