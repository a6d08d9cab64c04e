"""Start-up cost: `kubeaudit --version` answers without importing what scans need.

Counted in modules imported, not seconds (timing targets live in bench/bench_cli.py).
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("jsonschema", "rich", "sarif_om", "attr", "yaml", "kubernetes", "urllib3", "referencing")

PROBE = """
import json, sys
from kubeaudit.cli import main
code = main(["--version"])
print(json.dumps({"code": code, "heavy": sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[1:]))}))
"""


def test_version_imports_nothing_a_scan_needs() -> None:
    proc = subprocess.run([sys.executable, "-c", PROBE, *HEAVY], capture_output=True, text=True, check=True, timeout=60)
    version_line, result_line = proc.stdout.strip().splitlines()
    assert version_line.startswith("kubeaudit ")
    assert json.loads(result_line) == {"code": 0, "heavy": []}
