"""Framework controls as data: every control a rule names is in its framework's shipped list
(rules/data/framework-<id>.yaml), the lists are well formed, and the rule families that a
framework covers carry their controls."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import yaml
from conftest import RunCli

from kubeaudit.compliance.frameworks import FRAMEWORK_IDS, load_framework
from kubeaudit.engine.loader import RuleError, load_rules
from kubeaudit.refdata import load_data

BUILTIN = load_rules()


@pytest.mark.parametrize("framework_id", FRAMEWORK_IDS)
def test_each_framework_lists_each_control_once(framework_id: str) -> None:
    framework = load_framework(framework_id)
    counts = Counter(c.id for c in framework.controls)
    assert framework.controls
    assert [cid for cid, n in counts.items() if n > 1] == []


def test_every_control_a_builtin_rule_names_is_in_its_frameworks_list() -> None:
    unknown = [
        f"{rule.id}: {framework_id} {control}"
        for rule in BUILTIN
        for framework_id, controls in rule.frameworks
        for control in controls
        if load_framework(framework_id).control(control) is None
    ]
    assert unknown == []


def test_the_rule_families_frameworks_cover_carry_their_controls() -> None:
    """Pod security, RBAC, control plane and kubelet rules each check a benchmark control or a
    guide section; a new one without `frameworks:` would drop out of every compliance table."""
    covered = {"pod-security", "rbac", "control-plane", "kubelet", "network"}
    missing = sorted(r.id for r in BUILTIN if r.category in covered and not r.frameworks)
    # Rules with no control we are confident of: a binding to a missing role, a kubelet setting
    # the v1.12.0 benchmark dropped.
    assert missing == ["kubelet-protect-kernel-defaults", "rbac-missing-role"]


def test_pss_controls_are_the_pod_security_rules_of_the_policy_versions_data() -> None:
    versions = load_data("pss-versions")
    framework = load_framework("pss")
    expected = {key.removeprefix("pss-").replace("-", "/", 1) for key in versions["controls"]}
    assert {c.id for c in framework.controls} == expected
    assert framework.version == versions["latest"]
    for rule in BUILTIN:
        if rule.id in versions["controls"]:
            assert dict(rule.frameworks).get("pss") == (rule.id.removeprefix("pss-").replace("-", "/", 1),), rule.id


def test_cis_controls_keep_the_benchmarks_manual_marks_and_node_scope() -> None:
    cis = load_framework("cis-kubernetes")
    assert cis.version == "v1.12.0"
    by_id = {c.id: c for c in cis.controls}
    assert by_id["5.1.7"].manual and not by_id["1.2.2"].manual
    assert by_id["1.1.1"].node_only and by_id["4.1.1"].node_only and not by_id["4.2.1"].node_only
    assert by_id["2.4"].title.startswith("Ensure that the --peer-cert-file and --peer-key-file arguments")


def _rule_file(tmp_path: Path, frameworks: object) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    rule = {
        "id": "my-rule",
        "title": "My rule",
        "severity": "low",
        "category": "custom",
        "view": "object",
        "condition": True,
        "message": "Message.",
        "remediation": "Fix it.",
        "references": [{"title": "Docs", "url": "https://example.com"}],
        "frameworks": frameworks,
    }
    (folder / "my-rule.yaml").write_text(yaml.safe_dump(rule), encoding="utf-8")
    return folder


def test_a_user_rule_may_name_framework_controls(tmp_path: Path) -> None:
    rules = load_rules([_rule_file(tmp_path, {"cis-kubernetes": ["5.2.2"], "mitre-attack": ["T1611"]})])
    mine = next(r for r in rules if r.id == "my-rule")
    assert mine.meta.frameworks == (("cis-kubernetes", ("5.2.2",)), ("mitre-attack", ("T1611",)))


@pytest.mark.parametrize(
    ("frameworks", "message"),
    [
        ({"cis": ["5.2.2"]}, r"frameworks: .*'cis' was unexpected"),
        ({"cis-kubernetes": [5.2]}, r"frameworks\.cis-kubernetes\[0\]: 5\.2 is not of type"),
        ({"mitre-attack": ["1611"]}, r"frameworks\.mitre-attack\[0\]: \'1611\' does not match"),
        ({"pss": ["privileged"]}, r"frameworks\.pss\[0\]: \'privileged\' does not match"),
    ],
)
def test_a_rule_naming_an_unknown_framework_or_a_malformed_control_is_refused(
    tmp_path: Path, frameworks: object, message: str
) -> None:
    with pytest.raises(RuleError, match=message):
        load_rules([_rule_file(tmp_path, frameworks)])


def test_rules_explain_lists_the_framework_controls(run_cli: RunCli) -> None:
    result = run_cli("rules", "explain", "pss-baseline-privileged")
    assert result.code == 0
    section = result.out.split("\nFramework controls:\n")[1].split("\n\n")[0]
    assert section.splitlines() == [
        "  cis-kubernetes: 5.2.2",
        "  nsa-cisa: pod-security/enforcement",
        "  pss: baseline/privileged",
        "  mitre-attack: T1611",
    ]


def test_rules_list_json_gives_each_rules_framework_controls(run_cli: RunCli) -> None:
    listed = {row["id"]: row["frameworks"] for row in json.loads(run_cli("rules", "list", "--format", "json").out)}
    assert listed == {rule.id: {fw: list(ids) for fw, ids in rule.frameworks} for rule in BUILTIN}
    assert listed["rbac-wildcard"] == {"cis-kubernetes": ["5.1.3"], "nsa-cisa": ["auth/rbac"]}
