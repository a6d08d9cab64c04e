"""Start-up cost: `kubeaudit --version` answers without importing what scans need.

Counted in modules imported, not seconds (timing targets live in bench/bench_cli.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

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


# `rules list` from the record of its last output (kubeaudit/cli/listing.py): no engine at all,
# and the answer changes as soon as anything it read changes.
ENGINE = ("kubeaudit.engine.loader", "kubeaudit.model", "kubeaudit.config", "kubeaudit.api")

LISTED_PROBE = """
import contextlib, io, json, sys
from kubeaudit.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(["rules", "list", *sys.argv[2:]])
engine = sorted(m for m in sys.modules if m in sys.argv[1].split(","))
print(json.dumps({"code": code, "out": out.getvalue(), "engine": engine}))
"""

MY_RULE = (
    "id: no-latest-tag\ntitle: {title}\nseverity: low\ncategory: images\nview: container\n"
    "condition:\n  properties:\n    container:\n      properties:\n        image: {{not: {{pattern: ':latest$'}}}}\n"
    "message: Image uses the latest tag.\nremediation: Pin the image.\n"
    "references:\n  - {{title: Images, url: 'https://kubernetes.io/docs/concepts/containers/images/'}}\n"
)


def _listed(cache: Path, cwd: Path, *args: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBEAUDIT_", "XDG_"))}
    env["XDG_CACHE_HOME"] = str(cache)  # the user's cache folder, as userpaths.cache_dir finds it
    proc = subprocess.run(
        [sys.executable, "-c", LISTED_PROBE, ",".join(ENGINE), *args],
        capture_output=True, text=True, check=True, timeout=60, env=env, cwd=cwd,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def test_rules_list_again_imports_no_engine_and_prints_the_same(tmp_path: Path) -> None:
    cache = tmp_path / "xdg"
    for args in ((), ("--format", "json")):
        first = _listed(cache, tmp_path, "--no-config", *args)
        assert first["code"] == 0 and first["engine"] == sorted(ENGINE)
        again = _listed(cache, tmp_path, "--no-config", *args)
        assert again == {"code": 0, "out": first["out"], "engine": []}
    assert (cache / "kubeaudit" / "listing.json").is_file()


def test_rules_list_follows_a_changed_rule_a_new_rule_and_a_new_config(tmp_path: Path) -> None:
    cache, rules = tmp_path / "xdg", tmp_path / "policies"
    rules.mkdir()
    (rules / "no-latest-tag.yaml").write_text(MY_RULE.format(title="No latest tag"))
    assert "No latest tag" in _listed(cache, tmp_path, "--rules", "policies")["out"]
    # Only the content changes (a listing keyed by file times alone could miss an edit).
    (rules / "no-latest-tag.yaml").write_text(MY_RULE.format(title="Pin every image"))
    changed = _listed(cache, tmp_path, "--rules", "policies")
    assert "Pin every image" in changed["out"] and "No latest tag" not in changed["out"]
    (tmp_path / ".kubeaudit.yaml").write_text("rules:\n  severity:\n    no-latest-tag: critical\n")
    configured = _listed(cache, tmp_path, "--rules", "policies")
    assert any(line.startswith("no-latest-tag") and "critical" in line for line in configured["out"].splitlines())
    (rules / "no-latest-tag.yaml").unlink()
    (rules / "no-latest.yaml").write_text(MY_RULE.format(title="Moved").replace("no-latest-tag", "no-latest"))
    (tmp_path / ".kubeaudit.yaml").unlink()
    moved = _listed(cache, tmp_path, "--rules", "policies")
    assert "Moved" in moved["out"] and "Pin every image" not in moved["out"]


def test_a_broken_or_hostile_record_is_only_a_miss(tmp_path: Path) -> None:
    cache = tmp_path / "xdg"
    expected = _listed(cache, tmp_path, "--no-config")["out"]
    record = cache / "kubeaudit" / "listing.json"
    for bad in ('{"format": 1, "entries": [{"key": 5}]}', "not json", ""):
        record.write_text(bad)
        assert _listed(cache, tmp_path, "--no-config")["out"] == expected
    record.unlink()
    os.mkfifo(record)  # must not hang the listing
    assert _listed(cache, tmp_path, "--no-config")["out"] == expected


def test_a_failing_listing_is_not_recorded(tmp_path: Path) -> None:
    (tmp_path / ".kubeaudit.yaml").write_text("rules:\n  severity:\n    no-such-rule: high\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KUBEAUDIT_", "XDG_"))}
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg")
    for _ in range(2):
        proc = subprocess.run(
            [sys.executable, "-m", "kubeaudit", "rules", "list"],
            capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path,
        )  # fmt: skip
        assert proc.returncode == 2 and "no-such-rule" in proc.stderr
    assert not (tmp_path / "xdg" / "kubeaudit" / "listing.json").exists()


def test_listing_looks_for_the_config_files_the_config_loader_reads() -> None:
    from kubeaudit.cli import listing
    from kubeaudit.config import CONFIG_NAMES

    assert listing.CONFIG_NAMES == CONFIG_NAMES
