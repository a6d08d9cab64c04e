"""Overlays that share no file are built by one `kubectl kustomize` run, each overlay's output
cut out of it exactly as its own run prints it; what could differ is rendered alone."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import RunCli

from kubeaudit.sources import kustomize, kustomize_batch
from kubeaudit.sources.kustomize import KustomizeRenderer
from kubeaudit.sources.projects import KUSTOMIZE, Project, find_project
from kubeaudit.sources.render import RenderError, RenderOptions

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata: {{name: {name}}}
spec:
  template:
    spec:
      containers:
      - name: app
        image: nginx:1.27
        securityContext: {{privileged: true}}
{extra}"""
CONFIG_MAP = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}\ndata: {level: debug}\n"
_DEPLOYMENT_ONLY = "resources: [deployment.yaml]\n"
_GENERATED = "configMapGenerator:\n- name: flags\n  literals: [a=b]\n"


def _overlay(root: Path, name: str, kustomization: str, files: dict[str, str]) -> Project:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "kustomization.yaml").write_text(kustomization)
    for file, text in files.items():
        (folder / file).write_text(text)
    project = find_project(str(folder))
    assert project is not None and project.tool == KUSTOMIZE
    return project


def _apps(root: Path, count: int) -> list[Project]:
    """Overlays each with its own base, patch and namespace: what a repository of apps holds."""
    projects = []
    for n in range(count):
        _overlay(
            root, f"app{n}/base", _DEPLOYMENT_ONLY, {"deployment.yaml": DEPLOYMENT.format(name=f"app{n}", extra="")}
        )
        patch = f"apiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: app{n}}}\nspec: {{replicas: {n + 1}}}\n"
        kustomization = f"namespace: team{n}\nresources: [../../base]\npatches: [{{path: replicas.yaml}}]\n"
        projects.append(_overlay(root, f"app{n}/overlays/prod", kustomization, {"replicas.yaml": patch}))
    return projects


def _texts(projects: list[Project], batched: bool) -> list[str]:
    renderer = KustomizeRenderer()
    command = renderer.find()
    assert command is not None, "the kustomize extra is part of the test extra"
    if batched:
        outcomes = renderer.render_group(projects, command, RenderOptions())
    else:
        outcomes = [renderer.render(p, command, RenderOptions()) for p in projects]
    return [o.text if not isinstance(o, RenderError) else f"error: {o}" for o in outcomes]


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many overlays each kubectl run built."""
    counts: list[int] = []
    real = kustomize.run_tool

    def counting(args: list[str], cwd: str | None = None, env: dict[str, str] | None = None) -> str:
        text = (Path(args[-1]) / "kustomization.yaml").read_text()
        counts.append(text.split("\nresources:\n", 1)[1].split("\nbuildMetadata", 1)[0].count("- "))
        return real(args, cwd, env)

    monkeypatch.setattr(kustomize, "run_tool", counting)
    return counts


def test_overlays_sharing_no_file_are_one_build_and_their_report_is_unchanged(
    tmp_path: Path, run_cli: RunCli, builds: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    _apps(tmp_path, 4)
    batched = run_cli("scan", str(tmp_path), "--no-config", "-f", "json")
    assert builds == [4]
    monkeypatch.setattr(kustomize_batch, "BATCH_MAX", 1)
    alone = run_cli("scan", str(tmp_path), "--no-config", "-f", "json")
    assert builds == [4, 1, 1, 1, 1]
    assert batched.code == alone.code == 1
    assert batched.out == alone.out
    report = json.loads(batched.out)
    projects = {f["location"]["rendered"]["project"] for f in report["findings"]}
    assert {project.rsplit("/", 3)[-3] for project in projects} == {"app0", "app1", "app2", "app3"}


def test_each_overlays_part_of_a_batch_is_its_own_output_to_the_byte(tmp_path: Path) -> None:
    projects = _apps(tmp_path, 3)
    projects.append(_overlay(tmp_path, "generated", _GENERATED, {}))
    projects.append(_overlay(tmp_path, "empty", "resources: []\n", {}))
    assert _texts(projects, batched=True) == _texts(projects, batched=False)


def test_overlays_of_one_base_are_never_in_one_build(tmp_path: Path) -> None:
    base = tmp_path / "base"
    _overlay(tmp_path, "base", _DEPLOYMENT_ONLY, {"deployment.yaml": DEPLOYMENT.format(name="web", extra="")})
    dev = _overlay(tmp_path, "dev", "namePrefix: dev-\nresources: [../base]\n", {})
    prod = _overlay(tmp_path, "prod", "resources: [../base]\n", {})
    other = _overlay(tmp_path, "other", "resources: [cm.yaml]\n", {"cm.yaml": CONFIG_MAP})
    assert base.is_dir()
    assert kustomize_batch.batch_groups([dev, prod, other]) == [[dev, other], [prod]]


def test_a_reference_another_overlay_would_rename_is_rendered_as_its_own_build_renders_it(tmp_path: Path) -> None:
    """One build of all three renames app's references to `settings` and `flags` after the
    other overlays' prefix and generator hash; app is rendered again alone, as the user sees it."""
    uses = "        envFrom: [{configMapRef: {name: settings}}, {configMapRef: {name: flags}}]\n"
    shop = "namespace: shop\n"
    app = _overlay(
        tmp_path, "app", shop + _DEPLOYMENT_ONLY, {"deployment.yaml": DEPLOYMENT.format(name="web", extra=uses)}
    )
    prefixed = _overlay(tmp_path, "prefixed", shop + "namePrefix: b-\nresources: [cm.yaml]\n", {"cm.yaml": CONFIG_MAP})
    generated = _overlay(tmp_path, "generated", shop + _GENERATED, {})
    projects = [app, prefixed, generated]
    texts = _texts(projects, batched=True)
    assert texts == _texts(projects, batched=False)
    assert "name: settings\n" in texts[0] and "name: flags\n" in texts[0]


def test_a_broken_overlay_in_a_batch_is_an_error_for_itself_only(
    tmp_path: Path, run_cli: RunCli, builds: list[int]
) -> None:
    _apps(tmp_path, 2)
    _overlay(tmp_path, "broken", "resources: [missing.yaml]\n", {})
    report = json.loads(run_cli("scan", str(tmp_path), "--no-config", "-f", "json").out)
    assert builds[0] == 3 and builds[1:] == [1, 1, 1]  # the batch failed: each overlay alone
    assert [e["source"] for e in report["errors"]] == [str(tmp_path / "broken")]
    assert {f["resource"]["name"] for f in report["findings"]} >= {"app0", "app1"}


def test_vars_are_never_shared_with_another_overlay(tmp_path: Path) -> None:
    variables = "vars:\n- name: LEVEL\n  objref: {kind: ConfigMap, name: settings, apiVersion: v1}\n"
    with_vars = _overlay(tmp_path, "vars", "resources: [cm.yaml]\n" + variables, {"cm.yaml": CONFIG_MAP})
    plain = _overlay(tmp_path, "plain", _DEPLOYMENT_ONLY, {"deployment.yaml": DEPLOYMENT.format(name="web", extra="")})
    assert kustomize_batch.batch_groups([with_vars, plain]) == [[with_vars], [plain]]


def test_kubectl_runs_without_garbage_collection_below_a_memory_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOGC", raising=False)
    monkeypatch.delenv("GOMEMLIMIT", raising=False)
    env = kustomize._offline_environment()
    assert (env["GOGC"], env["GOMEMLIMIT"]) == ("off", "512MiB")
    monkeypatch.setenv("GOGC", "100")
    assert kustomize._offline_environment()["GOGC"] == "100"  # the user's own setting wins
