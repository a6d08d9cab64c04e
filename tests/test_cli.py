"""The command line as users and CI drive it: exit codes, options, sub-commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO, RunCli

from kubeaudit import __version__

PRIVILEGED_POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
spec:
  automountServiceAccountToken: false
  securityContext:
    runAsNonRoot: true
    seccompProfile: {type: RuntimeDefault}
  containers:
    - name: app
      image: nginx:1.27
      securityContext:
        privileged: true
"""


@pytest.fixture
def manifests(tmp_path: Path) -> Path:
    (tmp_path / "pod.yaml").write_text(PRIVILEGED_POD)
    return tmp_path


def test_findings_exit_1_and_clean_scans_exit_0(run_cli: RunCli, manifests: Path) -> None:
    assert run_cli("scan", str(manifests)).code == 1
    clean = run_cli("scan", str(manifests), "--disable", "*")
    assert clean.code == 0
    assert "0 findings" in clean.out


def test_fail_on_threshold(run_cli: RunCli, manifests: Path) -> None:
    only_privileged = ["--disable", "*", "--enable", "pss-baseline-privileged"]  # a critical finding
    assert run_cli("scan", str(manifests), *only_privileged, "--fail-on", "critical").code == 1
    only_low = ["--disable", "*", "--enable", "container-resource-requests"]
    low = run_cli("scan", str(manifests), *only_low, "--fail-on", "high")
    assert low.code == 0 and "container-resource-requests" in low.out
    assert run_cli("scan", str(manifests), *only_low, "--fail-on", "low").code == 1
    assert run_cli("scan", str(manifests), "--fail-on", "none").code == 0


def test_incomplete_scan_exits_2_even_with_fail_on_none(run_cli: RunCli, manifests: Path) -> None:
    (manifests / "broken.yaml").write_text("kind: Pod\napiVersion: v1\nmetadata: {name: [\n")
    result = run_cli("scan", str(manifests), "--fail-on", "none")
    assert result.code == 2
    assert "broken.yaml:" in result.out


def test_usage_errors_exit_2(run_cli: RunCli, manifests: Path) -> None:
    assert run_cli("scan").code == 2
    assert run_cli("scan", str(manifests), "--fail-on", "severe").code == 2
    unknown = run_cli("scan", str(manifests), "--enable", "no-such-rule")
    assert unknown.code == 2 and "no rule matches 'no-such-rule'" in unknown.err
    assert run_cli("scan", str(manifests), "--rules", str(manifests / "missing")).code == 2
    assert run_cli("rules", "explain", "no-such-rule").code == 2


def test_profile_selects_pod_security_levels(run_cli: RunCli) -> None:
    baseline = json.loads(run_cli("rules", "list", "--format", "json").out)
    ids = {r["id"]: r for r in baseline}
    assert all(r["profile"] in ("baseline", "restricted", None) for r in baseline)

    def run_ids(*args: str) -> set[tuple[str, int]]:
        report = json.loads(
            run_cli("scan", str(REPO / "fixtures" / "rules"), "-f", "json", "--fail-on", "none", *args).out
        )
        return {(f["ruleId"], int((f["policyVersion"] or "v1.37")[3:])) for f in report["findings"]}

    base = {rule_id for rule_id, _ in run_ids("--profile", "baseline")}
    found = run_ids("--profile", "restricted")
    restricted = {rule_id for rule_id, _ in found}
    assert base and all(ids[i]["profile"] == "baseline" for i in base)
    assert base < restricted  # a stricter profile never reports less
    assert ("pss-baseline-seccomp", 18) in found  # before v1.19 Restricted runs the Baseline check
    assert all(ids[i]["profile"] in ("baseline", "restricted") for i in restricted)


def test_several_formats_in_one_run(run_cli: RunCli, manifests: Path, tmp_path: Path) -> None:
    out_json = tmp_path / "report.json"
    result = run_cli("scan", str(manifests), "-f", "console", "-f", "json", "-o", "-", "-o", str(out_json))
    assert result.code == 1
    assert "pss-baseline-privileged" in result.out
    assert json.loads(out_json.read_text())["summary"]["findings"]["critical"] == 1
    clash = run_cli("scan", str(manifests), "-f", "console", "-f", "json")
    assert clash.code == 2 and "only one report can go to standard output" in clash.err


