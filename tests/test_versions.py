"""Version currency from the command line: --target-version and --as-of change verdicts as
documented, across minor versions and dates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import RunCli

from kubeaudit.semantics.versions import parse_minor, server_minor

INGRESS = """\
apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: shop
spec:
  backend: {serviceName: shop, servicePort: 80}
"""
APISERVER = """\
apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
  namespace: kube-system
  labels: {component: kube-apiserver}
spec:
  containers:
    - name: kube-apiserver
      image: registry.k8s.io/kube-apiserver:v1.35.4
"""
NODE = """\
apiVersion: v1
kind: Node
metadata: {name: worker}
status:
  nodeInfo: {kubeletVersion: v1.33.5, containerRuntimeVersion: containerd://1.7.22}
"""


def _findings(run_cli: RunCli, path: Path, *args: str) -> list[tuple[str, str]]:
    result = run_cli("scan", str(path), "--no-config", "-f", "json", "--fail-on", "none", *args)
    assert result.code == 0, result.err
    return [(f["ruleId"], f["severity"]) for f in json.loads(result.out)["findings"]]


def _versions(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [f for f in found if f[0].startswith("version-")]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("v1.13", []),  # before extensions/v1beta1 Ingress was deprecated
        ("v1.14", [("version-api-deprecated", "low")]),
        ("v1.21", [("version-api-deprecated", "low")]),
        ("v1.22", [("version-api-removed", "high")]),
        ("v1.37", [("version-api-removed", "high")]),
    ],
)
def test_target_version_moves_an_api_from_current_to_deprecated_to_removed(
    run_cli: RunCli, tmp_path: Path, target: str, expected: list[tuple[str, str]]
) -> None:
    (tmp_path / "ingress.yaml").write_text(INGRESS)
    assert _versions(_findings(run_cli, tmp_path, "--target-version", target)) == expected


def test_manifest_scan_targets_the_newest_release_in_the_data(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "ingress.yaml").write_text(INGRESS)
    result = run_cli("scan", str(tmp_path), "--no-config", "-f", "json", "--fail-on", "none")
    [finding] = [f for f in json.loads(result.out)["findings"] if f["ruleId"] == "version-api-removed"]
    assert "target v1.37" in finding["message"] and "networking.k8s.io/v1" in finding["message"]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2026-12-01", []),  # v1.35 ends 2027-02-28: 89 days away, outside the 60-day window
        ("2027-01-15", [("version-cluster-end-of-life-soon", "medium")]),
        ("2027-02-28", [("version-cluster-end-of-life-soon", "medium")]),  # the last supported day
        ("2027-03-01", [("version-cluster-end-of-life", "high")]),
    ],
)
def test_as_of_moves_a_cluster_from_supported_to_near_to_past_end_of_life(
    run_cli: RunCli, tmp_path: Path, as_of: str, expected: list[tuple[str, str]]
) -> None:
    (tmp_path / "kube-apiserver.yaml").write_text(APISERVER)
    assert _versions(_findings(run_cli, tmp_path, "--as-of", as_of)) == expected


def test_end_of_life_window_is_a_parameter(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "kube-apiserver.yaml").write_text(APISERVER)
    (tmp_path / "config").mkdir()
    config = tmp_path / "config" / ".kubeaudit.yaml"
    config.write_text("rules:\n  params:\n    version-cluster-end-of-life-soon: {window_days: 100}\n")
    result = run_cli("scan", str(tmp_path / "kube-apiserver.yaml"), "--config", str(config), "-f", "json",
                     "--fail-on", "none", "--as-of", "2026-12-01")  # fmt: skip
    found = [(f["ruleId"], f["message"]) for f in json.loads(result.out)["findings"]]
    assert any(rule == "version-cluster-end-of-life-soon" and "in 89 days" in message for rule, message in found)


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("v1.33", []),
        ("v1.36", []),  # three minors behind: supported
        ("v1.37", [("version-kubelet-skew", "medium")]),  # four behind
        ("v1.32", [("version-kubelet-skew", "medium")]),  # kubelet newer than the API server
    ],
)
def test_kubelet_skew_against_the_target_control_plane(
    run_cli: RunCli, tmp_path: Path, target: str, expected: list[tuple[str, str]]
) -> None:
    (tmp_path / "nodes.yaml").write_text(NODE)
    found = _findings(run_cli, tmp_path, "--target-version", target, "--as-of", "2026-01-01")
    assert [f for f in found if f[0] == "version-kubelet-skew"] == expected


@pytest.mark.parametrize(
    ("as_of", "past"),
    [("2026-06-28", False), ("2026-06-29", True)],  # v1.33's last supported day, and the day after
)
def test_kubelet_end_of_life_follows_the_date(run_cli: RunCli, tmp_path: Path, as_of: str, past: bool) -> None:
    (tmp_path / "nodes.yaml").write_text(NODE)
    found = _findings(run_cli, tmp_path, "--as-of", as_of)
    assert (("version-kubelet-end-of-life", "high") in found) is past


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--target-version", "1.x", "is not a minor version like v1.31"),
        ("--target-version", "v1.31.2", "is not a minor version like v1.31"),
        ("--as-of", "2026-13-01", "is not a date like 2026-12-01"),
        # Versions the data says nothing about would judge every API current (or mean latest).
        ("--target-version", "v2.5", "'v2.5' is not a version kubeaudit's data knows: v1.6 to v1.37"),
        ("--target-version", "v1.99", "'v1.99' is not a version kubeaudit's data knows: v1.6 to v1.37"),
        ("--target-version", "v1.5", "'v1.5' is not a version kubeaudit's data knows: v1.6 to v1.37"),
        ("--pss-version", "v1.99", "'v1.99' is not a Pod Security policy version kubeaudit's data knows"),
    ],
)
def test_bad_version_options_are_one_line_usage_errors(
    run_cli: RunCli, tmp_path: Path, option: str, value: str, message: str
) -> None:
    (tmp_path / "ingress.yaml").write_text(INGRESS)
    result = run_cli("scan", str(tmp_path), "--no-config", option, value)
    assert result.code == 2 and message in result.err and len(result.err.strip().splitlines()) == 1


def test_reference_data_older_than_180_days_is_noted(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "ingress.yaml").write_text(INGRESS)
    fresh = run_cli("scan", str(tmp_path), "--no-config", "-f", "json", "--as-of", "2027-05-30")
    assert not [n for n in json.loads(fresh.out)["notices"] if "rules/data/" in n["source"]]
    old = run_cli("scan", str(tmp_path), "--no-config", "-f", "json", "--as-of", "2027-06-30")
    sources = {n["source"] for n in json.loads(old.out)["notices"]}
    assert {"rules/data/deprecated-apis.yaml", "rules/data/kubernetes-releases.yaml"} <= sources


@pytest.mark.parametrize(
    ("version", "minor"),
    [("v1.29.4", (1, 29)), ("1.30", (1, 30)), ("v1.30.2-eks-1a2b3c", (1, 30)), ("v1.31.0+k3s1", (1, 31)), ("x", None)],
)
def test_version_strings_parse_to_minor(version: str, minor: tuple[int, int] | None) -> None:
    assert parse_minor(version) == minor


def test_server_minor_reads_managed_distribution_minors() -> None:
    assert server_minor({"major": "1", "minor": "29+"}) == (1, 29)
    assert server_minor({"gitVersion": "v1.36.2-gke.100"}) == (1, 36)
    assert server_minor({}) is None
