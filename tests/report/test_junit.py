"""JUnit XML: one suite per rule that ran, a failing testcase per resource with findings,
passes for rules without findings, suppressed findings skipped, unreadable inputs as errors."""

from __future__ import annotations

import dataclasses
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from conftest import BAD_INPUT, REPO, RunCli

from kubeaudit.engine.loader import load_rules
from kubeaudit.model import CoverageGap, ScanError, ScanResult, Suppression, format_path
from kubeaudit.report import junit
from kubeaudit.scan import scan_manifests

CLEAN_AND_DIRTY = """\
apiVersion: v1
kind: Pod
metadata:
  name: good
  namespace: shop
spec:
  containers:
    - name: app
      image: nginx:1.27
---
apiVersion: v1
kind: Pod
metadata:
  name: bad
  namespace: shop
spec:
  containers:
    - name: app
      image: nginx:1.27
      securityContext:
        privileged: true
    - name: sidecar
      image: envoy:1.30
      securityContext:
        privileged: true
"""


def _parse(text: str) -> ET.Element:
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(text.encode("utf-8"))
    assert root.tag == "testsuites"
    return root


def _outcome(case: ET.Element) -> str:
    children = [child.tag for child in case if child.tag != "properties"]
    assert len(children) <= 1, children
    return children[0] if children else "passed"


def _check_counts(root: ET.Element) -> None:
    """Every count attribute agrees with the testcases below it."""
    totals = dict.fromkeys(("tests", "failures", "errors", "skipped"), 0)
    for suite in root.findall("testsuite"):
        outcomes = [_outcome(case) for case in suite.findall("testcase")]
        counts = {
            "tests": len(outcomes),
            "failures": outcomes.count("failure"),
            "errors": outcomes.count("error"),
            "skipped": outcomes.count("skipped"),
        }
        assert {key: int(suite.get(key, "-1")) for key in counts} == counts, suite.get("name")
        for key, value in counts.items():
            totals[key] += value
    assert {key: int(root.get(key, "-1")) for key in totals} == totals


def test_junit_of_the_fixtures_has_a_suite_per_rule_and_a_failure_per_resource(run_cli: RunCli) -> None:
    # --fail-on info: every finding fails the gate, so every resource with one is a failure.
    result = run_cli("scan", "fixtures/", "--format", "junit", "--fail-on", "info", cwd=REPO)
    assert result.code == 1, result.err
    root = _parse(result.out)
    _check_counts(root)
    report = json.loads(run_cli("scan", "fixtures/", "--format", "json", cwd=REPO).out)

    suites = {suite.get("name"): suite for suite in root.findall("testsuite")}
    assert next(iter(suites)) == "kubeaudit.inputs"
    assert len(suites) == report["summary"]["rules"] + 1
    inputs = suites.pop("kubeaudit.inputs")
    assert [_outcome(case) for case in inputs] == ["passed"]
    assert list(suites) == sorted(suites)

    expected: dict[str, set[tuple[Any, ...]]] = {}
    for finding in report["findings"]:
        resource = finding["resource"]
        key = (finding["location"]["source"], finding["location"]["document"], resource["kind"], resource["name"])
        expected.setdefault(finding["ruleId"], set()).add(key)
    assert set(expected) <= set(suites)
    for rule_id, suite in suites.items():
        cases = suite.findall("testcase")
        if rule_id not in expected:  # a rule without findings passes once
            assert [(case.get("name"), _outcome(case)) for case in cases] == [("no findings", "passed")]
            continue
        assert int(suite.get("failures", "0")) == len(expected[rule_id]) == len(cases)
        for case in cases:
            assert case.get("classname") == rule_id
            assert _outcome(case) == "failure"
            assert case.get("file") and (REPO / case.get("file", "")).is_file()


def test_failures_carry_message_severity_location_path_and_fix(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "pods.yaml").write_text(CLEAN_AND_DIRTY)
    result = run_cli(
        "scan", "pods.yaml", "-f", "junit", "--disable", "*", "--enable", "pss-baseline-privileged", cwd=tmp_path
    )
    assert result.code == 1, result.err
    root = _parse(result.out)
    _check_counts(root)
    (suite,) = [s for s in root.findall("testsuite") if s.get("name") == "pss-baseline-privileged"]
    (case,) = suite.findall("testcase")  # one testcase for the resource, not one per container
    assert case.get("name") == "Pod/shop/bad (pods.yaml)"
    assert case.get("file") == "pods.yaml" and case.get("line") == "21"
    failure = case.find("failure")
    assert failure is not None
    assert failure.get("type") == "critical"
    assert failure.get("message", "").startswith("Container app runs privileged") and "(and 1 more)" in failure.get(
        "message", ""
    )
    body = failure.text or ""
    path = format_path(("spec", "containers", 1, "securityContext", "privileged"))
    assert "pods.yaml:21  spec.containers[0].securityContext.privileged" in body
    assert f"pods.yaml:25  {path}" in body
    assert body.count("fix: Remove securityContext.privileged or set it to false.") == 2


