"""Helm charts: rendered with the Helm SDK, findings on the template or values line that wrote them.

The fixture chart fixtures/charts/shop marks with `# ruleid:` the lines findings must point at, in
its templates and values files; a values file's marks count when the scan was given that file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, RunCli

from kubeaudit.api import ScanOptions, run
from kubeaudit.model import Finding, ScanResult
from kubeaudit.sources.manifests import display_path
from kubeaudit.sources.render import RenderOptions
from kubeaudit.testing import MARKER, expected_lines

CHART = FIXTURES / "charts" / "shop"
DEBUG_VALUES = CHART / "values-debug.yaml"
TEMPLATES = sorted((CHART / "templates").rglob("*.yaml"))

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
spec:
  template:
    spec:
      containers:
        - name: app
          image: registry.example.com/app:1.0
          securityContext:
            privileged: true
"""


def _scan(paths: list[Path], **render: object) -> ScanResult:
    return run(ScanOptions(paths=[str(p) for p in paths], use_config=False, render=RenderOptions(**render)))  # type: ignore[arg-type]


def _where(finding: Finding) -> tuple[str, int, str]:
    position = finding.position
    assert position is not None, finding
    return (position.file or finding.resource.origin.source, position.line, finding.rule_id)


def _marked(files: list[Path]) -> set[tuple[str, int, str]]:
    marked = set()
    for file in files:
        text = file.read_text(encoding="utf-8")
        for rule_id in set(MARKER.findall(text)):
            marked |= {(display_path(str(file)), line, rule_id) for line in expected_lines(text, rule_id)}
    return marked


def _assert_findings_on_marked_lines(result: ScanResult, files: list[Path]) -> None:
    expected = _marked(files)
    rules = {rule for _, _, rule in expected}
    found = {_where(f) for f in result.findings if f.rule_id in rules}
    assert found == expected


def test_findings_point_at_template_lines_and_at_the_values_lines_that_set_them() -> None:
    result = _scan([CHART])
    assert result.complete, (result.errors, result.gaps)
    _assert_findings_on_marked_lines(result, [*TEMPLATES, CHART / "values.yaml"])
    # values-debug.yaml was not given: its privileged container does not exist.
    assert not [f for f in result.findings if f.rule_id == "pss-baseline-privileged"]


def test_a_values_file_given_is_where_the_fields_it_sets_are_reported() -> None:
    result = _scan([CHART], helm_values=(str(DEBUG_VALUES),))
    assert result.complete, (result.errors, result.gaps)
    _assert_findings_on_marked_lines(result, [*TEMPLATES, CHART / "values.yaml", DEBUG_VALUES])


def test_a_helm_set_value_is_reported_at_the_template_line_that_prints_it() -> None:
    result = _scan([CHART], helm_set=("securityContext.privileged=true",))
    [privileged] = [f for f in result.findings if f.rule_id == "pss-baseline-privileged"]
    template = CHART / "templates" / "deployment.yaml"
    lines = template.read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "toYaml .Values.securityContext" in text)
    assert _where(privileged) == (display_path(str(template)), line, "pss-baseline-privileged")


def test_release_name_and_namespace_reach_the_templates() -> None:
    result = _scan([CHART], release_name="prod", namespace="shop")
    names = {f.resource.name for f in result.findings}
    assert names == {"prod-shop"}
    assert "Namespace shop has workloads" in " ".join(f.message for f in result.findings)


def test_templates_are_never_read_as_plain_manifests(run_cli: RunCli) -> None:
    """The folder walk renders the chart; no 'invalid YAML' about {{ }} in templates."""
    done = run_cli("scan", str(CHART.parent), "--no-config", "--format", "json")
    report = json.loads(done.out)
    assert report["errors"] == [] and done.code == 1
    sources = {f["location"]["source"] for f in report["findings"]}
    assert sources <= {display_path(str(p)) for p in [*TEMPLATES, CHART / "values.yaml"]}


