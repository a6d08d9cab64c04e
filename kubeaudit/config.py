"""The configuration file, .kubeaudit.yaml: found by walking up from the working
directory (like yamllint), or named with --config. Validated by its own JSON Schema
(kubeaudit/config.schema.json); a broken config is a usage error naming file, line and field."""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path as FsPath
from typing import Any

from kubeaudit.model import Severity, format_path
from kubeaudit.validation_cache import validation_cache

CONFIG_NAMES = (".kubeaudit.yaml", ".kubeaudit.yml")


class ConfigError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Exemption:
    reason: str
    rules: tuple[str, ...] = ()  # globs; empty means every rule
    namespace: str | None = None
    kind: str | None = None
    name: str | None = None
    expires: dt.date | None = None
    line: int | None = None  # where it is written, for notices


@dataclass(frozen=True, slots=True)
class InlinePolicy:
    """Which findings a manifest may suppress itself (`kubeaudit.io/ignore`): the gate checks
    the manifest's author, so the config, not the manifest, has the last word."""

    enabled: bool = True
    rules: tuple[str, ...] | None = None  # globs of rules that may be; None: any rule named

    @property
    def allows_catch_all(self) -> bool:
        return self.rules is not None and "*" in self.rules


@dataclass(slots=True)
class Config:
    path: str | None = None
    profile: str | None = None
    fail_on: str | None = None
    pss_version: str | None = None  # "latest" or "v1.N"
    rule_dirs: list[str] = field(default_factory=list)
    toggles: list[tuple[str, str]] = field(default_factory=list)
    replace_rules: list[str] = field(default_factory=list)
    severity: dict[str, Severity] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    exclude: list[str] = field(default_factory=list)
    exemptions: list[Exemption] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)  # options for views
    inline: InlinePolicy = field(default_factory=InlinePolicy)

    @property
    def base_dir(self) -> FsPath:
        return FsPath(self.path).parent if self.path else FsPath.cwd()

    def is_excluded(self, display_path: str) -> bool:
        """Whether a path (as reports show it, relative to the working directory) is excluded."""
        if not self.exclude or display_path == "<stdin>":
            return False
        try:
            rel = FsPath(os.path.relpath(os.path.abspath(display_path), self.base_dir)).as_posix()
        except ValueError:
            return False
        for pattern in self.exclude:
            folder = pattern.rstrip("/")
            if fnmatchcase(rel, pattern) or rel == folder or rel.startswith(folder + "/"):
                return True
        return False


@cache
def _config_schema_text() -> str:
    return (FsPath(__file__).parent / "config.schema.json").read_text(encoding="utf-8")


@cache
def config_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(_config_schema_text())
    return schema


def find_config(start: FsPath | None = None) -> FsPath | None:
    """The nearest .kubeaudit.yaml in the working directory or any parent."""
    folder = (start or FsPath.cwd()).resolve()
    for candidate_dir in (folder, *folder.parents):
        for name in CONFIG_NAMES:
            candidate = candidate_dir / name
            if candidate.is_file():
                return candidate
    return None


def load_config(path: FsPath) -> Config:
    from kubeaudit.yamlfile import YamlFileError, load_document, read_regular_file
    from kubeaudit.yamlnodes import locate

    shown = path.as_posix()
    try:
        text = read_regular_file(path).decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{shown}: cannot read config: {exc}") from exc
    except YamlFileError as exc:
        raise ConfigError(f"{shown}: cannot read config: {exc.message}") from exc
    try:
        data, root = load_document(text, "config")
    except YamlFileError as exc:
        raise ConfigError(exc.located(shown)) from exc
    if data is None:
        data = {}

    def line_of(where: tuple[Any, ...]) -> str:
        return f":{locate(root, where).line}" if root is not None else ""

    cache = validation_cache()
    key = cache.key(_config_schema_text(), data)
    if key not in cache:
        import jsonschema  # only for a config not already known valid (validation_cache.py)

        errors = list(jsonschema.Draft202012Validator(config_schema()).iter_errors(data))
        if errors:
            error = jsonschema.exceptions.best_match(errors)
            where = tuple(error.absolute_path)
            raise ConfigError(f"{shown}{line_of(where)}: {format_path(where) or '(config)'}: {error.message}")
        cache.add(key)
        cache.save()
    return _build(path, data, line_of)


def _build(path: FsPath, data: dict[str, Any], line_of: Any) -> Config:
    base = path.parent
    rules = data.get("rules", {})
    config = Config(path=path.as_posix(), profile=data.get("profile"), fail_on=data.get("fail-on"))
    config.pss_version = data.get("pss-version")
    config.rule_dirs = [str(base / p) for p in rules.get("paths", [])]
    config.toggles = [("enable", p) for p in rules.get("enable", [])] + [
        ("disable", p) for p in rules.get("disable", [])
    ]
    config.replace_rules = list(rules.get("replace", []))
    config.severity = {rule_id: Severity(s) for rule_id, s in rules.get("severity", {}).items()}
    config.params = {rule_id: dict(p) for rule_id, p in rules.get("params", {}).items()}
    config.exclude = list(data.get("exclude", []))
    config.settings["namespaces_with_external_policies"] = list(data.get("namespaces-with-external-policies", []))
    config.settings["assume_default_cluster_roles"] = bool(data.get("assume-default-cluster-roles", True))
    config.settings["strict_inputs"] = bool(data.get("strict-inputs", False))
    config.inline = _inline_policy(data.get("suppressions", {}).get("inline", True))
    if "mesh-root-namespace" in data:
        config.settings["mesh_root_namespace"] = data["mesh-root-namespace"]
    for index, item in enumerate(data.get("exemptions", [])):
        expires = None
        if "expires" in item:
            try:
                expires = dt.date.fromisoformat(item["expires"])
            except ValueError as exc:
                where = ("exemptions", index, "expires")
                raise ConfigError(f"{path.as_posix()}{line_of(where)}: {format_path(where)}: {exc}") from exc
        line = line_of(("exemptions", index))
        config.exemptions.append(
            Exemption(
                reason=item["reason"],
                rules=tuple(item.get("rules", ())),
                namespace=item.get("namespace"),
                kind=item.get("kind"),
                name=item.get("name"),
                expires=expires,
                line=int(line[1:]) if line else None,
            )
        )
    return config


def _inline_policy(setting: bool | str | list[str]) -> InlinePolicy:
    if isinstance(setting, list):
        return InlinePolicy(rules=tuple(setting))
    # YAML 1.1 reads a bare on/off as a boolean; quoted, it stays a string.
    return InlinePolicy(enabled=setting in (True, "on"))
