"""What the credentials may not read is a coverage gap in every report, and fails the gate."""

from __future__ import annotations

from tests.apiserver import ApiServerHandle
from tests.cluster.conftest import EQUIVALENCE, report, serve
from tests.conftest import RunCli


def test_forbidden_kind_is_a_gap_and_exits_2_unless_partial_is_allowed(run_cli: RunCli) -> None:
    with serve(EQUIVALENCE, forbid=["daemonsets.apps"], implicit=False) as api:
        args = ("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config", "-f", "json")
        strict = run_cli(*args)
        partial = run_cli(*args, "--allow-partial")
        no_findings_gate = run_cli(*args, "--allow-partial", "--fail-on", "none")
        console = run_cli("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config")
    assert strict.code == 2
    doc = report(strict.out)
    assert doc["complete"] is False
    assert doc["gaps"] == [{"what": "daemonsets.apps", "reason": doc["gaps"][0]["reason"], "context": "kubeaudit-test"}]
    assert doc["gaps"][0]["reason"].startswith("forbidden (403): daemonsets is forbidden")
    not_evaluated = {e["ruleId"] for e in doc["notEvaluated"]}
    assert "pss-baseline-privileged" in not_evaluated  # a pod rule could not see every DaemonSet
    assert partial.code == 1 and report(partial.out)["complete"] is True
    assert no_findings_gate.code == 0
    assert "Coverage gaps (1):" in console.out and "daemonsets.apps" in console.out
    assert "INCOMPLETE" in console.out
    # The DaemonSet's pod is reported itself: its owner could not be listed, so nothing hides it.
    assert any(f["resource"]["name"] == "node-agent-x7k2p" for f in doc["findings"])


def test_namespace_that_cannot_be_read_is_a_gap_for_that_namespace_only(run_cli: RunCli) -> None:
    with serve(EQUIVALENCE, forbid=["team-b/pods"], implicit=False) as api:
        run = run_cli("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config", "-f", "json")
    doc = report(run.out)
    assert run.code == 2
    assert [(g["what"], g["reason"].split(":")[0]) for g in doc["gaps"]] == [
        ("pods in namespace team-b", "forbidden (403)")
    ]
    names = {f["resource"]["name"] for f in doc["findings"]}
    assert "bare-nginx" in names and "operator-managed" in names  # the other namespaces were read
    assert "debug" not in names


def test_kind_failing_after_retries_is_a_gap(run_cli: RunCli) -> None:
    with serve(EQUIVALENCE, fail={"cronjobs.batch": 50}, implicit=False) as api:
        run = run_cli("scan", "--cluster", "--kubeconfig", str(api.kubeconfig_path), "--no-config", "-f", "json")
        cronjob_requests = [r for r in api.requests() if r["path"].endswith("/cronjobs")]
    doc = report(run.out)
    assert run.code == 2
    assert doc["gaps"][0]["what"] == "cronjobs.batch"
    assert "500" in doc["gaps"][0]["reason"] and "after 5 attempts" in doc["gaps"][0]["reason"]
    assert len(cronjob_requests) == 5  # bounded


def test_namespace_option_limits_namespaced_kinds(cluster: ApiServerHandle, run_cli: RunCli) -> None:
    cluster.clear_requests()
    run = run_cli(
        "scan", "--cluster", "--kubeconfig", str(cluster.kubeconfig_path), "--no-config", "-f", "json",
        "-n", "team-b", "--namespace", "team-c",
    )  # fmt: skip
    doc = report(run.out)
    namespaces = {f["resource"]["namespace"] for f in doc["findings"]}
    assert namespaces <= {"team-b", "team-c", None}
    assert {"team-b", "team-c"} <= namespaces
    paths = {r["path"] for r in cluster.requests()}
    assert "/api/v1/namespaces/team-b/pods" in paths and "/api/v1/pods" not in paths
    assert "/api/v1/namespaces/team-a/pods" not in paths
    assert "/api/v1/namespaces/team-b" in paths  # the namespace itself, fetched by name


def test_unknown_namespace_is_a_gap(cluster: ApiServerHandle, run_cli: RunCli) -> None:
    run = run_cli("scan", "--cluster", "--kubeconfig", str(cluster.kubeconfig_path), "--no-config", "-f", "json",
                  "-n", "nope")  # fmt: skip
    doc = report(run.out)
    assert run.code == 2
    assert {"what": "namespace nope", "reason": "does not exist (404)", "context": "kubeaudit-test"} in doc["gaps"]
