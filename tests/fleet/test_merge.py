"""`kubeaudit report merge` on the reports of two fixture clusters: every count equals the inputs'
counts, column by column; an incomplete or unreadable input makes the summary say so and exit 2."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from tests.conftest import REPO, RunCli
from tests.fleet.conftest import SECRET_VALUES, FleetReports

SCHEMA = json.loads((REPO / "kubeaudit" / "fleet" / "merge-report.schema.json").read_text())
SEVERITIES = ("critical", "high", "medium", "low", "info")


def _active(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["suppression"] is None]


def _merged(run_cli: RunCli, *args: str, cwd: Path | None = None) -> tuple[int, dict[str, Any]]:
    run = run_cli("report", "merge", *args, "-f", "json", cwd=cwd)
    document = json.loads(run.out)
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    return run.code, document


def test_merge_counts_each_clusters_findings_in_its_own_column(run_cli: RunCli, fleet: FleetReports) -> None:
    code, merged = _merged(run_cli, str(fleet.prod), str(fleet.staging))
    inputs = {"prod": fleet.load(fleet.prod), "staging": fleet.load(fleet.staging)}
    assert code == 1  # findings at or above the default --fail-on (low)
    assert merged["complete"] is True
    assert [r["name"] for r in merged["reports"]] == ["prod", "staging"]  # the clusters' contexts
    for column in merged["reports"]:
        report = inputs[column["name"]]
        assert column["findings"] == report["summary"]["findings"]
        assert column["resources"] == report["summary"]["resources"]
        assert column["inputs"] == report["inputs"]
    totals = merged["totals"]["findings"]
    for severity in (*SEVERITIES, "total"):
        assert totals[severity] == sum(r["summary"]["findings"][severity] for r in inputs.values())
    assert merged["totals"]["resources"] == sum(r["summary"]["resources"] for r in inputs.values())
    # Rule by rule and column by column, as the input reports have them.
    for name, report in inputs.items():
        expected = Counter(f["ruleId"] for f in _active(report))
        got = {row["ruleId"]: row["findings"][name] for row in merged["rules"] if row["findings"][name]}
        assert got == dict(expected)
    # The clusters differ: some rule has findings in one and none in the other.
    assert any(0 in row["findings"].values() for row in merged["rules"])


def test_merge_console_shows_a_column_per_cluster(run_cli: RunCli, fleet: FleetReports) -> None:
    run = run_cli("report", "merge", str(fleet.prod), str(fleet.staging))
    prod, staging = fleet.load(fleet.prod), fleet.load(fleet.staging)
    lines = run.out.splitlines()
    assert lines[2].split() == ["findings", "prod", "staging", "total"]
    critical = next(line for line in lines if line.startswith("critical "))
    p, s = prod["summary"]["findings"]["critical"], staging["summary"]["findings"]["critical"]
    assert critical.split() == ["critical", str(p), str(s), str(p + s)]
    privileged = next(line for line in lines if " pss-baseline-privileged " in f"{line} ")
    counts = [sum(1 for f in _active(r) if f["ruleId"] == "pss-baseline-privileged") for r in (prod, staging)]
    assert privileged.split()[2:] == [str(counts[0]), str(counts[1]), str(sum(counts))]
    assert run.code == 1


def test_fail_on_gates_the_merge_as_it_gates_a_scan(run_cli: RunCli, fleet: FleetReports) -> None:
    reports = (str(fleet.prod), str(fleet.staging))
    assert run_cli("report", "merge", *reports, "--fail-on", "none").code == 0
    assert run_cli("report", "merge", *reports, "--fail-on", "critical").code == 1  # both have privileged Pods


def test_an_incomplete_report_makes_the_merge_incomplete(run_cli: RunCli, fleet: FleetReports) -> None:
    code, merged = _merged(run_cli, str(fleet.staging), str(fleet.prod_partial), "--fail-on", "none")
    partial = fleet.load(fleet.prod_partial)
    assert code == 2 and merged["complete"] is False
    assert merged["totals"]["incompleteReports"] == 1
    column = next(c for c in merged["reports"] if c["name"] == "prod")
    assert column["complete"] is False and column["gaps"] == partial["gaps"] and column["gaps"]
    console = run_cli("report", "merge", str(fleet.staging), str(fleet.prod_partial), "--fail-on", "none")
    assert console.code == 2
    assert "INCOMPLETE: prod" in console.out
    assert f"prod ({fleet.prod_partial}): incomplete scan" in console.out
    assert "networkpolicies" in console.out.lower()  # the gap, as the report words it
    assert f"incomplete report: {fleet.prod_partial}" in console.err


def test_each_bad_input_is_one_error_line_and_the_rest_is_merged(
    run_cli: RunCli, fleet: FleetReports, tmp_path: Path
) -> None:
    truncated = tmp_path / "truncated.json"
    truncated.write_text(fleet.prod.read_text()[:500])
    sarif = tmp_path / "scan.sarif"
    sarif.write_text(json.dumps({"version": "2.1.0", "runs": []}))
    edited = tmp_path / "edited.json"
    document = fleet.load(fleet.prod)
    document["findings"][0]["severity"] = "urgent"
    edited.write_text(json.dumps(document))
    missing = tmp_path / "missing.json"
    run = run_cli("report", "merge", str(fleet.staging), str(truncated), str(sarif), str(edited), str(missing))
    errors = run.err.splitlines()
    assert run.code == 2
    assert len(errors) == 4 and all(line.startswith("kubeaudit: error: ") for line in errors)
    assert f"{truncated}: line " in errors[0] and "invalid JSON" in errors[0]
    assert f"{sarif}: a SARIF report" in errors[1]
    assert f"{edited}: not a valid kubeaudit JSON report: $.findings[0].severity" in errors[2]
    assert f"{missing}: cannot read" in errors[3]
    assert "Traceback" not in run.err
    assert "staging" in run.out.splitlines()[2]  # the good report is merged
    assert "Not merged (not a kubeaudit JSON report):" in run.out
    code, merged = _merged(run_cli, str(fleet.staging), str(missing))
    assert code == 2 and merged["complete"] is False and len(merged["unreadReports"]) == 1


def test_reports_that_do_not_name_their_cluster_are_named_after_their_files(
    run_cli: RunCli, fleet: FleetReports, tmp_path: Path
) -> None:
    # The in-cluster CronJob's reports all say `cluster:in-cluster`.
    for name in ("eu-west", "us-east"):
        document = fleet.load(fleet.prod)
        document["inputs"] = ["cluster:in-cluster"]
        (tmp_path / f"{name}.json").write_text(json.dumps(document))
    files = [str(tmp_path / "eu-west.json"), str(tmp_path / "us-east.json")]
    _, merged = _merged(run_cli, *files)
    assert [r["name"] for r in merged["reports"]] == ["eu-west", "us-east"]
    _, renamed = _merged(run_cli, *files, "--name", "us-east.json=Virginia", "--name", f"{files[0]}=Ireland")
    assert [r["name"] for r in renamed["reports"]] == ["Ireland", "Virginia"]


def test_two_reports_of_one_cluster_get_distinct_names(run_cli: RunCli, fleet: FleetReports, tmp_path: Path) -> None:
    (tmp_path / "monday").mkdir()
    (tmp_path / "tuesday").mkdir()
    shutil.copy(fleet.prod, tmp_path / "monday" / "prod.json")
    shutil.copy(fleet.prod_next, tmp_path / "tuesday" / "prod.json")
    _, by_path = _merged(run_cli, "monday/prod.json", "tuesday/prod.json", cwd=tmp_path)
    assert [r["name"] for r in by_path["reports"]] == ["monday/prod.json", "tuesday/prod.json"]
    _, by_file = _merged(run_cli, str(fleet.prod), str(fleet.prod_next))
    assert [r["name"] for r in by_file["reports"]] == ["prod", "prod (prod-next)"]
    assert by_file["totals"]["findings"]["total"] == sum(
        len(_active(fleet.load(p))) for p in (fleet.prod, fleet.prod_next)
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("{prod}", "{prod}"), "{prod}: given more than once"),
        (("{prod}", "--name", "nosuch.json=x"), "--name nosuch.json=x: no report 'nosuch.json' among the inputs"),
        (("{prod}", "{staging}", "--name", "prod=a", "--name", "staging=a"), "two reports the name 'a'"),
        (("{prod}", "--name", "prod"), "--name prod: expected REPORT=LABEL"),
    ],
)
def test_naming_mistakes_are_usage_errors(
    run_cli: RunCli, fleet: FleetReports, args: tuple[str, ...], message: str
) -> None:
    paths = {"prod": str(fleet.prod), "staging": str(fleet.staging)}
    run = run_cli("report", "merge", *(a.format(**paths) for a in args))
    assert run.code == 2 and run.out == ""
    assert run.err.startswith("kubeaudit: error: ") and message.format(**paths) in run.err


def test_merged_outputs_never_show_a_secret_value(run_cli: RunCli, fleet: FleetReports) -> None:
    reports = (str(fleet.prod), str(fleet.staging), str(fleet.prod_partial))
    for fmt in ("console", "json"):
        out = run_cli("report", "merge", *reports, "-f", fmt).out
        assert not [value for value in SECRET_VALUES if value in out]


def test_merge_writes_its_output_file_atomically(run_cli: RunCli, fleet: FleetReports, tmp_path: Path) -> None:
    target = tmp_path / "fleet.json"
    run = run_cli("report", "merge", str(fleet.prod), str(fleet.staging), "-f", "json", "-o", str(target))
    assert run.code == 1 and run.out == ""
    assert json.loads(target.read_text())["totals"]["reports"] == 2
    assert [p.name for p in tmp_path.iterdir()] == ["fleet.json"]


def test_readme_merge_excerpt_is_what_merge_prints(run_cli: RunCli, fleet: FleetReports) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Fleets and trends")
    shown = readme[start:].split("```text\n$ ", 1)[1].split("```", 1)[0].splitlines()
    assert shown[0] == "kubeaudit report merge prod.json staging.json"
    out = run_cli(*shown[0].split()[1:], cwd=fleet.folder).out.splitlines()
    lines = [line for line in shown[1:] if line not in ("...", "")]
    assert lines == [line for line in out if line in lines]  # the same lines, in the same order


def test_the_output_file_name_picks_the_format_or_is_refused(
    run_cli: RunCli, fleet: FleetReports, tmp_path: Path
) -> None:
    page = tmp_path / "fleet.html"
    assert run_cli("report", "merge", str(fleet.prod), "-o", str(page)).code == 1
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    wrong = run_cli("report", "merge", str(fleet.prod), "-f", "console", "-o", str(tmp_path / "fleet.json"))
    assert wrong.code == 2 and wrong.out == "" and not (tmp_path / "fleet.json").exists()
    assert (
        wrong.err == f"kubeaudit: error: --output {tmp_path / 'fleet.json'}: would hold the console output; "
        "to write json there: -f json\n"
    )
    comment = run_cli("report", "merge", str(fleet.prod), "-o", str(tmp_path / "comment.md"))
    assert comment.code == 2 and "this command writes no markdown" in comment.err
