"""Hostile files in a scanned tree: odd numbers, special files, unreadable or looping folders,
huge inputs. Each is one line naming the file under "not scanned", the good files around it are
still scanned, the exit code is 2, and the scan ends in bounded time and memory.

Big inputs are built cheaply (sparse files, many tiny files); KUBEAUDIT_SOAK=1 runs the
full sizes the issue names (100,000 files in one folder) instead of the CI-sized ones.
"""

from __future__ import annotations

import codecs
import ctypes
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import RunCli

SOAK = os.environ.get("KUBEAUDIT_SOAK") == "1"

GOOD = """\
apiVersion: v1
kind: Pod
metadata: {name: good}
spec:
  containers:
    - name: c
      image: nginx
      securityContext: {privileged: true}
"""


def pod_with(name: str, field: str) -> str:
    return (
        f"apiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  {field}\n"
        "  containers: [{name: c, image: nginx}]\n"
    )


def scan_json(run_cli: RunCli, *args: str, cwd: Path) -> tuple[int, dict[str, Any]]:
    result = run_cli("scan", *args, "--format", "json", cwd=cwd)
    assert "Traceback" not in result.err
    return result.code, json.loads(result.out)


def errors_by_file(report: dict[str, Any]) -> dict[str, str]:
    return {e["source"]: f"{e['line']}: {e['message']}" for e in report["errors"]}


def assert_good_file_scanned(report: dict[str, Any], name: str = "good.yaml") -> None:
    assert any(
        f["location"]["source"] == name and f["ruleId"] == "pss-baseline-privileged" for f in report["findings"]
    ), "the good file next to the bad one was not scanned"


@pytest.mark.parametrize(
    ("field", "words"),
    [
        ("terminationGracePeriodSeconds: 0x_", "5: not a valid integer: '0x_'"),
        ("terminationGracePeriodSeconds: 0b_", "5: not a valid integer: '0b_'"),
        ("terminationGracePeriodSeconds: " + "9" * 5000, "5: integer too large: 5000 characters long"),
        ("terminationGracePeriodSeconds: 0x" + "f" * 4000, "5: integer too large"),
    ],
    ids=["hex-underscore", "binary-underscore", "5000-digit-decimal", "4000-digit-hex"],
)
def test_unreadable_numbers_in_a_manifest_are_one_error_and_the_rest_is_scanned(
    run_cli: RunCli, tmp_path: Path, field: str, words: str
) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "number.yaml").write_text(pod_with("number", field))
    code, report = scan_json(run_cli, ".", cwd=tmp_path)
    assert code == 2
    assert errors_by_file(report) == {"number.yaml": errors_by_file(report)["number.yaml"]}
    assert errors_by_file(report)["number.yaml"].startswith(words)
    assert_good_file_scanned(report)


def test_infinite_and_nan_numbers_are_compared_without_crashing(run_cli: RunCli, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "grace-multiple.yaml").write_text(
        """\
id: grace-multiple
title: Grace period is a whole number of 5-second steps
severity: low
category: workload
view: pod
description: Test rule comparing numbers.
message: Grace period is not a multiple of 5.
remediation: Use a multiple of 5.
references: [{title: Pod lifecycle, url: "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/"}]
condition:
  properties:
    spec:
      properties:
        terminationGracePeriodSeconds: {multipleOf: 5, maximum: 600}
"""
    )
    for name, value in [("inf", ".inf"), ("nan", ".nan"), ("huge", "9" * 4000), ("ten", "10"), ("seven", "7")]:
        (tmp_path / f"{name}.yaml").write_text(pod_with(name, f"terminationGracePeriodSeconds: {value}"))
    code, report = scan_json(run_cli, ".", "--rules", "rules", "--profile", "all", cwd=tmp_path)
    assert report["errors"] == []
    flagged = {f["resource"]["name"] for f in report["findings"] if f["ruleId"] == "grace-multiple"}
    assert flagged == {"inf", "nan", "huge", "seven"}
    assert code == 1


