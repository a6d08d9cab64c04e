"""`kubeaudit report merge -f html`: the HTML report's page over the fixture clusters' reports, read
with an HTML parser: a report column, counts equal to the input reports', the verdict the exit code
gives, and an input that is not a report shown as one that read nothing."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from tests.conftest import RunCli
from tests.fleet.conftest import SECRET_VALUES, FleetReports
from tests.report.htmltree import Document, Element, parse


def _active(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["suppression"] is None]


def _rows(doc: Document, table_id: str) -> list[Element]:
    return doc.root.find("table", id=table_id).find("tbody").find_all("tr")


def _page(run_cli: RunCli, tmp_path: Path, *args: str) -> tuple[int, Document]:
    target = tmp_path / "fleet.html"
    run = run_cli("report", "merge", *args, "-f", "html", "-o", str(target))
    assert run.out == ""
    doc = parse(target.read_text(encoding="utf-8"))
    assert doc.problems == []
    return run.code, doc


def test_the_page_has_a_column_per_cluster_and_the_inputs_counts(
    run_cli: RunCli, fleet: FleetReports, tmp_path: Path
) -> None:
    code, doc = _page(run_cli, tmp_path, str(fleet.prod), str(fleet.staging))
    inputs = {"prod": fleet.load(fleet.prod), "staging": fleet.load(fleet.staging)}
    assert code == 1 and doc.root.find(id="verdict").attrs["data-exit-code"] == "1"
    findings = _rows(doc, "findings-table")
    assert Counter(r.attrs["data-report"] for r in findings) == {n: len(_active(r)) for n, r in inputs.items()}
    assert Counter((r.attrs["data-report"], r.attrs["data-rule"]) for r in findings) == Counter(
        (name, f["ruleId"]) for name, report in inputs.items() for f in _active(report)
    )
    # The section merge adds: each rule's findings per cluster, as the JSON summary has them.
    merged = json.loads(run_cli("report", "merge", str(fleet.prod), str(fleet.staging), "-f", "json").out)
    table = doc.root.find("table", id="rules-by-report-table")
    assert [th.text for th in table.find("thead").find_all("th")] == ["Rule", "Severity", "prod", "staging", "total"]
    rows = {r.attrs["data-rule"]: [td.text for td in r.find_all("td")] for r in table.find("tbody").find_all("tr")}
    assert rows == {
        rule["ruleId"]: [rule["severity"], str(rule["findings"]["prod"]), str(rule["findings"]["staging"]),
                         str(rule["total"])]
        for rule in merged["rules"]
    }  # fmt: skip


def test_an_incomplete_report_or_a_bad_input_makes_the_page_incomplete(
    run_cli: RunCli, fleet: FleetReports, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("[]")
    code, doc = _page(run_cli, tmp_path, str(fleet.staging), str(fleet.prod_partial), str(broken), "--fail-on", "none")
    assert code == 2
    verdict = doc.root.find(id="verdict")
    assert verdict.attrs["data-exit-code"] == "2" and "INCOMPLETE" in verdict.text
    codes = {r.attrs["data-report"]: r.find_all("td")[-1].text for r in _rows(doc, "reports")}
    assert codes == {"staging": "0", "prod": "2", str(broken): "2"}
    gaps = doc.root.find("section", id="coverage").text
    assert "networkpolicies" in gaps.lower()
    assert f"{broken}: not a kubeaudit JSON report (a JSON list, not an object)" in gaps


def test_the_page_never_shows_a_secret_value(run_cli: RunCli, fleet: FleetReports, tmp_path: Path) -> None:
    _page(run_cli, tmp_path, str(fleet.prod), str(fleet.staging), str(fleet.prod_partial))
    page = (tmp_path / "fleet.html").read_text(encoding="utf-8")
    assert not [value for value in SECRET_VALUES if value in page]


def test_a_hostile_report_name_is_text(run_cli: RunCli, fleet: FleetReports, tmp_path: Path) -> None:
    document = fleet.load(fleet.prod)
    document["inputs"] = ["cluster:in-cluster"]  # the CronJob's: the column is named after the file
    hostile = tmp_path / "<img src=x onerror=alert(1)>eu.json"
    hostile.write_text(json.dumps(document))
    _, doc = _page(run_cli, tmp_path, str(hostile), str(fleet.staging))
    assert doc.root.find_all("img") == []
    heads = [th.text for th in doc.root.find("table", id="rules-by-report-table").find("thead").find_all("th")]
    assert heads[2:4] == ["<img src=x onerror=alert(1)>eu", "staging"]
