"""The mesh config read from GitOps installs of istiod (Flux HelmRelease, Argo CD Application):
where a finding points, and what happens when the values cannot be read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import RunCli

ARGO_VALUES = """\
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {{name: istiod, namespace: argocd}}
spec:
  source:
    repoURL: https://istio-release.storage.googleapis.com/charts
    chart: istiod
    helm:
      values: |
{values}
  destination: {{namespace: istio-system}}
"""


def _argo(tmp_path: Path, values: str, name: str = "app.yaml") -> Path:
    indented = "\n".join(f"        {line}" if line else "" for line in values.splitlines())
    path = tmp_path / name
    path.write_text(ARGO_VALUES.format(values=indented), encoding="utf-8")
    return path


def _scan(run_cli: RunCli, *args: str) -> tuple[int, dict[str, object]]:
    run = run_cli("scan", *args, "--no-config", "--disable", "*", "--enable", "mesh-outbound-allow-any",
                  "-f", "json")  # fmt: skip
    return run.code, json.loads(run.out)


def test_a_mode_set_in_an_argo_values_string_is_reported_at_its_line_and_column(
    tmp_path: Path, run_cli: RunCli
) -> None:
    path = _argo(tmp_path, "meshConfig:\n  outboundTrafficPolicy:\n    mode: ALLOW_ANY\n")
    code, report = _scan(run_cli, str(path))
    assert code == 1
    [finding] = report["findings"]  # type: ignore[misc]
    lines = path.read_text(encoding="utf-8").splitlines()
    line, column = finding["location"]["line"], finding["location"]["column"]
    assert lines[line - 1][column - 1 :] == "mode: ALLOW_ANY"


def test_a_values_string_that_does_not_parse_is_a_gap_naming_its_line_and_nothing_is_asserted(
    tmp_path: Path, run_cli: RunCli
) -> None:
    path = _argo(tmp_path, "meshConfig:\n  outboundTrafficPolicy: {mode: [ALLOW_ANY\n")
    code, report = _scan(run_cli, str(path))
    assert code == 2
    assert report["findings"] == []
    [gap] = report["gaps"]  # type: ignore[misc]
    assert gap["what"].startswith(f"{path.as_posix()}:9 Application argocd/istiod")  # the `values:` line
    assert "spec.source.helm.values, line 3 of it: invalid YAML" in gap["reason"]


@pytest.mark.parametrize(
    ("document", "line", "unseen"),
    [
        ("apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: istiod, namespace: istio-system}\n"
         "spec:\n  chart: {spec: {chart: istiod}}\n  valuesFrom:\n    - {kind: Secret, name: istiod-values}\n",
         6, "spec.valuesFrom"),
        ("apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: istiod, namespace: argocd}\n"
         "spec:\n  source:\n    chart: istiod\n    helm:\n      valueFiles: [values-prod.yaml]\n",
         8, "spec.source.helm.valueFiles"),
    ],
)  # fmt: skip
def test_values_the_scan_cannot_see_leave_the_mode_unjudged_with_a_note(
    tmp_path: Path, run_cli: RunCli, document: str, line: int, unseen: str
) -> None:
    path = tmp_path / "install.yaml"
    path.write_text(document, encoding="utf-8")
    code, report = _scan(run_cli, str(path))
    assert code == 0
    assert report["findings"] == []
    [note] = [n for n in report["notices"] if "outboundTrafficPolicy" in n["message"]]  # type: ignore[union-attr]
    assert note["line"] == line and unseen in note["message"]


def test_a_mesh_config_that_does_not_parse_is_a_gap_and_nothing_is_asserted(tmp_path: Path, run_cli: RunCli) -> None:
    path = tmp_path / "istio.yaml"
    path.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio-canary, namespace: istio-system}\n"
        'data:\n  mesh: "outboundTrafficPolicy: [unclosed"\n',
        encoding="utf-8",
    )
    code, report = _scan(run_cli, str(path))
    assert (code, report["findings"]) == (2, [])
    [gap] = report["gaps"]  # type: ignore[misc]
    assert gap["what"] == f"{path.as_posix()}:5 ConfigMap istio-system/istio-canary"
    assert gap["reason"].startswith("outboundTrafficPolicy not evaluated: data.mesh, line ")
