"""Charts and overlays among the inputs: found, rendered (never judged raw), or a named gap."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from conftest import RunCli

from kubeaudit.model import ScanError
from kubeaudit.sources.projects import HELM, KUSTOMIZE, PlanLookups, plan_inputs

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        image: nginx:1.27
        securityContext:
          privileged: true
"""
PATCH = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      hostNetwork: true
"""


ONLY_PRIVILEGED = ("--disable", "*", "--enable", "pss-baseline-privileged")


def kustomize_tree(root: Path) -> Path:
    """base/ (a Deployment) and two overlays, prod patching it; a plain manifest beside them."""
    (root / "base").mkdir(parents=True)
    (root / "base" / "kustomization.yaml").write_text("resources:\n- deployment.yaml\n")
    (root / "base" / "deployment.yaml").write_text(DEPLOYMENT)
    for name, extra in (("dev", ""), ("prod", "patches:\n- path: patch.yaml\n")):
        folder = root / "overlays" / name
        folder.mkdir(parents=True)
        (folder / "kustomization.yaml").write_text(f"resources:\n- ../../base\nnamePrefix: {name}-\n{extra}")
    (root / "overlays" / "prod" / "patch.yaml").write_text(PATCH)
    (root / "plain").mkdir()
    (root / "plain" / "pod.yaml").write_text(DEPLOYMENT.replace("name: web", "name: plain", 1))
    return root


def chart(root: Path) -> Path:
    (root / "templates").mkdir(parents=True)
    (root / "Chart.yaml").write_text("apiVersion: v2\nname: shop\nversion: 0.1.0\n")
    (root / "values.yaml").write_text("image: nginx\n")
    (root / "templates" / "deployment.yaml").write_text("{{- if .Values.enabled }}\nkind: Deployment\n{{- end }}\n")
    return root


def test_a_folder_walk_renders_overlays_and_never_reads_their_bases_and_patches_alone(tmp_path: Path) -> None:
    kustomize_tree(tmp_path)
    chart(tmp_path / "charts" / "shop")
    errors: list[ScanError] = []
    plan = plan_inputs([str(tmp_path)], errors)
    assert not errors
    assert [(p.tool, Path(p.path).relative_to(tmp_path).as_posix()) for p in plan.projects] == [
        (HELM, "charts/shop"),
        (KUSTOMIZE, "overlays/dev"),
        (KUSTOMIZE, "overlays/prod"),
    ]
    assert [Path(f.path).relative_to(tmp_path).as_posix() for f in plan.files] == ["plain/pod.yaml"]


def test_a_base_or_template_the_user_names_is_scanned_as_named(tmp_path: Path) -> None:
    kustomize_tree(tmp_path)
    chart(tmp_path / "shop")
    template = tmp_path / "shop" / "templates" / "deployment.yaml"
    plan = plan_inputs([str(tmp_path / "base"), str(tmp_path / "overlays"), str(template)], [])
    assert [Path(p.path).relative_to(tmp_path).as_posix() for p in plan.projects] == [
        "base",
        "overlays/dev",
        "overlays/prod",
    ]
    assert [f.path for f in plan.files] == [str(template)]


def test_an_overlay_renders_and_findings_point_at_the_base_file(tmp_path: Path, run_cli: RunCli) -> None:
    kustomize_tree(tmp_path)
    result = run_cli("scan", "overlays", "--no-config", "-f", "json", *ONLY_PRIVILEGED, cwd=tmp_path)
    report = json.loads(result.out)
    assert result.code == 1, result.err
    got = sorted((f["resource"]["name"], f["location"]["source"], f["location"]["line"]) for f in report["findings"])
    assert got == [("dev-web", "base/deployment.yaml", 12), ("prod-web", "base/deployment.yaml", 12)]


def test_build_annotations_are_stripped_before_rules_see_a_resource(tmp_path: Path) -> None:
    from kubeaudit.sources.manifests import ManifestSource

    kustomize_tree(tmp_path)
    (resource,) = [r for b in ManifestSource([str(tmp_path / "overlays" / "prod")]).batches() for r in b.resources]
    assert resource.name == "prod-web"
    assert "annotations" not in resource.data["metadata"]
    assert resource.data["spec"]["template"]["spec"]["hostNetwork"] is True


def test_a_broken_overlay_is_one_line_and_the_rest_is_scanned(tmp_path: Path, run_cli: RunCli) -> None:
    kustomize_tree(tmp_path)
    (tmp_path / "overlays" / "dev" / "kustomization.yaml").write_text("resources:\n- missing.yaml\n")
    result = run_cli("scan", ".", "--no-config", "-f", "json", *ONLY_PRIVILEGED, cwd=tmp_path)
    report = json.loads(result.out)
    assert result.code == 2
    (error,) = report["errors"]
    assert error["source"] == "overlays/dev" and error["message"].startswith("Kustomize overlay not rendered: ")
    assert "missing.yaml" in error["message"] and "\n" not in error["message"]
    assert sorted(f["resource"]["name"] for f in report["findings"]) == ["plain", "prod-web"]


def test_a_remote_base_is_refused_without_touching_the_network(tmp_path: Path, run_cli: RunCli) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "kustomization.yaml").write_text(
        "resources:\n- https://github.com/example/app//deploy?ref=v1\n"
    )
    result = run_cli("scan", "app", "--no-config", "-f", "json", cwd=tmp_path)
    assert result.code == 2
    assert json.loads(result.out)["errors"] == [
        {
            "source": "app",
            "line": None,
            "message": "Kustomize overlay not rendered: remote base https://github.com/example/app//deploy?ref=v1 "
            "not fetched: kubeaudit never fetches from the network",
        }
    ]


def _python_without_renderers(tmp_path: Path) -> Path:
    """A Python environment with kubeaudit importable but no kubectl or kustomize installed."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    ours = sysconfig.get_paths()["purelib"]
    Path(site, "kubeaudit-under-test.pth").write_text(f"import site; site.addsitedir({ours!r})\n")
    return python


