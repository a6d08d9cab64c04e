"""The ClusterRoles every Kubernetes cluster has (the API server's RBAC bootstrap policy).

Manifests bind `cluster-admin`, `admin`, `edit` or `view` without defining them,
because the cluster already has them. When a scanned binding refers to one of
these roles and the input does not define it, the `subject` view uses the
definition below (transcribed from Kubernetes' bootstrap policy,
plugin/pkg/auth/authorizer/rbac/bootstrappolicy/testdata/cluster-roles.yaml).
A role of the same name in the input (a live cluster always has them) wins.

The controller roles (`system:controller:*`) are listed by name only: they are
known to exist, so a binding to one is not a binding to a missing role, but
their permissions come from the input.
"""

from __future__ import annotations

from typing import Any

_AGG = "rbac.authorization.k8s.io/aggregate-to-"
_CRUD = ["create", "delete", "deletecollection", "patch", "update"]
_READ = ["get", "list", "watch"]
_EVENTS = (["", "events.k8s.io"], ["events"], ["create", "patch", "update"])

# name -> (extra labels, aggregate-to label selected by its aggregationRule or None, rules)
# A rule is (apiGroups, resources, verbs) or (apiGroups, resources, verbs, resourceNames),
# or ("nonResourceURLs", urls, verbs).
_Rule = tuple[Any, ...]
_ROLES: dict[str, tuple[dict[str, str], str | None, list[_Rule]]] = {
    "cluster-admin": ({}, None, [(["*"], ["*"], ["*"]), ("nonResourceURLs", ["*"], ["*"])]),
    "admin": ({}, "admin", []),
    "edit": ({_AGG + "admin": "true"}, "edit", []),
    "view": ({_AGG + "edit": "true"}, "view", []),
    "system:aggregate-to-admin": (
        {_AGG + "admin": "true"},
        None,
        [
            (["authorization.k8s.io"], ["localsubjectaccessreviews"], ["create"]),
            (["rbac.authorization.k8s.io"], ["rolebindings", "roles"], [*_CRUD, *_READ]),
        ],
    ),
    "system:aggregate-to-edit": (
        {_AGG + "edit": "true"},
        None,
        [
            ([""], ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets", "services/proxy"], _READ),
            ([""], ["serviceaccounts"], ["impersonate"]),
            ([""], ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"], _CRUD),
            ([""], ["pods/eviction"], ["create"]),
            (
                [""],
                [
                    "configmaps", "events", "persistentvolumeclaims", "replicationcontrollers",
                    "replicationcontrollers/scale", "secrets", "serviceaccounts", "services", "services/proxy",
                ],
                _CRUD,
            ),
            ([""], ["serviceaccounts/token"], ["create"]),
            (
                ["apps"],
                [
                    "daemonsets", "deployments", "deployments/rollback", "deployments/scale", "replicasets",
                    "replicasets/scale", "statefulsets", "statefulsets/scale",
                ],
                _CRUD,
            ),
            (["autoscaling"], ["horizontalpodautoscalers"], _CRUD),
            (["batch"], ["cronjobs", "jobs"], _CRUD),
            (
                ["extensions"],
                [
                    "daemonsets", "deployments", "deployments/rollback", "deployments/scale", "ingresses",
                    "networkpolicies", "replicasets", "replicasets/scale", "replicationcontrollers/scale",
                ],
                _CRUD,
            ),
            (["policy"], ["poddisruptionbudgets"], _CRUD),
            (["networking.k8s.io"], ["ingresses", "networkpolicies"], _CRUD),
            (["coordination.k8s.io"], ["leases"], [*_CRUD, *_READ]),
        ],
    ),
    "system:aggregate-to-view": (
        {_AGG + "view": "true"},
        None,
        [
            (
                [""],
                [
                    "configmaps", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "pods",
                    "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
                    "services/status",
                ],
                _READ,
            ),
            (
                [""],
                [
                    "bindings", "events", "limitranges", "namespaces/status", "pods/log", "pods/status",
                    "replicationcontrollers/status", "resourcequotas", "resourcequotas/status",
                ],
                _READ,
            ),
            ([""], ["namespaces"], _READ),
            (["discovery.k8s.io"], ["endpointslices"], _READ),
            (
                ["apps"],
                [
                    "controllerrevisions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
                    "deployments/status", "replicasets", "replicasets/scale", "replicasets/status", "statefulsets",
                    "statefulsets/scale", "statefulsets/status",
                ],
                _READ,
            ),
            (["autoscaling"], ["horizontalpodautoscalers", "horizontalpodautoscalers/status"], _READ),
            (["batch"], ["cronjobs", "cronjobs/status", "jobs", "jobs/status"], _READ),
            (
                ["extensions"],
                [
                    "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
                    "ingresses", "ingresses/status", "networkpolicies", "replicasets", "replicasets/scale",
                    "replicasets/status", "replicationcontrollers/scale",
                ],
                _READ,
            ),
            (["policy"], ["poddisruptionbudgets", "poddisruptionbudgets/status"], _READ),
            (["networking.k8s.io"], ["ingresses", "ingresses/status", "networkpolicies"], _READ),
        ],
    ),
    "system:auth-delegator": (
        {},
        None,
        [
            (["authentication.k8s.io"], ["tokenreviews"], ["create"]),
            (["authorization.k8s.io"], ["subjectaccessreviews"], ["create"]),
        ],
    ),
    "system:basic-user": (
        {},
        None,
        [
            (["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"], ["create"]),
            (["authentication.k8s.io"], ["selfsubjectreviews"], ["create"]),
        ],
    ),
    "system:certificates.k8s.io:certificatesigningrequests:nodeclient": (
        {},
        None,
        [(["certificates.k8s.io"], ["certificatesigningrequests/nodeclient"], ["create"])],
    ),
    "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient": (
        {},
        None,
        [(["certificates.k8s.io"], ["certificatesigningrequests/selfnodeclient"], ["create"])],
    ),
    "system:certificates.k8s.io:kube-apiserver-client-approver": (
        {},
        None,
        [(["certificates.k8s.io"], ["signers"], ["approve"], ["kubernetes.io/kube-apiserver-client"])],
    ),
    "system:certificates.k8s.io:kube-apiserver-client-kubelet-approver": (
        {},
        None,
        [(["certificates.k8s.io"], ["signers"], ["approve"], ["kubernetes.io/kube-apiserver-client-kubelet"])],
    ),
    "system:certificates.k8s.io:kubelet-serving-approver": (
        {},
        None,
        [(["certificates.k8s.io"], ["signers"], ["approve"], ["kubernetes.io/kubelet-serving"])],
    ),
    "system:certificates.k8s.io:legacy-unknown-approver": (
        {},
        None,
        [(["certificates.k8s.io"], ["signers"], ["approve"], ["kubernetes.io/legacy-unknown"])],
    ),
    "system:discovery": (
        {},
        None,
        [
            (
                "nonResourceURLs",
                [
                    "/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*",
                    "/readyz", "/version", "/version/",
                ],
                ["get"],
            )
        ],
    ),
    "system:heapster": (
        {},
        None,
        [([""], ["events", "namespaces", "nodes", "pods"], _READ), (["extensions"], ["deployments"], _READ)],
    ),
    "system:kube-aggregator": ({}, None, [([""], ["endpoints", "services"], _READ)]),
    "system:kube-controller-manager": (
        {},
        None,
        [
            _EVENTS,
            (["coordination.k8s.io"], ["leases"], ["create"]),
            (["coordination.k8s.io"], ["leases"], ["get", "update"], ["kube-controller-manager"]),
            ([""], ["secrets", "serviceaccounts"], ["create"]),
            ([""], ["secrets"], ["delete"]),
            ([""], ["configmaps", "namespaces", "secrets", "serviceaccounts"], ["get"]),
            ([""], ["secrets", "serviceaccounts"], ["update"]),
            (["authentication.k8s.io"], ["tokenreviews"], ["create"]),
            (["authorization.k8s.io"], ["subjectaccessreviews"], ["create"]),
            (["*"], ["*"], ["list", "watch"]),
            ([""], ["serviceaccounts/token"], ["create"]),
        ],
    ),
    "system:kube-dns": ({}, None, [([""], ["endpoints", "services"], ["list", "watch"])]),
    "system:kube-scheduler": (
        {},
        None,
        [
            _EVENTS,
            (["coordination.k8s.io"], ["leases"], ["create"]),
            (["coordination.k8s.io"], ["leases"], ["get", "update"], ["kube-scheduler"]),
            ([""], ["nodes"], _READ),
            ([""], ["pods"], ["delete", *_READ]),
            ([""], ["bindings", "pods/binding"], ["create"]),
            ([""], ["pods/status"], ["patch", "update"]),
            ([""], ["replicationcontrollers", "services"], _READ),
            (["apps", "extensions"], ["replicasets"], _READ),
            (["apps"], ["statefulsets"], _READ),
            (["policy"], ["poddisruptionbudgets"], _READ),
            ([""], ["persistentvolumeclaims", "persistentvolumes"], _READ),
            (["authentication.k8s.io"], ["tokenreviews"], ["create"]),
            (["authorization.k8s.io"], ["subjectaccessreviews"], ["create"]),
            (["storage.k8s.io"], ["csinodes"], _READ),
            ([""], ["namespaces"], _READ),
            (["storage.k8s.io"], ["csidrivers"], _READ),
            (["storage.k8s.io"], ["csistoragecapacities"], _READ),
        ],
    ),
    "system:kubelet-api-admin": (
        {},
        None,
        [
            ([""], ["nodes"], _READ),
            ([""], ["nodes"], ["proxy"]),
            ([""], ["nodes/log", "nodes/metrics", "nodes/proxy", "nodes/stats"], ["*"]),
        ],
    ),
    "system:monitoring": (
        {},
        None,
        [
            (
                "nonResourceURLs",
                ["/healthz", "/healthz/*", "/livez", "/livez/*", "/metrics", "/metrics/slis", "/readyz", "/readyz/*"],
                ["get"],
            )
        ],
    ),
    "system:node": (
        {},
        None,
        [
            (["authentication.k8s.io"], ["tokenreviews"], ["create"]),
            (["authorization.k8s.io"], ["localsubjectaccessreviews", "subjectaccessreviews"], ["create"]),
            ([""], ["services"], _READ),
            ([""], ["nodes"], ["create", *_READ]),
            ([""], ["nodes/status"], ["patch", "update"]),
            ([""], ["nodes"], ["patch", "update"]),
            ([""], ["events"], ["create", "patch", "update"]),
            ([""], ["pods"], _READ),
            ([""], ["pods"], ["create", "delete"]),
            ([""], ["pods/status"], ["patch", "update"]),
            ([""], ["pods/eviction"], ["create"]),
            ([""], ["configmaps", "secrets"], _READ),
            ([""], ["persistentvolumeclaims", "persistentvolumes"], ["get"]),
            ([""], ["endpoints"], ["get"]),
            (["certificates.k8s.io"], ["certificatesigningrequests"], ["create", *_READ]),
            (["coordination.k8s.io"], ["leases"], ["create", "delete", "get", "patch", "update"]),
            (["storage.k8s.io"], ["volumeattachments"], ["get"]),
            ([""], ["serviceaccounts/token"], ["create"]),
            ([""], ["persistentvolumeclaims/status"], ["get", "patch", "update"]),
            (["storage.k8s.io"], ["csidrivers"], _READ),
            (["storage.k8s.io"], ["csinodes"], ["create", "delete", "get", "patch", "update"]),
            (["node.k8s.io"], ["runtimeclasses"], _READ),
        ],
    ),
    "system:node-bootstrapper": (
        {},
        None,
        [(["certificates.k8s.io"], ["certificatesigningrequests"], ["create", *_READ])],
    ),
    "system:node-problem-detector": (
        {},
        None,
        [([""], ["nodes"], ["get"]), ([""], ["nodes/status"], ["patch"]), _EVENTS],
    ),
    "system:node-proxier": (
        {},
        None,
        [
            ([""], ["endpoints", "services"], ["list", "watch"]),
            ([""], ["nodes"], _READ),
            _EVENTS,
            (["discovery.k8s.io"], ["endpointslices"], ["list", "watch"]),
        ],
    ),
    "system:persistent-volume-provisioner": (
        {},
        None,
        [
            ([""], ["persistentvolumes"], ["create", "delete", *_READ]),
            ([""], ["persistentvolumeclaims"], ["get", "list", "update", "watch"]),
            (["storage.k8s.io"], ["storageclasses"], _READ),
            ([""], ["events"], ["watch"]),
            _EVENTS,
        ],
    ),
    "system:public-info-viewer": (
        {},
        None,
        [("nonResourceURLs", ["/healthz", "/livez", "/readyz", "/version", "/version/"], ["get"])],
    ),
    "system:service-account-issuer-discovery": (
        {},
        None,
        [("nonResourceURLs", ["/.well-known/openid-configuration", "/openid/v1/jwks"], ["get"])],
    ),
    "system:volume-scheduler": (
        {},
        None,
        [
            ([""], ["persistentvolumes"], ["get", "list", "patch", "update", "watch"]),
            (["storage.k8s.io"], ["storageclasses"], _READ),
            ([""], ["persistentvolumeclaims"], ["get", "list", "patch", "update", "watch"]),
        ],
    ),
}  # fmt: skip

# The service accounts kube-controller-manager runs its controllers as (kube-system),
# each bound to the ClusterRole system:controller:<name>.
CONTROLLER_SERVICE_ACCOUNTS: tuple[str, ...] = (
    "attachdetach-controller", "certificate-controller", "clusterrole-aggregation-controller",
    "cronjob-controller", "daemon-set-controller", "deployment-controller", "device-taint-eviction-controller",
    "disruption-controller", "endpoint-controller", "endpointslice-controller",
    "endpointslicemirroring-controller", "ephemeral-volume-controller", "expand-controller",
    "generic-garbage-collector", "horizontal-pod-autoscaler", "job-controller",
    "legacy-service-account-token-cleaner", "namespace-controller", "node-controller",
    "persistent-volume-binder", "pod-garbage-collector", "podcheckpoint-controller", "pv-protection-controller",
    "pvc-protection-controller", "replicaset-controller", "replication-controller", "resource-claim-controller",
    "resourcequota-controller", "root-ca-cert-publisher", "route-controller", "selinux-warning-controller",
    "service-account-controller", "service-cidrs-controller", "service-controller", "statefulset-controller",
    "ttl-after-finished-controller", "ttl-controller", "validatingadmissionpolicy-status-controller",
    "volumeattributesclass-protection-controller",
)  # fmt: skip

# ClusterRoles known to exist whose rules are not transcribed here.
KNOWN_CLUSTER_ROLE_NAMES: frozenset[str] = frozenset(
    {f"system:controller:{name}" for name in CONTROLLER_SERVICE_ACCOUNTS}
)


def _rule(spec: _Rule) -> dict[str, Any]:
    if spec[0] == "nonResourceURLs":
        return {"nonResourceURLs": list(spec[1]), "verbs": list(spec[2])}
    rule: dict[str, Any] = {"apiGroups": list(spec[0]), "resources": list(spec[1]), "verbs": list(spec[2])}
    if len(spec) > 3:
        rule["resourceNames"] = list(spec[3])
    return rule


def default_cluster_roles() -> dict[str, dict[str, Any]]:
    """The bootstrap ClusterRoles as manifests, by name."""
    roles: dict[str, dict[str, Any]] = {}
    for name, (labels, aggregates, rules) in _ROLES.items():
        role: dict[str, Any] = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {
                "name": name,
                "labels": {"kubernetes.io/bootstrapping": "rbac-defaults", **labels},
                "annotations": {"rbac.authorization.kubernetes.io/autoupdate": "true"},
            },
            "rules": [_rule(r) for r in rules],
        }
        if aggregates is not None:
            role["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {_AGG + aggregates: "true"}}]}
        roles[name] = role
    return roles