@pytest.mark.parametrize(
    "value", ["0x_", "0b_", "9" * 5000, "0x" + "f" * 4000], ids=["0x_", "0b_", "5000-digit", "4000-digit-hex"]
)
def test_unreadable_numbers_in_the_config_are_a_usage_error_with_file_and_line(
    run_cli: RunCli, tmp_path: Path, value: str
) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / ".kubeaudit.yaml").write_text(f"profile: all\nfail-on: {value}\n")
    result = run_cli("scan", "good.yaml", cwd=tmp_path)
    assert result.code == 2
    assert result.err.startswith("kubeaudit: error: ") and result.err.count("\n") == 1, result.err
    assert f"{tmp_path.as_posix()}/.kubeaudit.yaml:2: " in result.err.replace(os.sep, "/")
    assert "Traceback" not in result.err


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf"])
def test_non_finite_rule_bounds_from_the_config_are_refused_at_load(
    run_cli: RunCli, tmp_path: Path, value: str
) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "max-grace.yaml").write_text(
        """\
id: max-grace
title: Grace period bounded
severity: low
category: workload
view: pod
description: Test rule with a numeric parameter.
message: Grace period too long.
remediation: Shorten it.
references: [{title: Pod lifecycle, url: "https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/"}]
params:
  limit: {default: 600, description: Longest grace period allowed.}
condition:
  properties:
    spec:
      properties:
        terminationGracePeriodSeconds: {maximum: {$param: limit}}
"""
    )
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / ".kubeaudit.yaml").write_text(
        f"rules:\n  paths: [rules]\n  params:\n    max-grace: {{limit: {value}}}\n"
    )
    result = run_cli("scan", "good.yaml", cwd=tmp_path)
    assert result.code == 2
    assert "must be a finite number" in result.err and result.err.count("\n") == 1, result.err


