"""A plain `pip install .` must carry every built-in rule and the schemas inside the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from conftest import REPO


def test_wheel_ships_every_rule_and_schema(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    wheel = next(tmp_path.glob("kubeaudit-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for rule in sorted((REPO / "rules").rglob("*.yaml")):
        shipped = "kubeaudit/builtin_rules/" + rule.relative_to(REPO / "rules").as_posix()
        assert shipped in names, f"{shipped} missing from the wheel"
    assert "kubeaudit/builtin_rules/schema.json" in names
    assert "kubeaudit/report/json-report.schema.json" in names
    assert any(n.endswith("entry_points.txt") for n in names)
