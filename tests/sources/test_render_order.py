"""A Namespace file outside a chart or overlay pins the Pod Security version of the rendered
workloads in its namespace, whatever the order of the inputs: Namespace files are read before
anything rendered; and a Namespace a chart or overlay renders pins the version of what the other
charts and overlays render (they are rendered first), and of the plain files without a Namespace."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import RunCli

# Allowed from v1.32 on (the safe sysctl list grew), forbidden at v1.31.
POD = """\
apiVersion: v1
kind: Pod
metadata: {name: tuned, namespace: legacy}
spec:
  securityContext:
    sysctls: [{name: net.ipv4.tcp_rmem, value: "1"}]
  containers: [{name: app, image: nginx}]
"""
NAMESPACE = """\
apiVersion: v1
kind: Namespace
metadata:
  name: legacy
  labels: {pod-security.kubernetes.io/enforce: baseline, pod-security.kubernetes.io/enforce-version: v1.31}
"""


def _overlay(root: Path) -> Path:
    overlay = root / "a-overlay"
    overlay.mkdir()
    (overlay / "kustomization.yaml").write_text("resources: [pod.yaml]\n")
    (overlay / "pod.yaml").write_text(POD)
    return overlay


def _chart(root: Path) -> Path:
    chart = root / "a-chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: tuned\nversion: 0.1.0\n")
    (chart / "templates" / "pod.yaml").write_text(POD)
    return chart


def _versions(run_cli: RunCli, *paths: str) -> list[tuple[str, str, str]]:
    run = run_cli("scan", "--no-config", "--profile", "baseline", "-f", "json", *paths)
    report = json.loads(run.out)
    assert report["errors"] == [], report["errors"]
    return [(f["ruleId"], f["resource"]["namespace"], f["policyVersion"]) for f in report["findings"]]


@pytest.mark.parametrize("project", [_overlay, _chart], ids=["kustomize", "helm"])
@pytest.mark.parametrize("namespace_last", [True, False], ids=["namespace-named-last", "namespace-named-first"])
def test_a_namespace_file_pins_the_version_of_rendered_workloads_in_any_order(
    tmp_path: Path, run_cli: RunCli, project: object, namespace_last: bool
) -> None:
    rendered = str(project(tmp_path))  # type: ignore[operator]
    (tmp_path / "z-namespace.yaml").write_text(NAMESPACE)
    paths = [rendered, str(tmp_path / "z-namespace.yaml")]
    if not namespace_last:
        paths.reverse()
    assert _versions(run_cli, *paths) == [("pss-baseline-sysctls", "legacy", "v1.31")]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_namespace_file_in_a_walked_folder_pins_the_version_of_an_overlay_beside_it(
    tmp_path: Path, run_cli: RunCli, jobs: str
) -> None:
    _overlay(tmp_path)
    (tmp_path / "z-namespace.yaml").write_text(NAMESPACE)
    (tmp_path / "z-other.yaml").write_text(POD.replace("tuned", "plain"))  # a file read by a --jobs worker
    assert _versions(run_cli, "--jobs", jobs, str(tmp_path)) == [("pss-baseline-sysctls", "legacy", "v1.31")] * 2


@pytest.mark.parametrize("project", [_overlay, _chart], ids=["kustomize", "helm"])
def test_a_namespace_an_overlay_or_chart_renders_pins_the_version_of_what_an_earlier_one_renders(
    tmp_path: Path, run_cli: RunCli, project: object
) -> None:
    """The workload's project sorts first, the Namespace's last."""
    project(tmp_path)  # type: ignore[operator]
    namespaced = tmp_path / "z-namespace"
    namespaced.mkdir()
    (namespaced / "kustomization.yaml").write_text("resources: [namespace.yaml]\n")
    (namespaced / "namespace.yaml").write_text(NAMESPACE)
    (tmp_path / "plain.yaml").write_text(POD.replace("tuned", "plain"))
    assert _versions(run_cli, str(tmp_path)) == [("pss-baseline-sysctls", "legacy", "v1.31")] * 2
