"""The HTML report, read with a real HTML parser: one self-contained page whose counts are the JSON
report's, whose verdict is the exit code's, that escapes whatever the scanned input names, shows
everything without its script, and loads nothing from anywhere."""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import BAD_INPUT, FIXTURES, RunCli

from kubeaudit.report.html_report import ScannedReport, render_reports
from kubeaudit.report.html_report.palette import HEAT, LINK, MUTED, PAGE, SEVERITY, VERDICT, heat_level
from kubeaudit.report.html_report.writer import HtmlWriter
from tests.report.htmltree import Document, Element, parse

SUPPRESSED = """\
apiVersion: v1
kind: Pod
metadata:
  name: tolerated
  namespace: shop
  annotations:
    kubeaudit.io/ignore: pss-baseline-privileged
    kubeaudit.io/ignore-reason: the node agent needs it
spec:
  containers:
    - name: agent
      image: agent@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
      securityContext: {privileged: true}
"""


def scan_both(run_cli: RunCli, tmp_path: Path, *paths: str, extra: tuple[str, ...] = ()) -> tuple[int, Any, str]:
    """One scan written as JSON and HTML: (exit code, JSON report, HTML text)."""
    json_path, html_path = tmp_path / "report.json", tmp_path / "report.html"
    run = run_cli("scan", *paths, "-f", "json", "-f", "html", "-o", f"json={json_path}", "-o", f"html={html_path}",
                  *extra)  # fmt: skip
    return run.code, json.loads(json_path.read_text()), html_path.read_text(encoding="utf-8")


@pytest.fixture
def mixed(run_cli: RunCli, tmp_path: Path) -> tuple[int, Any, Document]:
    """The demo (with an attack path), the bad inputs (not scanned) and a suppressed finding."""
    (tmp_path / "suppressed.yaml").write_text(SUPPRESSED)
    code, report, html = scan_both(
        run_cli, tmp_path, str(FIXTURES / "demo"), str(BAD_INPUT), str(tmp_path / "suppressed.yaml")
    )
    return code, report, parse(html)


def _rows(doc: Document, table_id: str) -> list[Element]:
    return doc.root.find("table", id=table_id).find("tbody").find_all("tr")


def test_the_page_is_well_formed_with_landmarks_and_headings_in_order(mixed: tuple[int, Any, Document]) -> None:
    _, _, doc = mixed
    assert doc.doctype is not None and doc.doctype.lower() == "doctype html"
    assert doc.problems == []
    html = doc.root.find("html")
    assert html.attrs["lang"] == "en"
    assert doc.root.find("meta", charset="utf-8") is not None
    for landmark in ("header", "nav", "main", "footer"):
        assert len(doc.root.find_all(landmark)) == 1, landmark
    assert doc.root.find("nav").attrs.get("aria-label")
    levels = [int(e.tag[1]) for e in doc.root.iter() if re.fullmatch(r"h[1-6]", e.tag)]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), levels  # no level skipped
    for section in doc.root.find("main").find_all("section"):
        heading = doc.root.find(id=section.attrs["aria-labelledby"] or "")
        assert heading.tag == "h2" and heading.parent is section
    # Every in-page link goes somewhere.
    ids = {e.attrs["id"] for e in doc.root.iter() if e.attrs.get("id")}
    for link in doc.root.find_all("a"):
        href = link.attrs.get("href") or ""
        if href.startswith("#"):
            assert href[1:] in ids, href


def test_counts_and_verdict_equal_the_json_report_and_the_exit_code(mixed: tuple[int, Any, Document]) -> None:
    code, report, doc = mixed
    assert code == 2  # the bad inputs leave the scan incomplete
    summary = report["summary"]
    by_severity = {row.attrs["data-severity"]: int(row.find("td").text) for row in _rows(doc, "by-severity")}
    assert by_severity == {s: summary["findings"][s] for s in ("critical", "high", "medium", "low", "info")}
    rows = _rows(doc, "findings-table")
    active = [f for f in report["findings"] if f["suppression"] is None]
    assert len(rows) == summary["findings"]["total"] == len(active) > 50
    assert Counter(r.attrs["data-rule"] for r in rows) == Counter(f["ruleId"] for f in active)
    assert Counter(r.attrs["data-namespace"] for r in rows) == Counter(
        f["resource"]["namespace"] or "(none)" for f in active
    )
    suppressed = _rows(doc, "suppressed-table")
    assert len(suppressed) == summary["suppressed"] == 1
    assert "the node agent needs it" in suppressed[0].text
    verdict = doc.root.find(id="verdict")
    assert verdict.attrs["data-exit-code"] == str(code) and "INCOMPLETE" in verdict.text
    # The heatmap's cells add up to the findings, per namespace and family.
    cells = doc.root.find("table", id="heatmap-table").find_all("td")
    heat = Counter({(c.attrs["data-namespace"], c.attrs["data-category"]): int(c.text) for c in cells})
    assert +heat == Counter((f["resource"]["namespace"] or "(none)", f["category"]) for f in active)


