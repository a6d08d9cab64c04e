"""`scan --cluster-name`: the shipped CronJob's reports name their cluster, not `in-cluster`.

In a pod the only context is `in-cluster`, so every cluster's nightly report looked alike and
`kubeaudit report merge` fell back to file names. The CronJob now passes `--cluster-name`; these
tests run its own arguments in a pod's environment against the test API server and check that
every report format names the cluster the same way, and never the stand-in context.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from tests.apiserver import ApiServerHandle
from tests.conftest import REPO, RunCli

DEPLOY = REPO / "deploy"
IN_CLUSTER = "in-cluster"


def cronjob_args(name: str, config: Path) -> list[str]:
    """The shipped CronJob's container arguments as the kubelet runs them: $(VAR) expanded from the
    container's env, CLUSTER_NAME set to NAME, the mounted ConfigMap's config read from CONFIG."""
    cronjob = yaml.safe_load((DEPLOY / "cronjob.yaml").read_text(encoding="utf-8"))
    [container] = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert "CLUSTER_NAME" in env  # the one place a user names the cluster
    env["CLUSTER_NAME"] = name
    configmap = yaml.safe_load((DEPLOY / "configmap.yaml").read_text(encoding="utf-8"))
    config.write_text(configmap["data"]["kubeaudit.yaml"], encoding="utf-8")
    args = [re.sub(r"\$\((\w+)\)", lambda m: env[m.group(1)], str(a)) for a in container["args"]]
    return [str(config) if a == "/etc/kubeaudit/kubeaudit.yaml" else a for a in args]


def locations(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Every location in a JSON report: each finding's and each of its steps'."""
    return [loc for f in doc["findings"] for loc in (f["location"], *(s["location"] for s in f["steps"]))]


def test_the_cronjobs_report_names_its_cluster_in_every_format(
    pod: Path, cluster: ApiServerHandle, run_cli: RunCli, tmp_path: Path
) -> None:
    args = cronjob_args("eu-west-prod", tmp_path / "kubeaudit.yaml")
    assert args[-2:] == ["--cluster-name", "eu-west-prod"]
    outputs = {fmt: tmp_path / f"report.{fmt}" for fmt in ("sarif", "junit", "html", "console")}
    extra = [a for fmt, path in outputs.items() for a in ("-f", fmt, "-o", f"{fmt}={path}")]
    run = run_cli(*args, *extra)
    assert run.code == 0, run.err  # --fail-on none
    doc = json.loads(run.out)
    assert doc["inputs"] == ["cluster:eu-west-prod"]
    assert doc["findings"] and any(f["steps"] for f in doc["findings"])  # attack paths: steps too
    assert {json.dumps(loc, sort_keys=True) for loc in locations(doc)} == {
        json.dumps({"context": "eu-west-prod", "source": "cluster:eu-west-prod"}, sort_keys=True)
    }
    assert {f["source"] for f in doc["workloads"]} == {"cluster:eu-west-prod"}
    assert {n["source"] for n in doc["notices"]} == {"cluster:eu-west-prod"}
    assert any(f["resource"]["kind"] == "CronJob" for f in doc["findings"])
    sarif = json.loads(outputs["sarif"].read_text(encoding="utf-8"))
    uris = {
        loc["physicalLocation"]["artifactLocation"]["uri"]
        for result in sarif["runs"][0]["results"]
        for loc in result["locations"]
    }
    assert uris and all(uri.startswith("k8s://eu-west-prod/") for uri in uris)
    for fmt, path in outputs.items():
        text = path.read_text(encoding="utf-8")
        assert "eu-west-prod" in text, fmt
        assert IN_CLUSTER not in text, fmt  # the stand-in context name appears nowhere
    assert IN_CLUSTER not in run.out


def test_merged_cronjob_reports_are_columns_named_after_their_clusters(
    pod: Path, cluster: ApiServerHandle, run_cli: RunCli, tmp_path: Path
) -> None:
    reports = []
    for i, name in enumerate(("eu-west-prod", "us-east-prod")):
        run = run_cli(*cronjob_args(name, tmp_path / "kubeaudit.yaml"))
        assert run.code == 0, run.err
        path = tmp_path / f"nightly-{i}.json"  # file names that say nothing
        path.write_text(run.out, encoding="utf-8")
        reports.append(str(path))
    run = run_cli("report", "merge", *reports, "-f", "json")
    merged = json.loads(run.out)
    assert [r["name"] for r in merged["reports"]] == ["eu-west-prod", "us-east-prod"]
    # One cluster under two names is two clusters: no finding of one matches the other's.
    first, second = (json.loads(Path(p).read_text(encoding="utf-8")) for p in reports)
    assert len(first["findings"]) == len(second["findings"])
    assert not {f["fingerprint"] for f in first["findings"]} & {f["fingerprint"] for f in second["findings"]}


def test_cluster_name_mistakes_are_one_line_usage_errors(
    pod: Path, cluster: ApiServerHandle, run_cli: RunCli, tmp_path: Path
) -> None:
    cases = {
        ("scan", str(tmp_path), "--cluster-name", "prod"): "--cluster-name only applies to a live cluster",
        ("scan", "--cluster", "--cluster-name", "prod/eu"): "--cluster-name 'prod/eu': use letters, digits",
        ("scan", "--cluster", "--cluster-name", "\x1b[2Jprod"): "--cluster-name '\\x1b[2Jprod': use letters",
        ("scan", "--cluster", "--context", "a", "--context", "b", "--cluster-name", "prod"): (
            "--cluster-name names one cluster, but several --context are given"
        ),
    }
    for args, expected in cases.items():
        run = run_cli(*args, "--no-config")
        assert run.code == 2, args
        assert run.out == ""
        [line] = run.err.splitlines()
        assert expected in line, line
