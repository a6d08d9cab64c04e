"""The Pod Security admission configuration file (`--psa-config FILE`).

Either an `AdmissionConfiguration` (apiserver.config.k8s.io) whose `PodSecurity` plugin
carries its configuration inline or names a file with `path` (relative to this one), or
a `PodSecurityConfiguration` (pod-security.admission.config.k8s.io) on its own. Its
`defaults` apply to namespaces without the labels; its `exemptions` admit requests by
user name, pods with a runtime class, and whole namespaces without evaluation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path as FsPath
from typing import Any

from kubeaudit.engine.namespace_policy import LEVELS, MODES
from kubeaudit.engine.policy_versions import LATEST, PolicyVersionError, parse_minor
from kubeaudit.yamlfile import YamlFileError, read_document_file

PLUGIN = "PodSecurity"
CONFIG_KIND = "PodSecurityConfiguration"
ADMISSION_KIND = "AdmissionConfiguration"


class AdmissionConfigError(ValueError):
    """An admission configuration that cannot be used: names the file and the field."""


@dataclass(frozen=True, slots=True)
class Exemptions:
    usernames: frozenset[str] = frozenset()
    runtime_classes: frozenset[str] = frozenset()
    namespaces: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class AdmissionConfig:
    source: str | None = None  # the file, None: the built-in defaults
    # mode -> level, and "<mode>-version" -> version, as the labels spell them
    defaults: dict[str, str] = field(default_factory=lambda: {m: "privileged" for m in MODES})
    exemptions: Exemptions = Exemptions()

    def default_level(self, mode: str) -> str:
        return self.defaults.get(mode, "privileged")

    def default_version(self, mode: str) -> str:
        return self.defaults.get(f"{mode}-version", LATEST)


def load_admission_config(path: str) -> AdmissionConfig:
    shown = FsPath(path).as_posix()
    data = _read(FsPath(path), shown)
    if isinstance(data, dict) and data.get("kind") == ADMISSION_KIND:
        data, shown = _plugin_configuration(data, FsPath(path), shown)
    if not isinstance(data, dict) or data.get("kind") != CONFIG_KIND:
        raise AdmissionConfigError(f"{shown}: not an {ADMISSION_KIND} or {CONFIG_KIND}")
    return _parse(data, shown)


def _read(path: FsPath, shown: str) -> Any:
    try:
        return read_document_file(path, "admission configuration")
    except OSError as exc:
        raise AdmissionConfigError(f"{shown}: cannot read: {exc.strerror or exc}") from exc
    except YamlFileError as exc:
        raise AdmissionConfigError(exc.located(shown)) from exc


def _plugin_configuration(data: dict[str, Any], path: FsPath, shown: str) -> tuple[Any, str]:
    plugins = data.get("plugins")
    plugin = next((p for p in plugins or () if isinstance(p, dict) and p.get("name") == PLUGIN), None)
    if plugin is None:
        raise AdmissionConfigError(f"{shown}: plugins: no {PLUGIN} plugin")
    if plugin.get("configuration") is not None:
        return plugin["configuration"], shown
    if isinstance(plugin.get("path"), str):
        target = path.parent / plugin["path"]
        return _read(target, target.as_posix()), target.as_posix()
    raise AdmissionConfigError(f"{shown}: plugins.{PLUGIN}: neither configuration nor path")


def _parse(data: dict[str, Any], shown: str) -> AdmissionConfig:
    defaults_raw = data.get("defaults") or {}
    if not isinstance(defaults_raw, dict):
        raise AdmissionConfigError(f"{shown}: defaults: must be a mapping")
    defaults = {m: "privileged" for m in MODES}
    for key, value in defaults_raw.items():
        mode = str(key).removesuffix("-version")
        if mode not in MODES:
            raise AdmissionConfigError(f"{shown}: defaults.{key}: unknown key (enforce, audit, warn, their -version)")
        if not isinstance(value, str):
            raise AdmissionConfigError(f"{shown}: defaults.{key}: must be a string")
        if str(key).endswith("-version"):
            if value != LATEST:
                try:
                    parse_minor(value)
                except PolicyVersionError as exc:
                    raise AdmissionConfigError(f"{shown}: defaults.{key}: {exc}") from exc
        elif value not in LEVELS:
            raise AdmissionConfigError(f"{shown}: defaults.{key}: {value!r} is not one of {', '.join(LEVELS)}")
        defaults[str(key)] = value
    raw = data.get("exemptions") or {}
    if not isinstance(raw, dict):
        raise AdmissionConfigError(f"{shown}: exemptions: must be a mapping")

    def names(key: str) -> frozenset[str]:
        value = raw.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise AdmissionConfigError(f"{shown}: exemptions.{key}: must be a list of names")
        return frozenset(value)

    exemptions = Exemptions(names("usernames"), names("runtimeClasses"), names("namespaces"))
    return AdmissionConfig(shown, defaults, exemptions)