def test_coverage_gaps_are_listed_in_plain_view(mixed: tuple[int, Any, Document]) -> None:
    _, report, doc = mixed
    coverage = doc.root.find("section", id="coverage")
    gaps = coverage.find_all("li", data_gap="not scanned")
    assert len(gaps) == len(report["errors"]) > 5
    assert any("binary.yaml" in g.text for g in gaps)
    assert "INCOMPLETE" in doc.root.find(id="coverage-line").text
    assert "hidden" not in coverage.attrs and all("hidden" not in a.attrs for a in coverage.ancestors())


def test_every_finding_shows_where_it_is_its_fix_and_references(mixed: tuple[int, Any, Document]) -> None:
    _, report, doc = mixed
    first = next(f for f in report["findings"] if f["ruleId"] == "pss-baseline-privileged" and not f["suppression"])
    row = next(r for r in _rows(doc, "findings-table") if r.attrs["data-rule"] == "pss-baseline-privileged")
    text = " ".join(row.text.split())
    assert f"{first['location']['source']}:{first['location']['line']}" in text
    assert first["message"] in text
    assert "Fix: Remove securityContext.privileged or set it to false." in text
    references = [a.attrs["href"] for a in row.find_all("a")]
    pss = "https://kubernetes.io/docs/concepts/security/pod-security-standards"
    assert any(url.startswith(pss) for url in references)


def test_attack_paths_show_each_step(mixed: tuple[int, Any, Document]) -> None:
    _, report, doc = mixed
    paths = [f for f in report["findings"] if f["steps"]]
    assert paths
    section = doc.root.find("section", id="attack-paths")
    articles = section.find_all("article")
    assert len(articles) == len(paths)
    steps = [" ".join(step.text.split()) for step in articles[0].find("ol").find_all("li")]
    assert len(steps) == len(paths[0]["steps"]) > 1
    for shown, step in zip(steps, paths[0]["steps"], strict=True):
        assert shown.endswith(step["message"]) and step["resource"]["name"] in shown


def test_without_javascript_everything_shows_and_only_the_filters_are_hidden(mixed: tuple[int, Any, Document]) -> None:
    _, _, doc = mixed
    hidden = [e for e in doc.root.iter() if "hidden" in e.attrs]
    assert [e.attrs.get("id") for e in hidden] == ["filters"]
    form = hidden[0]
    # Every filter control has a label (keyboard and screen-reader users can reach and name it).
    labelled = {label.attrs.get("for") for label in form.find_all("label")}
    for control in form.find_all("select") + form.find_all("input", type="search"):
        assert control.attrs["id"] in labelled
    assert len(form.find_all("input", type="checkbox")) == 5


def test_nothing_is_loaded_from_outside_and_the_inline_code_is_the_only_code(mixed: tuple[int, Any, Document]) -> None:
    _, _, doc = mixed
    assert doc.root.find_all("link") == [] and doc.root.find_all("img") == [] and doc.root.find_all("iframe") == []
    assert all("src" not in e.attrs for e in doc.root.iter())
    for element in doc.root.iter():
        assert not any(name.startswith("on") for name in element.attrs), element.tag  # no inline handlers
        assert "style" not in element.attrs
    for link in doc.root.find_all("a"):
        href = link.attrs["href"] or ""
        if not href.startswith("#"):  # only a rule's references leave the page
            assert href.startswith("https://") and any("refs" in a.classes() for a in link.ancestors()), href
    scripts, styles = doc.root.find_all("script"), doc.root.find_all("style")
    assert len(scripts) == len(styles) == 1
    css = styles[0].text
    assert "url(" not in css and "@import" not in css and "@font-face" not in css
    assert "fetch(" not in scripts[0].text and "XMLHttpRequest" not in scripts[0].text
    # The Content-Security-Policy forbids everything else, and lets exactly this script and style run.
    policy = doc.root.find("meta", http_equiv="Content-Security-Policy").attrs["content"] or ""
    assert "default-src 'none'" in policy
    for text in (scripts[0].text, css):
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in policy


