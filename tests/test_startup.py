"""Start-up cost: `kubeaudit --version` answers without importing what scans need.

Counted in modules imported, not seconds (timing targets live in bench/bench_cli.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


RULES_LIST_PROBE = """
import contextlib, io, json, sys
from kubeaudit.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(["rules", "list", "--no-config"])
print(json.dumps({"code": code, "listed": out.getvalue().count("\\n"),
                  "heavy": sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[1:]))}))
"""


def _rules_list_imports(cache_dir: Path) -> dict[str, object]:
    env = {**os.environ, "KUBEAUDIT_CACHE_DIR": str(cache_dir)}
    env.pop("KUBEAUDIT_NO_CACHE", None)
    proc = subprocess.run(
        [sys.executable, "-c", RULES_LIST_PROBE, *HEAVY],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env=env,
    )
    result: dict[str, object] = json.loads(proc.stdout)
    return result


def test_rules_list_imports_no_validator_reporter_or_client_once_the_rules_are_known_valid(tmp_path: Path) -> None:
    first = _rules_list_imports(tmp_path)
    # The first run validates every rule and data file with jsonschema, and records that they passed.
    assert first["code"] == 0 and "jsonschema" in first["heavy"]  # type: ignore[operator]
    assert (tmp_path / "validated.json").is_file()
    again = _rules_list_imports(tmp_path)
    # YAML is needed to read the rules; the validator, rich, SARIF and the cluster client are not.
    assert again == {"code": 0, "listed": first["listed"], "heavy": ["yaml"]}
