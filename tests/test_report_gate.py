"""Reports agree with the exit code: JUnit follows --fail-on, outputs are paired without
ambiguity, --severity narrows every format (and the gate) alike, SARIF beyond GitHub's
limits is warned about, and the console says how much of the input no rule examined."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import FIXTURES, RunCli

from kubeaudit.report.sarif_limits import MAX_GZIPPED_BYTES, MAX_RESULTS_PER_RUN, MAX_RUNS, limit_warnings

DEMO = str(FIXTURES / "demo")


def test_junit_counts_only_findings_at_or_above_fail_on_as_failures(run_cli: RunCli) -> None:
    run = run_cli("scan", DEMO, "--no-config", "-f", "junit", "--fail-on", "critical")
    root = ET.fromstring(run.out)
    failures = root.findall(".//testcase/failure")
    assert run.code == 1 and len(failures) == int(root.get("failures", "0"))
    assert all(f.get("type") == "critical" for f in failures) and failures
    below = [c for c in root.iter("testcase") if c.find("skipped") is not None and c.find("properties") is not None]
    assert any(
        p.get("name") == "below-fail-on" and p.get("value") == "critical" for c in below for p in c.iter("property")
    )
    clean = ET.fromstring(run_cli("scan", DEMO, "--no-config", "-f", "junit", "--fail-on", "none").out)
    assert clean.get("failures") == "0"


def test_an_ambiguous_output_pairing_is_refused(run_cli: RunCli, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    run = run_cli("scan", DEMO, "--no-config", "-f", "console", "-f", "json", "-o", str(report))
    assert run.code == 2 and not report.exists()
    assert len(run.err.strip().splitlines()) == 1 and "json=" in run.err


def test_outputs_paired_by_format(run_cli: RunCli, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    run = run_cli("scan", DEMO, "--no-config", "-f", "console", "-f", "json", "-o", f"json={report}")
    assert run.code == 1
    assert json.loads(report.read_text())["summary"]["findings"]["total"] > 0
    assert "Findings by rule" in run.out
    sarif = tmp_path / "r.sarif"
    alone = run_cli("scan", DEMO, "--no-config", "-o", f"sarif={sarif}")  # the pairing names the format
    assert alone.code == 1 and json.loads(sarif.read_text())["version"] == "2.1.0"


def test_positional_output_whose_name_means_another_format_is_refused(run_cli: RunCli, tmp_path: Path) -> None:
    run = run_cli("scan", DEMO, "--no-config", "-f", "console", "-f", "json", "-o", str(tmp_path / "r.json"), "-o", "-")
    assert run.code == 2 and "console" in run.err


@pytest.mark.parametrize("fmt", ["console", "json", "sarif", "junit"])
def test_severity_reports_only_findings_at_or_above_in_every_format(run_cli: RunCli, fmt: str) -> None:
    run = run_cli("scan", DEMO, "--no-config", "-f", fmt, "--severity", "critical")
    assert run.code == 1
    for word in ("pss-restricted-seccomp", "readonly-root-filesystem"):  # medium and low findings of the demo
        if fmt == "junit":  # every rule that ran has its suite: these pass
            cases = [c for c in ET.fromstring(run.out).iter("testcase") if c.get("classname") == word]
            assert [c.get("name") for c in cases] == ["no findings"], word
        elif fmt == "json":  # the rule ran (ruleIds), but has no finding
            report = json.loads(run.out)
            assert word in report["ruleIds"] and word not in {f["ruleId"] for f in report["findings"]}, word
        else:
            assert word not in run.out, word
    assert "pss-baseline-privileged" in run.out


def test_severity_narrows_the_gate_too(run_cli: RunCli) -> None:
    run = run_cli("scan", DEMO, "--no-config", "-f", "json", "--severity", "critical", "--fail-on", "low")
    report = json.loads(run.out)
    assert {f["severity"] for f in report["findings"]} == {"critical"} and run.code == 1
    assert any("below --severity critical" in n["message"] for n in report["notices"])


def test_sarif_limit_warnings() -> None:
    assert limit_warnings(1, [MAX_RESULTS_PER_RUN], MAX_GZIPPED_BYTES) == []
    (many,) = limit_warnings(1, [MAX_RESULTS_PER_RUN + 1], 100)
    assert "25,001 results" in many and "25,000" in many and "--severity" in many
    (big,) = limit_warnings(1, [10], MAX_GZIPPED_BYTES + 1)
    assert "10 MB" in big
    (runs,) = limit_warnings(MAX_RUNS + 1, [1] * (MAX_RUNS + 1), 100)
    assert "20 runs" in runs


def test_sarif_over_the_results_limit_warns_on_stderr(run_cli: RunCli, tmp_path: Path) -> None:
    pod = (
        "apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: default}}\n"
        "spec:\n  containers: [{{name: a, image: x}}]\n"
    )
    (tmp_path / "pods.yaml").write_text("---\n".join(pod.format(i=i) for i in range(2400)))
    run = run_cli("scan", str(tmp_path), "--no-config", "-f", "sarif", "-o", str(tmp_path / "r.sarif"))
    results = len(json.loads((tmp_path / "r.sarif").read_text())["runs"][0]["results"])
    assert results > MAX_RESULTS_PER_RUN
    assert f"{results:,} results" in run.err and "warning" in run.err
    quiet = run_cli(
        "scan", str(tmp_path), "--no-config", "-f", "sarif", "-o", str(tmp_path / "r.sarif"), "--severity", "medium"
    )
    assert "results" not in quiet.err


def test_console_says_how_many_resources_no_rule_examined(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "other.yaml").write_text(
        "apiVersion: v1\nkind: Endpoints\nmetadata: {name: web, namespace: shop}\n---\n"
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: data, namespace: shop}\n"
        "spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}\n"
    )
    run = run_cli("scan", str(tmp_path), "--no-config")
    assert run.code == 0
    assert "2 of 2 resources were examined by no rule (Endpoints, PersistentVolumeClaim)" in run.out