HOSTILE = """\
apiVersion: v1
kind: Pod
metadata:
  name: "<script>alert(1)</script>"
  namespace: "ns\\"><img src=x onerror=alert(2)>"
spec:
  containers:
    - name: "c\\u202e\\e[31m</td>"
      image: nginx
      securityContext: {privileged: true}
"""


def test_hostile_names_come_out_as_text(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "evil.yaml").write_text(HOSTILE)
    code, report, html = scan_both(run_cli, tmp_path, str(tmp_path / "evil.yaml"))
    assert code == 1
    doc = parse(html)
    assert doc.problems == []
    assert len(doc.root.find_all("script")) == 1 and doc.root.find_all("img") == []
    assert not any(name.startswith("on") for e in doc.root.iter() for name in e.attrs)
    assert "\x1b" not in html and "\u202e" not in html
    rows = _rows(doc, "findings-table")
    assert len(rows) == report["summary"]["findings"]["total"]
    text = rows[0].text
    assert "Pod/<script>alert(1)</script>" in text
    assert 'namespace ns"><img src=x onerror=alert(2)>' in text
    assert "container c\\u202e\\x1b[31m</td>" in text  # controls shown as escapes, as in the console
    assert {r.attrs["data-namespace"] for r in rows} == {'ns"><img src=x onerror=alert(2)>'}


def test_a_reference_that_is_not_a_web_address_is_not_a_link() -> None:
    stream = io.StringIO()
    out = HtmlWriter(stream)
    out.link("javascript:alert(1)", "docs")
    out.link("https://kubernetes.io/docs/", "k8s")
    doc = parse(stream.getvalue())
    assert [a.attrs["href"] for a in doc.root.find_all("a")] == ["https://kubernetes.io/docs/"]
    assert "docs (javascript:alert(1))" in doc.root.text


def _report(run_cli: RunCli, *paths: str) -> dict[str, Any]:
    return json.loads(run_cli("scan", *paths, "-f", "json").out)


def test_several_reports_get_a_report_column_and_the_worst_exit_code(run_cli: RunCli) -> None:
    demo = _report(run_cli, str(FIXTURES / "demo"))
    broken = _report(run_cli, str(BAD_INPUT))
    stream = io.StringIO()
    render_reports([ScannedReport("prod", demo), ScannedReport("staging", broken)], stream, "high")
    doc = parse(stream.getvalue())
    assert doc.problems == []
    assert doc.root.find("table", id="findings-table").find("thead").find("th").text == "Report"
    rows = _rows(doc, "findings-table")
    assert Counter(r.attrs["data-report"] for r in rows) == {
        "prod": demo["summary"]["findings"]["total"],
        "staging": broken["summary"]["findings"]["total"],
    }
    codes = {r.attrs["data-report"]: r.find_all("td")[-1].text for r in _rows(doc, "reports")}
    assert codes == {"prod": "1", "staging": "2"}  # demo: findings at or above high; staging: not scanned
    assert doc.root.find(id="verdict").attrs["data-exit-code"] == "2"
    assert doc.root.find("select", id="filter-report") is not None


@pytest.mark.parametrize(("fail_on", "code", "word"), [("critical", 1, "FAIL"), ("none", 0, "PASS")])
def test_the_verdict_follows_fail_on(run_cli: RunCli, tmp_path: Path, fail_on: str, code: int, word: str) -> None:
    ran, _, html = scan_both(run_cli, tmp_path, str(FIXTURES / "demo"), extra=("--fail-on", fail_on))
    verdict = parse(html).root.find(id="verdict")
    assert ran == code and verdict.attrs["data-exit-code"] == str(code) and word in verdict.text
    assert f"--fail-on {fail_on}" in verdict.text


def test_a_clean_scan_says_so(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "cm.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: a}\n")
    code, report, html = scan_both(run_cli, tmp_path, str(tmp_path / "cm.yaml"))
    doc = parse(html)
    assert code == 0 and report["summary"]["findings"]["total"] == 0
    assert "PASS" in doc.root.find(id="verdict").text
    assert "No findings." in doc.root.find("section", id="findings").text
    assert doc.root.find_all("form") == []


def _luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(fg: str, bg: str) -> float:
    light, dark = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize(
    "pair", [PAGE, MUTED, LINK, *SEVERITY.values(), *VERDICT.values(), *HEAT], ids=lambda pair: "-".join(pair)
)
def test_every_colour_pair_passes_wcag_aa_contrast(pair: tuple[str, str]) -> None:
    assert contrast(*pair) >= 4.5


def test_heat_levels_grow_with_the_count() -> None:
    levels = [heat_level(count, 40) for count in range(41)]
    assert levels[0] == 0 and min(levels[1:]) == 1 and levels[40] == len(HEAT) - 1
    assert levels == sorted(levels)


