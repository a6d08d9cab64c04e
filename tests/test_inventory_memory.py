"""What the scan keeps for its cross-resource views: bounded by what they read, not by what the
input holds. (Figures: bench/README.md, memory section; these tests check the mechanisms.)"""

from __future__ import annotations

import gc
from typing import Any

import pytest
from conftest import FIXTURES

from kubeaudit import scan
from kubeaudit.engine.loader import load_rules
from kubeaudit.inventory import Inventory
from kubeaudit.model import Finding
from kubeaudit.scan import scan_manifests
from kubeaudit.semantics.paths import AttackPath
from kubeaudit.views import paths


class _CountedDocument(dict[str, Any]):
    """An attack path's document that counts how many such documents are alive at once."""

    alive = 0
    most_alive = 0
    made = 0

    def __init__(self, doc: dict[str, Any]) -> None:
        super().__init__(doc)
        cls = type(self)
        cls.alive += 1
        cls.made += 1
        cls.most_alive = max(cls.most_alive, cls.alive)

    def __del__(self) -> None:
        type(self).alive -= 1


def test_attack_paths_and_their_documents_are_made_one_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scan holds one attack path and its document at a time (there is one per entry point and
    crown jewel: 12,481 at 10,000 resources, 38 MiB of documents when all were made before the
    first was judged), and judges every one of them."""
    original = paths.path_document
    paths_alive: list[int] = []

    def document(path: AttackPath) -> dict[str, Any]:
        paths_alive.append(sum(isinstance(o, AttackPath) for o in gc.get_objects()))
        return _CountedDocument(original(path))

    monkeypatch.setattr(paths, "path_document", document)
    result = scan_manifests([str(FIXTURES / "attack-paths")], load_rules())
    assert {f.rule_id for f in result.findings} >= {"path-exposed-node-escape", "path-pod-creation-escape"}
    assert _CountedDocument.made == len(paths_alive) > 3
    assert _CountedDocument.most_alive <= 2
    assert max(paths_alive) <= 2


def test_the_inventory_is_released_before_findings_are_located(monkeypatch: pytest.MonkeyPatch) -> None:
    """Once the cross-resource views are built, their inventory (kept copies no finding carries,
    their recorded positions, the views' models) goes before the findings are located and
    sorted, the last peak of a scan."""
    alive_when_locating: list[int] = []
    original = scan.locate_findings

    def locate(findings: list[Finding]) -> list[Finding]:
        gc.collect()
        alive_when_locating.append(sum(isinstance(o, Inventory) for o in gc.get_objects()))
        return original(findings)

    monkeypatch.setattr(scan, "locate_findings", locate)
    result = scan_manifests([str(FIXTURES / "attack-paths")], load_rules())
    assert any(f.rule_id.startswith("path-") for f in result.findings)
    assert alive_when_locating == [0]
