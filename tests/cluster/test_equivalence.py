"""The same objects served by an API server and read from manifest files give the same findings."""

from __future__ import annotations

from kubeaudit.sources.manifests import ManifestSource
from tests.apiserver import ApiServerHandle
from tests.cluster.conftest import EQUIVALENCE, finding_keys, report
from tests.conftest import RunCli


def _owned_by_a_listed_workload() -> set[tuple[str, str | None, str]]:
    """(kind, namespace, name) of manifest objects the cluster scan folds into their owner."""
    resources = [r for batch in ManifestSource([str(p) for p in EQUIVALENCE]).batches() for r in batch.resources]
    present = {(r.kind, r.namespace, r.name) for r in resources}
    owned = set()
    for r in resources:
        for ref in r.data.get("metadata", {}).get("ownerReferences") or []:
            if ref.get("controller") and (ref.get("kind"), r.namespace, ref.get("name")) in present:
                owned.add((r.kind, r.namespace, r.name))
    return owned


def test_cluster_findings_equal_manifest_findings(cluster: ApiServerHandle, run_cli: RunCli) -> None:
    files = run_cli("scan", *[str(p) for p in EQUIVALENCE], "-f", "json", "--no-config")
    live = run_cli("scan", "--cluster", "--kubeconfig", str(cluster.kubeconfig_path), "-f", "json", "--no-config")
    assert files.code == live.code == 1, live.err
    owned = _owned_by_a_listed_workload()
    expected = {k for k in finding_keys(report(files.out)) if (k[1], k[2], k[3]) not in owned}
    # Cluster-level findings (the cluster has no image-signature admission control) have no
    # manifest counterpart: manifests are not a cluster.
    got = {k for k in finding_keys(report(live.out)) if k[1] != "Cluster"}
    assert got == expected
    # Sanity: the comparison covers pod, container and cross-resource (RBAC) rules on several kinds.
    assert {k[1] for k in got} >= {"Deployment", "StatefulSet", "DaemonSet", "CronJob", "Pod", "ClusterRoleBinding"}
    assert {k[0].split("-")[0] for k in got} >= {"pss", "rbac", "netpol"}  # per-resource and both joined views
    assert ("Pod", "team-c", "operator-managed") not in owned  # its owner is not a workload: reported itself


def test_cluster_findings_name_context_namespace_kind_name_and_path(cluster: ApiServerHandle, run_cli: RunCli) -> None:
    live = run_cli("scan", "--cluster", "--kubeconfig", str(cluster.kubeconfig_path), "-f", "json", "--no-config")
    doc = report(live.out)
    assert doc["inputs"] == ["cluster:kubeaudit-test"]
    privileged = [f for f in doc["findings"] if f["ruleId"] == "pss-baseline-privileged"]
    assert {(f["resource"]["kind"], f["resource"]["namespace"], f["resource"]["name"]) for f in privileged} == {
        ("DaemonSet", "team-c", "node-agent"),
        ("Pod", "team-b", "debug"),
    }
    for f in privileged:
        assert f["location"] == {"source": "cluster:kubeaudit-test", "context": "kubeaudit-test"}
        assert f["path"].endswith("securityContext.privileged")


def test_console_groups_cluster_findings_by_namespace(cluster: ApiServerHandle, run_cli: RunCli) -> None:
    live = run_cli("scan", "--cluster", "--kubeconfig", str(cluster.kubeconfig_path), "--no-config")
    headings = [line for line in live.out.splitlines() if line.startswith("cluster:")]
    assert headings == [
        "cluster:kubeaudit-test (cluster-scoped)",
        "cluster:kubeaudit-test namespace team-a",
        "cluster:kubeaudit-test namespace team-b",
        "cluster:kubeaudit-test namespace team-c",
    ]
    assert "  Deployment/web (3 pods)" in live.out.splitlines()
    assert "[spec.template.spec.containers[0].securityContext.privileged]" in live.out