def test_the_print_stylesheet_drops_the_controls_and_keeps_the_findings(mixed: tuple[int, Any, Document]) -> None:
    css = mixed[2].root.find("style").text
    printed = css[css.index("@media print") :]
    hidden = re.search(r"([^{}]*)\{display:none!important\}", printed)
    assert hidden is not None and {".filters", "nav.toc"} <= set(hidden.group(1).split(","))
    assert "tr[hidden]" not in printed  # a filtered view prints as filtered, with its status line


def _compliance_table(failed_findings: int) -> dict[str, Any]:
    """A --compliance table in the JSON report's shape (json-report.schema.json compliance[])."""
    controls = [
        {"id": "5.2.2", "title": "Minimize the admission of privileged containers", "status": "fail",
         "rules": ["pss-baseline-privileged"], "findings": failed_findings, "suppressed": 0, "reasons": []},
        {"id": "5.1.1", "title": "Ensure that the cluster-admin role is only used where required",
         "status": "not-evaluated", "rules": ["rbac-cluster-admin-binding"], "findings": 0, "suppressed": 0,
         "reasons": ["rbac-cluster-admin-binding: clusterrolebindings: forbidden (403)"]},
        {"id": "1.1.1", "title": "Ensure that the API server pod specification file permissions are set",
         "status": "manual", "rules": [], "findings": 0, "suppressed": 0, "reasons": []},
    ]  # fmt: skip
    summary = {"pass": 0, "fail": 1, "notEvaluated": 1, "manual": 1, "scored": 2}
    return {"framework": "cis-kubernetes", "title": "CIS Kubernetes Benchmark", "version": "v1.12.0",
            "url": "https://www.cisecurity.org/benchmark/kubernetes", "source": "kube-bench", "updated": "2026-11-30",
            "score": 0.0, "summary": summary, "controls": controls}  # fmt: skip


def test_compliance_tables_are_a_section_with_every_control(run_cli: RunCli) -> None:
    report = {**_report(run_cli, str(FIXTURES / "demo")), "compliance": [_compliance_table(1)]}
    stream = io.StringIO()
    render_reports([ScannedReport("", report)], stream, "low")
    doc = parse(stream.getvalue())
    section = doc.root.find("section", id="compliance")
    assert doc.root.find("a", href="#compliance") is not None
    rows = section.find("table", id="compliance-cis-kubernetes-table").find("tbody").find_all("tr")
    statuses = {r.attrs["data-control"]: r.find_all("td")[1].text for r in rows}
    assert statuses == {"5.2.2": "FAIL (1 finding)", "5.1.1": "not evaluated", "1.1.1": "manual"}
    assert "clusterrolebindings: forbidden (403)" in rows[1].text
    assert "score 0.0%" in section.text and "1 not evaluated (counted as not passed)" in section.text


def test_without_compliance_there_is_no_compliance_section(mixed: tuple[int, Any, Document]) -> None:
    assert mixed[2].root.find_all("section", id="compliance") == []


def test_merged_compliance_has_a_status_column_per_report(run_cli: RunCli) -> None:
    demo = _report(run_cli, str(FIXTURES / "demo"))
    prod = ScannedReport("prod", {**demo, "compliance": [_compliance_table(3)]})
    staging = ScannedReport("staging", demo)  # scanned without --compliance
    stream = io.StringIO()
    render_reports([prod, staging], stream, "high")
    table = parse(stream.getvalue()).root.find("table", id="compliance-cis-kubernetes-table")
    assert [th.text for th in table.find("thead").find_all("th")] == ["Control", "Title", "prod", "staging"]
    first = table.find("tbody").find("tr")
    assert [td.text for td in first.find_all("td")][1:] == ["FAIL (3 findings)", "not asked"]


def test_each_rule_with_findings_has_its_whole_fix_once(mixed: tuple[int, Any, Document]) -> None:
    _, report, doc = mixed
    section = doc.root.find("section", id="rules")
    articles = {a.attrs["id"]: a for a in section.find_all("article")}
    assert set(articles) == {f"rule-{f['ruleId']}" for f in report["findings"]}
    rule = next(f for f in report["findings"] if "\n" in f["remediation"])
    shown = articles[f"rule-{rule['ruleId']}"].find("span", class_="remediation")
    assert shown.text.split("\n") == rule["remediation"].splitlines()
    assert len(shown.find_all("br")) == len(rule["remediation"].splitlines()) - 1
    link = doc.root.find("a", href=f"#rule-{rule['ruleId']}")
    assert link.text == f"More on {rule['ruleId']}"
