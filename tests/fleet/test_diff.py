"""`kubeaudit report diff`: new, fixed and unchanged findings by fingerprint, between a fixture
cluster's report and its report a day later, and between two scans of a repository; the Markdown
comment is parsed with a real Markdown parser, hostile names included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from markdown_it import MarkdownIt
from markdown_it.token import Token

from kubeaudit.fleet.markdown import WORD_JOINER
from tests.conftest import AS_OF, REPO, RunCli
from tests.fleet.conftest import SECRET_VALUES, FleetReports

SCHEMA = json.loads((REPO / "kubeaudit" / "fleet" / "diff-report.schema.json").read_text())


def _active(path: Path) -> dict[str, dict[str, Any]]:
    document = json.loads(path.read_text())
    return {f["fingerprint"]: f for f in document["findings"] if f["suppression"] is None}


def _diff(run_cli: RunCli, *args: str) -> tuple[int, dict[str, Any]]:
    run = run_cli("report", "diff", *args, "-f", "json")
    document = json.loads(run.out)
    jsonschema.Draft202012Validator(SCHEMA).validate(document)
    return run.code, document


def _fingerprints(findings: list[dict[str, Any]]) -> set[str]:
    return {f["fingerprint"] for f in findings}


def test_diff_of_one_clusters_reports_finds_new_fixed_and_unchanged(run_cli: RunCli, fleet: FleetReports) -> None:
    old, new = _active(fleet.prod), _active(fleet.prod_next)
    code, diff = _diff(run_cli, str(fleet.prod), str(fleet.prod_next))
    assert code == 0 and diff["complete"] is True and diff["notes"] == []
    assert _fingerprints(diff["new"]) == new.keys() - old.keys()
    assert _fingerprints(diff["fixed"]) == old.keys() - new.keys()
    assert _fingerprints(diff["unchanged"]) == old.keys() & new.keys()
    assert diff["new"] and diff["fixed"] and diff["unchanged"]  # the second cluster changed some of each
    assert diff["summary"]["new"]["total"] == len(diff["new"])
    assert diff["summary"]["fixed"]["critical"] == sum(1 for f in diff["fixed"] if f["severity"] == "critical")
    # What changed in the cluster: the debug Pod is gone, the cache Pod is new, the bare Pod's image
    # has a tag now (not latest: fixed; but a mutable tag: new), the web Deployment stayed.
    assert {f["resource"]["name"] for f in diff["new"]} == {"cache", "bare-nginx"}
    assert {f["resource"]["name"] for f in diff["fixed"]} == {"debug", "bare-nginx"}
    assert {f["ruleId"] for f in diff["fixed"] if f["resource"]["name"] == "bare-nginx"} == {"image-latest-tag"}
    assert "web" in {f["resource"]["name"] for f in diff["unchanged"]}


def test_fail_on_new_gates_only_on_new_findings(run_cli: RunCli, fleet: FleetReports) -> None:
    old, new = str(fleet.prod), str(fleet.prod_next)
    assert run_cli("report", "diff", old, new, "--fail-on-new", "critical").code == 1  # the privileged cache Pod
    assert run_cli("report", "diff", old, old, "--fail-on-new", "info").code == 0  # nothing is new
    assert run_cli("report", "diff", old, new).code == 0  # without the option, a diff never fails on findings


def test_diff_console_lists_new_and_fixed_findings(run_cli: RunCli, fleet: FleetReports) -> None:
    old, new = _active(fleet.prod), _active(fleet.prod_next)
    run = run_cli("report", "diff", str(fleet.prod), str(fleet.prod_next))
    added, fixed, same = len(new.keys() - old.keys()), len(old.keys() - new.keys()), len(old.keys() & new.keys())
    assert f"{added} new, {fixed} fixed, {same} unchanged" in run.out
    assert f"New ({added}):" in run.out and f"Fixed ({fixed}):" in run.out
    assert "Pod/team-b/cache" in run.out.split("Fixed (")[0]


def test_diff_of_reports_of_different_clusters_says_so(run_cli: RunCli, fleet: FleetReports) -> None:
    _, diff = _diff(run_cli, str(fleet.prod), str(fleet.staging))
    assert any("different inputs (cluster:prod, then cluster:staging)" in note for note in diff["notes"])


def test_an_incomplete_report_makes_the_diff_exit_2(run_cli: RunCli, fleet: FleetReports) -> None:
    code, diff = _diff(run_cli, str(fleet.prod), str(fleet.prod_partial))
    assert code == 2 and diff["complete"] is False
    assert any("new report is incomplete" in note for note in diff["notes"])
    # Rules that read NetworkPolicies were not evaluated in the partial scan: their findings are not "fixed".
    skipped = {e["ruleId"] for e in json.loads(fleet.prod_partial.read_text())["notEvaluated"]}
    unjudged = {f["ruleId"] for f in diff["notEvaluated"]}
    assert "netpol-workload-ingress" in unjudged and unjudged <= skipped
    assert not {f["ruleId"] for f in diff["fixed"]} & skipped
    old, new = _active(fleet.prod), _active(fleet.prod_partial)
    assert _fingerprints(diff["fixed"] + diff["notEvaluated"]) == old.keys() - new.keys()


def test_a_bad_input_is_one_error_line(run_cli: RunCli, fleet: FleetReports, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    run = run_cli("report", "diff", str(fleet.prod), str(broken), "-f", "markdown")
    assert run.code == 2 and run.out == ""
    assert run.err.splitlines() == [f"kubeaudit: error: {broken}: line 1: not a kubeaudit JSON report (invalid JSON: "
                                    "Expecting property name enclosed in double quotes)"]  # fmt: skip


def _scan(run_cli: RunCli, folder: Path, output: Path) -> None:
    run = run_cli("scan", ".", "--no-config", "--as-of", AS_OF, "-f", "json", "-o", str(output), cwd=folder)
    assert run.code == 1, run.err


HOSTILE = "<script>alert(1)</script>|`x`|@octocat [a](javascript:alert(1))"
POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: shop
spec:
  containers:
    - name: app
      image: nginx
      securityContext:
        privileged: true
"""
SECRET = """\
apiVersion: v1
kind: Secret
metadata:
  name: token
  namespace: shop
stringData:
  token: do-not-leak-me
"""


