"""The Helm worker renders each chart once, marked, and gives back exactly what Helm prints.

What the scan judges must be what `helm template` would deploy, byte for byte, whatever the
templates do with whitespace, with text that looks like our line markers, or with the text of
another template file (a checksum annotation); and a chart that breaks the worker costs only itself.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import helm_python as helm
import pytest

from kubeaudit.api import ScanOptions, run
from kubeaudit.model import ScanError
from kubeaudit.sources.projects import HELM, plan_inputs
from kubeaudit.sources.render import RenderOptions, renderer_for

CHART_YAML = "apiVersion: v2\nname: {name}\nversion: 0.1.0\n"

CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: {{ .Values.mode | quote }}
"""

# A line with trailing blanks before a `{{-` (which trims them), a block scalar, a value that
# looks like a line marker, and a checksum of another template file's text.
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web   \t
  {{- if .Values.suffix }}-{{ .Values.suffix }}{{ end }}
  annotations:
    note: "plain #kubeaudit:3; text"
    checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}
spec:
  template:
    metadata:
      annotations:
        script: |
          echo start \x20
          echo end #kubeaudit:1;
    spec:
      containers:
        - name: app
          image: registry.example.com/app:1.0
          securityContext:
            privileged: true
"""

PLAIN_DEPLOYMENT = DEPLOYMENT.replace(
    '    checksum/config: {{ include (print $.Template.BasePath "/configmap.yaml") . | sha256sum }}\n', ""
)


def _chart(root: Path, name: str, templates: dict[str, str]) -> Path:
    chart = root / name
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(CHART_YAML.format(name=name))
    (chart / "values.yaml").write_text("mode: fast\nsuffix: blue\n")
    for file, text in templates.items():
        (chart / "templates" / file).write_text(text)
    return chart


def _helm_prints(chart: Path) -> str:
    """The chart's manifests as the SDK renders them, in the scan's rendered-text layout."""
    with helm.Chart.load(str(chart)) as loaded:
        output = loaded.render({}, name="release-name", namespace="default", is_install=True)
    return "".join(
        f"---\n# Source: {name}\n{text}" + ("" if text.endswith("\n") else "\n")
        for name, text in sorted(output.items())
        if text.strip() and not name.endswith("NOTES.txt")
    )


def _rendered_text(chart: Path) -> str:
    [project] = plan_inputs([str(chart)], []).projects
    renderer = renderer_for(HELM)
    assert renderer is not None
    command = renderer.find()
    assert command is not None
    try:
        return renderer.render(project, command, RenderOptions()).text
    finally:
        renderer.close()


@pytest.mark.parametrize(
    "templates",
    [{"configmap.yaml": CONFIGMAP, "deployment.yaml": DEPLOYMENT}, {"deployment.yaml": PLAIN_DEPLOYMENT}],
    ids=["names-a-template-file", "rendered-once"],
)
def test_what_the_scan_reads_is_what_helm_prints(tmp_path: Path, templates: dict[str, str]) -> None:
    chart = _chart(tmp_path, "web", templates)
    text = _rendered_text(chart)
    assert text == _helm_prints(chart)
    assert "name: web   \t-blue\n" not in text and "name: web-blue\n" in text  # `{{-` trimmed the blanks
    assert 'note: "plain #kubeaudit:3; text"' in text and "echo end #kubeaudit:1;\n" in text
    if "configmap.yaml" in templates:
        [configmap] = [part for part in text.split("---\n") if "kind: ConfigMap" in part]
        shown = configmap.split("\n", 1)[1]  # without the `# Source:` line Helm's engine does not print
        assert f"checksum/config: {hashlib.sha256(shown.encode()).hexdigest()}" in text


def test_findings_still_point_at_the_template_line_when_rendered_once(tmp_path: Path) -> None:
    chart = _chart(tmp_path, "web", {"deployment.yaml": PLAIN_DEPLOYMENT})
    result = run(ScanOptions(paths=[str(chart)], use_config=False))
    [finding] = [f for f in result.findings if f.rule_id == "pss-baseline-privileged"]
    assert finding.position is not None
    assert finding.position.line == PLAIN_DEPLOYMENT.split("\n").index("            privileged: true") + 1


def test_a_chart_that_stops_the_worker_costs_only_itself(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import kubeaudit.sources.render as render

    monkeypatch.setattr(render, "RENDER_TIMEOUT_SECONDS", 3.0)
    endless = "{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}\n"
    _chart(tmp_path, "a-endless", {"deployment.yaml": endless + PLAIN_DEPLOYMENT})
    _chart(tmp_path, "b-fine", {"deployment.yaml": PLAIN_DEPLOYMENT})
    _chart(tmp_path, "c-fine", {"deployment.yaml": PLAIN_DEPLOYMENT})
    result = run(ScanOptions(paths=[str(tmp_path)], use_config=False, render=RenderOptions()))
    assert [(e.source.rsplit("/", 1)[-1], "did not finish within 3 s" in e.message) for e in result.errors] == [
        ("a-endless", True)
    ]
    assert all(isinstance(e, ScanError) for e in result.errors)
    privileged = [f for f in result.findings if f.rule_id == "pss-baseline-privileged"]
    assert {f.resource.origin.source.split("/")[-3] for f in privileged} == {"b-fine", "c-fine"}
