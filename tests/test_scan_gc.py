"""A scan collects garbage less often while it runs (kubeaudit/scan.py) and gives a program that
embeds kubeaudit its own garbage collector settings back, whether the scan ends or fails."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from kubeaudit.engine.loader import load_rules
from kubeaudit.engine.selection import select_rules
from kubeaudit.scan import YOUNG_COLLECTION_THRESHOLD, ScanResult, scan_manifests
from tests.conftest import FIXTURES

CALLERS = (1_234, 7, 9)


@pytest.fixture
def callers_settings() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(*CALLERS)
    try:
        yield
    finally:
        gc.set_threshold(*before)


def test_a_scan_gives_back_the_callers_collector_settings(callers_settings: None) -> None:
    seen: list[tuple[int, int, int]] = []

    def during(findings: list, result: ScanResult) -> list:  # type: ignore[type-arg]
        seen.append(gc.get_threshold())
        return findings

    result = scan_manifests([str(FIXTURES / "demo")], select_rules(load_rules()), postprocess=during)
    assert result.findings and seen == [(YOUNG_COLLECTION_THRESHOLD, 20, 100)]
    assert gc.get_threshold() == CALLERS


def test_a_failed_scan_gives_them_back_too(callers_settings: None) -> None:
    def fail(findings: list, result: ScanResult) -> list:  # type: ignore[type-arg]
        raise RuntimeError("the caller's filter failed")

    with pytest.raises(RuntimeError, match="filter failed"):
        scan_manifests([str(FIXTURES / "demo")], select_rules(load_rules()), postprocess=fail)
    assert gc.get_threshold() == CALLERS
