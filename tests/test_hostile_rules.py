"""Rules and config cannot hang or crash the scanner: `$ref` cycles are refused at load, patterns
run on RE2 (linear time, whatever the pattern), alias bombs in rule files and the config are
refused, and `uniqueItems` is linear in the list's length.

Scans that used to hang run in a subprocess with a timeout, so a regression fails instead of
blocking the suite."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kubeaudit.condition import compile_condition, violations
from kubeaudit.engine.loader import load_rules

TIMEOUT = 60  # seconds; each of these scans takes well under one

RULE = """\
id: {id}
title: Test rule
severity: high
category: workload
view: pod
description: A rule written to test the engine.
message: "{{resource}}: {{reason}}."
remediation: Fix it.
references: [{{title: Pods, url: "https://kubernetes.io/docs/concepts/workloads/pods/"}}]
"""
POD = """\
apiVersion: v1
kind: Pod
metadata: {{name: {name}}}
spec:
  containers:
    - name: c
      image: nginx
      args: {args}
"""


def write_rule(folder: Path, rule_id: str, body: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / f"{rule_id}.yaml"
    path.write_text(RULE.format(id=rule_id) + body)
    return path


def kubeaudit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "kubeaudit", *args], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT, env=env
    )


def one_error_line(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stderr
    assert run.stderr.count("\n") == 1, run.stderr
    return run.stderr


@pytest.mark.parametrize(
    ("defs", "cycle"),
    [
        ("a: {$ref: '#/$defs/a'}", "a -> a"),
        ("a: {allOf: [{$ref: '#/$defs/b'}]}\n    b: {not: {$ref: '#/$defs/a'}}", "a -> b -> a"),
        ("a: {properties: {spec: {$ref: '#/$defs/a'}}}", "a -> a"),
    ],
    ids=["self", "through-two", "descending"],
)
def test_a_ref_cycle_is_refused_when_the_rule_is_loaded(tmp_path: Path, defs: str, cycle: str) -> None:
    write_rule(tmp_path / "rules", "loops", f"condition:\n  $ref: '#/$defs/a'\n  $defs:\n    {defs}\n")
    (tmp_path / "pod.yaml").write_text(POD.format(name="p", args="[x]"))
    err = one_error_line(kubeaudit("scan", "pod.yaml", "--rules", "rules", cwd=tmp_path))
    assert "rules/loops.yaml:" in err and f"$ref cycle: {cycle}; a definition may not refer to itself" in err


def test_a_definition_used_twice_is_not_a_cycle() -> None:
    check = compile_condition(
        {
            "$defs": {"small": {"maximum": 10}},
            "properties": {"a": {"$ref": "#/$defs/small"}, "b": {"$ref": "#/$defs/small"}},
        }
    )
    assert [v.path for v in violations(check, {"a": 3, "b": 30})] == [("b",)]


CATASTROPHIC = "(a+)+$"  # backtracks 2^n steps on "aaaa...!" in a backtracking engine
HOSTILE_NAME = "a" * 60 + "!"


def test_a_catastrophic_pattern_in_a_rule_does_not_hang_the_scan(tmp_path: Path) -> None:
    write_rule(
        tmp_path / "rules",
        "args-pattern",
        f"condition:\n  properties:\n    spec:\n      properties:\n        containers:\n"
        f"          items: {{properties: {{args: {{items: {{not: {{pattern: '{CATASTROPHIC}'}}}}}}}}}}\n",
    )
    (tmp_path / "pod.yaml").write_text(POD.format(name="p", args=f"['{HOSTILE_NAME}', aaa]"))
    run = kubeaudit("scan", "pod.yaml", "--rules", "rules", "--disable", "*", "--enable", "args-pattern", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert "line 8" in run.stdout and "args-pattern" in run.stdout  # `aaa` matches; the hostile one does not


def test_a_catastrophic_pattern_in_a_config_parameter_does_not_hang_the_scan(tmp_path: Path) -> None:
    (tmp_path / ".kubeaudit.yaml").write_text(
        f"rules:\n  params:\n    secret-in-env:\n      pattern: '{CATASTROPHIC}'\n"
    )
    (tmp_path / "pod.yaml").write_text(
        POD.format(name="p", args="[]")
        + f"      env: [{{name: '{HOSTILE_NAME}', value: x}}, {{name: aaaa, value: y}}]\n"
    )
    run = kubeaudit("scan", "pod.yaml", "--disable", "*", "--enable", "secret-in-env", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert run.stdout.count("secret-in-env ") == 1


def test_a_pattern_re2_cannot_run_is_refused_at_load_with_file_and_line(tmp_path: Path) -> None:
    write_rule(tmp_path / "rules", "lookahead", "condition:\n  properties:\n    kind: {pattern: '^(?!Pod)'}\n")
    (tmp_path / "pod.yaml").write_text(POD.format(name="p", args="[x]"))
    err = one_error_line(kubeaudit("scan", "pod.yaml", "--rules", "rules", cwd=tmp_path))
    assert "rules/lookahead.yaml:12: condition: properties.kind.pattern: invalid regular expression" in err
    assert "RE2" in err


def test_every_built_in_pattern_runs_on_re2() -> None:
    rules = load_rules()  # compiling a rule compiles its patterns: this raises if RE2 refused one
    assert any("pattern" in str(rule.raw["condition"]) for rule in rules)


BOMB = """\
  $defs:
    a: &a {const: x}
    b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
    c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
    d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
    e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
    f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
    g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
    h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]
    i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_an_alias_bomb_in_a_rule_file_is_refused_at_load(tmp_path: Path) -> None:
    write_rule(tmp_path / "rules", "bomb", "condition:\n  properties: {kind: {const: Pod}}\n" + BOMB)
    (tmp_path / "pod.yaml").write_text(POD.format(name="p", args="[x]"))
    err = one_error_line(kubeaudit("scan", "pod.yaml", "--rules", "rules", cwd=tmp_path))
    assert "rules/bomb.yaml:" in err and "rule too large: more than 100000 values once its aliases are expanded" in err


