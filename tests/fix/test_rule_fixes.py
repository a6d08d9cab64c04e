"""Every fixable built-in rule's fail fixtures, fixed by `kubeaudit fix`, equal their expected
files byte for byte (fixtures/rules/<id>/<fixture>.fixed); a second fix changes nothing; and a
scan of the fixed file with every rule shows the rule's findings gone and nothing new."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import RULE_FIXTURES

from kubeaudit.api import ScanOptions
from kubeaudit.engine.loader import load_rules
from kubeaudit.fix.run import finding_key, fix
from kubeaudit.model import ScanResult
from kubeaudit.scan import scan_manifests

RULES = load_rules()
# Rules with a mechanical fix (placeholder-only rules need a person to fill in a value).
FIXABLE = [r for r in RULES if any(not change.is_placeholder for change in r.fix)]
CASES = [
    (rule, path) for rule in FIXABLE for path in sorted((RULE_FIXTURES / rule.id).glob("fail*.yaml"))
    if path.with_name(path.name + ".fixed").is_file()
]  # fmt: skip


def _keys(result: ScanResult) -> set[tuple[str, str, str]]:
    return {finding_key(f)[::2] + finding_key(f)[3:] for f in result.findings}


@pytest.mark.parametrize("rule", FIXABLE, ids=[r.id for r in FIXABLE])
def test_every_fixable_rule_has_an_expected_fixed_fixture(rule) -> None:  # type: ignore[no-untyped-def]
    assert any(case_rule is rule for case_rule, _ in CASES), f"no fixtures/rules/{rule.id}/fail*.yaml.fixed"


def test_every_expected_fixed_file_belongs_to_a_fail_fixture_of_a_fixable_rule() -> None:
    fixable = {r.id for r in FIXABLE}
    for expected in RULE_FIXTURES.rglob("*.fixed"):
        assert expected.parent.name in fixable, expected
        assert expected.with_name(expected.name.removesuffix(".fixed")).is_file(), expected


@pytest.mark.parametrize(("rule", "fixture"), CASES, ids=[f"{r.id}/{p.name}" for r, p in CASES])
def test_fixed_fixture_equals_its_expected_file_byte_for_byte(rule, fixture: Path, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    copy = tmp_path / fixture.name
    shutil.copyfile(fixture, copy)
    report = fix(ScanOptions(paths=[str(copy)], use_config=False, rules=[rule]))
    assert not report.not_removed and not report.new and not report.problems
    assert report.fixed, "the fixture has findings the rule's fix removes"
    assert copy.read_bytes() == fixture.with_name(fixture.name + ".fixed").read_bytes()

    again = fix(ScanOptions(paths=[str(copy)], use_config=False, rules=[rule]))
    assert not again.files and not again.fixed, "a second fix changes nothing"
    assert copy.read_bytes() == fixture.with_name(fixture.name + ".fixed").read_bytes()

    settings = {"strict_inputs": True}
    fixed = {finding_key(i.finding)[::2] + finding_key(i.finding)[3:] for i in report.fixed}
    assert fixed <= _keys(scan_manifests([str(fixture)], [rule], settings=settings))
    assert not fixed & _keys(scan_manifests([str(copy)], [rule], settings=settings)), "the fixed findings are gone"
    before = _keys(scan_manifests([str(fixture)], RULES, settings=settings))
    after = _keys(scan_manifests([str(copy)], RULES, settings=settings))
    assert after <= before, f"new findings after the fix, with every rule: {sorted(after - before)}"


def test_fixing_every_rule_fixture_with_every_rule_is_idempotent_and_adds_nothing(tmp_path: Path) -> None:
    copy = tmp_path / "rules"
    shutil.copytree(RULE_FIXTURES, copy)
    options = ScanOptions(paths=[str(copy)], use_config=False, strict_inputs=True)
    first = fix(options)
    assert first.files and first.fixed
    assert not first.not_removed, [(i.finding.rule_id, i.finding.file) for i in first.not_removed]
    assert not first.new, [(f.rule_id, f.file, f.path) for f in first.new]
    written = {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()}
    second = fix(options)
    assert not second.files and not second.fixed
    assert {p: p.read_bytes() for p in copy.rglob("*") if p.is_file()} == written
