"""Every small YAML file kubeaudit reads besides manifests and rule files (the config, a kubeconfig, a
Pod Security admission configuration, a rule fixture's params.yaml and settings.yaml, a
kustomization file) is read with the same limits as manifests (kubeaudit/yamlfile.py): a key set
twice, a second document, a number Python cannot hold and an alias bomb are one-line errors
naming the file and line (exit 2), and a FIFO in the file's place is refused rather than waited on.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kubeaudit.sources.projects import read_kustomization
from tests.conftest import FIXTURES, RunCli

DUPLICATE = "a: 1\nb: 2\na: 3\n"
SECOND_DOCUMENT = "a: 1\n---\nb: 2\n"
HUGE_INT = "a: " + "9" * 5000 + "\n"
# Nine levels of ten aliases: a billion values once expanded; PyYAML's own loader builds it slowly
# and every walk over it never ends.
ALIAS_BOMB = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 10)}]\n" for i in range(1, 10)
)
# text, and what the one error line says: the file's line, then the reason
CASES = {
    "duplicate key": (DUPLICATE, ":3: ", "duplicate key 'a' (first set on line 1)"),
    "second document": (SECOND_DOCUMENT, ":3: ", "file holds one YAML document; this is a second one"),
    "huge integer": (HUGE_INT, ":1: ", "integer too large"),
    "alias bomb": (ALIAS_BOMB, ":1: ", "once its aliases are expanded"),
}


def _one_line_error(stderr: str, path: Path, line: str, reason: str) -> None:
    lines = [text for text in stderr.splitlines() if str(path) in text]
    assert len(lines) == 1, stderr
    assert f"{path}{line}" in lines[0], stderr
    assert reason in lines[0], stderr
    assert "Traceback" not in stderr


COMMANDS = {
    "kubeconfig": ["scan", "--cluster", "--kubeconfig", "{path}"],
    "admission configuration": ["psa-plan", str(FIXTURES / "demo"), "--psa-config", "{path}"],
    "config": ["scan", str(FIXTURES / "demo"), "--config", "{path}"],
}


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", CASES)
def test_a_config_file_that_is_not_one_clean_document_is_one_line_naming_its_line(
    run_cli: RunCli, tmp_path: Path, case: str, command: str
) -> None:
    text, line, reason = CASES[case]
    path = tmp_path / "file.yaml"
    path.write_text(text)
    result = run_cli(*(arg.format(path=path) for arg in COMMANDS[command]))
    assert result.code == 2
    _one_line_error(result.err, path, line, reason)


@pytest.mark.parametrize("name", ["params.yaml", "settings.yaml"])
@pytest.mark.parametrize("case", CASES)
def test_a_fixture_parameter_or_settings_file_that_is_not_one_clean_document_is_one_line(
    run_cli: RunCli, tmp_path: Path, case: str, name: str
) -> None:
    text, line, reason = CASES[case]
    rule_id = "pss-baseline-privileged"
    fixtures = tmp_path / "fixtures"
    shutil.copytree(FIXTURES / "rules" / rule_id, fixtures / rule_id)
    path = fixtures / rule_id / name
    path.write_text(text)
    rules = tmp_path / "rules"
    rules.mkdir()
    builtin = Path(__file__).parents[1] / "rules"
    rule_file = next(builtin.rglob(f"{rule_id}.yaml"))
    shutil.copy(rule_file, rules / rule_file.name)
    result = run_cli("rules", "test", str(rules), "--fixtures", str(fixtures))
    assert result.code == 2
    _one_line_error(result.err + result.out, path, line, reason)


@pytest.mark.parametrize("case", CASES)
def test_a_kustomization_that_is_not_one_clean_document_is_not_read(tmp_path: Path, case: str) -> None:
    """What the scan reads itself from a kustomization (its bases, its components) is taken only
    from a clean document; otherwise `kubectl kustomize` says what is wrong with the file."""
    path = tmp_path / "kustomization.yaml"
    path.write_text("resources: [a.yaml]\n" + CASES[case][0])
    assert read_kustomization(str(path)) is None
    path.write_text("resources: [a.yaml]\n")
    assert read_kustomization(str(path)) == {"resources": ["a.yaml"]}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are a POSIX thing")
@pytest.mark.parametrize("command", COMMANDS)
def test_a_fifo_in_place_of_a_config_file_is_refused_not_waited_on(tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    args = [sys.executable, "-m", "kubeaudit", *(arg.format(path=fifo) for arg in COMMANDS[command])]
    # A process of its own, so that reading the FIFO (nobody ever writes to it) would fail the
    # test by its timeout rather than hang the suite.
    result = subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2
    assert str(fifo) in result.stderr
    assert len(result.stderr.splitlines()) == 1, result.stderr


def test_a_fifo_in_place_of_a_kustomization_is_not_read(tmp_path: Path) -> None:
    fifo = tmp_path / "kustomization.yaml"
    os.mkfifo(fifo)
    assert read_kustomization(str(fifo)) is None
