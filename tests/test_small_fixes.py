"""Smaller things a careful user hit (issue 8), each as the user sees it."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import RunCli

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: shop
  labels: {{"kubeaudit.io/allow-privileged": "true"}}
spec:
  containers:
    - name: app
      image: nginx:1.27
      securityContext: {{privileged: true, capabilities: {{drop: [{drop}]}}}}
      env:
        - {{name: LOG_LEVEL, value: debug}}
        - {{name: DB_PASSWORD, value: hunter2}}
"""


def _report(run_cli: RunCli, folder: Path, *args: str) -> dict:  # type: ignore[type-arg]
    return json.loads(run_cli("scan", str(folder), "--no-config", "-f", "json", "--fail-on", "none", *args).out)


def _messages(report: dict, rule_id: str) -> list[str]:  # type: ignore[type-arg]
    return [f["message"] for f in report["findings"] if f["ruleId"] == rule_id]


def test_lower_case_drop_all_says_the_check_is_case_sensitive(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD.format(drop="all"))
    (message,) = _messages(_report(run_cli, tmp_path), "pss-restricted-capabilities")
    assert "case-sensitive" in message and "ALL" in message


def test_secret_in_env_names_the_variable_not_its_value(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD.format(drop="ALL"))
    (message,) = _messages(_report(run_cli, tmp_path), "secret-in-env")
    assert "DB_PASSWORD" in message and "hunter2" not in message


def test_empty_trailing_documents_are_not_counted(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text("---\n" + POD.format(drop="ALL") + "---\n---\n")
    report = _report(run_cli, tmp_path)
    assert report["summary"]["skippedDocuments"] == 0 and report["summary"]["documents"] == 1
    assert "non-Kubernetes" not in run_cli("scan", str(tmp_path), "--no-config").out


def test_shopify_allow_labels_are_recognised_and_not_honoured(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(POD.format(drop="ALL"))
    run = run_cli("scan", str(tmp_path), "--no-config", "--fail-on", "critical")
    assert run.code == 1
    assert "kubeaudit.io/allow-privileged" in run.out and "not honoured" in run.out
    assert "kubeaudit.io/ignore" in run.out


def test_impersonation_by_edit_is_its_own_high_finding(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "rb.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: devs, namespace: shop}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit}\n"
        "subjects: [{kind: Group, name: devs, apiGroup: rbac.authorization.k8s.io}]\n"
    )
    report = _report(run_cli, tmp_path)
    found = {f["ruleId"]: f for f in report["findings"]}
    assert "rbac-impersonate" not in found  # edit cannot impersonate users or groups
    finding = found["rbac-impersonate-service-accounts"]
    assert finding["severity"] == "high"
    assert "impersonate service accounts" in finding["message"] and "all their permissions" in finding["message"]


def test_a_reopened_default_deny_is_named_as_such(run_cli: RunCli, tmp_path: Path) -> None:
    policy = (
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: {name}, namespace: shop}}\n"
        "spec: {{podSelector: {{}}, policyTypes: [Ingress]{rules}}}\n"
    )
    (tmp_path / "pod.yaml").write_text(POD.format(drop="ALL"))
    (tmp_path / "netpol.yaml").write_text(
        policy.format(name="deny-all", rules="") + "---\n" + policy.format(name="allow-all", rules=", ingress: [{}]")
    )
    (message,) = _messages(_report(run_cli, tmp_path), "netpol-default-deny-ingress")
    assert "deny-all is reopened by allow-all" in message and "no default-deny" not in message
    (tmp_path / "netpol.yaml").unlink()
    (message,) = _messages(_report(run_cli, tmp_path), "netpol-default-deny-ingress")
    assert "no default-deny ingress NetworkPolicy" in message
