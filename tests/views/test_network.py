"""The `namespace` and `podnetwork` views: label selectors and NetworkPolicy semantics."""

from __future__ import annotations

from typing import Any

import pytest

from kubeaudit.engine.loader import load_rules
from kubeaudit.model import Origin, Resource
from kubeaudit.scan import run_scan, scan_manifests
from kubeaudit.sources.base import Source
from kubeaudit.views.inventory import Inventory
from kubeaudit.views.labels import SelectorError, is_valid, matches, selects_everything
from kubeaudit.views.network import (
    build_model,
    namespace_targets,
    podnetwork_targets,
    policy_types,
    rule_allows_everything,
)

LABELS = {"app": "web", "tier": "frontend"}


@pytest.mark.parametrize(
    ("selector", "selected"),
    [
        (None, True),
        ({}, True),
        ({"matchLabels": {}, "matchExpressions": []}, True),
        ({"matchLabels": {"app": "web"}}, True),
        ({"matchLabels": {"app": "web", "tier": "backend"}}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["frontend", "edge"]}]}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["backend"]}]}, False),
        ({"matchExpressions": [{"key": "team", "operator": "In", "values": ["a"]}]}, False),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["backend"]}]}, True),
        ({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["frontend"]}]}, False),
        ({"matchExpressions": [{"key": "team", "operator": "NotIn", "values": ["a"]}]}, True),  # absent label
        ({"matchExpressions": [{"key": "app", "operator": "Exists"}]}, True),
        ({"matchExpressions": [{"key": "team", "operator": "Exists"}]}, False),
        ({"matchExpressions": [{"key": "team", "operator": "DoesNotExist"}]}, True),
        ({"matchExpressions": [{"key": "app", "operator": "DoesNotExist"}]}, False),
        ({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "tier", "operator": "DoesNotExist"}]}, False),
    ],
)
def test_label_selectors(selector: Any, selected: bool) -> None:
    assert matches(selector, LABELS) is selected


