"""Which kinds a cluster scan lists: the catalogue, and the part of it the rules need."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from kubeaudit.sources.base import NeedsKinds


@dataclass(frozen=True, slots=True)
class KnownKind:
    group: str  # "" for the core group
    kind: str
    metadata_only: bool = False  # list as PartialObjectMetadata: the scanner never reads the contents


# Everything a built-in rule or view may need. Custom rules that name other kinds get
# those listed too (found by kind name through discovery).
CATALOGUE: tuple[KnownKind, ...] = (
    # workloads
    KnownKind("", "Pod"),
    KnownKind("", "ReplicationController"),
    KnownKind("", "PodTemplate"),
    KnownKind("apps", "Deployment"),
    KnownKind("apps", "StatefulSet"),
    KnownKind("apps", "DaemonSet"),
    KnownKind("apps", "ReplicaSet"),
    KnownKind("batch", "Job"),
    KnownKind("batch", "CronJob"),
    # namespaces, nodes and what is configured per namespace
    KnownKind("", "Namespace"),
    KnownKind("", "Node"),
    KnownKind("", "ServiceAccount"),
    KnownKind("", "ResourceQuota"),
    KnownKind("", "LimitRange"),
    KnownKind("", "Service"),
    KnownKind("", "ConfigMap"),  # only Istio's mesh config (`istio`) is read from them
    KnownKind("networking.k8s.io", "NetworkPolicy"),
    KnownKind("networking.k8s.io", "Ingress"),
    # RBAC
    KnownKind("rbac.authorization.k8s.io", "Role"),
    KnownKind("rbac.authorization.k8s.io", "ClusterRole"),
    KnownKind("rbac.authorization.k8s.io", "RoleBinding"),
    KnownKind("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    # Istio, when served
    KnownKind("security.istio.io", "AuthorizationPolicy"),
    KnownKind("security.istio.io", "PeerAuthentication"),
    KnownKind("security.istio.io", "RequestAuthentication"),
    KnownKind("networking.istio.io", "Sidecar"),
    KnownKind("networking.istio.io", "Gateway"),
    KnownKind("networking.istio.io", "VirtualService"),
    KnownKind("networking.istio.io", "DestinationRule"),
    KnownKind("networking.istio.io", "ServiceEntry"),
    KnownKind("install.istio.io", "IstioOperator"),
    # GitOps installs of istiod, when served: their Helm values hold the mesh config
    KnownKind("helm.toolkit.fluxcd.io", "HelmRelease"),
    KnownKind("argoproj.io", "Application"),
    # PodSecurityPolicy, on clusters that still serve it (before v1.25)
    KnownKind("policy", "PodSecurityPolicy"),
    # Image-signature admission control, when served
    KnownKind("kyverno.io", "ClusterPolicy"),
    KnownKind("kyverno.io", "Policy"),
    KnownKind("policy.sigstore.dev", "ClusterImagePolicy"),
    KnownKind("templates.gatekeeper.sh", "ConstraintTemplate"),
    KnownKind("externaldata.gatekeeper.sh", "Provider"),
    KnownKind("config.ratify.deislabs.io", "Verifier"),
    # Only ever as metadata, and only when a rule or view names Secret explicitly.
    KnownKind("", "Secret", metadata_only=True),
)
# Not API kinds: read from each node's kubelet through the API server's node proxy
# (GET /api/v1/nodes/NAME/proxy/configz), never discovered or listed.
NODE_ENDPOINT_KINDS = frozenset({"KubeletConfiguration"})
# Listed on every scan: they are the cluster facts (node versions, namespace labels).
FACT_KINDS = frozenset({"Namespace", "Node"})
# Never pulled in by a rule that targets "every kind": only by name.
BY_NAME_ONLY = frozenset({"Secret"})
METADATA_ONLY = frozenset(k.kind for k in CATALOGUE if k.metadata_only)


def catalogue_groups(kind: str) -> list[str]:
    return [k.group for k in CATALOGUE if k.kind == kind]


def kinds_for_rules(rules: Sequence[NeedsKinds]) -> frozenset[str]:
    """Kind names the rules (and the cross-resource views they use) need, plus the fact kinds.

    A rule that targets any kind (an `object` rule without `match.kinds`) pulls in the
    whole catalogue except Secret: secrets are listed only for a rule that names them.
    """
    wanted: set[str] = set(FACT_KINDS)
    for rule in rules:
        needs = rule.needed_kinds()
        if needs is None:
            wanted |= {k.kind for k in CATALOGUE if k.kind not in BY_NAME_ONLY}
        else:
            wanted |= needs
    return frozenset(wanted)


def default_kinds() -> frozenset[str]:
    """Without rules to ask: the catalogue, minus what is listed by name only."""
    return frozenset(k.kind for k in CATALOGUE if k.kind not in BY_NAME_ONLY)


def plural_names(kinds: Iterable[str]) -> list[str]:
    """Resource names (for RBAC rules and docs) of catalogue kinds, by the apiserver's pluralisation."""
    out = []
    for kind in kinds:
        lower = kind.lower()
        if lower.endswith("y") and not lower.endswith(("ay", "ey", "oy", "uy")):
            out.append(lower[:-1] + "ies")
        elif lower.endswith(("s", "x", "ch", "sh")):
            out.append(lower + "es")
        else:
            out.append(lower + "s")
    return out
