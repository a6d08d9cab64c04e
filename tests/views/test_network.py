"""The `namespace` and `podnetwork` views: label selectors and NetworkPolicy semantics."""

from __future__ import annotations

from typing import Any

import pytest

from kubeaudit.engine.loader import load_rules
from kubeaudit.inventory import Inventory
from kubeaudit.model import Origin, Resource
from kubeaudit.scan import run_scan, scan_manifests
from kubeaudit.semantics.labels import SelectorError, is_valid, matches, selects_everything
from kubeaudit.semantics.network import (
    Policy,
    admits_metadata_port,
    build_model,
    metadata_addresses_reached,
    metadata_egress,
    policy_types,
    rule_allows_everything,
)
from kubeaudit.sources.base import Source
from kubeaudit.views.namespace import namespace_targets
from kubeaudit.views.networkpolicy import networkpolicy_targets
from kubeaudit.views.podnetwork import podnetwork_targets

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
    workloads = {w.resource.name: w for w in model.namespaces[("test", "shop")]}
    assert workloads["web"].ingress == ["web-in"] and workloads["web"].egress == ["all-out"]
    assert workloads["db"].ingress == [] and workloads["db"].egress == ["all-out"]
    assert not model.default_deny(("test", "shop"), "Ingress") and model.default_deny(("test", "shop"), "Egress")
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

    class Cluster(Source):
        def describe(self) -> list[str]:
            return ["cluster:test"]

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


def test_a_namespace_wide_allow_all_policy_cancels_a_default_deny() -> None:
    """Policies add up: beside `ingress: [{}]` for every pod, a deny-all policy isolates nothing."""
    deny = policy("deny", "shop", podSelector={}, policyTypes=["Ingress", "Egress"])
    open_in = policy("open-in", "shop", podSelector={}, ingress=[{}])
    open_web = policy("open-web", "shop", podSelector={"matchLabels": {"app": "web"}}, ingress=[{}])
    key = ("test", "shop")
    both = build_model(inventory(deployment("web", "shop", {"app": "web"}), deny, open_in))
    assert not both.default_deny(key, "Ingress") and both.default_deny(key, "Egress")
    # an allow-all policy for some pods only leaves the namespace default-deny for the rest
    partial = build_model(inventory(deployment("web", "shop", {"app": "web"}), deny, open_web))
    assert partial.default_deny(key, "Ingress")
    # with no deny-all policy at all, an allow-all one is no default deny either
    alone = build_model(inventory(deployment("web", "shop", {"app": "web"}), open_in))
    assert not alone.default_deny(key, "Ingress")


def test_policies_of_one_cluster_never_isolate_pods_of_another() -> None:
    """Several kube contexts in one scan: same namespace names, different clusters."""

    def in_context(resource: Resource, context: str) -> Resource:
        return Resource(resource.api_version, resource.kind, resource.name, resource.namespace, resource.data,
                        Origin(f"cluster:{context}", context=context))  # fmt: skip

    inv = inventory(
        in_context(deployment("web", "shop", {"app": "web"}), "prod"),
        in_context(deployment("web", "shop", {"app": "web"}), "staging"),
        in_context(policy("deny", "shop", podSelector={}, policyTypes=["Ingress", "Egress"]), "staging"),
    )
    by_context = {t.resource.origin.context: t.doc for t in namespace_targets(inv)}
    assert not by_context["prod"]["defaultDenyIngress"] and by_context["staging"]["defaultDenyIngress"]
    isolated = {t.resource.origin.context: t.doc["ingressIsolated"] for t in podnetwork_targets(inv)}
    assert isolated == {"prod": False, "staging": True}


@pytest.mark.parametrize(
    ("ports", "admits"),
    [
        (None, True),
        ([], True),
        ([{"port": 80}], True),
        ([{"port": 80, "protocol": "TCP"}], True),
        ([{"protocol": "TCP"}], True),  # every TCP port
        ([{}], True),
        ([{"port": 1, "endPort": 1024}], True),
        ([{"port": 53, "protocol": "UDP"}, {"port": 443}], False),
        ([{"port": 80, "protocol": "UDP"}], False),
        ([{"protocol": "SCTP"}], False),
        ([{"port": 81, "endPort": 9000}], False),
        ([{"port": "http"}], False),  # named ports match destination pods' container ports only
    ],
)
def test_ports_that_admit_the_metadata_service(ports: Any, admits: bool) -> None:
    assert admits_metadata_port(ports) is admits


