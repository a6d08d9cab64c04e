"""The GitHub Action and the pre-commit hooks install the renderers, so that they work unchanged on
a repository holding charts and overlays: without them, each chart and overlay would be a coverage
gap (exit 2). The renderers are kubeaudit's optional extras, read from the installed package."""

from __future__ import annotations

import re
from importlib import metadata

import yaml
from conftest import REPO

RENDERER_EXTRAS = {"helm", "kustomize"}


def _extra_requirements() -> dict[str, list[str]]:
    """Each optional extra's requirements, as the installed package declares them."""
    found: dict[str, list[str]] = {}
    for requirement in metadata.requires("kubeaudit") or []:
        match = re.fullmatch(r"(.+?);\s*extra\s*==\s*['\"](\w+)['\"]", requirement)
        if match:
            found.setdefault(match.group(2), []).append(match.group(1).replace(" ", ""))
    return found


def test_the_renderer_extras_are_the_ones_the_package_offers() -> None:
    offered = set(metadata.metadata("kubeaudit").get_all("Provides-Extra") or [])
    # `fix` (ruamel.yaml, for `kubeaudit fix`) is an extra, but not a renderer.
    assert offered - {"test", "fix"} == RENDERER_EXTRAS
    requirements = _extra_requirements()
    assert set(requirements["fix"]) <= set(requirements["test"]), "the tests fix the rule fixtures"
    for extra in RENDERER_EXTRAS:  # the test extra pulls each renderer in, so CI tests them
        assert set(requirements[extra]) <= set(requirements["test"]), extra


def test_the_action_installs_its_own_checkout_with_every_renderer() -> None:
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    install = next(step for step in action["runs"]["steps"] if step.get("id") == "install")
    extras = re.findall(r'"\$\{GITHUB_ACTION_PATH\}\[([^\]]*)\]"', install["run"])
    assert len(extras) == 1, install["run"]
    assert set(extras[0].split(",")) == RENDERER_EXTRAS


def test_every_hook_installs_the_renderer_requirements() -> None:
    """pre-commit installs a hook repository without extras: the hooks name their requirements."""
    requirements = sorted(r for extra in RENDERER_EXTRAS for r in _extra_requirements()[extra])
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    for hook in hooks:
        assert sorted(hook["additional_dependencies"]) == requirements, hook["id"]