def test_an_alias_bomb_in_the_config_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".kubeaudit.yaml").write_text(
        "rules:\n  params:\n    secret-in-env:\n      ignore_pattern: x\n" + BOMB.replace("  $defs:", "x-bomb:")
    )
    (tmp_path / "pod.yaml").write_text(POD.format(name="p", args="[x]"))
    err = one_error_line(kubeaudit("scan", "pod.yaml", cwd=tmp_path))
    assert ".kubeaudit.yaml:1: config too large" in err


def test_unique_items_over_a_huge_list_is_linear(tmp_path: Path) -> None:
    write_rule(
        tmp_path / "rules",
        "unique-args",
        "condition:\n  properties:\n    spec:\n      properties:\n"
        "        containers: {items: {properties: {args: {uniqueItems: true}}}}\n",
    )
    many = "[" + ", ".join(f"a{i}" for i in range(30_000)) + "]"
    (tmp_path / "distinct.yaml").write_text(POD.format(name="distinct", args=many))
    (tmp_path / "repeated.yaml").write_text(POD.format(name="repeated", args=many[:-1] + ", a17]"))
    run = kubeaudit("scan", ".", "--rules", "rules", "--disable", "*", "--enable", "unique-args", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert "Pod/repeated" in run.stdout and "Pod/distinct" not in run.stdout


@pytest.mark.parametrize(
    ("items", "unique"),
    [
        ([1, True], True),  # true is not 1 in JSON
        ([1, 1.0], False),  # but 1 is 1.0
        ([{"a": [1, 2]}, {"a": [1, 2]}], False),
        ([{"a": [1, 2]}, {"a": [2, 1]}], True),
        ([None, 0, "", [], {}], True),
    ],
)
def test_unique_items_compares_as_json_does(items: list[object], unique: bool) -> None:
    assert (violations(compile_condition({"uniqueItems": True}), items) == []) is unique
