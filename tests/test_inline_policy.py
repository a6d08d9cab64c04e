"""Who may suppress: the manifest's author can silence a finding inline only as far as the
config allows (`suppressions.inline`), never everything with `*` unless the config says
so, and every inline suppression is reported, with its reason, in every format."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import RunCli
from test_suppressions import write_pod

REASON = "kubeaudit.io/ignore-reason"


def _annotated(folder: Path, rules: str, reason: str = "CNI plugin needs it") -> Path:
    return write_pod(folder, annotations=json.dumps({"kubeaudit.io/ignore": rules, REASON: reason}))


def _scan(run_cli: RunCli, folder: Path, config: str | None, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    options = ["--no-config"]
    if config is not None:
        (folder / ".kubeaudit.yaml").write_text(config)
        options = ["--config", str(folder / ".kubeaudit.yaml")]
    run = run_cli("scan", str(folder), *options, "-f", "json", "--fail-on", "high", *args)
    return run.code, json.loads(run.out)


def _notes(report: dict) -> str:  # type: ignore[type-arg]
    return "\n".join(n["message"] for n in report["notices"])


def test_a_catch_all_ignore_does_not_silence_a_privileged_pod(run_cli: RunCli, tmp_path: Path) -> None:
    _annotated(tmp_path, "*", reason="anything")
    code, report = _scan(run_cli, tmp_path, None)
    assert code == 1
    assert all(f["suppression"] is None for f in report["findings"])
    assert "'*'" in _notes(report) and "suppressions.inline" in _notes(report)


def test_the_config_may_allow_the_catch_all(run_cli: RunCli, tmp_path: Path) -> None:
    _annotated(tmp_path, "*")
    code, report = _scan(run_cli, tmp_path, 'suppressions:\n  inline: ["*"]\n')
    assert code == 0 and report["summary"]["suppressed"] == len(report["findings"]) > 0


@pytest.mark.parametrize("setting", ["off", "false", '"off"'])
def test_inline_off_applies_no_annotation_and_says_so(run_cli: RunCli, tmp_path: Path, setting: str) -> None:
    _annotated(tmp_path, "pss-baseline-privileged")
    code, report = _scan(run_cli, tmp_path, f"suppressions:\n  inline: {setting}\n")
    assert code == 1
    assert all(f["suppression"] is None for f in report["findings"])
    assert "inline suppressions are off" in _notes(report)


def test_inline_allow_list_limits_which_rules_an_annotation_may_silence(run_cli: RunCli, tmp_path: Path) -> None:
    _annotated(tmp_path, "pss-baseline-privileged,readonly-root-filesystem")
    code, report = _scan(run_cli, tmp_path, "suppressions:\n  inline: [readonly-*]\n")
    state = {f["ruleId"]: f["suppression"] for f in report["findings"]}
    assert state["readonly-root-filesystem"]["justification"] == "CNI plugin needs it"
    assert state["pss-baseline-privileged"] is None and code == 1
    assert "pss-baseline-privileged may not be suppressed inline" in _notes(report)


def test_a_named_rule_is_still_suppressible_inline_by_default(run_cli: RunCli, tmp_path: Path) -> None:
    _annotated(tmp_path, "pss-baseline-*")
    code, report = _scan(run_cli, tmp_path, None, "--disable", "*", "--enable", "pss-baseline-privileged")
    assert code == 0 and report["summary"]["suppressed"] == 1


def test_every_format_reports_each_inline_suppression_with_its_reason(run_cli: RunCli, tmp_path: Path) -> None:
    _annotated(tmp_path, "pss-baseline-privileged", reason="CNI plugin, ticket NET-7")
    only = ("--no-config", "--disable", "*", "--enable", "pss-baseline-privileged")
    for fmt in ("console", "json", "sarif", "junit"):
        run = run_cli("scan", str(tmp_path), *only, "-f", fmt)
        assert run.code == 0, fmt
        assert "CNI plugin, ticket NET-7" in run.out, fmt
    console = run_cli("scan", str(tmp_path), *only).out
    assert "Suppressed in the manifests (1):" in console and "pss-baseline-privileged" in console