def test_stdin_scan(run_cli: RunCli) -> None:
    result = run_cli("scan", "-", "-f", "json", stdin=PRIVILEGED_POD)
    report = json.loads(result.out)
    assert {
        (f["location"]["source"], f["location"]["line"])
        for f in report["findings"]
        if f["ruleId"] == "pss-baseline-privileged"
    } == {("<stdin>", 15)}


def test_version_and_module_entry_point() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "kubeaudit", "--version"], capture_output=True, text=True, cwd=REPO
    )
    assert proc.returncode == 0 and proc.stdout.strip() == f"kubeaudit {__version__}"


def test_rules_list_and_explain(run_cli: RunCli) -> None:
    listing = run_cli("rules", "list")
    assert listing.code == 0 and "pss-restricted-seccomp" in listing.out
    explain = run_cli("rules", "explain", "pss-baseline-host-namespaces")
    assert explain.code == 0
    assert "How to fix:" in explain.out and "Pod Security Standards" in explain.out


def test_rules_test_runs_users_fixtures(run_cli: RunCli, tmp_path: Path) -> None:
    rules = tmp_path / "policies" / "images"
    rules.mkdir(parents=True)
    (rules / "no-latest-tag.yaml").write_text(
        "id: no-latest-tag\ntitle: No latest tag\nseverity: low\ncategory: images\nview: container\n"
        "condition:\n  properties:\n    container:\n      properties:\n        image: {not: {pattern: ':latest$'}}\n"
        "message: Image uses the latest tag.\nremediation: Pin the image.\n"
        "references:\n  - {title: Images, url: 'https://kubernetes.io/docs/concepts/containers/images/'}\n"
    )
    fixtures = tmp_path / "fx" / "no-latest-tag"
    fixtures.mkdir(parents=True)
    (fixtures / "fail.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n"
        "    # ruleid: no-latest-tag\n    image: nginx:latest\n"
    )
    (fixtures / "pass.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - {name: a, image: 'nginx:1'}\n"
    )
    ok = run_cli("rules", "test", str(tmp_path / "policies"), "--fixtures", str(tmp_path / "fx"))
    assert ok.code == 0, ok.out
    assert ok.out.splitlines()[-1] == "1 rule, 2 fixtures: 2 passed, 0 failed"
    (fixtures / "fail.yaml").write_text(
        (fixtures / "fail.yaml").read_text().replace("nginx:latest", "nginx:1.2")
    )
    bad = run_cli("rules", "test", str(tmp_path / "policies"), "--fixtures", str(tmp_path / "fx"))
    assert bad.code == 1 and "expected a finding at line 8, got none" in bad.out


@pytest.mark.parametrize(
    ("folder", "fixtures"),
    [("fixtures", "fixtures/rules"), ("fixtures/rules/pss-baseline-privileged", "fixtures/rules")],
)
def test_rules_test_given_a_fixtures_folder_says_so_and_what_to_type(
    run_cli: RunCli, folder: str, fixtures: str
) -> None:
    """`kubeaudit rules test fixtures` names manifests as rules: say that, not "a rule file holds
    exactly one rule"."""
    result = run_cli("rules", "test", folder, cwd=REPO)
    assert result.code == 2 and len(result.err.strip().splitlines()) == 1
    assert result.err.startswith(f"kubeaudit: error: {folder}: holds manifests (")
    assert "not rules; RULES_DIR names folders of rule files" in result.err
    assert result.err.rstrip().endswith(f"kubeaudit rules test --fixtures {fixtures}")
    assert "exactly one rule" not in result.err


def test_restricted_and_baseline_controls_report_one_problem_once(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """One problem gives one finding: the one that says more (the baseline rule's, naming the
    profile type at a higher severity), never a weaker one under the stricter profile."""
    (tmp_path / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  securityContext:\n"
        "    seccompProfile: {type: Unconfined}\n  containers:\n  - name: a\n    image: x\n"
    )

    def rules_at_line_6(*args: str) -> set[str]:
        report = json.loads(run_cli("scan", str(tmp_path), "-f", "json", *args).out)
        return {f["ruleId"] for f in report["findings"] if f["location"]["line"] == 6}

    assert rules_at_line_6("--profile", "baseline") == {"pss-baseline-seccomp"}
    assert rules_at_line_6("--profile", "restricted") == {"pss-baseline-seccomp"}
