"""Control-plane flag rules on a cluster's mirror pods in kube-system (the test API server), and the
same pods read from manifests: both must judge every flag alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.cluster.conftest import report, serve
from tests.conftest import RunCli

IMAGES = {
    "kube-apiserver": "registry.k8s.io/kube-apiserver:v1.37.1",
    "kube-controller-manager": "registry.k8s.io/kube-controller-manager:v1.37.1",
    "kube-scheduler": "registry.k8s.io/kube-scheduler:v1.37.1",
    "etcd": "registry.k8s.io/etcd:3.6.5-0",
}
PKI = "/etc/kubernetes/pki"
# Command lines that satisfy every control-plane rule, as a hardened kubeadm cluster runs them.
HARDENED = {
    "kube-apiserver": [
        "kube-apiserver", "--anonymous-auth=false", "--authorization-mode=Node,RBAC",
        "--enable-admission-plugins=NodeRestriction", "--profiling=false",
        "--audit-log-path=/var/log/kubernetes/audit/audit.log", "--audit-log-maxage=30",
        "--audit-log-maxbackup=10", "--audit-log-maxsize=100",
        "--encryption-provider-config=/etc/kubernetes/enc/encryption.yaml",
        f"--service-account-key-file={PKI}/sa.pub", f"--kubelet-client-certificate={PKI}/apiserver-kubelet-client.crt",
        f"--kubelet-client-key={PKI}/apiserver-kubelet-client.key", f"--kubelet-certificate-authority={PKI}/ca.crt",
        "--tls-cipher-suites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "--tls-min-version=VersionTLS12", "--request-timeout=1m", f"--etcd-cafile={PKI}/etcd/ca.crt",
        f"--etcd-certfile={PKI}/apiserver-etcd-client.crt", f"--etcd-keyfile={PKI}/apiserver-etcd-client.key",
        f"--tls-cert-file={PKI}/apiserver.crt", f"--tls-private-key-file={PKI}/apiserver.key",
        f"--client-ca-file={PKI}/ca.crt", "--service-account-extend-token-expiration=false",
    ],
    "kube-controller-manager": [
        "kube-controller-manager", "--bind-address=127.0.0.1", "--profiling=false",
        "--use-service-account-credentials=true", f"--service-account-private-key-file={PKI}/sa.key",
        f"--root-ca-file={PKI}/ca.crt", "--terminated-pod-gc-threshold=10",
    ],
    "kube-scheduler": ["kube-scheduler", "--bind-address=127.0.0.1", "--profiling=false"],
    "etcd": [
        "etcd", f"--cert-file={PKI}/etcd/server.crt", f"--key-file={PKI}/etcd/server.key", "--client-cert-auth=true",
        f"--trusted-ca-file={PKI}/etcd/ca.crt", f"--peer-cert-file={PKI}/etcd/peer.crt",
        f"--peer-key-file={PKI}/etcd/peer.key", "--peer-client-cert-auth=true",
        f"--peer-trusted-ca-file={PKI}/etcd/ca.crt",
    ],
}  # fmt: skip
# One pod per component with flags that break rules: the flag words (appended after the
# hardened command line, so they win), and flags removed from it.
FAULTY: dict[str, tuple[list[str], set[str]]] = {
    "kube-apiserver": (
        ["--anonymous-auth", "--authorization-mode=AlwaysAllow", "--enable-admission-plugins",
         "NodeRestriction,AlwaysAdmit", "--audit-log-maxage=7", "--tls-cipher-suites=TLS_RSA_WITH_AES_128_CBC_SHA",
         "--request-timeout=1h", "--token-auth-file=/etc/kubernetes/tokens.csv"],
        {"--encryption-provider-config", "--service-account-key-file", "--kubelet-certificate-authority",
         "--etcd-cafile", "--client-ca-file"},
    ),
    "kube-controller-manager": (
        ["--use-service-account-credentials=0", "--feature-gates=RotateKubeletServerCertificate=false",
         "--terminated-pod-gc-threshold=0", "--tls-min-version=VersionTLS10"],
        {"--bind-address", "--root-ca-file"},
    ),
    "kube-scheduler": (["--bind-address=0.0.0.0"], {"--profiling"}),
    "etcd": (["--auto-tls=true", "--peer-auto-tls"], {"--peer-client-cert-auth", "--key-file"}),
}  # fmt: skip


def mirror_pod(component: str, command: list[str]) -> dict[str, Any]:
    """The mirror pod the kubelet of node cp1 creates for a static pod."""
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"{component}-cp1",
            "namespace": "kube-system",
            "annotations": {"kubernetes.io/config.mirror": "0f1e2d3c"},
            "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": "cp1", "uid": "n-1", "controller": True}],
        },
        "spec": {
            "nodeName": "cp1",
            "containers": [{"name": component, "image": IMAGES[component], "command": command}],
        },
    }


def faulty_command(component: str) -> list[str]:
    added, removed = FAULTY[component]
    kept = [word for word in HARDENED[component] if word.partition("=")[0] not in removed]
    return kept + added


def findings(run_cli: RunCli, *target: str) -> tuple[int, set[tuple[str, str, str]]]:
    """Exit code and (pod, rule, path) of the control-plane findings of a scan."""
    result = run_cli(
        "scan", *target, "--no-config", "-f", "json", "--disable", "*", "--enable", "controlplane-*",
    )  # fmt: skip
    doc = report(result.out)
    assert all(f["resource"]["namespace"] == "kube-system" for f in doc["findings"])
    return result.code, {(f["resource"]["name"], f["ruleId"], f["path"]) for f in doc["findings"]}


def cluster_findings(tmp_path: Path, run_cli: RunCli, pods: list[dict[str, Any]]) -> tuple[int, set[Any]]:
    manifests = []
    for pod in pods:
        manifest = tmp_path / f"{pod['metadata']['name']}.json"
        manifest.write_text(json.dumps(pod), encoding="utf-8")
        manifests.append(manifest)
    with serve(manifests, implicit=False) as api:
        return findings(run_cli, "--cluster", "--kubeconfig", str(api.kubeconfig_path))


def test_hardened_mirror_pods_pass_every_control_plane_rule(tmp_path: Path, run_cli: RunCli) -> None:
    code, found = cluster_findings(tmp_path, run_cli, [mirror_pod(c, command) for c, command in HARDENED.items()])
    assert (code, found) == (0, set())


def test_mirror_pod_flags_are_judged_in_cluster_mode_as_in_manifests(tmp_path: Path, run_cli: RunCli) -> None:
    pods = [mirror_pod(component, faulty_command(component)) for component in FAULTY]
    code, found = cluster_findings(tmp_path, run_cli, pods)
    command = "spec.containers[0].command"

    def at(component: str, flag: str) -> str:  # the path of the word that last set a flag
        words = faulty_command(component)
        return f"{command}[{max(i for i, word in enumerate(words) if word.partition('=')[0] == flag)}]"

    expected = {
        ("kube-apiserver", "apiserver-anonymous-auth", at("kube-apiserver", "--anonymous-auth")),  # bare: true
        ("kube-apiserver", "apiserver-authorization-mode", at("kube-apiserver", "--authorization-mode")),
        ("kube-apiserver", "apiserver-always-admit", at("kube-apiserver", "--enable-admission-plugins")),
        ("kube-apiserver", "apiserver-audit-log-retention", at("kube-apiserver", "--audit-log-maxage")),
        ("kube-apiserver", "apiserver-tls-cipher-suites", at("kube-apiserver", "--tls-cipher-suites")),
        ("kube-apiserver", "apiserver-request-timeout", at("kube-apiserver", "--request-timeout")),
        ("kube-apiserver", "apiserver-encryption-config", command),
        ("kube-apiserver", "apiserver-service-account-key", command),
        ("kube-apiserver", "apiserver-kubelet-certificate-authority", command),
        ("kube-apiserver", "apiserver-token-auth-file", at("kube-apiserver", "--token-auth-file")),
        ("kube-apiserver", "apiserver-etcd-tls", command),
        ("kube-apiserver", "apiserver-serving-tls", command),
        ("kube-controller-manager", "controller-manager-service-account-credentials",
         at("kube-controller-manager", "--use-service-account-credentials")),
        ("kube-controller-manager", "controller-manager-rotate-kubelet-server-certificate",
         at("kube-controller-manager", "--feature-gates")),
        ("kube-controller-manager", "controller-manager-terminated-pod-gc",
         at("kube-controller-manager", "--terminated-pod-gc-threshold")),
        ("kube-controller-manager", "tls-min-version", at("kube-controller-manager", "--tls-min-version")),
        ("kube-controller-manager", "bind-address", command),
        ("kube-controller-manager", "controller-manager-root-ca-file", command),
        ("kube-scheduler", "bind-address", at("kube-scheduler", "--bind-address")),
        ("kube-scheduler", "profiling", command),
        ("etcd", "etcd-client-cert-auth", at("etcd", "--auto-tls")),
        ("etcd", "etcd-peer-client-cert-auth", at("etcd", "--peer-auto-tls")),
        ("etcd", "etcd-peer-client-cert-auth", command),
        ("etcd", "etcd-cert-file", command),
    }  # fmt: skip
    assert (code, found) == (1, {(f"{pod}-cp1", f"controlplane-{rule}", path) for pod, rule, path in expected})
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    for pod in pods:
        (manifests / f"{pod['metadata']['name']}.yaml").write_text(json.dumps(pod), encoding="utf-8")
    assert findings(run_cli, str(manifests)) == (1, found)
