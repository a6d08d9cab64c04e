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