def test_a_rule_without_findings_is_one_passing_testcase(tmp_path: Path) -> None:
    (tmp_path / "pods.yaml").write_text(CLEAN_AND_DIRTY.split("---\n")[0])
    rules = [r for r in load_rules() if r.id in ("pss-baseline-privileged", "pss-baseline-host-namespaces")]
    result = scan_manifests([str(tmp_path / "pods.yaml")], rules)
    assert not result.findings
    root = _render(result)
    names = [suite.get("name") for suite in root.findall("testsuite")]
    assert names == ["kubeaudit.inputs", "pss-baseline-host-namespaces", "pss-baseline-privileged"]
    for suite in root.findall("testsuite"):
        assert [(_outcome(case)) for case in suite.findall("testcase")] == ["passed"]
    assert root.get("tests") == "3" and root.get("failures") == "0"


def test_unreadable_inputs_are_error_testcases(run_cli: RunCli) -> None:
    result = run_cli("scan", str(BAD_INPUT), "--format", "junit", cwd=REPO)
    assert result.code == 2
    root = _parse(result.out)
    _check_counts(root)
    errors = json.loads(run_cli("scan", str(BAD_INPUT), "--format", "json", cwd=REPO).out)["errors"]
    (inputs,) = [s for s in root.findall("testsuite") if s.get("name") == "kubeaudit.inputs"]
    cases = inputs.findall("testcase")
    assert int(inputs.get("errors", "0")) == len(cases) == len(errors) >= 10
    for case, error in zip(cases, errors, strict=True):
        element = case.find("error")
        assert element is not None and element.get("message") == error["message"]
        assert case.get("file") == error["source"]
        assert case.get("line") == (str(error["line"]) if error["line"] else None)


def _render(result: ScanResult) -> ET.Element:
    stream = io.StringIO()
    junit.render(result, stream)
    root = _parse(stream.getvalue())
    _check_counts(root)
    return root


def test_suppressed_findings_are_skipped_and_unevaluated_rules_too(tmp_path: Path) -> None:
    (tmp_path / "pods.yaml").write_text(CLEAN_AND_DIRTY)
    rules = [r for r in load_rules() if r.id in ("pss-baseline-privileged", "pss-baseline-host-namespaces")]
    result = scan_manifests([str(tmp_path / "pods.yaml")], rules)
    assert len(result.findings) == 2
    waived = Suppression(kind="inSource", source="annotation", justification="debug pod")
    findings = [dataclasses.replace(f, suppression=waived) for f in result.findings]
    result = dataclasses.replace(
        result, findings=findings, not_evaluated={"pss-baseline-host-namespaces": "needs the server version"}
    )
    root = _render(result)
    (privileged,) = [s for s in root.findall("testsuite") if s.get("name") == "pss-baseline-privileged"]
    (case,) = privileged.findall("testcase")
    skipped = case.find("skipped")
    assert skipped is not None and skipped.get("message") == "suppressed: debug pod"
    assert privileged.get("skipped") == "1" and privileged.get("failures") == "0"
    (namespaces,) = [s for s in root.findall("testsuite") if s.get("name") == "pss-baseline-host-namespaces"]
    (case,) = namespaces.findall("testcase")
    skipped = case.find("skipped")
    assert skipped is not None and "needs the server version" in skipped.get("message", "")

    # One suppressed finding and one active one on the same resource: the testcase fails.
    mixed = dataclasses.replace(result, findings=[findings[0], dataclasses.replace(findings[1], suppression=None)])
    (privileged,) = [s for s in _render(mixed).findall("testsuite") if s.get("name") == "pss-baseline-privileged"]
    (case,) = privileged.findall("testcase")
    failure = case.find("failure")
    assert failure is not None and "suppressed (annotation): debug pod" in (failure.text or "")


def test_gaps_and_unprintable_characters_still_give_well_formed_xml(tmp_path: Path) -> None:
    (tmp_path / "pods.yaml").write_text(CLEAN_AND_DIRTY)
    rules = [r for r in load_rules() if r.id == "pss-baseline-privileged"]
    result = scan_manifests([str(tmp_path / "pods.yaml")], rules)
    result = dataclasses.replace(
        result,
        errors=[ScanError("bin\x01.yaml", "not a text file \x00\x1b[31m")],
        gaps=[CoverageGap("secrets", "forbidden (403)", "prod")],
    )
    root = _render(result)
    (inputs,) = [s for s in root.findall("testsuite") if s.get("name") == "kubeaudit.inputs"]
    outcomes = [(_outcome(case), case.get("name")) for case in inputs.findall("testcase")]
    assert outcomes == [
        # shown as escapes, as the console shows them (U+FFFD replacements before 2026-12-02)
        ("error", "bin\\x01.yaml: not a text file \\x00\\x1b[31m"),
        ("error", "not scanned: [prod] secrets: forbidden (403)"),
    ]


def test_same_input_gives_identical_xml(run_cli: RunCli) -> None:
    first = run_cli("scan", "fixtures/demo", "--format", "junit", cwd=REPO).out
    second = run_cli("scan", "fixtures/demo", "--format", "junit", cwd=REPO).out
    assert first == second
