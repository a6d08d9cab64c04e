"""Where Istio's mesh config says `outboundTrafficPolicy`, and what it says.

The mesh config is written in one of these places, each read as its tool reads it:

- the `istio` (or `istio-<revision>`) ConfigMap: a YAML document in its `mesh` key;
- an IstioOperator: `spec.meshConfig`;
- Helm values for the `istiod` chart (Istio's chart repository names it `istiod`; in Istio's
  own source tree it is `istio-discovery`), where `meshConfig` is a top-level value:
  - a Flux `HelmRelease` (`helm.toolkit.fluxcd.io`): `spec.values`, merged last, over the
    ConfigMaps and Secrets of `spec.valuesFrom`;
  - an Argo CD `Application` (`argoproj.io`), each of `spec.source` and `spec.sources[]`:
    `helm.parameters` win over `helm.valuesObject`, which replaces the `helm.values` string,
    which wins over `helm.valueFiles`, then the chart's own values.

The istiod chart's values set no `outboundTrafficPolicy`, so unset means Istio's default,
ALLOW_ANY. Where the mode could come from something the input does not show (valuesFrom,
valueFiles), nothing is known: the reading is not readable, and says why. Secret data is
never read.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from kubeaudit.model import Path, Resource
from kubeaudit.yamlnodes import YamlDocumentError, compose_documents, construct, yaml_error

MODE_KEYS = ("outboundTrafficPolicy", "mode")
HELM_MODE_VALUE = ("meshConfig", *MODE_KEYS)
HELM_MODE_PARAMETER = ".".join(HELM_MODE_VALUE)  # as `--set` and Argo CD parameters name it
ISTIOD_CHARTS = frozenset({"istiod", "istio-discovery"})
MESH_CONFIG_LIMIT = 1_000_000  # characters of an embedded mesh config or values string we parse
FLUX_GROUP = "helm.toolkit.fluxcd.io/"
ARGO_GROUP = "argoproj.io/"
MESH_CONFIG_KINDS = frozenset({"ConfigMap", "IstioOperator", "HelmRelease", "Application"})


@dataclass(frozen=True, slots=True)
class MeshConfigReading:
    """What one mesh config says about the outbound traffic policy."""

    at: Path  # where findings point: the mode as written, or the config that leaves it unset
    mode: str | None = None  # as written; None: unset
    readable: bool = True
    # Why it is not readable: text that is not YAML (a coverage gap), or values the input does not
    # show (a notice). None when readable.
    problem: str | None = None
    broken: bool = False  # the problem is input that does not parse


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _mode_in(config: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    value: Any = config
    for key in keys:
        value = _dict(value).get(key)
    return value if isinstance(value, str) else None


def mesh_config_text(resource: Resource) -> str | None:
    """The embedded mesh config of an `istio` (or `istio-<revision>`) ConfigMap."""
    if resource.name != "istio" and not resource.name.startswith("istio-"):
        return None
    text = _dict(resource.data.get("data")).get("mesh")
    return text if isinstance(text, str) else None


def parse_embedded(text: str) -> dict[str, Any]:
    """A YAML mapping written in a string, read with the scanner's own safe, bounded loader.
    Raises YamlDocumentError (its line within the text) when it is none."""
    if len(text) > MESH_CONFIG_LIMIT:
        raise YamlDocumentError(f"longer than {MESH_CONFIG_LIMIT:,} characters, not read", None)
    try:
        nodes = [n for n in compose_documents(text) if n is not None]
        if len(nodes) > 1:
            raise YamlDocumentError("more than one YAML document", nodes[1].start_mark.line + 1)
        data = construct(nodes[0]) if nodes else {}
    except yaml.YAMLError as exc:
        raise yaml_error(exc, text=text) from exc
    except RecursionError as exc:
        raise YamlDocumentError("nested too deeply", None) from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise YamlDocumentError("not a mapping", 1)
    return data


def is_mesh_config(resource: Resource) -> bool:
    """Whether the resource may hold the mesh config (readings() yields something for it)."""
    if resource.kind == "ConfigMap":
        return mesh_config_text(resource) is not None
    if resource.kind == "IstioOperator":
        return True
    return any(True for _ in _istiod_sources(resource))


def readings(resource: Resource) -> list[MeshConfigReading]:
    """The mesh config readings of one resource: none, one, or one per istiod source of an
    Argo CD Application."""
    if resource.kind == "ConfigMap":
        text = mesh_config_text(resource)
        return [] if text is None else [_embedded(text, ("data", "mesh"), "data.mesh", ())]
    if resource.kind == "IstioOperator":
        spec = _dict(resource.data.get("spec"))
        mode = _mode_in(_dict(spec.get("meshConfig")), MODE_KEYS)
        return [MeshConfigReading(("spec", "meshConfig", *MODE_KEYS) if mode is not None else ("spec",), mode)]
    return [_helm_reading(resource, at, source) for at, source in _istiod_sources(resource)]


def _embedded(text: str, at: Path, shown: str, keys: tuple[str, ...]) -> MeshConfigReading:
    """The mode in a YAML string (a ConfigMap's mesh config: keys (); Helm values: meshConfig)."""
    try:
        config = parse_embedded(text)
    except YamlDocumentError as exc:
        where = f", line {exc.line} of it" if exc.line else ""
        return MeshConfigReading(at, readable=False, problem=f"{shown}{where}: {exc.message}", broken=True)
    mode = _mode_in(config, (*keys, *MODE_KEYS))
    return MeshConfigReading((*at, *keys, *MODE_KEYS) if mode is not None else at, mode)


def _chart_name(name: Any) -> bool:
    return isinstance(name, str) and name.rstrip("/").rsplit("/", 1)[-1] in ISTIOD_CHARTS


def _istiod_sources(resource: Resource) -> Iterator[tuple[Path, dict[str, Any]]]:
    """(path, object) of each place a HelmRelease or Application installs the istiod chart."""
    spec = _dict(resource.data.get("spec"))
    if resource.kind == "HelmRelease" and resource.api_version.startswith(FLUX_GROUP):
        chart = _dict(_dict(spec.get("chart")).get("spec")).get("chart")
        if _chart_name(chart) or _chart_name(_dict(spec.get("chartRef")).get("name")):
            yield ("spec",), spec
    elif resource.kind == "Application" and resource.api_version.startswith(ARGO_GROUP):
        sources: list[tuple[Path, Any]] = [(("spec", "source"), spec.get("source"))]
        sources += [(("spec", "sources", i), s) for i, s in enumerate(_list(spec.get("sources")))]
        for at, source in sources:
            source = _dict(source)
            if _chart_name(source.get("chart")) or _chart_name(source.get("path")):
                yield at, source


def _helm_reading(resource: Resource, at: Path, source: dict[str, Any]) -> MeshConfigReading:
    if resource.kind == "HelmRelease":
        mode = _mode_in(_dict(source.get("values")), HELM_MODE_VALUE)
        if mode is not None:
            return MeshConfigReading((*at, "values", *HELM_MODE_VALUE), mode)
        if _list(source.get("valuesFrom")):
            hidden = "spec.valuesFrom (ConfigMaps and Secrets the scan does not read)"
            return MeshConfigReading((*at, "valuesFrom"), readable=False, problem=f"values come from {hidden}")
        return MeshConfigReading((*at, "values") if "values" in source else (*at, "chart"))
    helm = _dict(source.get("helm"))
    helm_at: Path = (*at, "helm")
    for index, parameter in enumerate(_list(helm.get("parameters"))):
        parameter = _dict(parameter)
        if parameter.get("name") == HELM_MODE_PARAMETER and isinstance(parameter.get("value"), str):
            return MeshConfigReading((*helm_at, "parameters", index, "value"), parameter["value"])
    if isinstance(helm.get("valuesObject"), dict):  # replaces the values string (Argo CD ValuesYAML)
        mode = _mode_in(helm["valuesObject"], HELM_MODE_VALUE)
        if mode is not None:
            return MeshConfigReading((*helm_at, "valuesObject", *HELM_MODE_VALUE), mode)
    elif isinstance(helm.get("values"), str):
        shown = ".".join(str(p) for p in (*helm_at, "values"))
        reading = _embedded(helm["values"], (*helm_at, "values"), shown, ("meshConfig",))
        if not reading.readable or reading.mode is not None:
            return reading
    unseen = ["valueFiles"] if _list(helm.get("valueFiles")) else []
    if any(str(_dict(p).get("name", "")).startswith("meshConfig") for p in _list(helm.get("fileParameters"))):
        unseen.append("fileParameters")
    if unseen:
        files = " and ".join(f"{'.'.join(str(p) for p in helm_at)}.{key}" for key in unseen)
        return MeshConfigReading((*helm_at, unseen[0]), readable=False, problem=f"values come from {files}")
    return MeshConfigReading(helm_at if helm else (*at, "chart"))
