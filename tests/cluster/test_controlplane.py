"""Control-plane flag rules on a cluster's mirror pods in kube-system (the test API server)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cluster.conftest import report, serve
from tests.conftest import RunCli

MIRROR_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "name": "kube-apiserver-cp1",
        "namespace": "kube-system",
        "annotations": {"kubernetes.io/config.mirror": "0f1e2d3c"},
        "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "cp1", "uid": "n-1", "controller": True}],
    },
    "spec": {
        "nodeName": "cp1",
        "containers": [
            {
                "name": "kube-apiserver",
                "image": "registry.k8s.io/kube-apiserver:v1.37.1",
                "command": ["kube-apiserver", "--anonymous-auth=false", "--authorization-mode=AlwaysAllow",
                            "--anonymous-auth=true", "--enable-admission-plugins", "NodeRestriction,AlwaysAdmit",
                            "--audit-log-path=/var/log/kubernetes/audit.log", "--audit-log-maxage=7",
                            "--encryption-provider-config=/etc/kubernetes/enc.yaml"],
            }
        ],
    },
}  # fmt: skip


def test_mirror_pod_flags_are_judged_in_cluster_mode(tmp_path: Path, run_cli: RunCli) -> None:
    manifest = tmp_path / "mirror.json"
    manifest.write_text(json.dumps(MIRROR_POD), encoding="utf-8")
    with serve([manifest], implicit=False) as api:
        live = run_cli(
            "scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config", "-f", "json",
            "--disable", "*", "--enable", "controlplane-*",
        )  # fmt: skip
    doc = report(live.out)
    assert live.code == 1, live.out
    found = {(f["ruleId"], f["resource"]["namespace"], f["resource"]["name"], f["path"]) for f in doc["findings"]}
    assert found == {
        ("controlplane-apiserver-anonymous-auth", "kube-system", "kube-apiserver-cp1", "spec.containers[0].command[3]"),
        (
            "controlplane-apiserver-authorization-mode",
            "kube-system",
            "kube-apiserver-cp1",
            "spec.containers[0].command[2]",
        ),
        ("controlplane-profiling", "kube-system", "kube-apiserver-cp1", "spec.containers[0].command"),
        ("controlplane-apiserver-always-admit", "kube-system", "kube-apiserver-cp1", "spec.containers[0].command[4]"),
        (
            "controlplane-apiserver-audit-log-retention",
            "kube-system",
            "kube-apiserver-cp1",
            "spec.containers[0].command[7]",
        ),
        (
            "controlplane-apiserver-service-account-key",
            "kube-system",
            "kube-apiserver-cp1",
            "spec.containers[0].command",
        ),
    }
