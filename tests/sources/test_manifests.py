"""Manifest input: files, folders, stdin, multi-document files, Lists, JSON, lines."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeaudit.engine.loader import load_rules
from kubeaudit.model import Finding
from kubeaudit.scan import scan_manifests
from kubeaudit.sources.manifests import ManifestFile, parse_file


def only(rule_id: str):  # type: ignore[no-untyped-def]
    return [r for r in load_rules() if r.id == rule_id]


def findings(paths: list[str]) -> list[Finding]:
    return scan_manifests(paths, only("pss-baseline-privileged")).findings


POD = """\
apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
  containers:
    - name: app
      image: nginx
      securityContext:
        privileged: true
"""


def test_multi_document_file_reports_the_right_line_in_the_right_document(tmp_path: Path) -> None:
    text = "# leading comment\n---\n" + POD.format(name="a") + "---\n\n" + POD.format(name="b")
    (tmp_path / "pods.yaml").write_text(text)
    got = [(f.resource.name, f.line, f.resource.origin.document) for f in findings([str(tmp_path)])]
    assert got == [("a", 12, 0), ("b", 24, 1)]
    assert text.splitlines()[11].strip() == "privileged: true"
    assert text.splitlines()[23].strip() == "privileged: true"


def test_directories_are_walked_recursively_for_yaml_and_json_only(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.yml").write_text(POD.format(name="deep"))
    (tmp_path / "pod.json").write_text(
        '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "json"},\n'
        ' "spec": {"containers": [{"name": "x",\n  "securityContext": {"privileged": true}}]}}'
    )
    (tmp_path / "notes.txt").write_text("not a manifest")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "config.yaml").write_text(POD.format(name="hidden"))
    got = sorted((f.resource.name, f.line) for f in findings([str(tmp_path)]))
    assert got == [("deep", 10), ("json", 3)]


def test_lists_are_flattened_and_typed_lists_restore_kind(tmp_path: Path) -> None:
    (tmp_path / "list.yaml").write_text(
        "apiVersion: v1\nkind: List\nitems:\n"
        "- apiVersion: v1\n  kind: Pod\n  metadata: {name: one}\n  spec:\n    containers:\n"
        "    - name: a\n      securityContext: {privileged: true}\n"
    )
    (tmp_path / "podlist.yaml").write_text(
        "apiVersion: v1\nkind: PodList\nitems:\n"
        "- metadata: {name: two}\n  spec:\n    containers:\n    - name: a\n      securityContext:\n"
        "        privileged: true\n"
    )
    got = sorted(
        (f.resource.kind, f.resource.name, f.line, f.resource.api_version) for f in findings([str(tmp_path)])
    )
    assert got == [("Pod", "one", 10, "v1"), ("Pod", "two", 9, "v1")]


def test_non_kubernetes_documents_are_skipped_and_counted(tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text("replicaCount: 2\nimage:\n  tag: latest\n")
    (tmp_path / "kustomization.yaml").write_text("resources:\n- deployment.yaml\n")
    (tmp_path / "kustomize-v1beta1.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n"
    )
    (tmp_path / "mixed.yaml").write_text(POD.format(name="real") + "---\nfoo: bar\n---\n")
    # Named one by one: a folder holding a kustomization is an overlay, rendered (test_projects.py).
    result = scan_manifests([str(p) for p in sorted(tmp_path.iterdir())], only("pss-baseline-privileged"))
    assert result.complete
    # three tool files and a plain mapping; the empty trailing document is not a document at all
    assert result.stats.skipped_documents == 4
    assert result.stats.resources == 1
    assert [f.resource.name for f in result.findings] == ["real"]


def test_stdin_is_read_with_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    class Stdin(io.StringIO):
        buffer = io.BytesIO(POD.format(name="piped").encode())

    monkeypatch.setattr(sys, "stdin", Stdin())
    got = [(f.resource.origin.source, f.line) for f in findings(["-"])]
    assert got == [("<stdin>", 10)]


def test_anchors_and_merge_keys_resolve_like_kubectl(tmp_path: Path) -> None:
    (tmp_path / "anchors.yaml").write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: anchored}\nspec:\n"
        "  containers:\n  - &base\n    name: a\n    securityContext: {privileged: true}\n"
        "  - <<: *base\n    name: b\n"
    )
    result = scan_manifests([str(tmp_path)], only("pss-baseline-privileged"))
    # b inherits privileged through the merge key; its finding points at b, the nearest node written out
    assert sorted((f.path[2], f.line) for f in result.findings) == [(0, 8), (1, 9)]


def test_values_keep_kubernetes_meaning(tmp_path: Path) -> None:
    path = tmp_path / "types.yaml"
    path.write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
        "data: {date: 2024-01-01, octal: 0755, yes: yes, hex: 0x1F, big: 1_000, f: 1.5e+3, n: ~}\n"
    )
    parsed = parse_file(ManifestFile(str(path), "types.yaml"))
    data = parsed.resources[0].data["data"]
    assert data == {
        "date": "2024-01-01",
        "octal": 493,
        True: True,
        "hex": 31,
        "big": 1000,
        "f": 1500.0,
        "n": None,
    }


def test_line_lookup_still_works_after_node_trees_are_released(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("---\n" + POD.format(name="x"))
    parsed = parse_file(ManifestFile(str(path), "p.yaml"))
    parsed.release_nodes()
    position = parsed.resources[0].origin.position(("spec", "containers", 0, "securityContext", "privileged"))
    assert position is not None and position.line == 11
