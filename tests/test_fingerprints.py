"""Fingerprints name the file a finding is in, so a baseline cannot silence a new file,
and SARIF gives every result of a run its own partialFingerprints (GitHub merges alerts
that share one)."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest
from conftest import FIXTURES, REPO, RunCli
from test_suppressions import ONLY, POD

from kubeaudit.model import Finding, Origin, Position, Resource, RuleMeta, Severity, Suppression

REASON = ["--reason", "accepted before the gate was switched on"]


def _pod(folder: Path, name: str = "api") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(POD.format(name=name, namespace="shop", annotations="{}"))
    return path


def _fingerprints(run_cli: RunCli, *args: str, cwd: Path) -> dict[str, str]:
    run = run_cli("scan", *args, "--no-config", "--format", "json", "--fail-on", "none", *ONLY, cwd=cwd)
    return {f["location"]["source"].rsplit("/", 2)[-2]: f["fingerprint"] for f in json.loads(run.out)["findings"]}


def test_a_baselined_manifest_copied_to_another_folder_is_not_silenced(run_cli: RunCli, tmp_path: Path) -> None:
    _pod(tmp_path / "deploy" / "dev")
    baseline = tmp_path / "baseline.json"
    created = run_cli("baseline", "create", "-o", str(baseline), "deploy/", "--no-config", *ONLY, *REASON, cwd=tmp_path)
    assert created.code == 0, created.err
    shutil.copytree(tmp_path / "deploy" / "dev", tmp_path / "deploy" / "prod")
    run = run_cli(
        "scan", "deploy/", "--baseline", str(baseline), "--no-config", "--format", "json", *ONLY, cwd=tmp_path
    )
    assert run.code == 1
    state = {f["location"]["source"]: f["suppression"] for f in json.loads(run.out)["findings"]}
    assert state["deploy/prod/api.yaml"] is None
    assert state["deploy/dev/api.yaml"]["source"] == "baseline"


@pytest.mark.parametrize("in_git_repo", [True, False], ids=["git-repository", "no-repository"])
def test_fingerprints_agree_whatever_folder_is_named(run_cli: RunCli, tmp_path: Path, in_git_repo: bool) -> None:
    """`scan .` and `scan deploy/` from the root agree; inside a git repository so does a scan
    run from a subfolder (paths are taken from the repository root, not the working directory)."""
    if in_git_repo:
        (tmp_path / ".git").mkdir()
    _pod(tmp_path / "deploy" / "dev")
    _pod(tmp_path / "deploy" / "prod")
    whole = _fingerprints(run_cli, ".", cwd=tmp_path)
    assert len(set(whole.values())) == 2  # same resource in two files: two identities
    assert _fingerprints(run_cli, "deploy/", cwd=tmp_path) == whole
    assert _fingerprints(run_cli, str(tmp_path / "deploy"), cwd=tmp_path) == whole
    from_subfolder = _fingerprints(run_cli, ".", cwd=tmp_path / "deploy")
    assert (from_subfolder == whole) is in_git_repo


def _sarif_fingerprints(run_cli: RunCli, *paths: str, cwd: Path = REPO) -> list[str]:
    run = run_cli("scan", *paths, "--no-config", "--strict-inputs", "--format", "sarif", "--fail-on", "none", cwd=cwd)
    results = json.loads(run.out)["runs"][0]["results"]
    return [r["partialFingerprints"]["kubeaudit/v1"] for r in results]


MULTI_FILE_FIXTURES = sorted(
    {
        p.parent
        for p in FIXTURES.rglob("*.y*ml")
        if len(list(p.parent.glob("*.y*ml"))) > 1
        and not any((folder / "Chart.yaml").is_file() for folder in p.parent.parents)  # a chart's templates
    }
    | {FIXTURES / "rules", FIXTURES / "demo", FIXTURES}
)


@pytest.mark.parametrize("folder", MULTI_FILE_FIXTURES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_sarif_fingerprints_are_unique_on_every_multi_file_fixture(run_cli: RunCli, folder: Path) -> None:
    prints = _sarif_fingerprints(run_cli, str(folder.relative_to(REPO)))
    assert prints and len(prints) == len(set(prints))


def test_sarif_fingerprints_are_unique_for_copies_and_duplicate_documents(run_cli: RunCli, tmp_path: Path) -> None:
    """The same resource in two files, and twice in one file, still gives one alert each."""
    one = _pod(tmp_path / "a")
    _pod(tmp_path / "b")
    one.write_text(one.read_text() + "---\n" + one.read_text())
    prints = _sarif_fingerprints(run_cli, ".", cwd=tmp_path)
    assert len(prints) >= 3 * 6 and len(prints) == len(set(prints))


def test_a_finding_moved_to_its_slim_resource_keeps_every_field_and_its_fingerprint() -> None:
    """Finding.with_resource / with_position (the scan's fast dataclasses.replace) copy every
    field, the fingerprint from the full resource included, and change only the one named."""
    full = Resource("v1", "Pod", "api", "shop", {"spec": {"containers": [{"name": "app"}]}}, Origin("pod.yaml", 1))
    slim = Resource("v1", "Pod", "api", "shop", {}, Origin("pod.yaml", 1))
    finding = Finding(
        rule=RuleMeta("rule-a", "Title", Severity.HIGH, "cat", "Fix it."),
        severity=Severity.LOW,
        message="m",
        resource=full,
        path=("spec", "containers", 0, "image"),
        position=Position(3, 5),
        container="app",
        suppression=Suppression("inSource", "annotation", "accepted"),
        policy_version="v1.37",
    )
    fields = [f.name for f in dataclasses.fields(Finding)]
    for moved, expected in (
        (finding.with_resource(slim), dataclasses.replace(finding, resource=slim)),
        (finding.with_position(Position(9, 1)), dataclasses.replace(finding, position=Position(9, 1))),
    ):
        assert [getattr(moved, name) for name in fields] == [getattr(expected, name) for name in fields]
    assert finding.with_resource(slim).fingerprint == finding.fingerprint != ""


NAMESPACE_RULES = ["--disable", "*", "--enable", "netpol-default-deny-ingress", "--enable", "resources-quota-missing"]


def _namespace_fingerprints(run_cli: RunCli, folder: Path) -> dict[tuple[str, str], str]:
    run = run_cli("scan", ".", "--no-config", "--format", "json", "--fail-on", "none", *NAMESPACE_RULES, cwd=folder)
    findings = json.loads(run.out)["findings"]
    assert findings, run.err
    return {(f["ruleId"], f["location"]["source"]): f["fingerprint"] for f in findings} | {
        (f["ruleId"], "namespace"): f["fingerprint"] for f in findings
    }


def test_a_namespace_finding_keeps_its_fingerprint_when_the_workload_it_is_shown_at_changes(
    run_cli: RunCli, tmp_path: Path
) -> None:
    """A namespace without its Namespace object is shown at one of its workloads (the first by kind
    and name); its findings are about the namespace, so renaming that workload, adding one that
    sorts first or moving its file changes neither their fingerprints nor what a baseline matches."""
    _pod(tmp_path / "deploy", "web")
    _pod(tmp_path / "deploy", "worker")
    before = _namespace_fingerprints(run_cli, tmp_path)
    assert ("netpol-default-deny-ingress", "deploy/web.yaml") in before  # shown at the first pod
    baseline = tmp_path / "baseline.json"
    created = run_cli(
        "baseline", "create", "-o", str(baseline), ".", "--no-config", *NAMESPACE_RULES, *REASON, cwd=tmp_path
    )
    assert created.code == 0, created.err

    (tmp_path / "deploy" / "web.yaml").unlink()
    _pod(tmp_path / "deploy" / "renamed", "api")  # another name, another folder: sorts first now
    after = _namespace_fingerprints(run_cli, tmp_path)
    assert ("netpol-default-deny-ingress", "deploy/renamed/api.yaml") in after
    for rule in ("netpol-default-deny-ingress", "resources-quota-missing"):
        assert after[(rule, "namespace")] == before[(rule, "namespace")]
    gated = run_cli(
        "scan", ".", "--no-config", "--baseline", str(baseline), "--fail-on", "info", *NAMESPACE_RULES, cwd=tmp_path
    )
    assert gated.code == 0, gated.out  # the baselined namespace findings are still the same findings

    # The Namespace object added: the findings are shown at it, and are still the same findings.
    (tmp_path / "deploy" / "namespace.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n")
    with_object = _namespace_fingerprints(run_cli, tmp_path)
    assert ("netpol-default-deny-ingress", "deploy/namespace.yaml") in with_object
    deny = ("netpol-default-deny-ingress", "namespace")
    assert with_object[deny] == before[deny]

    # Another namespace is another finding.
    other = tmp_path / "other"
    (other / "deploy").mkdir(parents=True)
    (other / "deploy" / "web.yaml").write_text(POD.format(name="web", namespace="cart", annotations="{}"))
    elsewhere = _namespace_fingerprints(run_cli, other)
    assert elsewhere[deny] != before[deny]
