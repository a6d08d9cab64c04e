"""Suppressions a team can audit: annotations with reasons, config exemptions,
baselines, each with expiry; suppressed findings stay visible but do not fail the gate."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml
from conftest import RunCli

TODAY = dt.date.today()
FUTURE = (TODAY + dt.timedelta(days=30)).isoformat()
PAST = (TODAY - dt.timedelta(days=1)).isoformat()

POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
  namespace: {namespace}
  annotations: {annotations}
spec:
  containers:
    - name: app
      image: nginx:1.27
      securityContext:
        privileged: true
"""
ONLY = ["--disable", "*", "--enable", "pss-baseline-privileged"]
REASON = ["--reason", "known before the gate was switched on"]


def write_pod(folder: Path, name: str = "web", namespace: str = "shop", annotations: str = "{}") -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(POD.format(name=name, namespace=namespace, annotations=annotations))
    return path


def scan_json(run_cli: RunCli, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = run_cli("scan", *args, "--format", "json", *ONLY)
    return result.code, json.loads(result.out)


def test_annotation_with_reason_suppresses_and_keeps_the_finding(run_cli: RunCli, tmp_path: Path) -> None:
    ann = '{"kubeaudit.io/ignore": "pss-baseline-privileged", "kubeaudit.io/ignore-reason": "CNI plugin"}'
    write_pod(tmp_path, annotations=ann)
    code, report = scan_json(run_cli, str(tmp_path), "--no-config")
    assert code == 0
    assert report["summary"]["findings"]["total"] == 0 and report["summary"]["suppressed"] == 1
    assert report["findings"][0]["suppression"] == {
        "kind": "inSource",
        "source": "annotation",
        "justification": "CNI plugin",
        "expires": None,
    }


def test_annotation_without_reason_is_not_applied_and_says_so(run_cli: RunCli, tmp_path: Path) -> None:
    write_pod(tmp_path, annotations='{"kubeaudit.io/ignore": "pss-baseline-privileged"}')
    code, report = scan_json(run_cli, str(tmp_path), "--no-config")
    assert code == 1
    assert any("has no kubeaudit.io/ignore-reason" in n["message"] for n in report["notices"])


def test_an_unknown_rule_id_in_the_annotation_is_named_at_its_line(run_cli: RunCli, tmp_path: Path) -> None:
    """A typo suppresses nothing: the finding counts, and a note at the annotation says why."""
    ann = '{"kubeaudit.io/ignore": "pss-baseline-privilegd, pss-*, nope-*", "kubeaudit.io/ignore-reason": "CNI"}'
    write_pod(tmp_path, annotations=ann)
    _, report = scan_json(run_cli, str(tmp_path), "--no-config")
    [note] = [n for n in report["notices"] if "names no known rule" in n["message"]]
    assert note["source"].endswith("web.yaml") and note["line"] == 6
    assert "'pss-baseline-privilegd', 'nope-*'" in note["message"]  # the glob that matches rules is fine
    write_pod(tmp_path, annotations=ann.replace("pss-*, ", ""))
    code, report = scan_json(run_cli, str(tmp_path), "--no-config")
    assert code == 1 and report["summary"]["suppressed"] == 0
    assert any("names no known rule" in n["message"] for n in report["notices"])


@pytest.mark.parametrize(("until", "suppressed"), [(FUTURE, True), (PAST, False)])
def test_annotation_expiry(run_cli: RunCli, tmp_path: Path, until: str, suppressed: bool) -> None:
    ann = (
        '{"kubeaudit.io/ignore": "pss-*", "kubeaudit.io/ignore-reason": "migrating",'
        f' "kubeaudit.io/ignore-until": "{until}"}}'
    )
    write_pod(tmp_path, annotations=ann)
    code, report = scan_json(run_cli, str(tmp_path), "--no-config")
    assert code == (0 if suppressed else 1)
    expired = [n for n in report["notices"] if "expired on" in n["message"]]
    assert bool(expired) is not suppressed
    if expired:
        assert expired[0]["line"] == 6  # the annotations line of the pod


def test_annotation_on_the_pod_template_suppresses_workload_findings(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: shop}\nspec:\n  template:\n"
        "    metadata:\n      annotations:\n        kubeaudit.io/ignore: pss-baseline-privileged\n"
        "        kubeaudit.io/ignore-reason: legacy agent\n    spec:\n      containers:\n      - name: a\n"
        "        securityContext: {privileged: true}\n"
    )
    code, report = scan_json(run_cli, str(tmp_path), "--no-config")
    assert code == 0 and report["summary"]["suppressed"] == 1


