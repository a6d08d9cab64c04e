"""Kustomize overlays rendered and judged as deployed, each finding on the line that wrote the
field: the base's, or the patch's (strategic merge or JSON 6902, in a file or inline)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import REPOSITORY, RunCli, marked_lines

from kubeaudit.engine.loader import load_rules
from kubeaudit.scan import scan_manifests
from kubeaudit.sources.kustomize import KustomizeRenderer

KUSTOMIZE = REPOSITORY / "kustomize"
OVERLAYS = sorted(p.name for p in (KUSTOMIZE / "overlays").iterdir())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_overlay_reports_on_the_marked_base_and_patch_lines(overlay: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPOSITORY)
    want = marked_lines(REPOSITORY, [KUSTOMIZE / "base", KUSTOMIZE / "overlays" / overlay])
    rules = [r for r in load_rules() if r.id in {rule_id for _, _, rule_id in want}]
    result = scan_manifests([f"kustomize/overlays/{overlay}"], rules)
    assert result.complete, result.errors + result.gaps
    got = {(f.file, f.line, f.rule_id) for f in result.findings}
    assert got == want
    assert {f.resource.origin.rendered.project for f in result.findings if f.resource.origin.rendered} == {
        f"kustomize/overlays/{overlay}"
    }


def test_a_finding_set_by_a_patch_names_the_patch_the_base_and_the_rendered_document(
    run_cli: RunCli, tmp_path: Path
) -> None:
    sarif = tmp_path / "out.sarif"
    only = ("--disable", "*", "--enable", "pss-baseline-capabilities")
    run = run_cli(
        "scan", "kustomize/overlays/prod", "--no-config", "-f", "sarif", "-o", str(sarif), *only, cwd=REPOSITORY
    )
    assert run.code == 1, run.err
    (result,) = json.loads(sarif.read_text())["runs"][0]["results"]
    physical = result["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == "kustomize/overlays/prod/capabilities.yaml"
    assert physical["region"]["startLine"] == 14
    related = {r["physicalLocation"]["artifactLocation"]["uri"]: r for r in result["relatedLocations"]}
    # The base has no capabilities: its nearest field is the container's securityContext.
    assert related["kustomize/base/deployment.yaml"]["physicalLocation"]["region"]["startLine"] == 22
    rendered = related["kustomize/overlays/prod/kustomization.yaml"]["message"]["text"]
    assert rendered.startswith("Rendered by kustomize from kustomize/overlays/prod: document 2 of the output")

    report = json.loads(
        run_cli("scan", "kustomize/overlays/prod", "--no-config", "-f", "json", *only, cwd=REPOSITORY).out
    )
    (finding,) = report["findings"]
    assert finding["location"] == {
        "source": "kustomize/base/deployment.yaml",
        "document": 1,
        "line": 14,
        "column": 19,
        "file": "kustomize/overlays/prod/capabilities.yaml",
        "via": {"line": 22, "column": 11},
        "rendered": {
            "tool": "kustomize",
            "project": "kustomize/overlays/prod",
            "manifest": "kustomize/overlays/prod/kustomization.yaml",
            "document": 2,
            "line": 13,  # as `kubectl kustomize kustomize/overlays/prod` prints it: the line after its `---`
        },
    }


def test_two_overlays_of_one_base_are_two_findings_with_two_fingerprints(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPOSITORY)
    rules = [r for r in load_rules() if r.id == "pss-baseline-privileged"]
    result = scan_manifests(["kustomize"], rules)
    base = [f for f in result.findings if f.file == "kustomize/base/deployment.yaml"]
    assert sorted(f.resource.name for f in base) == ["dev-shop", "shop"]
    assert len({f.fingerprint for f in base}) == 2


def test_readme_kustomize_excerpt_is_what_the_scan_prints(run_cli: RunCli) -> None:
    readme = (REPOSITORY.parents[1] / "README.md").read_text(encoding="utf-8")
    start = readme.index("### Kustomize")
    block = readme[readme.index("```console\n", start) + len("```console\n") :]
    command, *shown = block[: block.index("```")].splitlines()
    assert command == "$ cd fixtures/repository && kubeaudit scan kustomize --disable '*' --enable 'pss-baseline-*'"
    out = run_cli("scan", "kustomize", "--disable", "*", "--enable", "pss-baseline-*", cwd=REPOSITORY).out.splitlines()
    for line in shown:
        if line != "...":
            assert line in out, line


def test_an_image_the_overlay_retags_is_reported_at_its_images_entry(tmp_path: Path, run_cli: RunCli) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "kustomization.yaml").write_text("resources:\n- pod.yaml\n")
    (tmp_path / "base" / "pod.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n"
        "spec:\n  containers:\n  - name: web\n    image: nginx:1.27\n"
    )
    (tmp_path / "prod").mkdir()
    (tmp_path / "prod" / "kustomization.yaml").write_text(
        "resources:\n- ../base\nimages:\n- name: nginx\n  newTag: latest\n"
    )
    only = ("--disable", "*", "--enable", "image-latest-tag")
    report = json.loads(run_cli("scan", "prod", "--no-config", "-f", "json", *only, cwd=tmp_path).out)
    (finding,) = report["findings"]
    assert (finding["location"]["file"], finding["location"]["line"]) == ("prod/kustomization.yaml", 5)


SELECTORS = REPOSITORY.parent / "kustomize-selectors"


def _assert_overlay_reports_its_marked_lines(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Scanning root/overlay with the rules its `# ruleid:` lines name finds exactly those lines."""
    monkeypatch.chdir(root)
    want = marked_lines(root)
    rules = [r for r in load_rules() if r.id in {rule_id for _, _, rule_id in want}]
    result = scan_manifests(["overlay"], rules)
    assert result.complete, result.errors + result.gaps
    assert {(f.file, f.line, f.rule_id) for f in result.findings} == want