@pytest.mark.parametrize(
    "selector",
    [
        {"matchExpressions": [{"key": "a", "operator": "In", "values": []}]},
        {"matchExpressions": [{"key": "a", "operator": "NotIn"}]},
        {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
        {"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["x"]}]},
        {"matchExpressions": [{"operator": "Exists"}]},
        {"matchLabels": ["a"]},
        "app=web",
    ],
)
def test_invalid_selectors_are_rejected(selector: Any) -> None:
    assert not is_valid(selector)
    with pytest.raises(SelectorError):
        matches(selector, LABELS)


def test_selects_everything() -> None:
    assert selects_everything({}) and selects_everything(None)
    assert not selects_everything({"matchExpressions": [{"key": "a", "operator": "Exists"}]})


@pytest.mark.parametrize(
    ("spec", "types"),
    [
        ({}, {"Ingress"}),
        ({"ingress": [{}]}, {"Ingress"}),
        ({"egress": [{}]}, {"Ingress", "Egress"}),  # egress rules add Egress; Ingress stays
        ({"egress": []}, {"Ingress"}),
        ({"policyTypes": [], "egress": [{}]}, {"Ingress", "Egress"}),
        ({"policyTypes": ["Egress"], "ingress": [{}]}, {"Egress"}),
        ({"policyTypes": ["Ingress", "Egress"]}, {"Ingress", "Egress"}),
    ],
)
def test_policy_types_defaulting(spec: dict[str, Any], types: set[str]) -> None:
    assert policy_types(spec) == types


def test_rules_allowing_everything() -> None:
    assert rule_allows_everything({}, "from")
    assert rule_allows_everything({"from": [], "ports": []}, "from")
    assert not rule_allows_everything({"ports": [{"port": 53}]}, "to")
    assert not rule_allows_everything({"from": [{"podSelector": {}}]}, "from")


def res(kind: str, name: str, namespace: str | None = None, **data: Any) -> Resource:
    metadata = {"name": name, **({"namespace": namespace} if namespace else {}), **data.pop("metadata", {})}
    api = {"NetworkPolicy": "networking.k8s.io/v1", "Deployment": "apps/v1", "ReplicaSet": "apps/v1"}.get(kind, "v1")
    return Resource(api, kind, name, namespace, {"apiVersion": api, "kind": kind, "metadata": metadata, **data},
                    Origin("cluster:test", context="test"))  # fmt: skip


def deployment(name: str, namespace: str | None, labels: dict[str, str]) -> Resource:
    template = {"metadata": {"labels": labels}, "spec": {"containers": [{"name": "c", "image": "i"}]}}
    return res("Deployment", name, namespace, spec={"template": template})


def policy(name: str, namespace: str | None, **spec: Any) -> Resource:
    return res("NetworkPolicy", name, namespace, spec=spec)


def inventory(*resources: Resource, **settings: Any) -> Inventory:
    inv = Inventory(frozenset({"Deployment", "ReplicaSet", "Pod", "NetworkPolicy", "Namespace"}))
    for resource in resources:
        inv.add(resource)
    inv.settings = settings
    return inv


def test_isolation_per_workload_and_default_deny_per_namespace() -> None:
    inv = inventory(
        deployment("web", "shop", {"app": "web"}),
        deployment("db", "shop", {"app": "db"}),
        policy("web-in", "shop", podSelector={"matchLabels": {"app": "web"}}, ingress=[{"from": [{}]}]),
        policy("all-out", "shop", podSelector={}, policyTypes=["Egress"]),
        policy("elsewhere", "other", podSelector={}),  # policies never select pods of other namespaces
    )
    model = build_model(inv)
    workloads = {w.resource.name: w for w in model.namespaces["shop"]}
    assert workloads["web"].ingress == ["web-in"] and workloads["web"].egress == ["all-out"]
    assert workloads["db"].ingress == [] and workloads["db"].egress == ["all-out"]
    assert not model.default_deny("shop", "Ingress") and model.default_deny("shop", "Egress")
    (target,) = namespace_targets(inv)
    assert target.doc["unisolatedIngress"] == ["Deployment/db"] and target.doc["unisolatedEgress"] == []


def test_namespaces_without_workloads_are_not_judged_and_no_namespace_means_default() -> None:
    inv = inventory(
        res("Namespace", "empty"),
        deployment("web", None, {"app": "web"}),
        policy("deny", None, podSelector={}),
    )
    (target,) = namespace_targets(inv)
    assert target.doc["namespace"] == "default" and target.doc["defaultDenyIngress"]
    assert target.resource.name == "web" and target.resource_path(("defaultDenyIngress",)) == ("metadata", "namespace")


def test_the_namespace_object_carries_namespace_findings_when_present() -> None:
    inv = inventory(deployment("web", "shop", {}), res("Namespace", "shop"))
    (target,) = namespace_targets(inv)
    assert target.resource.kind == "Namespace" and target.resource_path(("defaultDenyEgress",)) == ("metadata", "name")


def test_namespaces_with_external_policies_are_skipped() -> None:
    inv = inventory(
        deployment("web", "team-a", {}),
        deployment("api", "team-b", {}),
        deployment("job", "shop", {}),
        namespaces_with_external_policies=["team-*"],
    )
    assert [t.doc["namespace"] for t in namespace_targets(inv)] == ["shop"]
    assert [t.resource.name for t in podnetwork_targets(inv)] == ["job"]


def test_workloads_owned_by_workloads_of_the_input_are_judged_through_their_owner() -> None:
    owner = {"ownerReferences": [{"kind": "Deployment", "name": "web", "controller": True}]}
    replica_set = res("ReplicaSet", "web-1", "shop", metadata=owner,
                      spec={"template": {"spec": {"containers": []}}})  # fmt: skip
    orphan = res("ReplicaSet", "old-1", "shop", metadata={"ownerReferences": [{"kind": "Deployment", "name": "old",
                 "controller": True}]}, spec={"template": {"spec": {"containers": []}}})  # fmt: skip
    inv = inventory(deployment("web", "shop", {}), replica_set, orphan)
    assert sorted(t.resource.name for t in podnetwork_targets(inv)) == ["old-1", "web"]


def test_podnetwork_findings_point_at_the_pod_labels() -> None:
    (target,) = podnetwork_targets(inventory(deployment("web", "shop", {"app": "web"})))
    assert target.resource_path(("ingressIsolated",)) == ("spec", "template", "metadata", "labels")


def test_network_rules_on_cluster_resources_without_source_lines() -> None:
    """Resources from a live cluster have no lines; the views and rules still work."""
    class Cluster:
        def describe(self) -> list[str]:
            return ["cluster:test"]

        def unavailable_kinds(self) -> dict[str, str]:
            return {}

        def batches(self) -> Any:
            from kubeaudit.sources.base import Batch

            yield Batch(resources=[deployment("web", "shop", {"app": "web"}), res("Namespace", "shop")])

    rules = [r for r in load_rules() if r.category == "network"]
    source: Source = Cluster()
    result = run_scan([source], rules)
    assert not result.errors
    assert sorted((f.rule_id, f.resource.kind, f.line) for f in result.findings) == [
        ("netpol-default-deny-egress", "Namespace", None),
        ("netpol-default-deny-ingress", "Namespace", None),
        ("netpol-workload-egress", "Deployment", None),
        ("netpol-workload-ingress", "Deployment", None),
    ]


def test_settings_reach_the_view_through_the_scan(tmp_path: Any) -> None:
    manifest = tmp_path / "app.yaml"
    manifest.write_text(
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: team-a}\n"
        "spec:\n  containers: [{name: c, image: i}]\n"
    )
    rules = [r for r in load_rules() if r.category == "network"]
    assert scan_manifests([str(manifest)], rules).findings
    quiet = scan_manifests([str(manifest)], rules, settings={"namespaces_with_external_policies": ["team-*"]})
    assert not quiet.findings
