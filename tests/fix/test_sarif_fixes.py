"""SARIF `fixes`: each finding with a fix carries artifact changes that, applied alone to its
file, remove that finding; the log stays valid against the SARIF 2.1.0 schema."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
from conftest import REPO, RULE_FIXTURES, RunCli

SCHEMA = json.loads((REPO / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
ONLY = ("--no-config", "--fail-on", "none", "--disable", "*", "--enable", "pss-restricted-privilege-escalation")


def _sarif(run_cli: RunCli, folder: Path, *extra: str) -> dict:  # type: ignore[type-arg]
    run = run_cli("scan", "fail.yaml", "-f", "sarif", *ONLY, *extra, cwd=folder)
    assert run.code == 0, run.err
    log: dict = json.loads(run.out)  # type: ignore[type-arg]
    jsonschema.validate(log, SCHEMA)
    return log


def _apply(text: str, replacements: list[dict]) -> str:  # type: ignore[type-arg]
    for r in sorted(replacements, key=lambda r: r["deletedRegion"]["charOffset"], reverse=True):
        start, size = r["deletedRegion"]["charOffset"], r["deletedRegion"].get("charLength", 0)
        text = text[:start] + r.get("insertedContent", {}).get("text", "") + text[start + size :]
    return text


def test_each_fix_alone_removes_its_finding(run_cli: RunCli, tmp_path: Path) -> None:
    shutil.copyfile(RULE_FIXTURES / "pss-restricted-privilege-escalation" / "fail.yaml", tmp_path / "fail.yaml")
    original = (tmp_path / "fail.yaml").read_text()
    results = _sarif(run_cli, tmp_path, "--sarif-fixes")["runs"][0]["results"]
    assert len(results) == 7 and all(len(r.get("fixes", [])) == 1 for r in results)
    for result in results:
        (fix,) = result["fixes"]
        (change,) = fix["artifactChanges"]
        assert change["artifactLocation"]["uri"] == "fail.yaml"
        assert "allowPrivilegeEscalation to false" in fix["description"]["text"]
        (tmp_path / "fail.yaml").write_text(_apply(original, change["replacements"]))
        after = _sarif(run_cli, tmp_path)["runs"][0]["results"]
        prints = {r["partialFingerprints"]["kubeaudit/v1"] for r in after}
        assert len(after) == 6 and result["partialFingerprints"]["kubeaudit/v1"] not in prints
    (tmp_path / "fail.yaml").write_text(original)
    assert "fixes" not in json.dumps(_sarif(run_cli, tmp_path)), "fixes only when asked for"