def test_a_template_named_on_the_command_line_renders_its_chart(run_cli: RunCli) -> None:
    """Naming templates (a CI job listing changed files) scans their chart, rendered once."""
    whole = json.loads(run_cli("scan", str(CHART), "--no-config", "--format", "json").out)
    done = run_cli("scan", *map(str, TEMPLATES), "--no-config", "--format", "json")
    report = json.loads(done.out)
    assert report["errors"] == [] and done.code == 1
    assert report["findings"] == whole["findings"]


def _chart(root: Path, template: str, chart_yaml: str = "apiVersion: v2\nname: broken\nversion: 0.1.0\n") -> Path:
    chart = root / "broken"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(chart_yaml)
    (chart / "templates" / "deployment.yaml").write_text(template)
    (root / "plain.yaml").write_text(DEPLOYMENT.format(name="plain"))
    return chart


def test_a_template_error_is_one_line_naming_the_chart_and_the_rest_is_scanned(tmp_path: Path) -> None:
    _chart(tmp_path, DEPLOYMENT.format(name='{{ required "name is required" .Values.name }}'))
    result = _scan([tmp_path])
    assert not result.complete
    [error] = result.errors
    assert error.source == display_path(str(tmp_path / "broken"))
    assert error.message.startswith("Helm chart not rendered: ")
    assert "broken/templates/deployment.yaml" in error.message and "name is required" in error.message
    assert "\n" not in error.message
    assert {f.resource.name for f in result.findings if f.rule_id == "pss-baseline-privileged"} == {"plain"}


@pytest.mark.parametrize(
    ("template", "chart_yaml"),
    [
        ("{{- if .Values.enabled }}\n" + DEPLOYMENT.format(name="off") + "{{- end }}\n", None),
        (
            '{{- define "broken.labels" -}}\napp: web\n{{- end -}}\n',
            "apiVersion: v2\nname: broken\nversion: 0.1.0\ntype: library\n",
        ),
    ],
    ids=["every-template-switched-off", "library-chart"],
)
def test_a_chart_that_renders_nothing_is_scanned_not_an_error(
    tmp_path: Path, template: str, chart_yaml: str | None
) -> None:
    # A chart whose templates are all switched off by its values, or a library chart (helpers
    # only), deploys nothing: the scan is complete, not an "empty file" that fails the gate.
    _chart(tmp_path, template, *([chart_yaml] if chart_yaml else []))
    result = _scan([tmp_path])
    assert result.errors == [] and result.gaps == [] and result.complete
    assert {f.resource.name for f in result.findings if f.rule_id == "pss-baseline-privileged"} == {"plain"}


def test_a_dependency_not_in_charts_is_a_gap_and_nothing_is_fetched(tmp_path: Path, run_cli: RunCli) -> None:
    dependency = "dependencies:\n  - name: redis\n    version: 19.0.0\n    repository: https://charts.example.com\n"
    _chart(tmp_path, DEPLOYMENT.format(name="web"), f"apiVersion: v2\nname: broken\nversion: 0.1.0\n{dependency}")
    done = run_cli("scan", str(tmp_path), "--no-config", "--format", "json")
    assert done.code == 2
    report = json.loads(done.out)
    [gap] = [g for g in report["gaps"] if "broken" in g["what"]]
    assert "redis 19.0.0 (missing)" in gap["reason"] and "helm dependency build" in gap["reason"]
    assert {f["resource"]["name"] for f in report["findings"] if f["ruleId"] == "pss-baseline-privileged"} == {"plain"}


def test_a_values_file_that_does_not_exist_is_a_usage_error(run_cli: RunCli) -> None:
    done = run_cli("scan", str(CHART), "--helm-values", "nope.yaml")
    assert done.code == 2 and "--helm-values nope.yaml: no such file" in done.err


