"""The ClusterRoles every Kubernetes cluster has (the API server's RBAC bootstrap policy).

Manifests bind `cluster-admin`, `admin`, `edit` or `view` without defining them,
because the cluster already has them. When a scanned binding refers to one of
these roles and the input does not define it, the `subject` view uses the
definition in rules/data/default-cluster-roles.yaml (transcribed from Kubernetes'
bootstrap policy; the file names its source and when it was last checked). A role
of the same name in the input (a live cluster always has them) wins.

The controller roles (`system:controller:*`) are listed by name only: they are
known to exist, so a binding to one is not a binding to a missing role, but
their permissions come from the input.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from kubeaudit.refdata import load_data

DATA_FILE = "default-cluster-roles"
CONTROLLER_ROLE_PREFIX = "system:controller:"


@cache
def default_cluster_roles() -> dict[str, dict[str, Any]]:
    """The bootstrap ClusterRoles as manifests, by name (read once; callers must not change them)."""
    data = load_data(DATA_FILE)
    roles: dict[str, dict[str, Any]] = {}
    for record in data["cluster_roles"]:
        name = record["name"]
        role: dict[str, Any] = {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {
                "name": name,
                "labels": {**data["bootstrap_labels"], **record.get("labels", {})},
                "annotations": dict(data["bootstrap_annotations"]),
            },
            "rules": [dict(rule) for rule in record.get("rules", ())],
        }
        if "aggregates" in record:
            role["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {record["aggregates"]: "true"}}]}
        roles[name] = role
    return roles


def controller_service_accounts() -> tuple[str, ...]:
    """The service accounts kube-controller-manager runs its controllers as (in kube-system),
    each bound to the ClusterRole system:controller:<name>."""
    return tuple(load_data(DATA_FILE)["controllers"])


@cache
def known_cluster_role_names() -> frozenset[str]:
    """ClusterRoles known to exist whose rules are not in the data (the controllers')."""
    return frozenset(CONTROLLER_ROLE_PREFIX + name for name in controller_service_accounts())
