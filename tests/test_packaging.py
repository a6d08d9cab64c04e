"""A plain `pip install .` must carry every built-in rule, its data and the schemas inside the wheel."""

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
    # Rules, their shared parameter sets, reference data (rules/data/) and every schema.
    shipped_files = [p for p in (REPO / "rules").rglob("*") if p.is_file() and p.suffix in (".yaml", ".json")]
    assert any(p.parent.name == "data" for p in shipped_files) and any(p.parent.name == "params" for p in shipped_files)
    for path in sorted(shipped_files):
        shipped = "kubeaudit/builtin_rules/" + path.relative_to(REPO / "rules").as_posix()
        assert shipped in names, f"{shipped} missing from the wheel"
    assert "kubeaudit/builtin_rules/schema.json" in names
    assert "kubeaudit/report/json-report.schema.json" in names
    assert {"kubeaudit/fleet/merge-report.schema.json", "kubeaudit/fleet/diff-report.schema.json"} <= names
    assert any(n.endswith("entry_points.txt") for n in names)
