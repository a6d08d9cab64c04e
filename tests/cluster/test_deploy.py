"""The in-cluster CronJob manifests pass kubeaudit's own rules, and the role is exactly what the scanner lists."""

from __future__ import annotations

from pathlib import Path

import yaml

from kubeaudit.sources.cluster.kinds import CATALOGUE, plural_names
from tests.conftest import REPO, RunCli

DEPLOY = REPO / "deploy"


def test_deploy_manifests_have_no_findings_with_all_default_rules(run_cli: RunCli) -> None:
    run = run_cli("scan", str(DEPLOY), "--no-config", "--fail-on", "info")
    assert run.code == 0, run.out
    assert "0 findings" in run.out


def _role() -> dict[str, object]:
    return yaml.safe_load((DEPLOY / "clusterrole.yaml").read_text(encoding="utf-8"))


def test_cluster_role_is_read_only_and_matches_what_the_scanner_lists() -> None:
    granted: set[tuple[str, str, str]] = set()
    for rule in _role()["rules"]:  # type: ignore[index]
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                for verb in rule["verbs"]:
                    granted.add((group, resource, verb))
    assert {verb for _, _, verb in granted} == {"get", "list"}
    assert not [g for g in granted if g[1] == "secrets" or "*" in g]
    needed = {(k.group, plural_names([k.kind])[0], "list") for k in CATALOGUE if not k.metadata_only} | {
        ("", "namespaces", "get")
    }  # --namespace fetches each namespace by name
    assert granted == needed


def test_cronjob_runs_a_cluster_scan_with_json_output() -> None:
    cronjob = yaml.safe_load((DEPLOY / "cronjob.yaml").read_text(encoding="utf-8"))
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["args"][:4] == ["scan", "--cluster", "--format", "json"]
    assert pod["serviceAccountName"] == "kubeaudit"
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert "/var/run/secrets/kubernetes.io/serviceaccount" in mounts  # where in-cluster credentials are read


def test_deploy_folder_is_only_manifests() -> None:
    assert {p.suffix for p in Path(DEPLOY).iterdir()} == {".yaml"}


def test_the_shipped_role_and_cronjob_never_read_kubelet_configuration() -> None:
    """nodes/proxy is as strong as exec on every node: --read-kubelet-config stays an explicit opt-in."""
    granted = {(g, r) for rule in _role()["rules"] for g in rule["apiGroups"] for r in rule["resources"]}  # type: ignore[index]
    assert not [r for g, r in granted if g == "" and r in ("nodes/proxy", "nodes/*", "*")]
    cronjob = yaml.safe_load((DEPLOY / "cronjob.yaml").read_text(encoding="utf-8"))
    [container] = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert "--read-kubelet-config" not in container["args"]
