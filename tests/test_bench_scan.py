"""bench/bench_scan.py measures the parse floor with nothing of the scan left alive."""

from __future__ import annotations

import sys
import weakref
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
import bench_scan


class FakeResult:
    """Stands for a ScanResult: what bench_scan reads of one."""

    def __init__(self) -> None:
        self.findings = [SimpleNamespace(rule_id="some-rule")] * 3
        self.errors: list[Any] = []
        self.stats = SimpleNamespace(files=1, documents=2, resources=3, skipped_documents=0, untargeted_resources=0)


def test_no_scan_result_is_alive_while_the_parse_floor_is_timed(monkeypatch: pytest.MonkeyPatch) -> None:
    # A ScanResult kept from the previous scan made every garbage collection of the parse sample
    # walk all its findings and resources: the floor was inflated, the ratio flattered.
    scans: list[weakref.ref[FakeResult]] = []
    alive_during_parse: list[int] = []

    def run_scan(root: str, rules: Any) -> FakeResult:
        result = FakeResult()
        scans.append(weakref.ref(result))
        return result

    def parse_only(root: str) -> tuple[int, int]:
        alive_during_parse.append(sum(ref() is not None for ref in scans))
        return 1, 2

    monkeypatch.setattr(bench_scan, "run_scan", run_scan)
    monkeypatch.setattr(bench_scan, "parse_only", parse_only)
    monkeypatch.setattr(bench_scan, "load_default_rules", list)
    monkeypatch.setattr(bench_scan, "baseline_files", lambda root: ([], 0.0))
    report = bench_scan.measure("corpus", repeat=4, warmup=1)
    assert len(alive_during_parse) == 5 and len(scans) == 5  # one warm-up round, four timed
    assert alive_during_parse == [0] * 5
    assert report["findings"] == 3 and report["findings_by_rule"] == {"some-rule": 3}
    assert report["scan_stats"]["resources"] == 3 and report["parse_documents"] == 2