# -- special files ---------------------------------------------------------------------------------


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_fifo_and_a_symlink_to_dev_zero_are_not_read(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    os.mkfifo(tmp_path / "fifo.yaml")  # reading it would block forever: nobody writes to it
    (tmp_path / "zero.yaml").symlink_to("/dev/zero")  # reading it would never end
    code, report = scan_json(run_cli, ".", cwd=tmp_path)
    assert code == 2
    assert errors_by_file(report) == {
        "fifo.yaml": "None: not a regular file (a named pipe): not read",
        "zero.yaml": "None: not a regular file (a character device): not read",
    }
    assert_good_file_scanned(report)


def test_a_fifo_named_on_the_command_line_is_not_read(run_cli: RunCli, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo.yaml")
    (tmp_path / "good.yaml").write_text(GOOD)
    code, report = scan_json(run_cli, "fifo.yaml", "good.yaml", cwd=tmp_path)
    assert code == 2
    assert list(errors_by_file(report)) == ["fifo.yaml"]
    assert_good_file_scanned(report)


def test_a_directory_named_like_a_manifest_is_walked_not_read(run_cli: RunCli, tmp_path: Path) -> None:
    folder = tmp_path / "x.yaml"
    folder.mkdir()
    (folder / "good.yaml").write_text(GOOD)
    _code, report = scan_json(run_cli, ".", cwd=tmp_path)
    assert report["errors"] == []
    assert_good_file_scanned(report, "x.yaml/good.yaml")
    _code, report = scan_json(run_cli, "x.yaml", cwd=tmp_path)
    assert report["errors"] == []
    assert_good_file_scanned(report, "x.yaml/good.yaml")


def test_a_file_over_the_size_cap_is_a_named_gap(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    with open(tmp_path / "huge.yaml", "wb") as handle:  # 100 MiB, sparse: costs no disk and no time
        handle.truncate(100 * 1024 * 1024)
    code, report = scan_json(run_cli, ".", "--max-file-size", "64", cwd=tmp_path)
    assert code == 2
    assert errors_by_file(report) == {
        "huge.yaml": "None: file too large: 100 MiB (the limit is 64 MiB; see --max-file-size)"
    }
    assert_good_file_scanned(report)


def test_a_file_just_over_the_default_size_cap_is_a_named_gap(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    with open(tmp_path / "huge.yaml", "wb") as handle:  # sparse: costs no disk and no time
        handle.truncate(128 * 1024 * 1024 + 1)  # one byte over the default the README states
    code, report = scan_json(run_cli, ".", cwd=tmp_path)
    assert code == 2 and report["complete"] is False
    assert errors_by_file(report) == {
        "huge.yaml": "None: file too large: more than 128 MiB (the limit is 128 MiB; see --max-file-size)"
    }
    assert_good_file_scanned(report)


def test_the_size_cap_also_bounds_standard_input(run_cli: RunCli) -> None:
    big = GOOD + "---\n" + "# padding\n" * 120_000  # about 1.2 MB
    result = run_cli("scan", "-", "--max-file-size", "1", "--format", "json", stdin=big)
    assert result.code == 2
    report = json.loads(result.out)
    assert errors_by_file(report) == {
        "<stdin>": "None: file too large: more than 1.0 MiB (the limit is 1.0 MiB; see --max-file-size)"
    }


def test_a_file_under_the_size_cap_is_read_whole(run_cli: RunCli, tmp_path: Path) -> None:
    many = "".join(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n" for i in range(20_000))
    assert len(many) > 1024 * 1024
    (tmp_path / "many.yaml").write_text(many)
    _code, report = scan_json(run_cli, "many.yaml", "--max-file-size", "2", cwd=tmp_path)
    assert report["errors"] == [] and report["summary"]["resources"] == 20_000


def test_utf16_with_a_bom_is_scanned_with_its_own_line_numbers(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "u16.yaml").write_bytes(codecs.BOM_UTF16_LE + GOOD.encode("utf-16-le"))
    (tmp_path / "u16be.yaml").write_bytes(codecs.BOM_UTF16_BE + GOOD.encode("utf-16-be"))
    _code, report = scan_json(run_cli, ".", cwd=tmp_path)
    assert report["errors"] == []
    lines = {
        f["location"]["source"]: f["location"]["line"]
        for f in report["findings"]
        if f["ruleId"] == "pss-baseline-privileged"
    }
    assert lines == {"u16.yaml": 8, "u16be.yaml": 8}


def test_a_key_one_megabyte_long_is_bounded(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    key = "k" * 1_000_000
    (tmp_path / "longkey.json").write_text(
        json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {key: "v"}})
    )
    (tmp_path / "longkey.yaml").write_text(pod_with("long", f"nodeSelector: {{{key}: v}}"))
    code, report = scan_json(run_cli, ".", cwd=tmp_path)
    assert_good_file_scanned(report)
    assert "longkey.yaml" not in json.dumps(report["findings"])  # not half-read: refused, or scanned whole
    # Refused, each with one short line naming it (YAML allows 1,024 characters in an implicit key),
    # and the scan says it is incomplete: not a silent skip.
    assert code == 2 and report["complete"] is False
    assert sorted(errors_by_file(report)) == ["longkey.json", "longkey.yaml"]
    for error in report["errors"]:
        assert len(error["message"]) < 300 and "\n" not in error["message"]


@pytest.mark.parametrize("suffix", ["json", "yaml"])
def test_a_key_over_yamls_1024_character_limit_says_so(run_cli: RunCli, tmp_path: Path, suffix: str) -> None:
    # Valid JSON (and valid YAML 1.2 in spirit), but YAML's implicit keys stop at 1,024 characters:
    # the parser's own words ("did not find expected ',' or '}'") send the user looking for a typo.
    (tmp_path / "good.yaml").write_text(GOOD)
    key = "k" * 1025
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {key: "v"}}
    text = json.dumps(config_map, indent=2) if suffix == "json" else pod_with("long", f"nodeSelector:\n    {key}: v")
    (tmp_path / f"longkey.{suffix}").write_text(text)
    code, report = scan_json(run_cli, ".", cwd=tmp_path)
    assert code == 2
    line = 8 if suffix == "json" else 6
    assert errors_by_file(report) == {
        f"longkey.{suffix}": f"{line}: a mapping key longer than 1,024 characters is not supported (1,027 characters)"
        if suffix == "json"
        else f"{line}: a mapping key longer than 1,024 characters is not supported (1,025 characters)"
    }
    assert_good_file_scanned(report)


def test_a_key_over_the_limit_in_the_config_is_a_usage_error_saying_so(run_cli: RunCli, tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / ".kubeaudit.yaml").write_text("profile: all\nrules:\n  params:\n    " + "r" * 2000 + ": {a: 1}\n")
    result = run_cli("scan", "good.yaml", cwd=tmp_path)
    assert result.code == 2 and result.err.count("\n") == 1, result.err
    assert result.err.replace(os.sep, "/").endswith(
        "/.kubeaudit.yaml:4: a mapping key longer than 1,024 characters is not supported (2,000 characters)\n"
    )


@pytest.mark.parametrize(
    "text",
    ["a: " + "b" * 1100 + ": c\n", 'a: "' + "b" * 1100 + '": c\n', "a: {x: " + "y" * 1100 + ", b: c: d}\n"],
    ids=["plain-value", "quoted-value", "short-key-after-long-value"],
)
def test_a_long_value_before_a_stray_colon_is_not_called_a_long_key(text: str) -> None:
    from kubeaudit.yamlnodes import compose_documents, yaml_error

    with pytest.raises(yaml.YAMLError) as caught:
        list(compose_documents(text))
    assert yaml_error(caught.value, text=text).message.startswith("invalid YAML: ")


def test_many_small_files_in_one_folder_are_all_scanned(run_cli: RunCli, tmp_path: Path) -> None:
    count = 100_000 if SOAK else 3_000
    folder = tmp_path / "many"
    folder.mkdir()
    body = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
    for i in range(count):
        (folder / f"cm-{i:06}.yaml").write_text(body)
    code, report = scan_json(run_cli, "many", cwd=tmp_path)
    assert code == 0 and report["errors"] == []
    assert report["summary"]["files"] == count


# -- folders ---------------------------------------------------------------------------------------


def test_symlinked_folders_are_followed_once_and_loops_end(run_cli: RunCli, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "good.yaml").write_text(GOOD)
    app = tmp_path / "app"
    app.mkdir()
    (app / "shared").symlink_to(shared, target_is_directory=True)
    (shared / "loop").symlink_to(tmp_path, target_is_directory=True)  # a cycle back to the top
    _code, report = scan_json(run_cli, "app", cwd=tmp_path)
    assert report["errors"] == []
    assert [f["location"]["source"] for f in report["findings"] if f["ruleId"] == "pss-baseline-privileged"] == [
        "app/shared/good.yaml"
    ]
    assert report["summary"]["files"] == 1


def _without_root_privileges() -> None:
    """In the child, before exec: give up the capabilities that let root read any folder.

    Run as root (as CI is), permission bits would not apply; dropping CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH from the bounding set makes a mode-000 folder unreadable to the scan."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    pr_capbset_drop, cap_dac_override, cap_dac_read_search = 24, 1, 2
    for capability in (cap_dac_override, cap_dac_read_search):
        if libc.prctl(pr_capbset_drop, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


@pytest.mark.skipif(sys.platform != "linux", reason="drops Linux capabilities when run as root")
def test_an_unreadable_folder_is_a_gap_not_a_clean_scan(tmp_path: Path) -> None:
    (tmp_path / "good.yaml").write_text(GOOD)
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "secret-workload.yaml").write_text(GOOD)
    locked.chmod(0)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "kubeaudit", "scan", ".", "--format", "json"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            preexec_fn=_without_root_privileges,
            timeout=60,
        )
    finally:
        locked.chmod(0o755)
    assert "Traceback" not in run.stderr
    report = json.loads(run.stdout)
    assert run.returncode == 2
    assert errors_by_file(report) == {"locked": "None: cannot read directory: Permission denied"}
    assert_good_file_scanned(report)
    assert report["complete"] is False
