"""A control-plane component that reads its settings from a file (kube-scheduler --config, etcd
--config-file) is not judged on its flags alone: the file is on the node, the scan did not read
it, so the rules reading its flags list the pod as not evaluated and report nothing about it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import RunCli

POD = """\
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: kube-system}}
spec:
  containers:
    - name: {component}
      image: registry.k8s.io/{component}:v1.37.1
      command: [{command}]
"""
CASES = {
    "kube-scheduler": ("kube-scheduler, --config=/etc/kubernetes/scheduler.conf, --profiling=true", "--config"),
    "etcd": ("etcd, --config-file=/etc/etcd/etcd.conf.yml", "--config-file"),
}


def _scan(run_cli: RunCli, folder: Path) -> dict:  # type: ignore[type-arg]
    run = run_cli("scan", str(folder), "--no-config", "-f", "json", "--fail-on", "none", "--disable", "*",
                  "--enable", "controlplane-*")  # fmt: skip
    assert run.code == 0, run.err
    return json.loads(run.out)  # type: ignore[no-any-return]


@pytest.mark.parametrize("component", CASES)
def test_a_component_with_a_settings_file_is_not_judged_on_its_flags(
    run_cli: RunCli, tmp_path: Path, component: str
) -> None:
    command, flag = CASES[component]
    (tmp_path / "pod.yaml").write_text(POD.format(name=f"{component}-cp1", component=component, command=command))
    report = _scan(run_cli, tmp_path)
    assert report["findings"] == []  # --profiling=true (or no TLS flag at all) says nothing once a file decides
    reasons = {entry["ruleId"]: entry for entry in report["notEvaluated"]}
    assert reasons, "the rules reading its flags are listed as not evaluated"
    for entry in reasons.values():
        assert f"reads its settings from {flag}" in entry["reason"], entry
        assert entry["targets"] == [f"Pod/kube-system/{component}-cp1"], entry
        assert "apiserver" not in entry["ruleId"], entry  # rules for another component: not theirs to judge
    if component == "kube-scheduler":
        assert "controlplane-profiling" in reasons


def test_without_a_settings_file_the_flags_are_judged(run_cli: RunCli, tmp_path: Path) -> None:
    pod = POD.format(name="kube-scheduler-cp1", component="kube-scheduler", command="kube-scheduler, --profiling=true")
    (tmp_path / "pod.yaml").write_text(pod)
    report = _scan(run_cli, tmp_path)
    assert "controlplane-profiling" in {f["ruleId"] for f in report["findings"]}
    assert report["notEvaluated"] == []