def test_config_exemptions_match_namespace_kind_and_name_globs(run_cli: RunCli, tmp_path: Path) -> None:
    write_pod(tmp_path, name="node-exporter-a", namespace="monitoring")
    write_pod(tmp_path, name="web", namespace="shop")
    (tmp_path / ".kubeaudit.yaml").write_text(
        "exemptions:\n"
        "  - rules: [pss-baseline-privileged]\n    namespace: monitor*\n    kind: Pod\n    name: node-exporter-*\n"
        f"    reason: needs host access\n    expires: {FUTURE}\n"
    )
    code, report = scan_json(run_cli, str(tmp_path), "--config", str(tmp_path / ".kubeaudit.yaml"))
    assert code == 1
    by_name = {f["resource"]["name"]: f["suppression"] for f in report["findings"]}
    assert by_name["node-exporter-a"]["source"] == "config" and by_name["node-exporter-a"]["kind"] == "external"
    assert by_name["web"] is None


def test_expired_config_exemption_stops_applying(run_cli: RunCli, tmp_path: Path) -> None:
    write_pod(tmp_path)
    (tmp_path / ".kubeaudit.yaml").write_text(
        f"exemptions:\n  - namespace: shop\n    reason: old\n    expires: {PAST}\n"
    )
    code, report = scan_json(run_cli, str(tmp_path), "--config", str(tmp_path / ".kubeaudit.yaml"))
    assert code == 1
    assert any("expired on" in n["message"] and n["line"] == 2 for n in report["notices"])


def test_config_is_found_by_walking_up_from_the_working_directory(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "repo" / "deploy" / "apps").mkdir(parents=True)
    write_pod(tmp_path / "repo" / "deploy" / "apps")
    (tmp_path / "repo" / ".kubeaudit.yaml").write_text("rules:\n  disable: [pss-baseline-privileged]\n")
    result = run_cli("scan", ".", "--format", "json", cwd=tmp_path / "repo" / "deploy")
    assert "pss-baseline-privileged" not in {f["ruleId"] for f in json.loads(result.out)["findings"]}


def test_config_sets_severity_params_profile_fail_on_and_excludes(run_cli: RunCli, tmp_path: Path) -> None:
    write_pod(tmp_path)
    (tmp_path / "vendor").mkdir()
    write_pod(tmp_path / "vendor", name="thirdparty")
    (tmp_path / ".kubeaudit.yaml").write_text(
        "fail-on: critical\nexclude: [vendor/]\nrules:\n  severity: {pss-baseline-privileged: low}\n"
        "  params:\n    container-resource-limits: {resources: [memory]}\n"
    )
    result = run_cli("scan", str(tmp_path), "--format", "json", "--config", str(tmp_path / ".kubeaudit.yaml"))
    report = json.loads(result.out)
    assert result.code == 0  # the only critical was lowered to low, and fail-on is critical
    names = {f["resource"]["name"] for f in report["findings"]}
    assert names == {"web"}
    privileged = [f for f in report["findings"] if f["ruleId"] == "pss-baseline-privileged"]
    assert privileged[0]["severity"] == "low"
    limits = [f["path"] for f in report["findings"] if f["ruleId"] == "container-resource-limits"]
    assert limits and all(p.endswith("memory") or p.endswith("resources") for p in limits)
    assert not any(p.endswith("cpu") for p in limits)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("fail-on: sometimes\n", r"\.kubeaudit\.yaml:1: fail-on: 'sometimes' is not one of"),
        ("exemptions:\n  - namespace: x\n", r":2: exemptions\[0\]: 'reason' is a required property"),
        ("rules:\n  severity: {no-such-rule: high}\n", r"rules.severity names unknown rule"),
        ("rules:\n  params: {no-such-rule: {a: 1}}\n", r"parameters given for unknown rule"),
        ("rules: [oops\n", r"invalid YAML"),
        ("exemptions:\n  - namespace: x\n    reason: fine\n    expires: 2027-02-30\n", r"expires"),
    ],
)
def test_bad_config_is_a_clear_usage_error(run_cli: RunCli, tmp_path: Path, text: str, message: str) -> None:
    import re

    write_pod(tmp_path)
    (tmp_path / ".kubeaudit.yaml").write_text(text)
    result = run_cli("scan", str(tmp_path), "--config", str(tmp_path / ".kubeaudit.yaml"))
    assert result.code == 2
    assert re.search(message, result.err), result.err
    assert "Traceback" not in result.err


