"""Shared parameter sets (rules/params/<name>.yaml, referenced as `default: {$shared: <name>}`),
snake_case parameter names, and aliases that keep a renamed parameter working in configs."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kubeaudit.config import load_config
from kubeaudit.engine.loader import RuleError, builtin_rules_dir, load_rules
from kubeaudit.scan import scan_manifests

SHARED_RULE = """\
id: {id}
title: Secrets readable by unexpected subjects
severity: high
category: custom
view: subject
params:
  expected:
    description: Subjects expected to read secrets.
    default: {{$shared: {set}}}
condition:
  if:
    properties:
      subject: {{properties: {{id: {{not: {{enum: {{$param: expected}}}}}}}}}}
  then:
    properties: {{can: {{properties: {{readSecrets: {{const: false}}}}}}}}
message: "{{subject.id}} can read secrets."
remediation: Remove the grant.
references:
  - title: Kubernetes documentation, RBAC good practices
    url: https://kubernetes.io/docs/concepts/security/rbac-good-practices/
"""
SECRET_READERS = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: readers}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view-secrets}
subjects:
  - {kind: Group, name: auditors}
  - {kind: User, name: mallory}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: view-secrets}
rules:
  - {apiGroups: [""], resources: [secrets], verbs: [get]}
"""


def _rule(rules: list, rule_id: str):  # type: ignore[no-untyped-def,type-arg]
    (found,) = [r for r in rules if r.id == rule_id]
    return found


def test_the_expected_system_subjects_are_defined_once_and_shared_by_every_rbac_rule() -> None:
    shared = yaml.safe_load((builtin_rules_dir() / "params" / "expected_system_subjects.yaml").read_text())
    users = [r for r in load_rules() if "expected_subjects" in r.params]
    assert len(users) == 11
    for rule in users:
        assert rule.params["expected_subjects"] == shared["value"], rule.id
        assert rule.raw["params"]["expected_subjects"]["default"] == {"$shared": "expected_system_subjects"}
        assert rule.params["expected_subjects_pattern"] == "^User/system:node:[^/]+$"


def test_a_user_rules_folder_can_define_and_use_its_own_shared_set(tmp_path: Path) -> None:
    rules_dir = tmp_path / "rules"
    (rules_dir / "params").mkdir(parents=True)
    (rules_dir / "params" / "secret_readers.yaml").write_text(
        "description: Who may read secrets here.\nvalue: [Group/auditors]\n"
    )
    (rules_dir / "custom-secret-readers.yaml").write_text(
        SHARED_RULE.format(id="custom-secret-readers", set="secret_readers")
    )
    (tmp_path / "rbac.yaml").write_text(SECRET_READERS)
    rule = _rule(load_rules([rules_dir]), "custom-secret-readers")
    assert rule.params["expected"] == ["Group/auditors"]
    result = scan_manifests([str(tmp_path / "rbac.yaml")], [rule])
    assert [f.message for f in result.findings] == ["User/mallory can read secrets."]


def test_an_unknown_shared_set_is_an_error_naming_the_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "custom-secret-readers.yaml"
    path.write_text(SHARED_RULE.format(id="custom-secret-readers", set="no_such_set"))
    with pytest.raises(RuleError) as caught:
        load_rules([tmp_path])
    assert str(caught.value).startswith(
        f"{path.as_posix()}:9: params.expected.default: unknown shared parameter set 'no_such_set' (known: "
    )


def test_a_shared_set_is_defined_once(tmp_path: Path) -> None:
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "expected_system_subjects.yaml").write_text(
        "description: My own system subjects.\nvalue: []\n"
    )
    with pytest.raises(RuleError, match="shared parameter set 'expected_system_subjects' is already defined by"):
        load_rules([tmp_path])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("value: [a]\n", "(file): 'description' is a required property"),
        ("description: Who may read secrets here.\nvalue: [a]\nextra: 1\n", "Additional properties are not allowed"),
    ],
)
def test_a_broken_shared_set_is_refused_with_its_field(tmp_path: Path, text: str, expected: str) -> None:
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "readers.yaml").write_text(text)
    with pytest.raises(RuleError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        load_rules([tmp_path])


def test_a_shared_set_name_is_snake_case(tmp_path: Path) -> None:
    (tmp_path / "params").mkdir()
    (tmp_path / "params" / "secretReaders.yaml").write_text("description: Who may read secrets here.\nvalue: []\n")
    with pytest.raises(RuleError, match="in snake_case: 'secretReaders'"):
        load_rules([tmp_path])


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("  expected:\n", "  expectedSubjects:\n"), r"params: 'expectedSubjects' does not match"),
        (lambda t: t.replace("$shared: secret_readers", "$shared: Secret-Readers"), r"'Secret-Readers' does not match"),
        (
            lambda t: t.replace("$shared: secret_readers}", "$shared: secret_readers, other: 1}"),
            "Additional properties",
        ),
    ],
)
def test_the_rule_schema_enforces_snake_case_names_and_the_shared_syntax(tmp_path: Path, edit, expected: str) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "custom-secret-readers.yaml").write_text(
        edit(SHARED_RULE.format(id="custom-secret-readers", set="secret_readers"))
    )
    with pytest.raises(RuleError, match=expected):
        load_rules([tmp_path])


def test_every_builtin_parameter_name_is_snake_case() -> None:
    import re

    for rule in load_rules():
        for name in rule.params:
            assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", name), f"{rule.id}: {name}"


@pytest.mark.parametrize("name", ["allowed_host_ports", "allowedHostPorts"])
def test_a_renamed_parameter_still_works_in_a_config_under_its_old_name(tmp_path: Path, name: str) -> None:
    config_path = tmp_path / ".kubeaudit.yaml"
    config_path.write_text(f"rules:\n  params:\n    pss-baseline-host-ports: {{{name}: [8080]}}\n")
    config = load_config(config_path)
    rule = _rule(load_rules(params=config.params), "pss-baseline-host-ports")
    assert rule.params["allowed_host_ports"] == [8080]
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: app\n      image: a:1\n"
        "      ports: [{containerPort: 80, hostPort: 8080}, {containerPort: 81, hostPort: 9090}]\n"
    )
    findings = scan_manifests([str(tmp_path / "pod.yaml")], [rule]).findings
    assert [f.path for f in findings] == [("spec", "containers", 0, "ports", 1, "hostPort")]  # 8080 is allowed
