"""The HTML report of a live-cluster scan: findings name the cluster object and its field (there
are no lines), and a kind the credentials may not list is a coverage gap the page shows."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cluster.conftest import EQUIVALENCE, serve
from tests.conftest import RunCli
from tests.report.htmltree import parse


def test_a_cluster_scan_page_names_objects_fields_and_the_forbidden_kind(run_cli: RunCli, tmp_path: Path) -> None:
    page, report = tmp_path / "cluster.html", tmp_path / "cluster.json"
    with serve(EQUIVALENCE, forbid=["daemonsets.apps"], implicit=False) as api:
        run = run_cli(
            "scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config",
            "-o", f"html={page}", "-o", f"json={report}",
        )  # fmt: skip
    assert run.code == 2
    doc, data = parse(page.read_text(encoding="utf-8")), json.loads(report.read_text())
    assert doc.root.find(id="verdict").attrs["data-exit-code"] == "2"
    gaps = doc.root.find("section", id="coverage").find_all("li", data_gap="coverage gap")
    assert len(gaps) == 1 and "[kubeaudit-test] daemonsets.apps: forbidden (403)" in gaps[0].text
    rows = doc.root.find("table", id="findings-table").find("tbody").find_all("tr")
    assert len(rows) == data["summary"]["findings"]["total"] > 0
    first = data["findings"][0]
    row = next(r for r in rows if first["resource"]["name"] in r.text and r.attrs["data-rule"] == first["ruleId"])
    where = row.find_all("td")[3]
    assert where.find("span").text == "cluster:kubeaudit-test"
    assert where.find("code").text == first["path"]  # the field, as there is no line
