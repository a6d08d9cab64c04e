"""The expected shape of the pod-spec fields rules read.

Rules are JSON Schema conditions, and JSON Schema skips keywords that do not fit
a value's type: a `securityContext: "yes"` would quietly pass every check. So
before any rule runs we check the types of the fields rules rely on, and a
resource of the wrong shape is reported as not scanned rather than as compliant.
"""

from __future__ import annotations

from typing import Any

from kubeaudit.condition import Check, compile_condition


def _t(*types: str) -> dict[str, Any]:
    return {"type": [*types, "null"]}


def _obj(props: dict[str, Any] | None = None, values: dict[str, Any] | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = _t("object")
    if props:
        schema["properties"] = props
    if values is not None:
        schema["additionalProperties"] = values
    return schema


def _arr(items: dict[str, Any]) -> dict[str, Any]:
    return {**_t("array"), "items": items}


_STRING_MAP = _obj(values=_t("string"))
_BOOL, _INT, _STR = _t("boolean"), _t("integer"), _t("string")
# User and group ids as the API server validates them (apimachinery's IsValidUserID and
# IsValidGroupID: 0 to 2^31-1). An id outside that range is a pod no server admits, not one that
# runs as some user: judging it would report a setting that cannot exist.
_ID = {**_INT, "minimum": 0, "maximum": 2**31 - 1}
_ENV_SOURCE = _obj({key: _obj() for key in ("secretKeyRef", "configMapKeyRef", "fieldRef", "resourceFieldRef")})
_HOST_ACTION = _obj({"httpGet": _obj({"host": _STR}), "tcpSocket": _obj({"host": _STR})})
_COMMON_SECURITY = {
    "runAsUser": _ID,
    "runAsGroup": _ID,
    "runAsNonRoot": _BOOL,
    "seccompProfile": _obj({"type": _STR, "localhostProfile": _STR}),
    "appArmorProfile": _obj({"type": _STR, "localhostProfile": _STR}),
    "seLinuxOptions": _obj({"type": _STR, "user": _STR, "role": _STR, "level": _STR}),
    "windowsOptions": _obj({"hostProcess": _BOOL}),
}
_CONTAINER_SECURITY = _obj(
    {
        **_COMMON_SECURITY,
        "privileged": _BOOL,
        "allowPrivilegeEscalation": _BOOL,
        "readOnlyRootFilesystem": _BOOL,
        "procMount": _STR,
        "capabilities": _obj({"add": _arr({"type": "string"}), "drop": _arr({"type": "string"})}),
    }
)
_POD_SECURITY = _obj(
    {
        **_COMMON_SECURITY,
        "sysctls": _arr({"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}),
    }
)
_CONTAINER = {
    "type": "object",
    "properties": {
        "name": _STR,
        "image": _STR,
        "securityContext": _CONTAINER_SECURITY,
        "ports": _arr({"type": "object", "properties": {"hostPort": _INT, "containerPort": _INT}}),
        "env": _arr(
            {
                "type": "object",
                "properties": {"name": {"type": "string"}, "valueFrom": _ENV_SOURCE},
                "required": ["name"],
            }
        ),
        "resources": _obj({"limits": _obj(), "requests": _obj()}),
        "volumeMounts": _arr(
            {
                "type": "object",
                "properties": {"name": {"type": "string"}, "readOnly": _BOOL, "mountPath": _STR},
            }
        ),
        "livenessProbe": _HOST_ACTION,
        "readinessProbe": _HOST_ACTION,
        "startupProbe": _HOST_ACTION,
        "lifecycle": _obj({"postStart": _HOST_ACTION, "preStop": _HOST_ACTION}),
    },
}
POD_SPEC_SHAPE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "containers": _arr(_CONTAINER),
        "initContainers": _arr(_CONTAINER),
        "ephemeralContainers": _arr(_CONTAINER),
        "volumes": _arr({"type": "object", "properties": {"name": _STR, "hostPath": _obj({"path": _STR})}}),
        "securityContext": _POD_SECURITY,
        "hostNetwork": _BOOL,
        "hostPID": _BOOL,
        "hostIPC": _BOOL,
        "hostUsers": _BOOL,
        "automountServiceAccountToken": _BOOL,
        "serviceAccountName": _STR,
        "os": _obj({"name": _STR}),
    },
}
METADATA_SHAPE: dict[str, Any] = _obj({"labels": _STRING_MAP, "annotations": _STRING_MAP})

check_pod_spec_shape: Check = compile_condition(POD_SPEC_SHAPE)
check_metadata_shape: Check = compile_condition(METADATA_SHAPE)

# Shapes of the other kinds that views read field by field (RBAC, NetworkPolicy). A
# resource of one of these kinds with a field of the wrong type is reported as not
# scanned, exactly as a malformed pod spec is.
_STRINGS = _arr({"type": "string"})
_LABEL_SELECTOR = _obj(
    {
        "matchLabels": _STRING_MAP,
        "matchExpressions": _arr(
            {
                "type": "object",
                "required": ["key", "operator"],
                "properties": {"key": {"type": "string"}, "operator": {"type": "string"}, "values": _STRINGS},
            }
        ),
    }
)
_POLICY_RULE = {
    "type": "object",
    "properties": {
        "verbs": _STRINGS,
        "apiGroups": _STRINGS,
        "resources": _STRINGS,
        "resourceNames": _STRINGS,
        "nonResourceURLs": _STRINGS,
    },
}
_ROLE = {"type": "object", "properties": {"rules": _arr(_POLICY_RULE)}}
_CLUSTER_ROLE = {
    "type": "object",
    "properties": {
        "rules": _arr(_POLICY_RULE),
        "aggregationRule": _obj({"clusterRoleSelectors": _arr(_LABEL_SELECTOR)}),
    },
}
_BINDING = {
    "type": "object",
    "properties": {
        "roleRef": _obj({"kind": _STR, "name": _STR, "apiGroup": _STR}),
        "subjects": _arr(
            {"type": "object", "properties": {"kind": _STR, "name": _STR, "namespace": _STR, "apiGroup": _STR}}
        ),
    },
}
_PEER = _obj(
    {
        "podSelector": _LABEL_SELECTOR,
        "namespaceSelector": _LABEL_SELECTOR,
        "ipBlock": _obj({"cidr": _STR, "except": _STRINGS}),
    }
)
_PORT = _obj({"protocol": _STR, "port": _t("integer", "string"), "endPort": _INT})
_NETWORK_POLICY = {
    "type": "object",
    "properties": {
        "spec": _obj(
            {
                "podSelector": _LABEL_SELECTOR,
                "policyTypes": _STRINGS,
                "ingress": _arr(_obj({"from": _arr(_PEER), "ports": _arr(_PORT)})),
                "egress": _arr(_obj({"to": _arr(_PEER), "ports": _arr(_PORT)})),
            }
        )
    },
}
# A Go duration as the kubelet parses one ("4h0m0s", "5m", "0"); anything else it refuses.
GO_DURATION = r"^[-+]?(0|(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+)$"
_KUBELET_CONFIGURATION = {
    "type": "object",
    "properties": {
        "authentication": _obj({"anonymous": _obj({"enabled": _BOOL}), "webhook": _obj({"enabled": _BOOL})}),
        "authorization": _obj({"mode": _STR}),
        "readOnlyPort": _INT,
        "protectKernelDefaults": _BOOL,
        "rotateCertificates": _BOOL,
        "serverTLSBootstrap": _BOOL,
        "featureGates": _obj(values=_t("boolean")),
        "eventRecordQPS": _INT,
        "tlsCipherSuites": _arr({"type": "string"}),
        "tlsMinVersion": _STR,
        "streamingConnectionIdleTimeout": {
            **_STR,
            "pattern": GO_DURATION,
            "x-message": "must be a Go duration (5m, 4h0m0s)",
        },
        "makeIPTablesUtilChains": _BOOL,
    },
}
KIND_SHAPES: dict[str, Check] = {
    kind: compile_condition(schema)
    for kind, schema in {
        "Role": _ROLE,
        "ClusterRole": _CLUSTER_ROLE,
        "RoleBinding": _BINDING,
        "ClusterRoleBinding": _BINDING,
        "NetworkPolicy": _NETWORK_POLICY,
        "KubeletConfiguration": _KUBELET_CONFIGURATION,
    }.items()
}
