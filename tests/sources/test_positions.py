"""Positions recorded before a node tree is released answer exactly as the tree would."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

from kubeaudit.model import Locator, Position, Resource
from kubeaudit.model import Path as DocPath
from kubeaudit.semantics.workloads import WORKLOAD_KINDS
from kubeaudit.sources import positions
from kubeaudit.sources.manifests import ManifestFile, parse_file
from kubeaudit.sources.positions import MAX_RECORDED_NODES, RecordedLocator, record_positions
from kubeaudit.views.pod import slim_resource
from kubeaudit.yamlnodes import locate

REPO = Path(__file__).resolve().parents[2]
FIXTURE_FILES = sorted(p for p in (REPO / "fixtures").rglob("*") if p.suffix in (".yaml", ".yml", ".json"))


class AskedTree:
    """The fallback: answers from the tree, and counts how often the record could not."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.asked = 0

    def position(self, path: DocPath) -> Position | None:
        self.asked += 1
        return locate(self.root, path)

    def record(self, base: DocPath, kept: Any, original: Any) -> Locator:
        return self


def paths_of(data: Any, path: DocPath = ()) -> list[DocPath]:
    """Every path in the data, and for each container a child it does not have."""
    found = [path]
    if isinstance(data, dict):
        found.append((*path, "no-such-key"))
        for key, value in data.items():
            found += paths_of(value, (*path, key))
    elif isinstance(data, list):
        found.append((*path, len(data)))
        for index, value in enumerate(data):
            found += paths_of(value, (*path, index))
    return found


def answerable(kept: Any, original: Any, path: DocPath = ()) -> list[DocPath]:
    """The fields of the kept copy, and the fields missing from the subtrees it keeps whole
    (a part it copied, such as a Deployment's `spec`, may have fields in the file it lacks)."""
    found = [path]
    if isinstance(kept, dict):
        if kept is original:
            found.append((*path, "no-such-key"))
        for key, value in kept.items():
            inner = original.get(key) if isinstance(original, dict) else None
            found += answerable(value, inner, (*path, key))
    elif isinstance(kept, list):
        if kept is original:
            found.append((*path, len(kept)))
        for index, value in enumerate(kept):
            inner = original[index] if isinstance(original, list) and index < len(original) else None
            found += answerable(value, inner, (*path, index))
    return found


def kept_copy(resource: Resource) -> dict[str, Any]:
    return slim_resource(resource).data if resource.kind in WORKLOAD_KINDS else resource.data


def resources_with_trees(path: Path) -> list[tuple[Resource, Any]]:
    parsed = parse_file(ManifestFile(str(path), str(path)))
    found = []
    for resource in parsed.resources:
        locator = resource.origin.locator
        root = getattr(locator, "_root", None)  # the tree the locator still holds before release
        if root is not None:
            found.append((resource, root))
    return found


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_recorded_positions_agree_with_the_tree_for_every_path(path: Path) -> None:
    for resource, root in resources_with_trees(path):
        base = resource.origin.base_path
        kept = kept_copy(resource)
        positions = record_positions(root, base, kept, resource.data)
        assert positions is not None
        fallback = AskedTree(root)
        recorded = RecordedLocator(base, positions, fallback)
        for doc_path in paths_of(resource.data):
            assert recorded.position(base + doc_path) == locate(root, base + doc_path), (resource.ref, doc_path)
        # every field of the kept copy (and every field it is known to lack) is answered without the tree
        asked = answerable(kept, resource.data)
        if len(asked) <= MAX_RECORDED_NODES and resource.origin.base_path == ():
            fallback.asked = 0
            for doc_path in asked:
                recorded.position(doc_path)
            assert fallback.asked == 0, resource.ref


def test_a_copy_too_big_to_record_is_answered_by_the_fallback(tmp_path: Path) -> None:
    labels = "".join(f"    l{i}: v{i}\n" for i in range(MAX_RECORDED_NODES * 2))
    (tmp_path / "cm.yaml").write_text(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n{labels}")
    ((resource, root),) = resources_with_trees(tmp_path / "cm.yaml")
    positions = record_positions(root, (), resource.data, resource.data)
    assert positions is not None and len(positions) == MAX_RECORDED_NODES
    fallback = AskedTree(root)
    recorded = RecordedLocator((), positions, fallback)
    last = ("metadata", "labels", f"l{MAX_RECORDED_NODES * 2 - 1}")
    assert recorded.position(last) == Position(6 + MAX_RECORDED_NODES * 2 - 1, 5)
    assert fallback.asked == 1


EDGE_CASES = """\
apiVersion: v1
kind: Pod
metadata:
  name: edge
  labels: &common
    app: web
    app: shadowed
    1: numeric-key
  annotations:
    <<: *common
    note: x
spec:
  containers: [{name: c, image: i}]
"""


def test_duplicate_merge_and_numeric_keys_agree_with_the_tree(tmp_path: Path) -> None:
    (tmp_path / "pod.yaml").write_text(EDGE_CASES)
    ((resource, root),) = resources_with_trees(tmp_path / "pod.yaml")
    kept = kept_copy(resource)
    positions = record_positions(root, (), kept, resource.data)
    assert positions is not None
    recorded = RecordedLocator((), positions, AskedTree(root))
    for doc_path in [*paths_of(resource.data), ("metadata", "labels", "1"), ("metadata", "annotations", "app")]:
        assert recorded.position(doc_path) == locate(root, doc_path), doc_path


def test_recorded_positions_survive_pickling_into_a_process_that_numbers_paths_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--jobs workers send their records to the scanning process, whose table of paths differs."""
    (tmp_path / "pod.yaml").write_text(EDGE_CASES)
    ((resource, root),) = resources_with_trees(tmp_path / "pod.yaml")
    taken = record_positions(root, (), resource.data, resource.data)
    assert taken is not None and len(taken) > 10
    sent = pickle.dumps(taken)
    elsewhere = positions._PathTable()
    elsewhere.number(("elsewhere", "numbered", "first"))
    monkeypatch.setattr(positions, "_table", elsewhere)
    fallback = AskedTree(root)
    received = RecordedLocator((), pickle.loads(sent), fallback)
    for doc_path in paths_of(resource.data):
        assert received.position(doc_path) == locate(root, doc_path), doc_path
    assert fallback.asked < len(paths_of(resource.data)) / 2  # answered from the record, not the tree
