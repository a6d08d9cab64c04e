"""Names the scanned input controls (file, resource, namespace, container) cannot break a report
or forge a line of it, and a config file cannot say two things at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote_to_bytes

import pytest
from conftest import RunCli

PRIVILEGED = """\
apiVersion: v1
kind: Pod
metadata: {{name: {name}, namespace: {namespace}}}
spec:
  containers:
    - name: {container}
      image: nginx
      securityContext: {{privileged: true}}
"""
FORGED = '"evil\\n\\e[32mScanned 0 files\\n0 findings\\e[0m\\e[2J\\u202e"'


def run_real_cli(*args: str, cwd: Path, encoding: str = "utf-8:strict") -> subprocess.CompletedProcess[bytes]:
    """The installed CLI in a subprocess whose standard streams are strict UTF-8, as in CI."""
    env = {**os.environ, "PYTHONIOENCODING": encoding, "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "kubeaudit", *args], cwd=cwd, capture_output=True, env=env, timeout=120
    )


@pytest.fixture
def odd_file_name(tmp_path: Path) -> Path:
    """A folder holding one manifest whose file name is not valid UTF-8 and holds an escape sequence."""
    name = b"bad\xff\x1b[31mname.yaml"
    with open(os.path.join(os.fsencode(tmp_path), name), "w") as handle:
        handle.write(PRIVILEGED.format(name="p", namespace="shop", container="c"))
    return tmp_path


SHOWN_NAME = "bad\\xff\\x1b[31mname.yaml"


@pytest.mark.skipif(sys.platform != "linux", reason="Linux file names are bytes; others must be Unicode")
@pytest.mark.parametrize("fmt", ["console", "json", "sarif", "junit", "html"])
def test_a_file_name_that_is_not_utf8_is_shown_escaped_in_every_format(odd_file_name: Path, fmt: str) -> None:
    run = run_real_cli("scan", ".", "--format", fmt, cwd=odd_file_name)
    assert run.returncode == 1, run.stderr.decode()
    assert run.stderr == b""
    out = run.stdout.decode("utf-8")  # strict: the report is valid UTF-8
    assert "\x1b" not in out
    if fmt == "json":
        assert {f["location"]["source"] for f in json.loads(out)["findings"]} == {SHOWN_NAME}
    elif fmt == "sarif":
        uris = {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in json.loads(out)["runs"][0]["results"]
        }
        # The name's own bytes, percent-encoded (what the repository holds), not its display escape.
        assert uris == {"bad%FF%1B%5B31mname.yaml"}
        assert unquote_to_bytes(uris.pop()) == b"bad\xff\x1b[31mname.yaml"
    elif fmt == "junit":
        assert SHOWN_NAME in ET.fromstring(out).iter("failure").__next__().text  # type: ignore[operator]
    elif fmt == "html":
        assert SHOWN_NAME in out
    else:
        assert out.startswith(SHOWN_NAME + "\n")


@pytest.mark.skipif(sys.platform != "linux", reason="Linux file names are bytes; others must be Unicode")
@pytest.mark.parametrize(
    "args",
    [["psa-plan", ".", "-f", fmt] for fmt in ("console", "json", "markdown", "html")] + [["fix", ".", "--dry-run"]],
    ids=["psa-plan-console", "psa-plan-json", "psa-plan-markdown", "psa-plan-html", "fix-dry-run"],
)
def test_a_file_name_that_is_not_utf8_is_safe_in_the_other_commands(odd_file_name: Path, args: list[str]) -> None:
    """psa-plan in every format and fix's listing: valid UTF-8, no escape sequence, no traceback."""
    run = run_real_cli(*args, cwd=odd_file_name)
    assert run.returncode in (0, 1), run.stderr.decode()
    assert b"Traceback" not in run.stderr
    out = run.stdout.decode("utf-8")  # strict
    assert "\x1b" not in out
    if args[0] == "fix":
        assert f"would fix: {SHOWN_NAME}:" in out


@pytest.mark.parametrize("field", ["name", "namespace", "container"])
def test_control_characters_in_names_cannot_forge_console_lines(run_cli: RunCli, tmp_path: Path, field: str) -> None:
    values = {"name": "p", "namespace": "shop", "container": "c", field: FORGED}
    (tmp_path / "evil.yaml").write_text(PRIVILEGED.format(**values))
    result = run_cli("scan", "evil.yaml", cwd=tmp_path)
    assert result.code == 1
    assert not any(ch in result.out for ch in "\x1b\r\u202e")
    lines = result.out.splitlines()
    assert not any(line.startswith(("0 findings", "Scanned 0 files")) for line in lines), result.out
    assert "\\x1b[32mScanned 0 files\\n0 findings" in result.out  # shown, escaped, where it was