@pytest.fixture
def repository_reports(run_cli: RunCli, tmp_path: Path) -> tuple[Path, Path]:
    """A repository's report before and after a commit that adds a Pod with a hostile name (in a
    file whose name is hostile too) and removes another."""
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "secret.yaml").write_text(SECRET)
    (repo / "old.yaml").write_text(POD.format(name="old-app"))
    _scan(run_cli, repo, tmp_path / "before.json")
    (repo / "old.yaml").unlink()
    (repo / "x|<b>.yaml").write_text(POD.format(name=json.dumps(HOSTILE)))
    _scan(run_cli, repo, tmp_path / "after.json")
    return tmp_path / "before.json", tmp_path / "after.json"


def _table_tokens(tokens: list[Token]) -> list[list[list[Token]]]:
    """Each table as rows of cells (inline tokens, as the parser split the cells)."""
    tables: list[list[list[Token]]] = []
    row: list[Token] = []
    for token in tokens:
        if token.type == "table_open":
            tables.append([])
        elif token.type == "tr_open":
            row = []
        elif token.type == "inline" and tables and token.level >= 3:
            row.append(token)
        elif token.type == "tr_close":
            tables[-1].append(row)
    return tables


def _tables(tokens: list[Token]) -> list[list[list[str]]]:
    """Each table as rows of cell sources."""
    return [[[cell.content for cell in row] for row in table] for table in _table_tokens(tokens)]


def _plain(cell: Token) -> str:
    """The text a reader sees in a cell: escapes undone, code spans as their text."""
    return "".join(c.content for c in cell.children or [] if c.type in ("text", "text_special", "code_inline"))