@pytest.mark.parametrize(
    ("ip_block", "reached"),
    [
        ({"cidr": "0.0.0.0/0"}, ["169.254.169.254", "100.100.100.200"]),
        ({"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}, ["100.100.100.200"]),
        ({"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16", "100.64.0.0/10"]}, []),
        ({"cidr": "169.254.0.0/16"}, ["169.254.169.254"]),
        ({"cidr": "128.0.0.0/1"}, ["169.254.169.254"]),
        ({"cidr": "0.0.0.0/1"}, ["100.100.100.200"]),
        ({"cidr": "169.254.1.1/16"}, ["169.254.169.254"]),  # host bits set: the API reads 169.254.0.0/16
        ({"cidr": "169.254.0.0/16", "except": ["169.254.169.0/24"]}, []),
        ({"cidr": "169.254.169.254/32"}, []),  # the address itself: a deliberate grant
        ({"cidr": "10.0.0.0/8"}, []),
        ({"cidr": "::/0"}, ["fd00:ec2::254"]),
        ({"cidr": "::/0", "except": ["fd00:ec2::/32"]}, []),
        ({"cidr": "not a cidr"}, []),
        ({}, []),
    ],
)
def test_metadata_addresses_an_ip_block_reaches(ip_block: dict[str, Any], reached: list[str]) -> None:
    assert metadata_addresses_reached(ip_block) == reached


def test_metadata_egress_follows_policy_types_ports_and_peers() -> None:
    spec = {
        "podSelector": {},
        "egress": [
            {},  # every destination, every port
            {"ports": [{"port": 443}]},  # every destination, but not port 80
            {"to": [{"podSelector": {}}, {"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 80}]},
            {"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443}]},
        ],
    }
    found = metadata_egress(spec)
    assert [(m.rule, m.peer, m.path) for m in found] == [
        (0, None, ("spec", "egress", 0)),
        (2, 1, ("spec", "egress", 2, "to", 1, "ipBlock", "cidr")),
    ]
    assert metadata_egress({**spec, "policyTypes": ["Ingress"]}) == []  # egress rules are ignored
    (target,) = networkpolicy_targets(inventory(policy("p", "shop", **spec)))
    assert target.resource_path(("metadataEgress", 1)) == ("spec", "egress", 2, "to", 1, "ipBlock", "cidr")


# --- scale: policies indexed by selector, the model built once -----------------------------------


def _big_namespace(workloads: int, policies: int) -> Inventory:
    resources = [deployment(f"app-{i}", "big", {"app": f"app-{i}", "tier": f"t{i % 7}"}) for i in range(workloads)]
    resources += [
        policy(f"pol-{j:04}", "big", podSelector={"matchLabels": {"app": f"app-{(j * 7) % workloads}"}})
        for j in range(policies)
    ]
    return inventory(*resources)


def _count_selector_checks(monkeypatch: pytest.MonkeyPatch) -> list[None]:
    checks: list[None] = []
    real = Policy.selects

    def counting(self: Policy, labels: dict[str, str]) -> bool:
        checks.append(None)
        return real(self, labels)

    monkeypatch.setattr(Policy, "selects", counting)
    return checks


def test_match_labels_policies_are_checked_only_against_workloads_with_those_labels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    checks = _count_selector_checks(monkeypatch)
    counts = {}
    for size in (100, 400):
        checks.clear()
        model = build_model(_big_namespace(size, size // 10))
        assert sum(bool(w.ingress) for w in model.namespaces[("test", "big")]) == size // 10
        counts[size] = len(checks)
    # one candidate per policy, not every workload of the namespace for each policy
    assert counts == {100: 10, 400: 40}


SELECTORS: list[Any] = [
    None,
    {},
    {"matchLabels": {"app": "app-3"}},
    {"matchLabels": {"app": "app-3", "tier": "t3"}},
    {"matchLabels": {"app": "app-3", "tier": "t4"}},
    {"matchLabels": {"tier": "t1"}, "matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["app-1"]}]},
    {"matchLabels": {"tier": 1}},  # a value no label can have
    {"matchLabels": "app"},  # invalid: selects nothing
    {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["t2", "t5"]}]},
    {"matchExpressions": [{"key": "tier", "operator": "Bogus"}]},
]


def test_indexed_selection_agrees_with_checking_every_workload() -> None:
    resources = [deployment(f"app-{i}", "big", {"app": f"app-{i}", "tier": f"t{i % 7}"}) for i in range(30)]
    resources.append(deployment("unlabelled", "big", {}))
    resources += [policy(f"pol-{j}", "big", podSelector=s) for j, s in enumerate(SELECTORS)]
    model = build_model(inventory(*resources))
    for workload in model.namespaces[("test", "big")]:
        expected = [
            f"pol-{j}"
            for j, s in sorted(enumerate(SELECTORS), key=lambda e: f"pol-{e[0]}")
            if is_valid(s) and matches(s, workload.labels)
        ]
        assert workload.ingress == expected, workload.ref


def test_both_network_views_share_one_model(monkeypatch: pytest.MonkeyPatch) -> None:
    import kubeaudit.semantics.network as network

    built: list[Inventory] = []
    real = network.build_model

    def counting(inv: Inventory) -> network.NetworkModel:
        built.append(inv)
        return real(inv)

    monkeypatch.setattr(network, "build_model", counting)
    inv = _big_namespace(20, 2)
    assert namespace_targets(inv) and list(podnetwork_targets(inv))
    assert len(built) == 1
    inv.add(deployment("late", "big", {"app": "late"}))  # a changed inventory gets a new model
    assert len(list(podnetwork_targets(inv))) == 21
    assert len(built) == 2