@pytest.mark.parametrize("field", ["name", "namespace", "container"])
@pytest.mark.parametrize(
    "args",
    [["psa-plan", "evil.yaml", "-f", "console"], ["psa-plan", "evil.yaml", "-f", "markdown"],
     ["scan", "evil.yaml", "-f", "junit"]],
    ids=["psa-plan-console", "psa-plan-markdown", "scan-junit"],
)  # fmt: skip
def test_control_characters_in_names_cannot_forge_lines_in_the_other_human_formats(
    run_cli: RunCli, tmp_path: Path, field: str, args: list[str]
) -> None:
    """psa-plan's console and Markdown reports and the JUnit report (shown by CI pages) escape the
    names they show, as the console report does."""
    values = {"name": "p", "namespace": "shop", "container": "c", field: FORGED}
    (tmp_path / "evil.yaml").write_text(PRIVILEGED.format(**values))
    result = run_cli(*args, cwd=tmp_path)
    assert result.code in (0, 1), result.err
    assert not any(ch in result.out for ch in "\x1b\r\u202e")
    lines = [line.strip() for line in result.out.splitlines()]
    assert not any(line.startswith(("0 findings", "Scanned 0 files")) for line in lines), result.out


def test_control_characters_in_a_file_name_cannot_forge_console_lines(run_cli: RunCli, tmp_path: Path) -> None:
    name = "a\n0 findings\x1b[2J.yaml"
    (tmp_path / name).write_text(PRIVILEGED.format(name="p", namespace="shop", container="c"))
    broken = tmp_path / "broken\r\x1b[1A.yaml"
    broken.write_text("a: [\n")
    result = run_cli("scan", ".", cwd=tmp_path)
    assert result.code == 2
    assert "\x1b" not in result.out and "\r" not in result.out
    assert not any(line.startswith("0 findings") for line in result.out.splitlines())
    assert "a\\n0 findings\\x1b[2J.yaml" in result.out
    assert "broken\\r\\x1b[1A.yaml:2: invalid YAML" in result.out


def test_usage_errors_on_standard_error_are_one_escaped_line(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("scan", "missing\n\x1b[2Jfile.yaml", cwd=tmp_path)
    assert result.code == 2
    assert result.err == "kubeaudit: error: missing\\n\\x1b[2Jfile.yaml: no such file or directory\n"


# -- the config file says one thing --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("profile: all\nfail-on: high\nprofile: baseline\n", ":3: duplicate key 'profile' (first set on line 1)"),
        (
            "rules:\n  params:\n    container-resource-limits: {resources: [memory], resources: [cpu]}\n",
            ":3: duplicate key 'resources' (first set on line 3)",
        ),
        ("exclude: [a/]\n---\nfail-on: none\n", ":3: a config file holds one YAML document; this is a second one"),
    ],
    ids=["top-level", "nested", "two-documents"],
)
def test_a_config_that_says_two_things_is_an_error_with_file_and_line(
    run_cli: RunCli, tmp_path: Path, text: str, error: str
) -> None:
    (tmp_path / ".kubeaudit.yaml").write_text(text)
    (tmp_path / "pod.yaml").write_text(PRIVILEGED.format(name="p", namespace="shop", container="c"))
    result = run_cli("scan", "pod.yaml", cwd=tmp_path)
    assert result.code == 2
    assert result.out == ""
    assert result.err.count("\n") == 1
    assert result.err.startswith("kubeaudit: error: ") and result.err.rstrip().endswith(".kubeaudit.yaml" + error)


def test_the_same_key_in_two_mappings_of_the_config_is_fine(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / ".kubeaudit.yaml").write_text(
        "exemptions:\n  - {reason: legacy app x, name: x}\n  - {reason: legacy app y, name: y}\nprofile: all\n"
    )
    (tmp_path / "pod.yaml").write_text(PRIVILEGED.format(name="p", namespace="shop", container="c"))
    assert run_cli("scan", "pod.yaml", cwd=tmp_path).code == 1


HOSTILE_RULE = """\
id: odd-rule
title: "Odd\\n0 findings\\e[2J"
severity: high
category: workload
view: pod
description: "Checks pods.\\e[31m\\u202e"
message: "{resource} is odd here."
remediation: "Fix it.\\e[0m\\rScanned 0 files"
references: [{title: "Pods\\e[1A", url: "https://kubernetes.io/docs/concepts/workloads/pods/"}]
condition: {properties: {kind: {const: Deployment}}}
"""


@pytest.mark.parametrize("args", [["list"], ["explain", "odd-rule"]], ids=["list", "explain"])
def test_control_characters_in_a_rule_file_cannot_forge_lines_of_the_rule_commands(
    run_cli: RunCli, tmp_path: Path, args: list[str]
) -> None:
    """A rule folder the config names is part of the repository: its titles and text are shown
    escaped by `rules list` and `rules explain`, as the scan reports show them (printed as they
    were before)."""
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "odd-rule.yaml").write_text(HOSTILE_RULE)
    result = run_cli("rules", *args, "--rules", "rules", "--no-config", cwd=tmp_path)
    assert result.code == 0, result.err
    assert not any(ch in result.out for ch in "\x1b\r\u202e")
    lines = [line.strip() for line in result.out.splitlines()]
    assert not any(line.startswith(("0 findings", "Scanned 0 files")) for line in lines), result.out
    assert "Odd\\n0 findings\\x1b[2J" in result.out
