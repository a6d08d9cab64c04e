"""Broken input never stops the scan and never shows a traceback: one clear line
per problem naming file and line, the rest is scanned, and the exit code is 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BAD_INPUT, REPO, RunCli

# file -> (line or None, words the message must contain)
EXPECTED = {
    "binary.yaml": (None, "not a text file"),
    "badutf.yaml": (None, "not valid"),
    "empty.yaml": (None, "file is empty"),
    "comments-only.yaml": (None, "file is empty"),
    "scalar.yaml": (1, "document 1 is a string, not a Kubernetes object"),
    "list.yaml": (1, "document 1 is a list, not a Kubernetes object"),
    "containers-not-list.yaml": (6, "Pod/p not scanned: spec.containers must be a list, found a mapping"),
    "wrong-type.yaml": (
        10,
        "Deployment/d not scanned: spec.template.spec.containers[0].securityContext must be a mapping, found a string",
    ),
    "metadata-list.yaml": (3, "metadata is a list, expected a mapping"),
    "malformed-middle.yaml": (15, "invalid YAML"),
    "podlist.yaml": (6, "list item is a number, not a Kubernetes object"),
    "custom-tag.yaml": (5, "unsupported YAML tag"),
    "rbac-wrong-type.yaml": (7, "ClusterRole/broken not scanned: rules[0].resources must be a list, found a string"),
    "recursive-alias.yaml": (4, "recursive alias: a node contains itself"),
    "too-deep.yaml": (205, "document nested more than 200 levels deep"),
    "netpol-wrong-type.yaml": (9, "NetworkPolicy/np not scanned: spec.podSelector.matchLabels.app must be a string"),
    # Values the API server refuses: ids outside 0..2^31-1, a valueFrom that is not a mapping.
    "run-as-user-too-big.yaml": (
        10,
        "Pod/big-uid not scanned: spec.containers[0].securityContext.runAsUser must be at most 2147483647, "
        "found 99999999999999999999999",
    ),
    "run-as-group-negative.yaml": (
        7,
        "Pod/negative-gid not scanned: spec.securityContext.runAsGroup must be at least 0, found -1",
    ),
    "env-valuefrom-string.yaml": (
        11,
        "Pod/env-string not scanned: spec.containers[0].env[0].valueFrom must be a mapping, found a string",
    ),
}


def error_lines(out: str) -> dict[str, str]:
    lines = {}
    for line in out.splitlines():
        for name in EXPECTED:
            if f"bad-input/{name}" in line:
                lines[name] = line.strip()
    return lines


def test_each_bad_file_gets_one_clear_line_with_file_and_line(run_cli: RunCli) -> None:
    result = run_cli("scan", str(BAD_INPUT), "--fail-on", "none", cwd=REPO)
    assert result.code == 2
    found = error_lines(result.out)
    for name, (line, words) in EXPECTED.items():
        assert name in found, f"no error reported for {name}"
        where = f"tests/data/bad-input/{name}:{line}:" if line else f"tests/data/bad-input/{name}:"
        assert found[name].startswith(where), found[name]
        assert words in found[name]
    assert "INCOMPLETE" in result.out


def test_good_documents_around_broken_ones_are_still_scanned(run_cli: RunCli) -> None:
    result = run_cli("scan", str(BAD_INPUT), "--format", "json", cwd=REPO)
    import json

    report = json.loads(result.out)
    scanned = {(f["location"]["source"], f["resource"]["name"], f["location"]["line"]) for f in report["findings"]}
    # the document after the broken one in malformed-middle.yaml, the good item of a PodList, a tab-indented JSON file
    assert ("tests/data/bad-input/malformed-middle.yaml", "ok-after", 25) in scanned
    assert any(n == "a" and s.endswith("podlist.yaml") for s, n, _ in scanned)
    assert any(n == "tabbed" and s.endswith("tabs.json") for s, n, _ in scanned)
    assert report["complete"] is False
    assert {e["source"] for e in report["errors"]} >= {f"tests/data/bad-input/{n}" for n in EXPECTED}


def test_alias_bombs_are_cheap(run_cli: RunCli) -> None:
    """A billion-laughs document must not blow up: aliases share one object."""
    result = run_cli("scan", str(BAD_INPUT / "billion-laughs.yaml"), cwd=REPO)
    assert result.code == 0, result.out


def test_unreadable_and_missing_paths_are_reported(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "gone.yaml")
    result = run_cli("scan", str(tmp_path), "--format", "json")
    assert result.code == 2
    assert "cannot read file: No such file or directory" in result.out
    # A PATH that does not exist is a mistake on the command line (tests/test_ux.py), refused up front.
    missing = run_cli("scan", str(tmp_path), str(tmp_path / "nope"), "--format", "json")
    assert missing.code == 2 and missing.err == f"kubeaudit: error: {tmp_path / 'nope'}: no such file or directory\n"


@pytest.mark.parametrize("args", [["scan", "tests/data/bad-input"], ["scan", "tests/data/bad-input", "-f", "json"]])
def test_no_traceback_reaches_the_user(args: list[str]) -> None:
    """The real command, in its own process, on every bad input at once."""
    env = {**os.environ, "NO_COLOR": "1"}
    proc = subprocess.run(
        [sys.executable, "-m", "kubeaudit", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr + proc.stdout
