"""Loading rule files: schema validation with precise errors, user rules, no code."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubeaudit.engine.loader import RuleError, builtin_rules_dir, load_rules, rule_files

GOOD_RULE = """\
id: {id}
title: No latest tag
severity: low
category: images
view: container
condition:
  properties:
    container:
      properties:
        image: {{not: {{pattern: ":latest$"}}}}
message: Container {{container.name}} uses the latest tag ({{value}}).
remediation: Pin the image to a version or digest.
references:
  - title: Kubernetes docs, Images
    url: https://kubernetes.io/docs/concepts/containers/images/
"""


def write_rule(folder: Path, rule_id: str, text: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{rule_id}.yaml"
    path.write_text(text if text is not None else GOOD_RULE.format(id=rule_id))
    return path


def test_user_rules_load_beside_builtins(tmp_path: Path) -> None:
    write_rule(tmp_path, "no-latest-tag")
    rules = {r.id: r for r in load_rules([tmp_path])}
    assert "no-latest-tag" in rules and not rules["no-latest-tag"].builtin
    assert "pss-baseline-privileged" in rules


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda t: t.replace("severity: low", "severity: hgh"),
            r"no-latest-tag\.yaml:3: severity: 'hgh' is not one of",
        ),
        (lambda t: t.replace("view: container", "view: pods"), r":5: view: unknown view 'pods'"),
        (lambda t: t.replace("title: No latest tag\n", ""), r"'title' is a required property"),
        (lambda t: t.replace("image: {not:", "image: {nott:"), r":10: condition.*nott"),
        (lambda t: t.replace('":latest$"', '"(latest"'), r"condition.*invalid regular expression"),
        (
            lambda t: t.replace("{container.name}", "{containr.name}"),
            r"unknown placeholder \{containr.name\}",
        ),
        (lambda t: t.replace("id: no-latest-tag", "id: other-id"), r"must match the file name"),
        (lambda t: t + "  - [unclosed\n", r"invalid YAML"),
        (lambda t: t.replace("url: https://", "url: http://"), r"references\[0\]\.url"),
    ],
)
def test_broken_rule_files_fail_with_path_line_and_field(tmp_path: Path, edit, expected: str) -> None:  # type: ignore[no-untyped-def]
    write_rule(tmp_path, "no-latest-tag", edit(GOOD_RULE.format(id="no-latest-tag")))
    with pytest.raises(RuleError, match=expected):
        load_rules([tmp_path])


def test_a_rule_file_cannot_execute_code(tmp_path: Path) -> None:
    """Rule files are parsed with a safe loader: Python object tags are rejected, never run."""
    marker = tmp_path / "pwned"
    text = GOOD_RULE.format(id="evil") + f"tags: !!python/object/apply:os.system ['touch {marker}']\n"
    write_rule(tmp_path, "evil", text)
    with pytest.raises(
        RuleError, match=r"evil\.yaml:\d+: unsupported YAML tag tag:yaml.org,2002:python/object"
    ):
        load_rules([tmp_path])
    assert not marker.exists()


def test_user_rule_cannot_silently_shadow_a_builtin(tmp_path: Path) -> None:
    text = GOOD_RULE.format(id="pss-baseline-privileged")
    write_rule(tmp_path, "pss-baseline-privileged", text)
    with pytest.raises(RuleError, match="already defined by"):
        load_rules([tmp_path])
    replaced = {r.id: r for r in load_rules([tmp_path], replace=["pss-baseline-privileged"])}
    assert replaced["pss-baseline-privileged"].title == "No latest tag"


def test_params_override_defaults_and_unknown_params_are_errors(tmp_path: Path) -> None:
    text = (
        GOOD_RULE.format(id="allowed-registries").replace(
            'image: {not: {pattern: ":latest$"}}', "image: {pattern: {$param: registries}}"
        )
        + "params:\n  registries:\n    default: '^registry.example.com/'\n    description: Allowed image prefix.\n"
    )
    write_rule(tmp_path, "allowed-registries", text)
    rule = {r.id: r for r in load_rules([tmp_path])}["allowed-registries"]
    assert rule.params == {"registries": "^registry.example.com/"}
    overridden = {
        r.id: r for r in load_rules([tmp_path], params={"allowed-registries": {"registries": "^ghcr.io/"}})
    }
    assert overridden["allowed-registries"].params == {"registries": "^ghcr.io/"}
    with pytest.raises(RuleError, match="unknown parameter 'nope'"):
        load_rules([tmp_path], params={"allowed-registries": {"nope": 1}})


def test_missing_rules_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="rules directory not found"):
        load_rules([tmp_path / "absent"])


def test_installed_package_carries_every_rule_in_the_repository() -> None:
    """Whether installed from a wheel or run from source, every rule in rules/ is found."""
    repo_rules = Path(__file__).resolve().parents[2] / "rules"
    shipped = {p.name for p in rule_files(builtin_rules_dir())}
    assert shipped == {p.name for p in rule_files(repo_rules)}
    assert (builtin_rules_dir() / "schema.json").is_file()
