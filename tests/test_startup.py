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


# What compiles and checks rules (and the view modules their checks import): `rules list` needs
# none of them once the rules are known to load (kubeaudit/engine/rule_cache.py).
COMPILING = ("kubeaudit.condition", "kubeaudit.views", "kubeaudit.yamlnodes", "kubeaudit.engine.policy_versions")

RULES_LIST_PROBE = """
import contextlib, io, json, sys
COMPILING = @COMPILING@
from kubeaudit.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(["rules", "list", "--no-config"])
print(json.dumps({"code": code, "listed": out.getvalue().count("\\n"),
                  "heavy": sorted({m.split('.')[0] for m in sys.modules} & set(sys.argv[1:])),
                  "compiler": sorted(m for m in sys.modules if m in COMPILING)}))
""".replace("@COMPILING@", repr(COMPILING))


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


def test_rules_list_imports_no_parser_compiler_validator_reporter_or_client_once_the_rules_are_known(
    tmp_path: Path,
) -> None:
    first = _rules_list_imports(tmp_path)
    # The first run parses, validates (jsonschema) and compiles every rule, and records the result.
    assert first["code"] == 0 and "jsonschema" in first["heavy"] and "yaml" in first["heavy"]  # type: ignore[operator]
    assert first["compiler"] == sorted(COMPILING)
    assert (tmp_path / "validated.json").is_file()
    again = _rules_list_imports(tmp_path)
    # The rules are known: no YAML parser, condition compiler, views, validator, rich, SARIF or client.
    assert again == {"code": 0, "listed": first["listed"], "heavy": [], "compiler": []}