def test_markdown_comment_has_summary_and_tables_of_new_and_fixed_findings(
    run_cli: RunCli, repository_reports: tuple[Path, Path]
) -> None:
    before, after = repository_reports
    old, new = _active(before), _active(after)
    run = run_cli("report", "diff", str(before), str(after), "-f", "markdown", "--fail-on-new", "high")
    assert run.code == 1
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    tokens = parser.parse(run.out)
    summary, added, fixed = _tables(tokens)
    assert summary[0] == ["", "critical", "high", "medium", "low", "info", "total"]
    assert summary[1][0] == "New" and summary[1][-1] == str(len(new.keys() - old.keys()))
    assert summary[2][0] == "Fixed" and summary[2][-1] == str(len(old.keys() - new.keys()))
    assert summary[3][0] == "Unchanged" and summary[3][-1] == str(len(old.keys() & new.keys()))
    assert len(added) == 1 + len(new.keys() - old.keys()) and len(fixed) == 1 + len(old.keys() - new.keys())
    assert all(len(row) == 5 for row in added + fixed)  # no name split a row
    html = parser.render(run.out)
    # The hostile name is shown as it is, in code spans: no HTML, no link, no table cell split.
    codes = [
        child.content for t in tokens if t.type == "inline" for child in t.children or [] if child.type == "code_inline"
    ]
    assert f"Pod/shop/{HOSTILE}" in codes
    assert any(code.startswith("x|<b>.yaml:") for code in codes)  # file:line of the new findings
    assert not [t for t in tokens if t.type in ("html_inline", "html_block")]
    links = [c for t in tokens if t.type == "inline" for c in t.children or [] if c.type == "link_open"]
    assert links == []
    assert "<script>" not in html and "<b>" not in html
    # A message that quotes the name shows it as it is (an @ kept from notifying anyone).
    shown = HOSTILE.replace("@", "@" + WORD_JOINER)
    messages = [_plain(cells[4]) for cells in _table_tokens(tokens)[1][1:]]
    assert f"Pod/{shown} gets a service account token mounted automatically" in " ".join(messages)
    assert "**fails** `--fail-on-new high`: 1 new finding at or above it." in run.out


def test_diff_outputs_never_show_a_secret_value(
    run_cli: RunCli, fleet: FleetReports, repository_reports: tuple[Path, Path]
) -> None:
    pairs = [(fleet.prod, fleet.prod_next), repository_reports]
    for old, new in pairs:
        for fmt in ("console", "json", "markdown"):
            out = run_cli("report", "diff", str(old), str(new), "-f", fmt).out
            assert not [value for value in SECRET_VALUES if value in out]


def test_a_rule_the_new_scan_did_not_run_fixed_nothing(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD.format(name="app"))
    before, after = tmp_path / "before.json", tmp_path / "after.json"
    _scan(run_cli, tmp_path, before)
    run = run_cli("scan", ".", "--no-config", "--as-of", AS_OF, "--disable", "pss-baseline-privileged", "-f", "json",
                  "-o", str(after), cwd=tmp_path)  # fmt: skip
    assert run.code == 1
    code, diff = _diff(run_cli, str(before), str(after))
    assert code == 0 and diff["new"] == [] and diff["fixed"] == []
    assert [f["ruleId"] for f in diff["notEvaluated"]] == ["pss-baseline-privileged"]
    assert any("rules only the old report ran: pss-baseline-privileged" in note for note in diff["notes"])
    merged = json.loads(run_cli("report", "merge", str(before), str(after), "--name", "after.json=later",
                                "-f", "json").out)  # fmt: skip
    row = next(r for r in merged["rules"] if r["ruleId"] == "pss-baseline-privileged")
    assert row["findings"] == {"before": 1, "later": None} and row["total"] == 1
    assert "later did not run pss-baseline-privileged" in " ".join(merged["notes"])
    console = run_cli("report", "merge", str(before), str(after), "--name", "after.json=later").out
    line = next(line for line in console.splitlines() if " pss-baseline-privileged " in line)
    assert line.split()[2:] == ["1", "-", "1"]


def test_diff_and_merge_describe_each_report_alike(run_cli: RunCli, fleet: FleetReports) -> None:
    """A report's identity (file, inputs, tool version, rules, complete) reads the same in the diff
    report's old/new and in the merge report's reports: one serializer (fleet/reports.identity_dict)."""
    _, diff = _diff(run_cli, str(fleet.prod), str(fleet.prod_partial))
    merged = json.loads(run_cli("report", "merge", str(fleet.prod), str(fleet.prod_partial), "-f", "json").out)
    shared = {"report", "inputs", "toolVersion", "rules", "complete"}
    # The new report is newReport: "new" lists the new findings (it once overwrote the new report).
    for side, column in zip((diff["old"], diff["newReport"]), merged["reports"], strict=True):
        assert shared <= side.keys() and shared <= column.keys()
        assert {k: side[k] for k in shared} == {k: column[k] for k in shared}
    assert diff["old"]["complete"] is True and diff["newReport"]["complete"] is False
    assert diff["newReport"]["report"] == str(fleet.prod_partial)
    assert diff["old"]["report"] == str(fleet.prod)
    assert diff["old"]["inputs"] == ["cluster:prod"]
