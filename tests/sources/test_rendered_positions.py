"""Rendered resources (Kustomize overlays, Helm charts) record where their kept fields are written
while the rendered text and the base files are still parsed, so that the findings of the
cross-resource views (service accounts, NetworkPolicy selection, RBAC) are located without
parsing any of those files again, and on the same lines as parsing them again would give."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import FIXTURES, REPOSITORY

from kubeaudit.engine.loader import load_rules
from kubeaudit.model import Locator
from kubeaudit.model import Path as DocPath
from kubeaudit.scan import scan_manifests
from kubeaudit.sources import helm_origin, kustomize_origin, manifests

INPUTS = {
    "kustomize": (REPOSITORY, ["kustomize/overlays"]),
    "helm": (FIXTURES / "charts", ["shop"]),
}


def located(inputs: list[str]) -> list[tuple[str, str, str, str]]:
    result = scan_manifests(inputs, load_rules())
    assert result.complete, result.errors + result.gaps
    return sorted((f.rule_id, f.resource.ref, repr(f.path), repr(f.position)) for f in result.findings)


@pytest.fixture
def re_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files composed again after their node trees were released."""
    calls: list[str] = []
    real = manifests.NodeLocator._compose_all

    def counting(self: manifests.NodeLocator) -> list[Any]:
        calls.append(self._file.path)
        return real(self)

    monkeypatch.setattr(manifests.NodeLocator, "_compose_all", counting)
    return calls


@pytest.mark.parametrize("tool", sorted(INPUTS))
def test_cross_resource_findings_of_rendered_resources_parse_nothing_again(
    tool: str, re_reads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root, inputs = INPUTS[tool]
    monkeypatch.chdir(root)
    recorded = located(inputs)
    assert re_reads == []

    # Without the records, the same findings on the same lines, from the files parsed again.
    def unrecorded(self: Locator, base: DocPath, kept: Any, original: Any) -> Locator:
        return self

    monkeypatch.setattr(kustomize_origin.FieldLocator, "record", unrecorded)
    monkeypatch.setattr(helm_origin.HelmLocator, "record", unrecorded)
    assert located(inputs) == recorded
    assert re_reads  # the files those findings are in were parsed again