def test_without_a_renderer_an_overlay_is_a_gap_naming_the_extra(tmp_path: Path) -> None:
    python = _python_without_renderers(tmp_path)
    tree = kustomize_tree(tmp_path / "repo")
    empty = tmp_path / "empty-path"
    empty.mkdir()
    env = {**os.environ, "PATH": str(empty), "NO_COLOR": "1"}
    done = subprocess.run(
        [str(python), "-m", "kubeaudit", "scan", ".", "--no-config"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    gaps = [line for line in done.stdout.splitlines() if "not rendered" in line]
    assert len(gaps) == 2 and all("pip install 'kubeaudit[kustomize]'" in line for line in gaps), done.stdout
    assert "plain" in done.stdout  # the plain manifest is still judged
    assert "dev-web" not in done.stdout and "base/deployment.yaml" not in done.stdout  # never judged raw


@pytest.mark.parametrize("name", ["kustomization.yaml", "kustomization.yml", "Kustomization"])
def test_every_name_kustomize_accepts_makes_an_overlay(tmp_path: Path, name: str, run_cli: RunCli) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / name).write_text("resources:\n- deployment.yaml\n")
    (tmp_path / "app" / "deployment.yaml").write_text(DEPLOYMENT)
    result = run_cli("scan", ".", "--no-config", "-f", "json", *ONLY_PRIVILEGED, cwd=tmp_path)
    (finding,) = json.loads(result.out)["findings"]
    assert finding["location"]["rendered"]["manifest"] == f"app/{name}"
    assert (finding["location"]["source"], finding["location"]["line"]) == ("app/deployment.yaml", 12)


def test_folder_context_gives_a_template_its_chart_and_a_patch_its_overlay(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kubeaudit.cli.inputs import folders_of

    kustomize_tree(tmp_path)
    (tmp_path / "overlays" / "prod" / "patches").mkdir()
    chart(tmp_path / "charts" / "shop")
    chart(tmp_path / "charts" / "shop" / "charts" / "db")
    changed = [
        "charts/shop/templates/deployment.yaml",
        "charts/shop/charts/db/values.yaml",
        "overlays/prod/patches/extra.yaml",
        "plain/pod.yaml",
    ]
    monkeypatch.chdir(tmp_path)
    assert folders_of(changed) == ["charts/shop", "overlays/prod", "plain"]


def test_stdin_filename_names_standard_input_in_every_report(tmp_path: Path, run_cli: RunCli) -> None:
    sarif = tmp_path / "out.sarif"
    args = ("scan", "-", "--stdin-filename", "rendered/prod.yaml", "--no-config", *ONLY_PRIVILEGED)
    run = run_cli(*args, "-f", "json", "-o", f"sarif={sarif}", stdin=DEPLOYMENT, cwd=tmp_path)
    (finding,) = json.loads(run.out)["findings"]
    assert finding["location"]["source"] == "rendered/prod.yaml" and finding["location"]["line"] == 12
    (result,) = json.loads(sarif.read_text())["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "rendered/prod.yaml"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 12


def test_without_stdin_filename_a_sarif_result_still_has_a_physical_location(tmp_path: Path, run_cli: RunCli) -> None:
    run = run_cli("scan", "-", "--no-config", "-f", "sarif", *ONLY_PRIVILEGED, stdin=DEPLOYMENT, cwd=tmp_path)
    (result,) = json.loads(run.out)["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": ".", "uriBaseId": "%SRCROOT%"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan", "a.yaml", "--stdin-filename", "x.yaml"], "--stdin-filename names what standard input holds"),
        (["scan", "-", "--stdin-filename", " "], "--stdin-filename must not be empty"),
        (["scan", "--cluster", "--stdin-filename", "x.yaml"], "--stdin-filename applies to standard input"),
    ],
)
def test_stdin_filename_without_stdin_is_a_usage_error(
    tmp_path: Path, run_cli: RunCli, args: list[str], message: str
) -> None:
    (tmp_path / "a.yaml").write_text(DEPLOYMENT)
    run = run_cli(*args, "--no-config", stdin="", cwd=tmp_path)
    assert run.code == 2 and message in run.err


def test_importing_one_renderer_module_first_leaves_every_renderer_available() -> None:
    # A fresh process: the registry is empty until a renderer module registers itself. Importing
    # the Kustomize module on its own (as code needing its helpers does) once hid the Helm renderer,
    # so every chart after it became "no renderer for it in this version".
    code = (
        "import kubeaudit.sources.kustomize\n"
        "from kubeaudit.sources.render import renderer_for\n"
        "print(sorted(t for t in ('helm', 'kustomize') if renderer_for(t) is not None))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['helm', 'kustomize']"


def test_plan_lookups_resolve_paths_as_realpath_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Planning resolves each folder once and joins the file's name: a symlink anywhere in the
    # path (the file, its folder, one that dangles) must still resolve as os.path.realpath does,
    # or a file named twice would be scanned twice (or one left out).
    (tmp_path / "real" / "sub").mkdir(parents=True)
    (tmp_path / "real" / "sub" / "a.yaml").write_text("kind: x\n")
    (tmp_path / "linked").symlink_to(tmp_path / "real" / "sub")
    (tmp_path / "real" / "b.yaml").symlink_to(tmp_path / "real" / "sub" / "a.yaml")
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "nowhere.yaml")
    monkeypatch.chdir(tmp_path)
    paths = [
        "linked/a.yaml",
        "real/b.yaml",
        "dangling.yaml",
        "linked/../real/b.yaml",
        "real/sub/../sub/a.yaml",
        "missing/a.yaml",
        "linked/",
        "linked/..",
        str(tmp_path / "linked" / "a.yaml"),
    ]
    lookups = PlanLookups()
    assert [lookups.realpath(p) for p in paths * 2] == [os.path.realpath(p) for p in paths * 2]
