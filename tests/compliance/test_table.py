"""`kubeaudit scan --compliance FRAMEWORK`: the per-control table in JSON and on the console.

The expected table is computed, not written out: from the `# ruleid:` markers of the fixture
(findings per rule), the `frameworks:` keys of the rule files and the shipped control lists,
read here as plain YAML. What the fixture holds is stated once: workloads and a ClusterRole, no
control-plane static pod.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import REPO, RunCli

from kubeaudit.compliance.frameworks import FRAMEWORK_IDS
from kubeaudit.testing import expected_lines
from tests.cluster.conftest import serve
from tests.report.htmltree import parse

SHOP = Path(__file__).parent / "data" / "shop"
ENABLED = (
    "pss-baseline-privileged",
    "pss-baseline-host-namespaces",
    "pss-baseline-host-ports",
    "pss-baseline-capabilities",
    "pss-restricted-capabilities",
    "pss-baseline-seccomp",
    "pss-restricted-seccomp",
    "rbac-wildcard",
    "controlplane-profiling",
    "image-registry-not-allowed",
)
NOTHING_IN_INPUT = {"controlplane-profiling"}  # the fixture has no control-plane pod
PARAMETER_UNSET = {"image-registry-not-allowed": "allowed_registries"}  # an allow-list nobody filled in
SELECTION = ("--no-config", "--disable", "*", *(arg for rule in ENABLED for arg in ("--enable", rule)))

Reason = Callable[[str], "str | None"]


def _rule_frameworks() -> dict[str, dict[str, list[str]]]:
    found = {}
    for path in sorted((REPO / "rules").glob("*/*.yaml")):
        if path.parent.name in ("data", "params"):
            continue
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        found[data["id"]] = data.get("frameworks") or {}
    return found


def _marked_findings() -> Counter[str]:
    counts: Counter[str] = Counter()
    for path in SHOP.glob("*.yaml"):
        text = path.read_text(encoding="utf-8")
        for rule_id in ENABLED:
            counts[rule_id] += len(expected_lines(text, rule_id))
    return counts


def files_reason(rule_id: str) -> str | None:
    """Why a rule cannot vouch for its controls in the files scan (None: it can)."""
    if rule_id not in ENABLED:
        return f"{rule_id}: rule disabled"
    if rule_id in PARAMETER_UNSET:
        return f"{rule_id}: parameter {PARAMETER_UNSET[rule_id]} not set"
    if rule_id in NOTHING_IN_INPUT:
        return f"{rule_id}: nothing it checks was in the input"
    return None


def expected_controls(framework_id: str, reason: Reason, findings: Counter[str]) -> list[dict[str, Any]]:
    data = yaml.safe_load((REPO / "rules" / "data" / f"framework-{framework_id}.yaml").read_text(encoding="utf-8"))
    mapping = _rule_frameworks()
    rows = []
    for control in data["controls"]:
        rules = sorted(r for r, fw in mapping.items() if control["id"] in fw.get(framework_id, []))
        found = sum(findings[r] for r in rules)
        why = [text for r in rules if not findings[r] and (text := reason(r)) is not None]
        if not rules:
            manual = control.get("assessment") == "manual"
            status = "manual" if manual else "not-evaluated"
            node = "only visible on the nodes (files, processes), not from the API or manifests"
            why = [] if manual else [node if control.get("scope") == "node" else "no kubeaudit rule checks it"]
        else:
            status = "fail" if found else "not-evaluated" if why else "pass"
        rows.append(
            {
                "id": control["id"],
                "title": control["title"],
                "status": status,
                "rules": rules,
                "findings": found,
                "suppressed": 0,
                "reasons": [] if found else why,
            }
        )
    return rows


def _summary(rows: list[dict[str, Any]]) -> tuple[dict[str, int], float | None]:
    counts = Counter(row["status"] for row in rows)
    scored = len(rows) - counts["manual"]
    summary = {
        "pass": counts["pass"],
        "fail": counts["fail"],
        "notEvaluated": counts["not-evaluated"],
        "manual": counts["manual"],
        "scored": scored,
    }
    return summary, (round(100 * counts["pass"] / scored, 1) if scored else None)


def _table(run: Any) -> dict[str, Any]:
    tables = json.loads(run.out)["compliance"]
    assert len(tables) == 1
    return tables[0]


@pytest.mark.parametrize("framework_id", FRAMEWORK_IDS)
def test_the_table_of_a_files_scan_has_every_control_with_its_status(run_cli: RunCli, framework_id: str) -> None:
    run = run_cli("scan", str(SHOP), *SELECTION, "--compliance", framework_id, "-f", "json")
    table = _table(run)
    expected = expected_controls(framework_id, files_reason, _marked_findings())
    assert table["controls"] == expected
    assert (table["summary"], table["score"]) == _summary(expected)
    assert table["framework"] == framework_id


def test_a_problem_two_rules_found_fails_both_controls_though_reported_once(run_cli: RunCli) -> None:
    """The Unconfined seccomp profile is one finding (the restricted rule's merged into the
    baseline one's), yet it breaks both the Baseline and the Restricted seccomp control."""
    run = run_cli("scan", str(SHOP), *SELECTION, "--compliance", "pss", "-f", "json")
    rows = {row["id"]: row for row in _table(run)["controls"]}
    reported = Counter(f["ruleId"] for f in json.loads(run.out)["findings"])
    assert reported["pss-restricted-seccomp"] == 1 < _marked_findings()["pss-restricted-seccomp"]
    assert rows["restricted/seccomp"]["status"] == rows["baseline/seccomp"]["status"] == "fail"
    assert rows["restricted/seccomp"]["findings"] == 2


def test_compliance_leaves_the_exit_code_and_the_findings_as_they_were(run_cli: RunCli) -> None:
    plain = run_cli("scan", str(SHOP), *SELECTION, "-f", "json")
    both = run_cli("scan", str(SHOP), *SELECTION, "--compliance", "cis-kubernetes", "--compliance", "pss", "-f", "json")
    assert plain.code == both.code == 1
    assert json.loads(plain.out)["findings"] == json.loads(both.out)["findings"]
    assert "compliance" not in json.loads(plain.out)
    assert [t["framework"] for t in json.loads(both.out)["compliance"]] == ["cis-kubernetes", "pss"]
    schema = json.loads((REPO / "kubeaudit" / "report" / "json-report.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(schema).validate(json.loads(both.out))  # the documented shape
    none = run_cli("scan", str(SHOP), *SELECTION, "--fail-on", "none", "--compliance", "pss")
    assert none.code == 0


def test_below_severity_rules_cannot_vouch_for_their_controls(run_cli: RunCli) -> None:
    """--severity critical drops the other findings: their controls are not evaluated, never passed."""
    files = {r: next((REPO / "rules").glob(f"*/{r}.yaml")) for r in ENABLED}
    rules = {r: yaml.safe_load(path.read_text(encoding="utf-8"))["severity"] for r, path in files.items()}
    low = {r for r, severity in rules.items() if severity != "critical"}

    def reason(rule_id: str) -> str | None:
        if rule_id in low and rule_id not in PARAMETER_UNSET:  # said before "nothing in the input"
            return f"{rule_id}: below --severity critical, not reported"
        return files_reason(rule_id)

    findings = Counter({r: n for r, n in _marked_findings().items() if r not in low})
    run = run_cli(
        "scan", str(SHOP), *SELECTION, "--severity", "critical", "--compliance", "cis-kubernetes", "-f", "json"
    )
    assert _table(run)["controls"] == expected_controls("cis-kubernetes", reason, findings)
    assert "rbac-wildcard" in low  # the case is exercised: 5.1.3 is not evaluated


def test_the_console_shows_each_control_and_the_score(run_cli: RunCli) -> None:
    run = run_cli("scan", str(SHOP), *SELECTION, "--compliance", "cis-kubernetes")
    expected = expected_controls("cis-kubernetes", files_reason, _marked_findings())
    lines = run.out.splitlines()
    start = lines.index("Compliance: CIS Kubernetes Benchmark v1.12.0 (cis-kubernetes):")
    width = max(len(row["id"]) for row in expected)
    shown = [line for line in lines[start + 1 :] if line.startswith("  ") and not line.startswith("   ")]
    labels = {"pass": "PASS", "not-evaluated": "NOT EVALUATED", "manual": "MANUAL"}
    for row, line in zip(expected, shown, strict=False):
        label = f"FAIL {row['findings']}" if row["status"] == "fail" else labels[row["status"]]
        assert line.startswith(f"  {row['id']:<{width}}  {label:<14}{row['title']}"), line
    assert len(shown) == len(expected)
    summary, score = _summary(expected)
    assert f"Score {score:g}%: {summary['pass']} of {summary['scored']} controls pass" in run.out
    assert "why: controlplane-profiling: nothing it checks was in the input" in run.out


def test_a_forbidden_kind_in_a_cluster_leaves_its_controls_not_evaluated(run_cli: RunCli) -> None:
    """A 403 on ClusterRoles: the wildcard rule sees nothing, so CIS 5.1.3 is not evaluated with the
    403 as the reason, not passed; the exit code is the incomplete scan's, with or without the table."""
    with serve([SHOP], forbid=["clusterroles.rbac.authorization.k8s.io"], implicit=False) as api:
        args = ("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), *SELECTION)
        plain = run_cli(*args, "-f", "json")
        run = run_cli(*args, "--compliance", "cis-kubernetes", "-f", "json")
    report = json.loads(run.out)
    not_evaluated = {e["ruleId"]: e["reason"] for e in report["notEvaluated"]}
    assert "forbidden (403)" in not_evaluated["rbac-wildcard"]
    assert plain.code == run.code == 2

    def reason(rule_id: str) -> str | None:
        if rule_id in ENABLED and rule_id in not_evaluated:
            return f"{rule_id}: {not_evaluated[rule_id]}"
        return files_reason(rule_id)

    findings = _marked_findings()
    findings["rbac-wildcard"] = 0  # never read
    rows = _table(run)["controls"]
    assert rows == expected_controls("cis-kubernetes", reason, findings)
    assert next(r for r in rows if r["id"] == "5.1.3")["status"] == "not-evaluated"


def test_the_html_report_shows_the_json_reports_tables(run_cli: RunCli, tmp_path: Path) -> None:
    json_path, html_path = tmp_path / "report.json", tmp_path / "report.html"
    outputs = ("-o", f"json={json_path}", "-o", f"html={html_path}")
    frameworks = ("--compliance", "cis-kubernetes", "--compliance", "mitre-attack")
    run = run_cli("scan", str(SHOP), *SELECTION, *frameworks, "-f", "json", "-f", "html", *outputs)
    assert run.code == 1
    tables = json.loads(json_path.read_text())["compliance"]
    doc = parse(html_path.read_text(encoding="utf-8"))
    assert doc.problems == []
    section = doc.root.find("section", id="compliance")
    for table in tables:
        framework = table["framework"]
        assert section.find("h3", id=f"compliance-{framework}").text == f"{table['title']} {table['version']}"
        rows = section.find("table", id=f"compliance-{framework}-table").find("tbody").find_all("tr")
        shown = []
        for row in rows:
            status = next(td for td in row.find_all("td") if "status" in td.classes())
            shown.append((row.attrs["data-control"], status.attrs["data-status"], row.find_all("td")[-1].text))
        assert shown == [(c["id"], c["status"], "; ".join(c["reasons"])) for c in table["controls"]]
