"""The `kubelet` view: a kubelet's configuration, with the kubelet's own defaults for what is absent.

Reads `KubeletConfiguration` objects of `kubelet.config.k8s.io/v1beta1`, the only version of
that kind upstream serves (the group's `v1` holds CredentialProviderConfig alone). From
manifests, a field that is absent takes the value the kubelet gives it when it loads the file
(SetDefaults_KubeletConfiguration for v1beta1): anonymous authentication off, authorization
Webhook, read-only port 0, eventRecordQPS 50, streamingConnectionIdleTimeout 4h (also when
written as 0: the kubelet defaults a zero duration), makeIPTablesUtilChains true;
protectKernelDefaults, rotateCertificates and serverTLSBootstrap false. Note that these differ
from the kubelet's command-line flag defaults (`--anonymous-auth` is true, `--read-only-port`
10255): a flag on the kubelet's command line overrides the file, which a manifest cannot show.

From a cluster (`--read-kubelet-config`), each node's running configuration comes from the
kubelet's `/configz` endpoint as a KubeletConfiguration named after the node: already defaulted
and with its flags applied, so it is taken as it is.

Document: `apiVersion`, `kind`, `metadata`, `describes` ("node NAME" or "KubeletConfiguration
NAME"), `source` (manifest, node), one field per setting (`anonymousAuth`, `authorizationMode`,
`readOnlyPort`, `protectKernelDefaults`, `rotateCertificates`, `serverTLSBootstrap`,
`rotateServerCertificatesGate` (the RotateKubeletServerCertificate feature gate, default true),
`eventRecordQPS`, `tlsCipherSuites` (empty: Go's defaults), `tlsMinVersion` (empty: Go's
default), `streamingConnectionIdleTimeout` and `streamingConnectionIdleTimeoutSeconds` (null when
it does not parse as a Go duration), `makeIPTablesUtilChains`), and `origins` (setting name ->
"as written", "the kubelet's default" or "running configuration"). Findings on a setting point
at where it is written or, when absent, at the nearest enclosing field that is.
"""

from __future__ import annotations

from typing import Any

from kubeaudit.model import Path, Resource
from kubeaudit.views.base import Target
from kubeaudit.views.controlplane import go_duration_seconds as parse_go_duration
from kubeaudit.views.registry import ResourceView, Shared, register

API_VERSION = "kubelet.config.k8s.io/v1beta1"
DEFAULT_IDLE_TIMEOUT = "4h0m0s"
# setting -> (path in the KubeletConfiguration, the v1beta1 default)
SETTINGS: dict[str, tuple[Path, Any]] = {
    "anonymousAuth": (("authentication", "anonymous", "enabled"), False),
    "authorizationMode": (("authorization", "mode"), "Webhook"),
    "readOnlyPort": (("readOnlyPort",), 0),
    "protectKernelDefaults": (("protectKernelDefaults",), False),
    "rotateCertificates": (("rotateCertificates",), False),
    "serverTLSBootstrap": (("serverTLSBootstrap",), False),
    "rotateServerCertificatesGate": (("featureGates", "RotateKubeletServerCertificate"), True),
    "eventRecordQPS": (("eventRecordQPS",), 50),
    "tlsCipherSuites": (("tlsCipherSuites",), []),
    "tlsMinVersion": (("tlsMinVersion",), ""),
    "streamingConnectionIdleTimeout": (("streamingConnectionIdleTimeout",), DEFAULT_IDLE_TIMEOUT),
    "makeIPTablesUtilChains": (("makeIPTablesUtilChains",), True),
}
WRITTEN, DEFAULTED, RUNNING = "as written", "the kubelet's default", "running configuration"


def go_duration_seconds(value: Any) -> int | float | None:
    """Seconds in a Go duration ("4h0m0s", "5m", "0"), as the kubelet parses it; None if it is not one."""
    return parse_go_duration(value) if isinstance(value, str) else None


def _lookup(data: Any, path: Path) -> tuple[bool, Any]:
    node = data
    for part in path:
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _nearest_written(data: dict[str, Any], path: Path) -> Path:
    """The deepest prefix of `path` written in the object (its `kind` when none is)."""
    node: Any = data
    for size, part in enumerate(path):
        if not isinstance(node, dict) or part not in node:
            return path[:size] if size else ("kind",)
        node = node[part]
    return path


def _describes(resource: Resource, running: bool) -> str:
    if running:
        return f"node {resource.name}"
    return f"KubeletConfiguration {resource.name}" if resource.name else "KubeletConfiguration (unnamed)"


def kubelet_targets(resource: Resource, shared: Shared) -> list[Target]:
    data = resource.data
    if data.get("apiVersion") != API_VERSION:
        return []  # the kubelet refuses other versions of this kind: nothing it would run
    running = resource.origin.context is not None  # from /configz: defaulted, flags applied
    doc: dict[str, Any] = {
        "apiVersion": data.get("apiVersion"),
        "kind": data.get("kind"),
        "metadata": data.get("metadata") or {},
        "describes": _describes(resource, running),
        "source": "node" if running else "manifest",
    }
    origins: dict[str, str] = {}
    prefixes: dict[Path, Path] = {}
    for name, (path, default) in SETTINGS.items():
        written, value = _lookup(data, path)
        if name == "streamingConnectionIdleTimeout" and not running and go_duration_seconds(value) == 0:
            written = False  # a zero duration in the file is defaulted, as an absent one
        doc[name] = value if written else default
        origins[name] = (RUNNING if running else WRITTEN) if written else DEFAULTED
        prefixes[(name,)] = path if written else _nearest_written(data, path)
    doc["streamingConnectionIdleTimeoutSeconds"] = go_duration_seconds(doc["streamingConnectionIdleTimeout"])
    prefixes[("streamingConnectionIdleTimeoutSeconds",)] = prefixes[("streamingConnectionIdleTimeout",)]
    doc["origins"] = origins
    return [Target("kubelet", resource, doc, prefixes)]


KUBELET_VIEW = register(
    ResourceView(
        name="kubelet",
        kinds=frozenset({"KubeletConfiguration"}),
        fields=frozenset(
            {"apiVersion", "kind", "metadata", "describes", "source", "origins",
             "streamingConnectionIdleTimeoutSeconds", *SETTINGS}
        ),
        build=kubelet_targets,
    )
)  # fmt: skip
