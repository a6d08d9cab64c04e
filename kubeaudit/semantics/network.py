"""NetworkPolicy semantics: which pods the policies of a namespace isolate (a NetworkModel),
and where a policy lets pods reach a cloud metadata service.

The `namespace`, `podnetwork` and `networkpolicy` views present these. Kubernetes semantics, exactly:

- A policy applies to the pods of its own namespace that its `podSelector` selects
  (`matchLabels` and `matchExpressions` with In, NotIn, Exists, DoesNotExist; `{}` or a
  missing selector selects every pod; an invalid selector selects nothing).
- Its `policyTypes`, when not set (or empty), are `Ingress`, plus `Egress` when it has at
  least one egress rule. So a policy with only `egress` rules and no `policyTypes` also
  isolates its pods for ingress, and `policyTypes: [Egress]` is egress-only (its `ingress`
  rules are ignored).
- A pod is isolated for ingress (egress) when at least one policy that selects it has
  `Ingress` (`Egress`) among its types; it may then receive (send) only what the union of
  those policies' rules allows. A rule without peers (`from`/`to` missing or empty) allows
  every peer, a rule without `ports` every port, so `ingress: [{}]` allows everything;
  `ingress: []` or no `ingress` with the Ingress type allows nothing.
- A namespace has a *default-deny* for ingress (egress) when one of its policies selects
  every pod (`podSelector: {}`), has the type, and has no rule that allows everything
  (a namespace-wide "only from this namespace" policy counts: it denies the rest), and no
  other policy that selects every pod allows everything (policies add up, so a namespace-wide
  `ingress: [{}]` reopens the namespace whatever a deny-all policy beside it says).
- A scan of several kube contexts holds several clusters: policies, workloads and Namespace
  objects are grouped by (context, namespace), never across clusters.

Scope. Only namespaces with workloads in the input are in the model (and get a `namespace` target (a manifest
without `metadata.namespace` is in `default`), and only workloads get a `podnetwork`
target, so a partial repository is judged on what it deploys. Namespaces whose policies
live elsewhere are listed, as globs, in the `namespaces_with_external_policies` setting
(`inventory.settings`); they get no targets. A pod, ReplicaSet or Job owned (controller
ownerReference) by another workload of the input is judged through its owner only.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import cache
from typing import Any

from kubeaudit.inventory import Inventory
from kubeaudit.model import Path, Resource
from kubeaudit.refdata import load_data
from kubeaudit.semantics.labels import is_valid, labels_of, selector_matcher, selects_everything
from kubeaudit.semantics.workloads import POD_SPEC_LOCATIONS, WORKLOAD_KINDS, get_path

EXTERNAL_POLICIES_SETTING = "namespaces_with_external_policies"
# A namespace of one cluster: (kube context or None for manifests, namespace). A scan of several
# contexts holds several clusters; a policy of one never isolates the pods of another.
NamespaceKey = tuple[str, str]
# What a NetworkModel reads: workloads, their policies and their Namespace objects.
NETWORK_KINDS = frozenset({*WORKLOAD_KINDS, "NetworkPolicy", "Namespace"})
# Of those, what decides isolation: unread workloads are simply not judged, but unread
# policies or namespace labels would turn "isolated" into "not isolated".
NETWORK_DECISIVE_KINDS = frozenset({"NetworkPolicy", "Namespace"})


def _key(resource: Resource) -> NamespaceKey:
    return (resource.origin.context or "", resource.namespace or "default")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def policy_types(spec: Any) -> frozenset[str]:
    """A NetworkPolicy's effective policyTypes (with the API server's defaulting)."""
    spec = spec if isinstance(spec, dict) else {}
    written = _list(spec.get("policyTypes"))
    if written:
        return frozenset(t for t in written if t in ("Ingress", "Egress"))
    return frozenset({"Ingress", "Egress"} if _list(spec.get("egress")) else {"Ingress"})


def rule_allows_everything(rule: Any, peers_field: str) -> bool:
    """A rule with no peers and no ports: every source (destination), every port."""
    if not isinstance(rule, dict):
        return False
    return not _list(rule.get(peers_field)) and not _list(rule.get("ports"))


@dataclass(slots=True)
class Policy:
    resource: Resource
    namespace: str
    selector: Any
    types: frozenset[str]
    valid: bool
    allows_all_ingress: bool
    allows_all_egress: bool
    matcher: Callable[[Mapping[str, str]], bool] = field(repr=False, compare=False)

    @classmethod
    def of(cls, resource: Resource) -> Policy:
        spec = resource.data.get("spec")
        spec = spec if isinstance(spec, dict) else {}
        selector = spec.get("podSelector")
        types = policy_types(spec)
        return cls(
            resource=resource,
            namespace=resource.namespace or "default",
            selector=selector,
            types=types,
            valid=is_valid(selector),
            allows_all_ingress="Ingress" in types
            and any(rule_allows_everything(r, "from") for r in _list(spec.get("ingress"))),
            allows_all_egress="Egress" in types
            and any(rule_allows_everything(r, "to") for r in _list(spec.get("egress"))),
            matcher=selector_matcher(selector),
        )

    @property
    def name(self) -> str:
        return self.resource.name

    @property
    def selects_all(self) -> bool:
        return self.valid and selects_everything(self.selector)

    def selects(self, labels: dict[str, str]) -> bool:
        return self.matcher(labels)

    def allows_all(self, direction: str) -> bool:
        return self.allows_all_ingress if direction == "Ingress" else self.allows_all_egress

    def default_deny(self, direction: str) -> bool:
        return self.selects_all and direction in self.types and not self.allows_all(direction)

    def summary(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "selectsAllPods": self.selects_all,
            "policyTypes": sorted(self.types),
            "isolatesIngress": "Ingress" in self.types,
            "isolatesEgress": "Egress" in self.types,
            "allowsAllIngress": self.allows_all_ingress,
            "allowsAllEgress": self.allows_all_egress,
            "defaultDenyIngress": self.default_deny("Ingress"),
            "defaultDenyEgress": self.default_deny("Egress"),
            "invalidSelector": not self.valid,
        }


@dataclass(slots=True)
class Workload:
    resource: Resource
    namespace: str
    meta_path: Path
    labels: dict[str, str]
    ingress: list[str] = field(default_factory=list)  # names of policies isolating it
    egress: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, resource: Resource) -> Workload:
        _spec_path, meta_path = POD_SPEC_LOCATIONS[resource.kind]
        return cls(resource, resource.namespace or "default", meta_path, labels_of(get_path(resource.data, meta_path)))

    @property
    def ref(self) -> str:
        return f"{self.resource.kind}/{self.resource.name}"

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.resource.kind,
            "name": self.resource.name,
            "ingressIsolated": bool(self.ingress),
            "egressIsolated": bool(self.egress),
            "ingressPolicies": self.ingress,
            "egressPolicies": self.egress,
        }


def _owned_by_input_workload(resource: Resource, present: set[tuple[NamespaceKey, str, str]]) -> bool:
    metadata = resource.data.get("metadata")
    for owner in _list(metadata.get("ownerReferences") if isinstance(metadata, dict) else None):
        if isinstance(owner, dict) and owner.get("controller") is True:
            key = (_key(resource), str(owner.get("kind")), str(owner.get("name")))
            if key in present:
                return True
    return False


def external_namespaces(inventory: Inventory) -> list[str]:
    patterns = inventory.settings.get(EXTERNAL_POLICIES_SETTING) or []
    return [p for p in patterns if isinstance(p, str)] if isinstance(patterns, list) else []


@dataclass(slots=True)
class NetworkModel:
    namespaces: dict[NamespaceKey, list[Workload]]
    policies: dict[NamespaceKey, list[Policy]]
    namespace_objects: dict[NamespaceKey, Resource]

    def default_deny(self, namespace: NamespaceKey, direction: str) -> bool:
        """A namespace-wide policy isolates every pod, and no namespace-wide policy reopens everything.

        Policies add up: a `podSelector: {}` policy whose rule allows every peer on every port
        (`ingress: [{}]`) lets everything in, whatever a deny-all policy beside it says.
        """
        policies = self.policies.get(namespace, ())
        allows_all = any(p.selects_all and p.allows_all(direction) for p in policies)
        return not allows_all and any(p.default_deny(direction) for p in policies)

    def deny_state(self, namespace: NamespaceKey, direction: str) -> str:
        """What is the case when there is no default deny, in words: none at all, or one that a
        namespace-wide allow-all policy reopens."""
        policies = self.policies.get(namespace, ())
        denying = [p.name for p in policies if p.default_deny(direction)]
        opening = [p.name for p in policies if p.selects_all and p.allows_all(direction)]
        kind = direction.lower()
        if denying and opening:
            return (
                f"its default-deny {kind} NetworkPolicy {', '.join(denying)} is reopened by {', '.join(opening)}, "
                f"which allows all {kind} traffic to every pod"
            )
        return f"no default-deny {kind} NetworkPolicy"


class LabelIndex:
    """A namespace's workloads by label, so a policy is matched only against workloads that carry
    every label its `matchLabels` names (5,000 workloads and 500 policies in one namespace would
    otherwise be 2.5 million selector checks)."""

    def __init__(self, workloads: list[Workload]) -> None:
        self.workloads = workloads
        self.by_label: dict[tuple[str, str], list[Workload]] = {}
        for workload in workloads:  # in input order, so candidates keep it
            for pair in workload.labels.items():
                self.by_label.setdefault(pair, []).append(workload)

    def candidates(self, selector: Any) -> list[Workload]:
        """The workloads the selector may select (a superset; `Policy.selects` decides)."""
        match_labels = selector.get("matchLabels") if isinstance(selector, dict) else None
        if not isinstance(match_labels, dict) or not match_labels:
            return self.workloads
        postings = [
            self.by_label.get((key, value), []) if isinstance(key, str) and isinstance(value, str) else []
            for key, value in match_labels.items()
        ]
        return min(postings, key=len)


def network_model(inventory: Inventory) -> NetworkModel:
    """The model both network views read, built once per inventory."""
    return inventory.derived("network-model", build_model)


def build_model(inventory: Inventory) -> NetworkModel:
    """Workloads by namespace, each with the policies that isolate it."""
    external = external_namespaces(inventory)
    resources = inventory.of_kind(*sorted(WORKLOAD_KINDS))
    present = {(_key(r), r.kind, r.name) for r in resources}
    namespaces: dict[NamespaceKey, list[Workload]] = {}
    for resource in sorted(resources, key=_input_order):
        key = _key(resource)
        if any(fnmatchcase(key[1], p) for p in external) or _owned_by_input_workload(resource, present):
            continue
        namespaces.setdefault(key, []).append(Workload.of(resource))
    policies: dict[NamespaceKey, list[Policy]] = {}
    for resource in sorted(inventory.of_kind("NetworkPolicy"), key=lambda r: r.name):
        policies.setdefault(_key(resource), []).append(Policy.of(resource))
    for namespace, workloads in namespaces.items():
        index = LabelIndex(workloads)
        for policy in policies.get(namespace, ()):  # by name, so each workload lists its policies by name
            for workload in index.candidates(policy.selector):
                if policy.selects(workload.labels):
                    if "Ingress" in policy.types:
                        workload.ingress.append(policy.name)
                    if "Egress" in policy.types:
                        workload.egress.append(policy.name)
    namespace_objects: dict[NamespaceKey, Resource] = {}
    for resource in inventory.of_kind("Namespace"):
        namespace_objects.setdefault((resource.origin.context or "", resource.name), resource)
    return NetworkModel(namespaces, policies, namespace_objects)


def _input_order(resource: Resource) -> tuple[str, int, str]:
    origin = resource.origin
    return (origin.source, origin.document or 0, repr(origin.base_path))


# --- egress to cloud metadata services ------------------------------------------------------------

# Instance metadata services hand out node credentials; their addresses and port are reference
# data (rules/data/metadata-services.yaml).
METADATA_DATA = "metadata-services"


@cache
def metadata_addresses() -> tuple[str, ...]:
    return tuple(service["address"] for service in load_data(METADATA_DATA)["services"])


def metadata_port() -> int:
    port: int = load_data(METADATA_DATA)["port"]
    return port


def admits_metadata_port(ports: Any) -> bool:
    """Whether an egress rule's `ports` let TCP connections to the metadata port (80) through.

    No ports: every port. A port entry without `port` is every port of its protocol (TCP by
    default); `port`..`endPort` is a range; a named port matches only destination pods' named
    container ports, never a metadata service.
    """
    entries = _list(ports)
    if not entries:
        return True
    for entry in entries:
        if not isinstance(entry, dict) or (entry.get("protocol") or "TCP") != "TCP":
            continue
        port, end = entry.get("port"), entry.get("endPort")
        if port is None:
            return True
        if isinstance(port, bool) or not isinstance(port, int):
            continue
        if port == metadata_port() or (isinstance(end, int) and port <= metadata_port() <= end):
            return True
    return False


def _network(value: Any) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_network(value.strip(), strict=False)  # 10.0.0.1/8 is accepted, as the API does
    except ValueError:
        return None


def metadata_addresses_reached(ip_block: Any) -> list[str]:
    """The metadata addresses an ipBlock lets through: inside `cidr`, in no `except` range.

    A block that is exactly one metadata address (169.254.169.254/32) is a deliberate grant,
    not an accident of a wide range, and is not counted.
    """
    if not isinstance(ip_block, dict):
        return []
    network = _network(ip_block.get("cidr"))
    if network is None or network.num_addresses == 1:
        return []
    excepts = [n for n in (_network(e) for e in _list(ip_block.get("except"))) if n is not None]
    reached = []
    for address in metadata_addresses():
        ip = ipaddress.ip_address(address)
        if ip.version != network.version or ip not in network:
            continue
        if any(ip.version == e.version and ip in e for e in excepts):
            continue
        reached.append(address)
    return reached


@dataclass(frozen=True, slots=True)
class MetadataEgress:
    """An egress rule, or one ipBlock of it, that reaches metadata addresses."""

    rule: int
    peer: int | None  # None: the rule has no peers (every destination)
    cidr: str | None
    addresses: tuple[str, ...]

    @property
    def path(self) -> Path:
        if self.peer is None:
            return ("spec", "egress", self.rule)
        return ("spec", "egress", self.rule, "to", self.peer, "ipBlock", "cidr")

    def as_doc(self) -> dict[str, Any]:
        return {
            "egressRule": self.rule,
            "peer": self.peer,
            "allDestinations": self.peer is None,
            "cidr": self.cidr,
            "addresses": list(self.addresses),
        }


def metadata_egress(spec: Any) -> list[MetadataEgress]:
    """Where a policy lets pods reach a metadata service (only when it governs egress).

    An egress rule whose ports admit TCP 80 reaches every metadata address when it has no
    peers, and those its ipBlocks contain and do not except. Pod and namespace selectors
    select pods only.
    """
    spec = spec if isinstance(spec, dict) else {}
    if "Egress" not in policy_types(spec):
        return []
    found = []
    for index, rule in enumerate(_list(spec.get("egress"))):
        rule = rule if isinstance(rule, dict) else {}
        if not admits_metadata_port(rule.get("ports")):
            continue
        peers = _list(rule.get("to"))
        if not peers:
            found.append(MetadataEgress(index, None, None, metadata_addresses()))
            continue
        for peer_index, peer in enumerate(peers):
            ip_block = peer.get("ipBlock") if isinstance(peer, dict) else None
            reached = metadata_addresses_reached(ip_block)
            if reached:
                cidr = ip_block.get("cidr") if isinstance(ip_block, dict) else None
                found.append(MetadataEgress(index, peer_index, cidr, tuple(reached)))
    return found
