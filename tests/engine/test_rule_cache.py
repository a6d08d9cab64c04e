"""The record of rule loads (kubeaudit/engine/rule_cache.py): a load of the same files with the same
settings gives the same rules without parsing or compiling them again; any change to a rule file,
a parameter set or the settings is seen on the very next load; a broken record is a miss."""

from __future__ import annotations

import dataclasses
import io
import json
import re
from pathlib import Path

import pytest

from kubeaudit.api import ScanOptions, run
from kubeaudit.engine import rule_cache
from kubeaudit.engine.fixes import FixChange
from kubeaudit.engine.loader import RuleError, load_rules
from kubeaudit.engine.rule import Rule
from kubeaudit.model import Reference, Severity
from kubeaudit.report.json_report import render
from tests.conftest import AS_OF_DAY, FIXTURES
from tests.engine.test_loader import GOOD_RULE, write_rule


def _records(cache_dir: Path) -> list[Path]:
    folder = cache_dir / rule_cache.FOLDER
    return sorted(folder.glob("*.json")) if folder.is_dir() else []


def _metadata(rules: list[Rule]) -> list[dict[str, object]]:
    """Every field but the compiled conditions, with the type of each value."""
    return [
        {f.name: rule_cache._exact(getattr(r, f.name)) for f in dataclasses.fields(Rule) if f.name != "compiled"}
        for r in rules
    ]