def test_chart_options_do_not_apply_to_a_cluster_scan(run_cli: RunCli) -> None:
    done = run_cli("scan", "--cluster", "--helm-set", "a=b")
    assert done.code == 2 and "--helm-set applies to charts among the PATHs" in done.err


def test_a_template_that_never_ends_is_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kubeaudit.sources.render as render

    monkeypatch.setattr(render, "RENDER_TIMEOUT_SECONDS", 3.0)
    endless = "{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}\n"  # 10^10 steps, no memory
    _chart(tmp_path, endless + DEPLOYMENT.format(name="web"))
    result = _scan([tmp_path / "broken"])
    [error] = result.errors
    assert "did not finish within 3 s" in error.message


def _python_without_the_sdk(tmp_path: Path) -> Path:
    """A Python environment holding everything this one has except the Helm SDK."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    ours = Path(sysconfig.get_paths()["purelib"])
    for entry in ours.iterdir():
        if not entry.name.startswith(("helm_python", "helm-python")):
            (Path(site) / entry.name).symlink_to(entry)
    return python


def test_without_the_sdk_a_chart_is_a_gap_naming_the_extra(tmp_path: Path) -> None:
    python = _python_without_the_sdk(tmp_path)
    repo = tmp_path / "repo"
    shutil.copytree(CHART, repo / "charts" / "shop")
    (repo / "plain.yaml").write_text(DEPLOYMENT.format(name="plain"))
    done = subprocess.run(
        [str(python), "-m", "kubeaudit", "scan", ".", "--no-config"],
        cwd=repo, env={**os.environ, "NO_COLOR": "1"}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    [gap] = [line for line in done.stdout.splitlines() if "not rendered" in line]
    assert "charts/shop" in gap and "pip install 'kubeaudit[helm]'" in gap
    assert "plain" in done.stdout  # the rest is judged
    assert "templates/deployment.yaml" not in done.stdout  # never judged raw


def test_sarif_puts_the_values_line_first_with_the_template_line_and_rendered_document_related(
    run_cli: RunCli, tmp_path: Path
) -> None:
    sarif = tmp_path / "kubeaudit.sarif"
    args = ("--helm-values", str(DEBUG_VALUES.relative_to(REPO)), "-f", "sarif", "-o", str(sarif), "--no-config")
    assert run_cli("scan", str(CHART.relative_to(REPO)), *args, cwd=REPO).code == 1
    schema = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"
    checked = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--schemafile", str(schema), str(sarif)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stdout + checked.stderr
    [result] = [
        r for r in json.loads(sarif.read_text())["runs"][0]["results"] if r["ruleId"] == "pss-baseline-privileged"
    ]
    physical = result["locations"][0]["physicalLocation"]
    assert (physical["artifactLocation"]["uri"], physical["region"]["startLine"]) == (
        "fixtures/charts/shop/values-debug.yaml",
        4,
    )
    template, rendered = result["relatedLocations"]
    lines = (CHART / "templates" / "deployment.yaml").read_text().splitlines()
    toyaml = next(n for n, text in enumerate(lines, 1) if "toYaml .Values.securityContext" in text)
    assert template["physicalLocation"]["artifactLocation"]["uri"] == "fixtures/charts/shop/templates/deployment.yaml"
    assert template["physicalLocation"]["region"]["startLine"] == toyaml
    assert rendered["physicalLocation"]["artifactLocation"]["uri"] == "fixtures/charts/shop/Chart.yaml"
    assert rendered["message"]["text"].startswith("Rendered by helm from fixtures/charts/shop: document 1 ")


def test_json_report_names_the_values_file_the_template_line_and_the_rendered_document(run_cli: RunCli) -> None:
    import jsonschema

    done = run_cli("scan", str(CHART.relative_to(REPO)), "-f", "json", "--no-config", cwd=REPO)
    report = json.loads(done.out)
    jsonschema.validate(report, json.loads((REPO / "kubeaudit" / "report" / "json-report.schema.json").read_text()))
    [host] = [f for f in report["findings"] if f["ruleId"] == "pss-baseline-host-namespaces"]
    lines = (CHART / "templates" / "deployment.yaml").read_text().splitlines()
    printed_at = next(n for n, text in enumerate(lines, 1) if "hostNetwork: {{" in text)
    assert host["location"] == {
        "source": "fixtures/charts/shop/templates/deployment.yaml",
        "document": 1,
        "line": next(
            n
            for n, text in enumerate((CHART / "values.yaml").read_text().splitlines(), 1)
            if text.startswith("hostNetwork")
        ),
        "column": 1,
        "file": "fixtures/charts/shop/values.yaml",
        "via": {"line": printed_at, "column": 7},
        "rendered": {
            "tool": "helm",
            "project": "fixtures/charts/shop",
            "manifest": "fixtures/charts/shop/Chart.yaml",
            "document": 1,
            "line": 3,
        },
    }


def test_an_unpacked_subchart_renders_with_the_parent_values_at_its_template(tmp_path: Path) -> None:
    parent = tmp_path / "parent"
    sub = parent / "charts" / "sub"
    (sub / "templates").mkdir(parents=True)
    (parent / "templates").mkdir()
    dependency = "dependencies:\n  - name: sub\n    version: 0.1.0\n"
    (parent / "Chart.yaml").write_text(f"apiVersion: v2\nname: parent\nversion: 0.1.0\n{dependency}")
    (parent / "values.yaml").write_text("sub:\n  privileged: true\n")
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: sub\nversion: 0.1.0\n")
    (sub / "values.yaml").write_text("privileged: false\n")
    pod = DEPLOYMENT.format(name="sub").replace("privileged: true", "privileged: {{ .Values.privileged }}")
    (sub / "templates" / "deployment.yaml").write_text("---\n# the subchart's workload\n" + pod)
    result = _scan([parent])
    assert result.complete, (result.errors, result.gaps)
    [finding] = [f for f in result.findings if f.rule_id == "pss-baseline-privileged"]
    # A subchart's lines are not traced: the finding is on its template's resource.
    assert _where(finding) == (display_path(str(sub / "templates" / "deployment.yaml")), 3, "pss-baseline-privileged")
    assert finding.resource.origin.document == 0


POD_LIST_TEMPLATE = """\
apiVersion: v1
kind: List
items:
  - apiVersion: v1
    kind: Pod
    metadata:  # ruleid: netpol-workload-ingress
      name: first
    spec:
      containers:
        - name: app
          image: registry.example.com/app:1.0  # ruleid: image-not-pinned
  - apiVersion: v1
    kind: Pod
    metadata:  # ruleid: netpol-workload-ingress
      name: second
    spec:
      containers:
        - name: app
          image: registry.example.com/app:{{ .Values.tag }}  # ruleid: image-not-pinned
          securityContext:
            privileged: {{ .Values.privileged }}
"""


def test_findings_in_a_template_that_renders_a_list_point_at_each_item_s_lines(tmp_path: Path) -> None:
    # The items of a rendered `kind: List` were looked up at the document's root, not at their
    # place in its items: every finding was on line 1, in "document 2" of a one-document template.
    chart = tmp_path / "listy"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: listy\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("tag: '1.0'\n# ruleid: pss-baseline-privileged\nprivileged: true\n")
    template = chart / "templates" / "pods.yaml"
    template.write_text(POD_LIST_TEMPLATE)
    result = _scan([chart])
    assert result.complete, (result.errors, result.gaps)
    _assert_findings_on_marked_lines(result, [template, chart / "values.yaml"])
    privileged = next(f for f in result.findings if f.rule_id == "pss-baseline-privileged")
    assert privileged.position is not None and privileged.position.via is not None
    assert privileged.position.via.line == 21  # the template line that prints the value
    assert {f.resource.origin.location().document for f in result.findings} == {1}
