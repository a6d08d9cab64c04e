"""Partial inputs: a scan of some of a repository's files (a pre-commit hook passes only the
changed ones) must not report what lives in the files it was not given as missing."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
import yaml
from conftest import REPO, RunCli

HOOKS = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
BINDING = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: app-reads, namespace: shop}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: app-reader}
subjects: [{kind: ServiceAccount, name: app, namespace: shop}]
"""
ROLE = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: app-reader, namespace: shop}
rules: [{apiGroups: [""], resources: [configmaps], verbs: [get]}]
"""
APP = """\
apiVersion: apps/v1
kind: Deployment
metadata: {name: app, namespace: shop}
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers: [{name: app, image: "registry.example/app:1.0"}]
"""
POLICY = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
"""
ONLY_RBAC = ["--disable", "*", "--enable", "rbac-missing-role"]


def _repo(tmp_path: Path) -> Path:
    deploy = tmp_path / "deploy"
    deploy.mkdir()
    for name, text in (("binding", BINDING), ("role", ROLE), ("app", APP), ("netpol", POLICY)):
        (deploy / f"{name}.yaml").write_text(text)
    return tmp_path


def _json(run_cli: RunCli, *args: str, cwd: Path) -> tuple[int, dict]:  # type: ignore[type-arg]
    run = run_cli("scan", *args, "-f", "json", cwd=cwd)
    return run.code, json.loads(run.out)


def test_a_binding_whose_role_is_not_in_the_input_is_a_note(run_cli: RunCli, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    code, report = _json(run_cli, "deploy/binding.yaml", "--no-config", *ONLY_RBAC, cwd=repo)
    assert code == 0 and report["findings"] == []
    notes = [n for n in report["notices"] if "not in the input" in n["message"]]
    assert notes and notes[0]["source"] == "deploy/binding.yaml" and notes[0]["line"] == 4
    assert "Role app-reader" in notes[0]["message"] and "--strict-inputs" in notes[0]["message"]


def test_strict_inputs_reports_it_as_missing(run_cli: RunCli, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    code, report = _json(run_cli, "deploy/binding.yaml", "--no-config", "--strict-inputs", *ONLY_RBAC, cwd=repo)
    assert code == 1 and [f["ruleId"] for f in report["findings"]] == ["rbac-missing-role"]
    (repo / ".kubeaudit.yaml").write_text("strict-inputs: true\n")
    code, report = _json(run_cli, "deploy/binding.yaml", *ONLY_RBAC, cwd=repo)
    assert code == 1 and [f["ruleId"] for f in report["findings"]] == ["rbac-missing-role"]


def test_the_role_in_a_sibling_file_is_found_when_the_folder_is_scanned(run_cli: RunCli, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    code, report = _json(run_cli, "deploy/", "--no-config", "--strict-inputs", *ONLY_RBAC, cwd=repo)
    assert code == 0 and report["findings"] == []


@pytest.mark.parametrize("hook", HOOKS, ids=[h["id"] for h in HOOKS])
def test_pre_commit_hooks_run_once_over_the_changed_files_folders(hook: dict, run_cli: RunCli, tmp_path: Path) -> None:  # type: ignore[type-arg]
    """pre-commit must not split the files over parallel runs (several reports), and a changed
    workload is judged with the NetworkPolicy and Role of its folder, not alone."""
    assert hook["require_serial"] is True and hook["pass_filenames"] is True
    repo = _repo(tmp_path)
    entry = shlex.split(hook["entry"])
    assert entry[:2] == ["kubeaudit", "scan"]
    run = run_cli(*entry[1:], "--no-config", "-f", "json", "--fail-on", "none", "deploy/app.yaml", cwd=repo)
    report = json.loads(run.out)
    assert report["inputs"] == ["deploy"]
    assert not [f for f in report["findings"] if f["ruleId"].startswith(("netpol-", "rbac-"))]


def test_folder_context_scans_each_folder_once(run_cli: RunCli, tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / "deploy" / "sub").mkdir()
    (repo / "deploy" / "sub" / "more.yaml").write_text(APP.replace("name: app,", "name: more,"))
    files = ["deploy/app.yaml", "deploy/role.yaml", "deploy/sub/more.yaml"]
    code, report = _json(run_cli, "--folder-context", "--no-config", "--fail-on", "none", *files, cwd=repo)
    assert code == 0
    assert report["inputs"] == ["deploy"] and report["summary"]["files"] == 5