def test_baseline_reports_only_new_findings_for_the_gate(run_cli: RunCli, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    write_pod(repo, name="old")
    baseline = tmp_path / "baseline.json"
    created = run_cli("baseline", "create", "-o", str(baseline), str(repo), "--no-config", *ONLY, *REASON)
    assert created.code == 0 and "wrote 1 finding(s)" in created.err
    assert run_cli("scan", str(repo), "--baseline", str(baseline), "--no-config", *ONLY).code == 0
    write_pod(repo, name="new")
    code, report = scan_json(run_cli, str(repo), "--baseline", str(baseline), "--no-config")
    assert code == 1
    state = {f["resource"]["name"]: f["suppression"] for f in report["findings"]}
    assert state["old"]["source"] == "baseline" and state["new"] is None


def test_baseline_fingerprints_survive_reordering_reindenting_and_unrelated_lines(
    run_cli: RunCli, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    two = (
        POD.format(name="a", namespace="shop", annotations="{}")
        + "---\n"
        + POD.format(name="b", namespace="shop", annotations="{}")
    )
    (repo / "pods.yaml").write_text(two)
    baseline = tmp_path / "baseline.json"
    run_cli("baseline", "create", "-o", str(baseline), str(repo), "--no-config", *ONLY, *REASON)
    docs = list(yaml.safe_load_all(two))
    docs[0]["metadata"]["labels"] = {"team": "web"}  # an unrelated change
    # documents swapped, re-indented by 4, keys sorted, a comment block on top
    reformatted = "# reformatted\n\n" + yaml.safe_dump_all(reversed(docs), indent=4, sort_keys=True)
    (repo / "pods.yaml").write_text(reformatted)
    code, report = scan_json(run_cli, str(repo), "--baseline", str(baseline), "--no-config")
    assert len(report["findings"]) == 2 and all(f["suppression"] for f in report["findings"]), report["findings"]
    assert code == 0


def test_baseline_entries_carry_reason_date_and_expiry(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    write_pod(tmp_path / "repo")
    baseline = tmp_path / "baseline.json"
    created = run_cli(
        "baseline", "create", "-o", str(baseline), str(tmp_path / "repo"), "--no-config", *ONLY,
        "--reason", "JIRA-12: legacy chart", "--expires", FUTURE,
    )  # fmt: skip
    assert created.code == 0, created.err
    (entry,) = json.loads(baseline.read_text())["findings"]
    assert entry["reason"] == "JIRA-12: legacy chart"
    assert entry["accepted"] == TODAY.isoformat() and entry["expires"] == FUTURE
    code, report = scan_json(run_cli, str(tmp_path / "repo"), "--baseline", str(baseline), "--no-config")
    assert code == 0
    assert report["findings"][0]["suppression"] == {
        "kind": "external",
        "source": "baseline",
        "justification": "JIRA-12: legacy chart",
        "expires": FUTURE,
    }


def test_baseline_create_needs_a_reason(run_cli: RunCli, tmp_path: Path) -> None:
    write_pod(tmp_path)
    result = run_cli("baseline", "create", "-o", str(tmp_path / "b.json"), str(tmp_path), "--no-config")
    assert result.code == 2 and "--reason" in result.err and len(result.err.strip().splitlines()) == 1
    assert not (tmp_path / "b.json").exists()


def test_expired_baseline_entries_count_again_and_say_so(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "repo").mkdir()
    write_pod(tmp_path / "repo")
    baseline = tmp_path / "baseline.json"
    run_cli("baseline", "create", "-o", str(baseline), str(tmp_path / "repo"), "--no-config", *ONLY, *REASON)
    document = json.loads(baseline.read_text())
    document["findings"][0]["expires"] = PAST
    baseline.write_text(json.dumps(document))
    result = run_cli("scan", str(tmp_path / "repo"), "--baseline", str(baseline), "--no-config", *ONLY)
    assert result.code == 1
    assert f"expired on {PAST}" in result.out + result.err


def test_broken_baseline_is_a_usage_error(run_cli: RunCli, tmp_path: Path) -> None:
    write_pod(tmp_path)
    (tmp_path / "b.json").write_text("{not json")
    result = run_cli("scan", str(tmp_path), "--baseline", str(tmp_path / "b.json"), "--no-config")
    assert result.code == 2 and "not a kubeaudit baseline" in result.err


def test_fail_on_none_still_exits_2_when_incomplete(run_cli: RunCli, tmp_path: Path) -> None:
    write_pod(tmp_path)
    (tmp_path / "broken.yaml").write_text("a: [\n")
    assert run_cli("scan", str(tmp_path), "--fail-on", "none", "--no-config").code == 2


def test_config_declares_namespaces_whose_policies_live_elsewhere(run_cli: RunCli, tmp_path: Path) -> None:
    write_pod(tmp_path, namespace="team-a")
    write_pod(tmp_path, name="other", namespace="shop")
    (tmp_path / ".kubeaudit.yaml").write_text("namespaces-with-external-policies: [team-*]\n")
    args = ["--format", "json", "--disable", "*", "--enable", "netpol-*"]
    with_config = run_cli("scan", str(tmp_path), *args, "--config", str(tmp_path / ".kubeaudit.yaml"))
    without = run_cli("scan", str(tmp_path), *args, "--no-config")
    namespaces = {f["resource"]["namespace"] for f in json.loads(without.out)["findings"]}
    assert namespaces == {"team-a", "shop"}
    namespaces = {f["resource"]["namespace"] for f in json.loads(with_config.out)["findings"]}
    assert namespaces == {"shop"}


def test_fingerprints_tell_apart_subjects_with_the_same_name_in_other_namespaces(tmp_path: Path) -> None:
    from kubeaudit.engine.loader import load_rules
    from kubeaudit.scan import scan_manifests

    (tmp_path / "rb.yaml").write_text(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: admins}\n"
        "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n"
        "subjects:\n- {kind: ServiceAccount, name: default, namespace: a}\n"
        "- {kind: ServiceAccount, name: default, namespace: b}\n"
    )
    rules = [r for r in load_rules() if r.id == "rbac-full-admin"]
    findings = scan_manifests([str(tmp_path)], rules).findings
    assert len(findings) == 2
    assert len({f.fingerprint for f in findings}) == 2


def test_rules_list_and_explain_follow_the_config(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / ".kubeaudit.yaml").write_text(
        "rules:\n  severity: {readonly-root-filesystem: high}\n"
        "  params:\n    container-resource-limits: {resources: [memory]}\n"
    )
    listing = run_cli("rules", "list", "--format", "json", cwd=tmp_path)
    rows = {r["id"]: r for r in json.loads(listing.out)}
    assert rows["readonly-root-filesystem"]["severity"] == "high"
    explain = run_cli("rules", "explain", "container-resource-limits", cwd=tmp_path)
    assert 'resources = ["memory"]' in explain.out
    plain = run_cli("rules", "explain", "container-resource-limits", "--no-config", cwd=tmp_path)
    assert 'resources = ["cpu", "memory"]' in plain.out


def test_unknown_parameter_in_config_is_blamed_on_the_config(run_cli: RunCli, tmp_path: Path) -> None:
    write_pod(tmp_path)
    config = tmp_path / ".kubeaudit.yaml"
    config.write_text("rules:\n  params:\n    container-resource-limits: {resourcez: [memory]}\n")
    result = run_cli("scan", str(tmp_path), "--config", str(config))
    assert result.code == 2
    assert result.err.startswith(f"kubeaudit: error: {config.as_posix()}: rules.params.container-resource-limits: ")
    assert "unknown parameter 'resourcez'" in result.err
