"""`kubeaudit fix` as a user runs it: what it writes, what it prints, what it leaves alone."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import RunCli

ONLY_ESCALATION = ("--no-config", "--disable", "*", "--enable", "pss-restricted-privilege-escalation")

DEPLOYMENT = """\
# The web tier.
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: "web"}}   # flow style stays
spec:
    template:
        spec:
            containers:
            -   name: a      # a dash, then three spaces (the document indents by 4)
                image: 'nginx:1.25'
                securityContext: { runAsNonRoot: true }
            initContainers:
                - name: b
                  image: "busybox"
                  args: ["x",   "y"]
                  env:
                  - {name: A, value: null}
---
kind: List
apiVersion: v1
items:
- apiVersion: v1
  kind: Pod
  metadata:
    name: p
  spec:
    containers:
    - name: c
      image: x
      securityContext:
        allowPrivilegeEscalation: true  # says who?
...
"""

FIXED = (
    DEPLOYMENT.replace(
        "securityContext: { runAsNonRoot: true }",
        "securityContext: {runAsNonRoot: true, allowPrivilegeEscalation: false}",
    )
    .replace(
        "                  - {name: A, value: null}\n",
        "                  - {name: A, value: null}\n                  securityContext:\n"
        "                      allowPrivilegeEscalation: false\n",
    )
    .replace("allowPrivilegeEscalation: true  # says who?", "allowPrivilegeEscalation: false # says who?")
)


def test_fix_changes_only_the_lines_it_must_in_every_style(run_cli: RunCli, tmp_path: Path) -> None:
    manifest = tmp_path / "web.yaml"
    manifest.write_text(DEPLOYMENT)
    run = run_cli("fix", str(manifest), *ONLY_ESCALATION)
    assert manifest.read_text() == FIXED
    assert run.code == 0, run.out + run.err
    assert run.out.count("fixed: ") == 3
    assert "kubeaudit fix: 3 finding(s) fixed in 1 file(s); 0 remain" in run.out
    again = run_cli("fix", str(manifest), *ONLY_ESCALATION)
    assert again.code == 0 and "0 finding(s) fixed in 0 file(s)" in again.out
    assert manifest.read_text() == FIXED


def test_crlf_line_ends_and_a_byte_order_mark_are_kept(run_cli: RunCli, tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_bytes(b"\xef\xbb\xbfapiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p\r\nspec:\r\n"
                         b"  containers:\r\n  - name: c\r\n    image: x\r\n")  # fmt: skip
    assert run_cli("fix", str(manifest), *ONLY_ESCALATION).code == 0
    assert manifest.read_bytes() == (
        b"\xef\xbb\xbfapiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: p\r\nspec:\r\n  containers:\r\n"
        b"  - name: c\r\n    image: x\r\n    securityContext:\r\n      allowPrivilegeEscalation: false\r\n"
    )


def test_diff_prints_the_change_and_writes_nothing(run_cli: RunCli, tmp_path: Path) -> None:
    manifest = tmp_path / "web.yaml"
    manifest.write_text(DEPLOYMENT)
    run = run_cli("fix", str(manifest), "--diff", *ONLY_ESCALATION)
    assert manifest.read_text() == DEPLOYMENT
    assert run.code == 0, run.err
    changed = (
        "-        allowPrivilegeEscalation: true  # says who?\n"
        "+        allowPrivilegeEscalation: false # says who?\n"
    )
    assert changed in run.out
    assert "would fix: " in run.out and "3 finding(s) would fix" in run.out


def test_findings_without_a_fix_remain_and_exit_1(run_cli: RunCli, tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    manifest.write_text("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n"
                        "    image: nginx:latest\n")  # fmt: skip
    run = run_cli("fix", str(manifest), "--no-config", "--disable", "*", "--enable", "image-latest-tag")
    assert run.code == 1
    assert "remains: " in run.out and "image-latest-tag" in run.out and "no mechanical fix" in run.out


def test_a_fix_the_api_server_would_reject_is_left_out_with_the_reason(run_cli: RunCli, tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    text = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: x\n"
            "    securityContext:\n      privileged: true\n")  # fmt: skip
    manifest.write_text(text)
    run = run_cli("fix", str(manifest), *ONLY_ESCALATION)
    assert manifest.read_text() == text
    assert run.code == 1
    assert "allowPrivilegeEscalation cannot be false while privileged is true" in run.out
    # With the privileged fix beside it, both go in.
    both = run_cli("fix", str(manifest), *ONLY_ESCALATION, "--enable", "pss-baseline-privileged")
    assert both.code == 0, both.out
    assert "privileged" not in manifest.read_text().split("securityContext:")[1].replace("allowPrivilege", "")


def test_helm_syntax_json_and_standard_input_are_not_edited(run_cli: RunCli, tmp_path: Path) -> None:
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "j"}, "spec": {"containers": [{"name": "c"}]}}
    (tmp_path / "pod.json").write_text(json.dumps(pod))
    templated = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  labels: {a: \"{{ x }}\"}\nspec:\n" \
        "  containers:\n  - name: c\n    image: x\n"
    (tmp_path / "templated.yaml").write_text(templated)
    run = run_cli("fix", str(tmp_path), *ONLY_ESCALATION)
    assert run.code == 1
    assert "a JSON file: kubeaudit fix edits YAML files only" in run.out
    assert "Helm template syntax ({{ }}) in a file that is not rendered" in run.out
    assert (tmp_path / "templated.yaml").read_text() == templated
    assert json.loads((tmp_path / "pod.json").read_text()) == pod
    stdin = run_cli("fix", "-", *ONLY_ESCALATION, stdin="kind: Pod\n")
    assert stdin.code == 2 and "standard input (-) has no file to write the fixes to" in stdin.err
    assert run_cli("fix", *ONLY_ESCALATION).code == 2


def test_placeholders_are_written_only_when_asked_and_only_once(run_cli: RunCli, tmp_path: Path) -> None:
    manifest = tmp_path / "pod.yaml"
    text = ("apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n    image: x\n"
            "    securityContext:\n      runAsUser: 0\n")  # fmt: skip
    manifest.write_text(text)
    only = ("--no-config", "--disable", "*", "--enable", "pss-restricted-run-as-user")
    plain = run_cli("fix", str(manifest), *only)
    assert plain.code == 1 and manifest.read_text() == text
    assert "needs a real value: `kubeaudit fix --placeholders` writes a commented placeholder" in plain.out
    asked = run_cli("fix", str(manifest), "--placeholders", *only)
    assert asked.code == 1, asked.out  # the finding stays until a person sets the UID
    placeholder = "      # kubeaudit placeholder: runAsUser: 10001  (the non-zero UID the image runs as)\n"
    assert manifest.read_text() == text.replace("      runAsUser: 0\n", placeholder + "      runAsUser: 0\n")
    run_cli("fix", str(manifest), "--placeholders", *only)
    assert manifest.read_text().count("kubeaudit placeholder") == 1
