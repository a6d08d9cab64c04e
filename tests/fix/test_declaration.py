"""A rule's `fix:` block: validated by rules/schema.json, resolved per finding by its anchor."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeaudit.engine.fixes import Edit, edits_for, parse_fix
from kubeaudit.engine.loader import RuleError, load_rules

RULE = """\
id: no-privileged
title: Privileged container
severity: high
category: pod-security
view: {view}
condition:
  properties:
    container:
      properties:
        securityContext:
          properties:
            privileged: {{not: {{const: true}}}}
message: Container {{container}} is privileged.
remediation: Remove privileged.
fix:
{fix}
references:
  - title: Kubernetes docs, Security context
    url: https://kubernetes.io/docs/tasks/configure-pod-container/security-context/
"""


def _load(tmp_path: Path, fix: str, view: str = "container") -> list:  # type: ignore[type-arg]
    (tmp_path / "no-privileged.yaml").write_text(RULE.format(fix=fix, view=view))
    return [r for r in load_rules([tmp_path]) if r.id == "no-privileged"]


def test_a_declared_fix_loads_as_typed_changes(tmp_path: Path) -> None:
    (rule,) = _load(tmp_path, "  - at: container\n    set: securityContext.privileged\n    value: false")
    (change,) = rule.fix
    assert (change.operation, change.path, change.at, change.value) == (
        "set", ("securityContext", "privileged"), "container", False
    )  # fmt: skip
    assert rule.meta.fix == rule.fix  # reporters see it through the finding's rule


@pytest.mark.parametrize(
    ("fix", "expected"),
    [
        ("  - set: securityContext.privileged", r":16: fix\[0\]"),  # set without a value
        ("  - remove: securityContext.privileged\n    value: false", r"fix\[0\]"),
        ("  - set: a.b\n    add: a.c\n    value: 1", r"fix\[0\]"),  # two operations in one change
        ("  - at: node\n    remove: x", r"fix\[0\]\.at"),
        ("  - remove: spec/containers", r"fix\[0\]\.remove"),
        ("  - placeholder: runAsUser\n    value: 10001", r"fix\[0\]"),  # a placeholder says what to decide
        ("  - when: ['a..b']\n    remove: x", r"fix\[0\]\.when\[0\]"),
    ],
)
def test_a_broken_fix_is_rejected_with_line_and_field(tmp_path: Path, fix: str, expected: str) -> None:
    with pytest.raises(RuleError, match=expected):
        _load(tmp_path, fix)


def test_a_container_anchor_needs_a_rule_about_pods(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match=r":16: fix\[0\]\.at: 'container' needs a rule of the pod or container view"):
        _load(tmp_path, "  - at: container\n    remove: x", view="object")


CHANGES = parse_fix(
    [
        {"at": "container", "set": "securityContext.allowPrivilegeEscalation", "value": False},
        {"when": ["capabilities.add[*]"], "remove": ""},
        {"when": ["metadata.annotations.*"], "at": "parent", "remove": "x"},
    ]
)


def test_an_anchor_finds_the_container_in_every_workload_kind() -> None:
    pod = edits_for(CHANGES[:1], "Pod", ("spec", "initContainers", 1, "securityContext"))
    cron = edits_for(CHANGES[:1], "CronJob", ("spec", "jobTemplate", "spec", "template", "spec", "containers", 0))
    assert pod == [Edit("set", ("spec", "initContainers", 1, "securityContext", "allowPrivilegeEscalation"), False)]
    assert cron[0].path[:7] == ("spec", "jobTemplate", "spec", "template", "spec", "containers", 0)
    # A pod-level field has no container: the change does not apply, rather than guess one.
    assert edits_for(CHANGES[:1], "Pod", ("spec", "securityContext", "runAsNonRoot")) == []


def test_when_matches_the_end_of_the_finding_path_at_a_segment_boundary() -> None:
    added = ("spec", "containers", 0, "securityContext", "capabilities", "add", 2)
    assert edits_for(CHANGES[1:2], "Pod", added) == [Edit("remove", added)]
    assert edits_for(CHANGES[1:2], "Pod", ("spec", "containers", 0, "securityContext", "capabilities")) == []
    assert edits_for(CHANGES[1:2], "Pod", ("x", "mycapabilities", "add", 0)) == []
    annotation = ("metadata", "annotations", "seccomp.security.alpha.kubernetes.io/pod")
    assert edits_for(CHANGES[2:], "Pod", annotation) == [Edit("remove", ("metadata", "annotations", "x"))]
    # A List's item: edits are paths in the whole document.
    assert edits_for(CHANGES[1:2], "Pod", added, base=("items", 3))[0].path[:2] == ("items", 3)