def test_a_known_load_gives_the_same_rules_and_compiles_them_only_when_evaluated(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBEAUDIT_NO_CACHE", "1")
    fresh = load_rules()
    monkeypatch.delenv("KUBEAUDIT_NO_CACHE")
    load_rules()  # remembered
    assert len(_records(cache_dir)) == 1
    known = load_rules()
    assert _metadata(known) == _metadata(fresh)
    assert not any(r.compiled._checks for r in known)  # nothing compiled yet
    rule = next(r for r in known if r.id == "pss-baseline-privileged")
    privileged = {"allContainers": [{"securityContext": {"privileged": True}}]}
    assert rule.condition(privileged, (), []) is False
    assert rule.condition({"allContainers": [{"securityContext": {"privileged": False}}]}, (), []) is True


def test_a_scan_with_rules_from_the_record_reports_exactly_what_a_fresh_load_does(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def report() -> str:
        out = io.StringIO()
        render(run(ScanOptions(paths=[str(FIXTURES / "demo")], use_config=False, as_of=AS_OF_DAY)), out)
        return out.getvalue()

    monkeypatch.setenv("KUBEAUDIT_NO_CACHE", "1")
    fresh = report()
    monkeypatch.delenv("KUBEAUDIT_NO_CACHE")
    report()
    assert _records(cache_dir)
    assert report() == fresh


def test_a_changed_rule_file_is_seen_on_the_next_load(tmp_path: Path, cache_dir: Path) -> None:
    rules = tmp_path / "rules"
    path = write_rule(rules, "no-latest-tag")
    for _ in range(2):
        assert _by_id(load_rules([rules]))["no-latest-tag"].title == "No latest tag"
    path.write_text(GOOD_RULE.format(id="no-latest-tag").replace("title: No latest tag", "title: Pin images"))
    assert _by_id(load_rules([rules]))["no-latest-tag"].title == "Pin images"
    # The compiled condition follows the text too.
    path.write_text(GOOD_RULE.format(id="no-latest-tag").replace(":latest$", ":edge$"))
    load_rules([rules])
    rule = _by_id(load_rules([rules]))["no-latest-tag"]
    assert rule.condition({"container": {"image": "nginx:latest"}}, (), []) is True
    assert rule.condition({"container": {"image": "nginx:edge"}}, (), []) is False


def test_an_added_or_removed_rule_file_is_seen_on_the_next_load(tmp_path: Path, cache_dir: Path) -> None:
    rules = tmp_path / "rules"
    write_rule(rules, "no-latest-tag")
    load_rules([rules])
    added = write_rule(rules, "no-edge-tag")
    assert {"no-latest-tag", "no-edge-tag"} <= set(_by_id(load_rules([rules])))
    added.unlink()
    assert "no-edge-tag" not in _by_id(load_rules([rules]))


def test_a_rule_file_broken_after_it_was_remembered_fails_to_load(tmp_path: Path, cache_dir: Path) -> None:
    rules = tmp_path / "rules"
    path = write_rule(rules, "no-latest-tag")
    load_rules([rules])
    load_rules([rules])
    path.write_text(GOOD_RULE.format(id="no-latest-tag").replace("view: container", "view: pods"))
    for _ in range(2):  # a failure is never remembered
        with pytest.raises(RuleError, match=r":5: view: unknown view 'pods'"):
            load_rules([rules])


def test_other_parameters_or_severities_are_another_load(tmp_path: Path, cache_dir: Path) -> None:
    rules = tmp_path / "rules"
    write_rule(
        rules,
        "no-latest-tag",
        GOOD_RULE.format(id="no-latest-tag")
        + "params:\n  severity:\n    description: How bad it is.\n    default: low\n",
    )
    assert _by_id(load_rules([rules]))["no-latest-tag"].severity is Severity.LOW
    overridden = {"no-latest-tag": {"severity": "high"}}
    assert _by_id(load_rules([rules], params=overridden))["no-latest-tag"].severity is Severity.HIGH
    assert _by_id(load_rules([rules], params=overridden))["no-latest-tag"].severity is Severity.HIGH
    assert _by_id(load_rules([rules]))["no-latest-tag"].severity is Severity.LOW
    with pytest.raises(RuleError, match="unknown parameter 'severty'"):
        load_rules([rules], params={"no-latest-tag": {"severty": "high"}})


@pytest.mark.parametrize(
    "record",
    [b"not json {", b'{"format": 99}', b'{"format": 1, "key": "x", "rules": []}', b"[]", b"\xff\xfe"],
)
def test_a_broken_record_is_a_miss(cache_dir: Path, record: bytes) -> None:
    count = len(load_rules())
    (path,) = _records(cache_dir)
    path.write_bytes(record)
    assert len(load_rules()) == count
    assert json.loads(path.read_bytes())["format"] == rule_cache.FORMAT  # replaced by a good one


def test_a_record_with_wrong_fields_is_a_miss(cache_dir: Path) -> None:
    count = len(load_rules())
    (path,) = _records(cache_dir)
    record = json.loads(path.read_text())
    record["rules"][0]["severity"] = "hgh"
    path.write_text(json.dumps(record))
    assert len(load_rules()) == count


def test_rules_that_would_not_read_back_exactly_are_not_remembered(cache_dir: Path) -> None:
    rules = load_rules()
    inputs = rule_cache.Inputs("0" * 64, {})
    # A value JSON would turn into another (a tuple into a list): the record is not kept.
    changed = [dataclasses.replace(rules[0], params={"ports": (80, 443)}), *rules[1:]]
    rule_cache.store(inputs, changed)
    assert rule_cache.lookup(inputs, lambda entry: rules[0].compiled) is None
    rule_cache.store(inputs, rules)
    assert rule_cache.lookup(inputs, lambda entry: rules[0].compiled) is not None


def test_no_cache_turns_the_record_off(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBEAUDIT_NO_CACHE", "1")
    load_rules()
    load_rules()
    assert not cache_dir.exists()


def test_only_the_most_recently_used_records_are_kept(tmp_path: Path, cache_dir: Path) -> None:
    rules = tmp_path / "rules"
    for index in range(rule_cache.MAX_RECORDS + 3):
        write_rule(rules, "no-latest-tag", GOOD_RULE.format(id="no-latest-tag").replace("No latest", f"No {index}"))
        load_rules([rules], include_builtin=False)
    assert len(_records(cache_dir)) == rule_cache.MAX_RECORDS


def _by_id(rules: list[Rule]) -> dict[str, Rule]:
    return {r.id: r for r in rules}


def test_every_field_of_a_rule_reads_back_from_its_record(cache_dir: Path) -> None:
    """Each field of Rule set to a value that is not its default survives the record: a field added
    to Rule fails this test until it has a sample here, and then needs nothing in rule_cache.py."""
    rule = next(r for r in load_rules() if r.fix)
    samples: dict[str, object] = {
        "id": "sample-rule",
        "title": "Sample",
        "severity": Severity.CRITICAL,
        "category": "sample",
        "view": "pod",
        "message": "sample {value}",
        "remediation": "do it",
        "references": (Reference("doc", "https://example.com/doc"),),
        "kinds": frozenset({"Pod", "Job"}),
        "profile": "restricted",
        "description": "a sample",
        "enabled_by_default": False,
        "tags": ("a", "b"),
        "frameworks": (("cis", ("5.2.1", "5.2.2")),),
        "params": {"ports": [80, 443], "nested": {"a": None}},
        "param_docs": {"ports": "the ports"},
        "data": ("pss-versions",),
        "supersedes": ("pss-baseline-privileged",),
        "fix": (FixChange("set", ("securityContext", "x"), "container", False, "why", (re.compile(r"\.x$"),)),),
        "source": "rules/sample.yaml",
        "builtin": False,
        "raw": {"id": "sample-rule", "when": {"a": [1, 2.5, True]}},
    }
    kept = [f for f in dataclasses.fields(Rule) if f.name != "compiled"]
    assert sorted(samples) == sorted(f.name for f in kept), "give every Rule field a sample value"
    for f in kept:
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        assert samples[f.name] != default, f"{f.name}: the sample must differ from the default"
    changed = dataclasses.replace(rule, **samples)  # type: ignore[arg-type]
    inputs = rule_cache.Inputs("1" * 64, {})
    rule_cache.store(inputs, [changed])
    back = rule_cache.lookup(inputs, lambda entry: rule.compiled)
    assert back is not None, "the record was refused: a field does not read back as it was"
    assert _metadata(back) == _metadata([changed])
