"""Image and version checks against the real test API server: nodes with old kubelets, replicas
running different digests of one tag, and clusters with and without image-signature policy."""

from __future__ import annotations

from typing import Any

from tests.cluster.conftest import DATA, report, serve
from tests.conftest import RunCli

CLUSTER = DATA / "images-versions"
VERIFY = DATA / "images-signature"


def _scan(run_cli: RunCli, api: Any, *args: str) -> dict[str, Any]:
    run = run_cli("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config", "-f", "json",
                  "--fail-on", "none", "--as-of", "2026-12-01", *args)  # fmt: skip
    assert "Traceback" not in run.err, run.err
    return report(run.out)


def _found(doc: dict[str, Any], rule: str) -> list[dict[str, Any]]:
    return [f for f in doc["findings"] if f["ruleId"] == rule]


def test_old_kubelets_skew_and_runtime_versions(run_cli: RunCli) -> None:
    with serve([CLUSTER], git_version="v1.37.1") as api:
        doc = _scan(run_cli, api)
    [eol] = _found(doc, "version-kubelet-end-of-life")
    assert eol["resource"]["name"] == "node-old" and "v1.33.5" in eol["message"] and "2026-06-28" in eol["message"]
    [skew] = _found(doc, "version-kubelet-skew")
    assert skew["resource"]["name"] == "node-old" and "4 minor versions behind" in skew["message"]
    assert not _found(doc, "version-cluster-end-of-life") and not _found(doc, "version-cluster-end-of-life-soon")
    [summary] = [n["message"] for n in doc["notices"] if n["message"].startswith("versions: ")]
    assert "API server v1.37.1" in summary and "2 nodes" in summary
    assert "containerd://1.7.22 (1)" in summary and "containerd://2.1.4 (1)" in summary


def test_server_past_end_of_life_and_its_version_is_the_default_target(run_cli: RunCli) -> None:
    with serve([CLUSTER], git_version="v1.15.3") as api:
        doc = _scan(run_cli, api)
    [eol] = _found(doc, "version-cluster-end-of-life")
    assert "v1.15.3" in eol["message"] and eol["resource"]["kind"] == "Cluster"
    # The last-applied manifest says extensions/v1beta1: deprecated at v1.15, removed at v1.16.
    [deprecated] = _found(doc, "version-api-deprecated")
    assert "extensions/v1beta1 (last-applied)" in deprecated["message"] and "target v1.15" in deprecated["message"]
    assert not _found(doc, "version-api-removed")
    # Kubelets newer than the API server are outside the skew policy.
    assert {f["resource"]["name"] for f in _found(doc, "version-kubelet-skew")} == {"node-old", "node-current"}
    with serve([CLUSTER], git_version="v1.15.3") as api:
        doc = _scan(run_cli, api, "--target-version", "v1.16")
    [removed] = _found(doc, "version-api-removed")
    assert "Kubernetes v1.16 removed (target v1.16)" in removed["message"]


def test_replicas_with_different_image_digests_are_tag_drift(run_cli: RunCli) -> None:
    with serve([CLUSTER]) as api:
        doc = _scan(run_cli, api)
    [drift] = _found(doc, "image-tag-drift")
    assert (drift["resource"]["kind"], drift["resource"]["name"]) == ("Deployment", "web")
    assert "sha256:1111" in drift["message"] and "sha256:2222" in drift["message"]


def test_a_cluster_without_signature_policy_gets_one_cluster_finding(run_cli: RunCli) -> None:
    with serve([CLUSTER]) as api:
        doc = _scan(run_cli, api)
    [missing] = _found(doc, "image-signature-admission-missing")
    assert missing["resource"]["kind"] == "Cluster"


def test_a_kyverno_verify_images_policy_satisfies_the_signature_check(run_cli: RunCli) -> None:
    with serve([CLUSTER, VERIFY]) as api:
        doc = _scan(run_cli, api)
    assert not _found(doc, "image-signature-admission-missing")
    assert "image-signature-admission-missing" not in doc.get("notEvaluated", {})


def test_signature_check_is_not_evaluated_when_policies_cannot_be_read(run_cli: RunCli) -> None:
    with serve([CLUSTER, VERIFY], forbid=["clusterpolicies.kyverno.io"]) as api:
        run = run_cli("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config", "-f", "json",
                      "--allow-partial", "--fail-on", "none")  # fmt: skip
    doc = report(run.out)
    assert not _found(doc, "image-signature-admission-missing")
    assert "image-signature-admission-missing" in str(doc.get("notEvaluated"))