def test_patches_chosen_by_label_annotation_and_group_version_selectors_report_on_their_own_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two patches write hostNetwork: true and two write privileged: true, each for resources its
    target selects by labelSelector, annotationSelector or group/version: every finding is on
    the patch that selected its resource (a Pod no patch selects keeps its base line)."""
    _assert_overlay_reports_its_marked_lines(SELECTORS, monkeypatch)


GENERATED = REPOSITORY.parent / "kustomize-generated"


def test_generated_keys_and_replaced_fields_report_on_the_kustomization_lines_that_declare_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A configMapGenerator's key at its `files` entry (not the first line of the kustomization),
    a field a replacement copied into at its `fieldPaths` entry (not the base line it replaced)."""
    _assert_overlay_reports_its_marked_lines(GENERATED, monkeypatch)


@pytest.mark.parametrize(
    ("root", "overlay"),
    [(REPOSITORY, "kustomize/overlays/prod"), (REPOSITORY, "kustomize/overlays/dev"), (SELECTORS, "overlay"),
     (GENERATED, "overlay")],
)  # fmt: skip
def test_rendered_line_is_the_documents_line_in_the_users_own_kustomize_output(
    root: Path, overlay: str, run_cli: RunCli
) -> None:
    """`location.rendered.line` counts lines of `kubectl kustomize OVERLAY` as the user runs it,
    without the build annotations kubeaudit asks for."""
    command = KustomizeRenderer().find()
    assert command is not None, "the kustomize extra is part of the test extra"
    output = subprocess.run([*command, overlay], cwd=root, capture_output=True, text=True, check=True).stdout
    lines = output.split("\n")
    starts = [1] + [number + 1 for number, line in enumerate(lines, start=1) if line == "---"]
    report = json.loads(run_cli("scan", overlay, "--no-config", "-f", "json", cwd=root).out)
    shown = {(f["location"]["rendered"]["document"], f["location"]["rendered"]["line"]) for f in report["findings"]}
    assert shown and shown == {(document, starts[document - 1]) for document, _ in shown}
    assert all("config.kubernetes.io" not in lines[line - 1] for _, line in shown)
