"""Kubelet configuration in cluster mode: read through the node proxy only with --read-kubelet-config.

The test API server answers GET /api/v1/nodes/NAME/proxy/configz as a kubelet does through the
API server's node proxy; the scanner reads it with the real `kubernetes` client. Without the
flag not one proxied request is sent and the kubelet rules are listed as not evaluated; a node
whose kubelet answer is refused or fails is a coverage gap, and nothing is said about it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kubeaudit.sources.cluster.errors import UnsafeRequest
from kubeaudit.sources.cluster.transport import JSON, check_read_only
from tests.apiserver import ApiServerHandle
from tests.cluster.conftest import report, serve
from tests.conftest import RunCli

NODES = [
    {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name},
     "status": {"nodeInfo": {"kubeletVersion": "v1.37.1", "containerRuntimeVersion": "containerd://2.1.0"}}}
    for name in ("node-a", "node-b")
]  # fmt: skip
WEAK = {
    "authentication": {"anonymous": {"enabled": True}, "webhook": {"enabled": False}},
    "authorization": {"mode": "AlwaysAllow"},
    "readOnlyPort": 10255,
    "rotateCertificates": True,
    # What only a flag can make it: a file's zero is defaulted to 4h, the running value is not.
    "streamingConnectionIdleTimeout": "0s",
}


def _nodes(tmp_path: Path) -> Path:
    path = tmp_path / "nodes.json"
    path.write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": NODES}), encoding="utf-8")
    return path


def _scan(run_cli: RunCli, api: ApiServerHandle, *extra: str) -> tuple[int, dict[str, Any]]:
    run = run_cli(
        "scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config", "-f", "json",
        "--disable", "*", "--enable", "kubelet-*", *extra,
    )  # fmt: skip
    return run.code, report(run.out)


def _proxied(api: ApiServerHandle) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in api.requests() if "/proxy" in r["path"]]


def _found(doc: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {(f["ruleId"], f["resource"]["name"], f["path"]) for f in doc["findings"]}


def test_without_the_flag_no_node_is_proxied_and_the_kubelet_rules_are_not_evaluated(
    tmp_path: Path, run_cli: RunCli
) -> None:
    with serve([_nodes(tmp_path)], implicit=False, kubelet_configs={"node-a": WEAK}) as api:
        code, doc = _scan(run_cli, api)
        assert _proxied(api) == []
    assert code == 0  # nothing read, nothing asserted; not a coverage gap either
    assert doc["findings"] == [] and doc["gaps"] == []
    reasons = {n["ruleId"]: n["reason"] for n in doc["notEvaluated"]}
    assert set(reasons) == {r for r in reasons if r.startswith("kubelet-")} and len(reasons) == 11
    assert reasons["kubelet-anonymous-auth"] == (
        "KubeletConfiguration could not be read: not read: needs --read-kubelet-config (and get on nodes/proxy)"
    )


def test_without_the_flag_the_console_says_so_once_not_once_per_kubelet_rule(tmp_path: Path, run_cli: RunCli) -> None:
    with serve([_nodes(tmp_path)], implicit=False) as api:
        run = run_cli("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config")
    lines = [line for line in run.out.splitlines() if "needs --read-kubelet-config" in line]
    assert len(lines) == 1, run.out
    named = lines[0].strip().split(": KubeletConfiguration could not be read")[0].split(", ")
    assert len(named) == 11 and all(rule.startswith("kubelet-") for rule in named), lines[0]
    assert "Rules not fully evaluated (11):" in run.out  # still counted by rule


def test_with_the_flag_each_node_running_configuration_is_judged(tmp_path: Path, run_cli: RunCli) -> None:
    with serve([_nodes(tmp_path)], implicit=False, kubelet_configs={"node-a": WEAK}) as api:
        code, doc = _scan(run_cli, api, "--read-kubelet-config")
        assert sorted(_proxied(api)) == [
            "GET /api/v1/nodes/node-a/proxy/configz",
            "GET /api/v1/nodes/node-b/proxy/configz",
        ]
    assert code == 1
    found = _found(doc)
    weak = {(rule, path) for rule, node, path in found if node == "node-a"}
    assert weak >= {
        ("kubelet-anonymous-auth", "authentication.anonymous.enabled"),
        ("kubelet-authorization-mode", "authorization.mode"),
        ("kubelet-read-only-port", "readOnlyPort"),
        ("kubelet-streaming-idle-timeout", "streamingConnectionIdleTimeout"),
    }
    # node-b runs the server's defaults (kubeadm-like): only what those leave open.
    assert {rule for rule, node, _ in found if node == "node-b"} == {
        "kubelet-protect-kernel-defaults", "kubelet-server-certificate-rotation", "kubelet-tls-cipher-suites",
    }  # fmt: skip
    [anonymous] = [f for f in doc["findings"] if f["ruleId"] == "kubelet-anonymous-auth"]
    assert anonymous["message"] == (
        "Kubelet (node node-a): authentication.anonymous.enabled is true (must be false; running configuration)."
    )
    assert anonymous["resource"]["kind"] == "KubeletConfiguration"
    assert doc["gaps"] == [] and doc["notEvaluated"] == []


def test_a_refused_or_failing_node_is_a_gap_and_the_other_nodes_are_judged(tmp_path: Path, run_cli: RunCli) -> None:
    configs = {"node-a": "forbidden", "node-b": WEAK}
    with serve([_nodes(tmp_path)], implicit=False, kubelet_configs=configs) as api:
        code, doc = _scan(run_cli, api, "--read-kubelet-config")
    assert code == 2  # incomplete: a node's configuration could not be read
    gaps = {g["what"]: g["reason"] for g in doc["gaps"]}
    assert gaps == {
        "kubelet configuration of node node-a": 'forbidden (403): nodes "node-a" is forbidden: User '
        '"system:serviceaccount:kubeaudit:scanner" cannot get resource "nodes/proxy" in API group "" '
        "at the cluster scope"
    }
    assert {node for _, node, _ in _found(doc)} == {"node-b"}  # nothing said about node-a


def test_an_unreachable_kubelet_and_a_malformed_answer_are_reported_not_judged(tmp_path: Path, run_cli: RunCli) -> None:
    configs = {"node-a": "unreachable", "node-b": "malformed"}
    with serve([_nodes(tmp_path)], implicit=False, kubelet_configs=configs) as api:
        code, doc = _scan(run_cli, api, "--read-kubelet-config")
    assert code == 2
    assert doc["findings"] == []
    [gap] = doc["gaps"]
    assert gap["what"] == "kubelet configuration of node node-a" and "503" in gap["reason"]
    assert [e["message"] for e in doc["errors"]] == [
        "kubelet configuration of node node-b: the answer has no kubeletconfig object: not scanned"
    ]


def test_forbidden_node_proxy_everywhere_is_a_gap_per_node(tmp_path: Path, run_cli: RunCli) -> None:
    refused = {"node-a": "forbidden", "node-b": "forbidden"}
    with serve([_nodes(tmp_path)], implicit=False, kubelet_configs=refused) as api:
        code, doc = _scan(run_cli, api, "--read-kubelet-config", "--allow-partial")
    assert code == 0  # --allow-partial: the gaps are shown, the gate only counts findings
    assert sorted(g["what"] for g in doc["gaps"]) == [
        "kubelet configuration of node node-a",
        "kubelet configuration of node node-b",
    ]
    assert {n["ruleId"] for n in doc["notEvaluated"]} >= {"kubelet-anonymous-auth"}


@pytest.mark.parametrize(
    "path",
    ["/api/v1/nodes/node-a/proxy/exec/ns/pod/c", "/api/v1/nodes/node-a/proxy/pods", "/api/v1/nodes/node-a/proxy",
     "/api/v1/namespaces/ns/pods/web/proxy/configz", "/api/v1/namespaces/ns/services/web/proxy/configz"],
)  # fmt: skip
def test_the_node_proxy_is_only_ever_asked_for_configz(path: str) -> None:
    with pytest.raises(UnsafeRequest):
        check_read_only("GET", path, None, JSON)
    check_read_only("GET", "/api/v1/nodes/node-a/proxy/configz", None, JSON)


def test_help_warns_what_the_flag_needs(run_cli: RunCli) -> None:
    out = " ".join(run_cli("scan", "--help").out.split())
    assert "--read-kubelet-config" in out
    assert "nodes/proxy, a permission as strong as exec in every pod of every node" in out
