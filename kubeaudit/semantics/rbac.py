"""RBAC semantics: role matching, aggregation and capabilities, as the API server has them.

Reusable objects for every view that asks who can do what (the `subject` view, an
attack-path view): `PolicyRule` and `rule_allows` judge one request, `RoleIndex` resolves
role references (aggregated ClusterRoles included, and the ClusterRoles every cluster has,
see rules/data), `capabilities` names what a set of rules allows, and `collect_grants` pairs
every binding subject with what its binding grants.

A scan of several kube contexts holds several clusters: each binding is resolved against the
roles of its own context, and `effective` adds up the bindings of one cluster only.

Matching is exactly the API server's (k8s.io/kubernetes pkg/apis/rbac/v1/evaluation_helpers.go):
`*` in verbs, apiGroups or resources matches anything; `*/<sub>` matches that subresource
of any resource; `pods` does not match `pods/exec`; `resourceNames` restricts to requests
naming one of those objects (`*` there is a literal name); a nonResourceURL ending in `*`
matches by prefix. A RoleBinding grants only namespaced resources in its namespace (never
cluster-scoped resources or nonResourceURLs), except `bind`, which the API server checks
with the binding's namespace even for ClusterRoles.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from kubeaudit.inventory import Inventory
from kubeaudit.model import Notice, Resource
from kubeaudit.refdata import load_data
from kubeaudit.semantics.labels import labels_of, safe_matches
from kubeaudit.semantics.rbac_defaults import default_cluster_roles, known_cluster_role_names

RBAC_GROUP = "rbac.authorization.k8s.io"
ANY = "\x00any"  # a value no rule lists, so only wildcards match it
SUBJECT_KINDS = ("User", "Group", "ServiceAccount")
SA_USER_PREFIX = "system:serviceaccount:"


def _strings(value: Any) -> tuple[str, ...]:
    return tuple(v for v in value if isinstance(v, str)) if isinstance(value, list) else ()


@dataclass(frozen=True, slots=True)
class Grantor:
    """The role rule a permission comes from."""

    role_kind: str
    role_name: str
    index: int
    role_namespace: str | None = None
    builtin: bool = False

    def describe(self) -> str:
        ns = f" in {self.role_namespace}" if self.role_namespace else ""
        return f"{self.role_kind} {self.role_name}{ns} rules[{self.index}]"


@dataclass(frozen=True, slots=True)
class PolicyRule:
    verbs: tuple[str, ...]
    api_groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()
    source: Grantor | None = field(default=None, compare=False)

    @classmethod
    def parse(cls, data: Any, source: Grantor | None = None) -> PolicyRule | None:
        if not isinstance(data, dict):
            return None
        return cls(
            verbs=_strings(data.get("verbs")),
            api_groups=_strings(data.get("apiGroups")),
            resources=_strings(data.get("resources")),
            resource_names=_strings(data.get("resourceNames")),
            non_resource_urls=_strings(data.get("nonResourceURLs")),
            source=source,
        )

    def as_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"verbs": list(self.verbs)}
        for key, value in (
            ("apiGroups", self.api_groups),
            ("resources", self.resources),
            ("resourceNames", self.resource_names),
            ("nonResourceURLs", self.non_resource_urls),
        ):
            if value:
                doc[key] = list(value)
        doc["grantedBy"] = self.source.describe() if self.source else None
        return doc


@dataclass(frozen=True, slots=True)
class Request:
    """The attributes the RBAC authorizer judges. `path` set: a non-resource request."""

    verb: str
    api_group: str = ""
    resource: str = ""
    subresource: str = ""
    name: str = ""
    namespace: str = ""  # "" for cluster-scoped resources
    path: str = ""


def verb_matches(rule: PolicyRule, verb: str) -> bool:
    return "*" in rule.verbs or verb in rule.verbs


def api_group_matches(rule: PolicyRule, group: str) -> bool:
    return "*" in rule.api_groups or group in rule.api_groups


def resource_matches(rule: PolicyRule, resource: str, subresource: str = "") -> bool:
    combined = f"{resource}/{subresource}" if subresource else resource
    for ruled in rule.resources:
        if ruled in ("*", combined):
            return True
        if subresource and ruled == f"*/{subresource}":
            return True
    return False


def resource_name_matches(rule: PolicyRule, name: str) -> bool:
    return not rule.resource_names or name in rule.resource_names


def non_resource_url_matches(rule: PolicyRule, path: str) -> bool:
    for url in rule.non_resource_urls:
        if url in ("*", path):
            return True
        if url.endswith("*") and path.startswith(url.rstrip("*")):
            return True
    return False


def rule_allows(rule: PolicyRule, request: Request) -> bool:
    """Whether one policy rule allows a request (RuleAllows in the API server)."""
    if request.path:
        return verb_matches(rule, request.verb) and non_resource_url_matches(rule, request.path)
    return (
        verb_matches(rule, request.verb)
        and api_group_matches(rule, request.api_group)
        and resource_matches(rule, request.resource, request.subresource)
        and resource_name_matches(rule, request.name)
    )


def grant_applies(binding_namespace: str | None, request: Request) -> bool:
    """A ClusterRoleBinding applies to every request; a RoleBinding to resource requests in its namespace."""
    if binding_namespace is None:
        return True
    return not request.path and request.namespace == binding_namespace


# --- capabilities -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Query:
    verb: str
    api_group: str
    resource: str
    subresource: str = ""
    scope: str = "namespaced"  # namespaced | cluster | any (checked with the binding's namespace)


@dataclass(frozen=True, slots=True)
class Capability:
    queries: tuple[Query, ...]
    named_counts: bool = False  # a grant limited to named objects sets the flag too
    description: str = ""


def _q(verbs: tuple[str, ...], group: str, resources: tuple[str, ...], scope: str = "namespaced") -> tuple[Query, ...]:
    found = []
    for verb in verbs:
        for resource in resources:
            name, _, sub = resource.partition("/")
            found.append(Query(verb, group, name, sub, scope))
    return tuple(found)


_WRITE = ("create", "update", "patch", "delete", "deletecollection")


def _pod_controllers(verbs: tuple[str, ...]) -> tuple[Query, ...]:
    return (
        *_q(verbs, "apps", ("deployments", "statefulsets", "daemonsets", "replicasets")),
        *_q(verbs, "extensions", ("deployments", "daemonsets", "replicasets")),
        *_q(verbs, "", ("replicationcontrollers",)),
        *_q(verbs, "batch", ("jobs", "cronjobs")),
    )


_POD_CONTROLLERS = _pod_controllers(("create",))
CAPABILITIES: dict[str, Capability] = {
    "fullAdmin": Capability((Query(ANY, ANY, ANY),), description="every verb on every resource of every API group"),
    "readSecrets": Capability(_q(("get", "list", "watch"), "", ("secrets",)), description="get, list or watch secrets"),
    "createPods": Capability(_q(("create",), "", ("pods",)), description="create pods"),
    "createPodControllers": Capability(
        _POD_CONTROLLERS,
        description="create Deployments, StatefulSets, DaemonSets, ReplicaSets, "
        "ReplicationControllers, Jobs or CronJobs",
    ),
    # Changing a controller's pod template (image, command, serviceAccountName) runs new pods
    # as the controller wishes: as powerful as creating one.
    "changePodControllers": Capability(
        _pod_controllers(("update", "patch")),
        description="update or patch Deployments, StatefulSets, DaemonSets, ReplicaSets, "
        "ReplicationControllers, Jobs or CronJobs",
    ),
    "execPods": Capability(
        _q(("create", "get"), "", ("pods/exec",)), description="pods/exec (create; get for WebSocket clients)"
    ),
    "attachPods": Capability(_q(("create", "get"), "", ("pods/attach",)), description="pods/attach"),
    # An ephemeral container added to a running pod shares its namespaces and service account:
    # as good as exec.
    "debugPods": Capability(
        _q(("update", "patch"), "", ("pods/ephemeralcontainers",)),
        description="add ephemeral (debug) containers to running pods",
    ),
    "escalateRoles": Capability(
        (*_q(("escalate",), RBAC_GROUP, ("roles",)), *_q(("escalate",), RBAC_GROUP, ("clusterroles",), "cluster")),
        named_counts=True,
        description="escalate on roles or clusterroles",
    ),
    "bindRoles": Capability(
        (*_q(("bind",), RBAC_GROUP, ("roles",)), *_q(("bind",), RBAC_GROUP, ("clusterroles",), "any")),
        description="bind any role or clusterrole (bind limited by resourceNames is the safe form)",
    ),
    "impersonate": Capability(
        (
            *_q(("impersonate",), "", ("users", "groups"), "cluster"),
            *_q(("impersonate",), "authentication.k8s.io", ("uids",), "cluster"),
            Query("impersonate", "authentication.k8s.io", "userextras", ANY, "cluster"),
        ),
        named_counts=True,
        description="impersonate users, groups, uids or user extras (for example system:masters)",
    ),
    # Bounded by what the service accounts themselves may do, in the namespace granted (the
    # built-in `edit` and `admin` roles grant it: system:aggregate-to-edit).
    "impersonateServiceAccounts": Capability(
        _q(("impersonate",), "", ("serviceaccounts",)),
        named_counts=True,
        description="impersonate service accounts",
    ),
    "proxyNodes": Capability(
        (
            *_q(("get", "create", "update", "patch", "delete"), "", ("nodes/proxy",), "cluster"),
            *_q(("proxy",), "", ("nodes",), "cluster"),
        ),
        description="nodes/proxy (the kubelet API: exec into any pod on the node)",
    ),
    "createServiceAccountTokens": Capability(
        _q(("create",), "", ("serviceaccounts/token",)), description="create serviceaccounts/token"
    ),
    "updateCertificateApproval": Capability(
        _q(("update", "patch"), "certificates.k8s.io", ("certificatesigningrequests/approval",), "cluster"),
        description="update certificatesigningrequests/approval",
    ),
    "approveSigners": Capability(
        _q(("approve",), "certificates.k8s.io", ("signers",), "cluster"),
        named_counts=True,
        description="approve on certificates.k8s.io signers",
    ),
    "writeAdmissionWebhooks": Capability(
        _q(
            _WRITE,
            "admissionregistration.k8s.io",
            ("validatingwebhookconfigurations", "mutatingwebhookconfigurations"),
            "cluster",
        ),
        description="create, change or delete validating or mutating webhook configurations",
    ),
}
# Derived from the ones above: approving a CSR needs both update on certificatesigningrequests/approval
# and approve on the signer, which may come from different bindings; a grant of the first is flagged
# when the subject has the second anywhere cluster-wide.
DERIVED_CAPABILITIES = ("approveCertificates",)
CAPABILITY_NAMES = (*CAPABILITIES, *DERIVED_CAPABILITIES)
# Names no request carries: create of a top-level object (the name is in the body, not the request).
_NAMELESS_VERBS = frozenset({"create"})


def _request(query: Query, binding_namespace: str | None, name: str) -> Request | None:
    if query.scope == "cluster":
        namespace = ""
    elif binding_namespace is not None:
        namespace = binding_namespace
    else:
        namespace = ANY
    request = Request(query.verb, query.api_group, query.resource, query.subresource, name, namespace)
    return request if grant_applies(binding_namespace, request) else None


@dataclass(slots=True)
class Capabilities:
    can: dict[str, bool]
    named: dict[str, list[str]]
    via: dict[str, str]
    named_via: dict[str, str] = field(default_factory=dict)  # the rule behind each `named` entry


def capabilities(rules: list[PolicyRule], binding_namespace: str | None) -> Capabilities:
    """What a set of policy rules allows, bound cluster-wide (None) or in one namespace."""
    can: dict[str, bool] = {}
    named: dict[str, list[str]] = {}
    via: dict[str, str] = {}
    named_via: dict[str, str] = {}
    for cap_name, cap in CAPABILITIES.items():
        granted = False
        names: set[str] = set()
        for query in cap.queries:
            request = _request(query, binding_namespace, ANY)
            if request is None:
                continue
            for rule in rules:
                if rule_allows(rule, request):
                    granted = True
                    via.setdefault(cap_name, rule.source.describe() if rule.source else "")
                    break
                if (
                    rule.resource_names
                    and not (query.verb in _NAMELESS_VERBS and not query.subresource)
                    and any(rule_allows(rule, replace(request, name=n)) for n in rule.resource_names)
                ):
                    names.update(rule.resource_names)
                    named_via.setdefault(cap_name, rule.source.describe() if rule.source else "")
                    if cap.named_counts:
                        via.setdefault(cap_name, rule.source.describe() if rule.source else "")
            if granted:
                break
        if names and not granted:
            named[cap_name] = sorted(names)
        can[cap_name] = granted or (cap.named_counts and bool(names))
    return Capabilities(can, named, via, named_via)


# Non-resource URLs anyone may read without learning anything sensitive (API discovery, OpenAPI,
# health, version, service-account issuer discovery), and objects published to everyone on purpose:
# reference data, rules/data/public-access.yaml.
PUBLIC_ACCESS = "public-access"


@dataclass(frozen=True, slots=True)
class PublicAccess:
    discovery_urls: frozenset[str]
    discovery_prefixes: tuple[str, ...]
    discovery_verbs: frozenset[str]
    public_objects: frozenset[tuple[str, str, str, str]]  # (namespace, apiGroup, resource, name)


@cache
def public_access() -> PublicAccess:
    data = load_data(PUBLIC_ACCESS)
    return PublicAccess(
        discovery_urls=frozenset(data["discovery_urls"]),
        discovery_prefixes=tuple(data["discovery_prefixes"]),
        discovery_verbs=frozenset(data["discovery_verbs"]),
        public_objects=frozenset(
            (o["namespace"], o["apiGroup"], o["resource"], o["name"]) for o in data["public_objects"]
        ),
    )


def is_discovery_url(url: str) -> bool:
    """Whether every path a nonResourceURL entry matches is a discovery or health path."""
    public = public_access()
    if url.endswith("*"):
        return url.rstrip("*").startswith(public.discovery_prefixes)
    return url in public.discovery_urls or url.startswith(public.discovery_prefixes)


def _reads_public_objects_only(rule: PolicyRule, binding_namespace: str | None) -> bool:
    if binding_namespace is None or not rule.resource_names or not set(rule.verbs) <= {"get"}:
        return False
    return all(
        (binding_namespace, group, resource, name) in public_access().public_objects
        for group in rule.api_groups
        for resource in rule.resources
        for name in rule.resource_names
    )


def beyond_discovery(rules: list[PolicyRule], binding_namespace: str | None) -> bool:
    """Whether rules bound this way allow anything but reading discovery and health URLs
    (and the objects published to everyone, see rules/data/public-access.yaml)."""
    for rule in rules:
        if not rule.verbs:
            continue
        if rule.api_groups and rule.resources:
            if _reads_public_objects_only(rule, binding_namespace):
                continue
            return True
        if rule.non_resource_urls and binding_namespace is None:
            if not set(rule.verbs) <= public_access().discovery_verbs:
                return True
            if not all(is_discovery_url(url) for url in rule.non_resource_urls):
                return True
    return False


# --- roles, aggregation -------------------------------------------------------------------------


@dataclass(slots=True)
class ResolvedRole:
    kind: str
    name: str
    api_group: str
    found: bool | None  # None: unknown, the kind could not be read
    builtin: bool = False
    rules_known: bool = True
    aggregated: bool = False
    aggregated_from: list[str] = field(default_factory=list)
    rules: list[PolicyRule] = field(default_factory=list)

    def as_doc(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "name": self.name,
            "apiGroup": self.api_group,
            "found": self.found,
            "builtin": self.builtin,
            "rulesKnown": self.rules_known,
            "aggregated": self.aggregated,
            "aggregatedFrom": self.aggregated_from,
        }


class RoleIndex:
    """Roles and ClusterRoles of the input, plus the ClusterRoles every cluster has."""

    def __init__(self, inventory: Inventory, use_defaults: bool = True, context: str | None = None) -> None:
        """`context`: only the roles of that kube context ("" for manifests); None: all of them."""
        self.cluster: dict[str, tuple[dict[str, Any], bool]] = {}  # name -> (role, builtin)
        for resource in _in_context(inventory.of_kind("ClusterRole"), context):
            self.cluster.setdefault(resource.name, (resource.data, False))
        if use_defaults:
            for name, role in default_cluster_roles().items():
                self.cluster.setdefault(name, (role, True))
        self.namespaced: dict[tuple[str, str], dict[str, Any]] = {}
        for resource in _in_context(inventory.of_kind("Role"), context):
            self.namespaced.setdefault((resource.namespace or "default", resource.name), resource.data)
        self._cluster_rules: dict[str, tuple[list[PolicyRule], list[str]]] = {}
        self._full_admin: dict[str, bool] = {}
        self.unreadable = frozenset(inventory.unavailable)
        # Manifests are some of the files there are: a role not among them may live in another
        # file or already be in the cluster, unless the user says the files are everything.
        self.partial_input = context == "" and not inventory.settings.get("strict_inputs", False)

    def cluster_role_rules(
        self, name: str, visiting: frozenset[str] = frozenset()
    ) -> tuple[list[PolicyRule], list[str]]:
        """A ClusterRole's effective rules, and the roles it aggregates (directly)."""
        if name in self._cluster_rules:
            return self._cluster_rules[name]
        data, builtin = self.cluster[name]
        aggregation = data.get("aggregationRule")
        rules: list[PolicyRule] = []
        sources: list[str] = []
        if isinstance(aggregation, dict):
            # The aggregation controller replaces the role's rules with the union of the rules of
            # every other ClusterRole that one of the selectors matches.
            selectors = aggregation.get("clusterRoleSelectors")
            selectors = [s for s in selectors if isinstance(s, dict)] if isinstance(selectors, list) else []
            seen: set[PolicyRule] = set()
            for other in sorted(self.cluster):
                if other == name or other in visiting:
                    continue
                other_labels = labels_of(self.cluster[other][0].get("metadata"))
                if any(safe_matches(s, other_labels) for s in selectors):
                    sources.append(other)
                    for rule in self.cluster_role_rules(other, visiting | {name})[0]:
                        if rule not in seen:
                            seen.add(rule)
                            rules.append(rule)
        else:
            for index, raw in enumerate(data.get("rules") or []):
                parsed = PolicyRule.parse(raw, Grantor("ClusterRole", name, index, builtin=builtin))
                if parsed is not None:
                    rules.append(parsed)
        if not visiting:
            self._cluster_rules[name] = (rules, sources)
        return rules, sources

    def grants_full_admin(self, name: str) -> bool:
        """Whether the ClusterRole of this name exists and allows every verb on every resource."""
        if name not in self._full_admin:
            full = name in self.cluster and capabilities(self.cluster_role_rules(name)[0], None).can["fullAdmin"]
            self._full_admin[name] = full
        return self._full_admin[name]

    def resolve(self, role_ref: Any, binding_namespace: str | None) -> ResolvedRole:
        ref = role_ref if isinstance(role_ref, dict) else {}
        kind, name, api_group = (_text(ref.get(key)) for key in ("kind", "name", "apiGroup"))
        role = ResolvedRole(kind, name, api_group, found=False)
        if kind == "ClusterRole":
            if name in self.cluster:
                data, builtin = self.cluster[name]
                role.found, role.builtin = True, builtin
                role.aggregated = isinstance(data.get("aggregationRule"), dict)
                role.rules, role.aggregated_from = self.cluster_role_rules(name)
            elif name in known_cluster_role_names():
                role.found, role.builtin, role.rules_known = True, True, False
        elif kind == "Role" and binding_namespace is not None:
            role_data = self.namespaced.get((binding_namespace, name))
            if role_data is not None:
                role.found = True
                for index, raw in enumerate(role_data.get("rules") or []):
                    parsed = PolicyRule.parse(raw, Grantor("Role", name, index, binding_namespace))
                    if parsed is not None:
                        role.rules.append(parsed)
        if not role.found and (kind in self.unreadable or self.partial_input):
            role.found = None  # unknown: the scan could not list this kind, so it may well exist
        return role


# --- subjects -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Subject:
    kind: str
    name: str
    namespace: str | None = None
    written_as: str = ""

    @property
    def id(self) -> str:
        return f"{self.kind}/{self.ref}"

    @property
    def ref(self) -> str:
        return f"{self.namespace}/{self.name}" if self.kind == "ServiceAccount" else self.name

    def as_doc(self) -> dict[str, Any]:
        name = self.name
        return {
            "kind": self.kind,
            "name": name,
            "namespace": self.namespace,
            "id": self.id,
            "ref": self.ref,
            "writtenAs": self.written_as or self.kind,
            "defaultServiceAccount": self.kind == "ServiceAccount" and name == "default",
            "system": (self.kind != "ServiceAccount" and name.startswith("system:"))
            or (self.kind == "ServiceAccount" and self.namespace == "kube-system"),
            "anonymous": (self.kind, name) in (("User", "system:anonymous"), ("Group", "system:unauthenticated")),
            "allAuthenticated": self.kind == "Group" and name == "system:authenticated",
            "allServiceAccounts": self.kind == "Group"
            and (name == "system:serviceaccounts" or name.startswith("system:serviceaccounts:")),
        }


def parse_subject(raw: Any, binding_namespace: str | None) -> Subject | None:
    """A binding's subject, or None when it names nobody (wrong kind, no name)."""
    if not isinstance(raw, dict):
        return None
    kind, name = raw.get("kind"), raw.get("name")
    if kind not in SUBJECT_KINDS or not isinstance(name, str) or not name:
        return None
    if kind == "ServiceAccount":
        namespace = raw.get("namespace")
        # A RoleBinding's ServiceAccount subject without a namespace is in the binding's namespace.
        namespace = namespace if isinstance(namespace, str) and namespace else binding_namespace
        return Subject(kind, name, namespace) if namespace else None
    if kind == "User" and name.startswith(SA_USER_PREFIX):
        namespace, sep, sa_name = name[len(SA_USER_PREFIX) :].partition(":")
        if sep and namespace and sa_name and ":" not in sa_name:
            return Subject("ServiceAccount", sa_name, namespace, written_as="User")
    return Subject(kind, name)


@dataclass(slots=True)
class Grant:
    binding: Resource
    index: int  # in the binding's subjects
    subject: Subject
    role: ResolvedRole
    namespace: str | None  # None: cluster-wide
    caps: Capabilities

    @property
    def label(self) -> str:
        return f"{self.binding.kind} {self.binding.name} → {self.role.kind} {self.role.name}"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _binding_namespace(binding: Resource) -> str | None:
    return None if binding.kind == "ClusterRoleBinding" else (binding.namespace or "default")


def context_of(resource: Resource) -> str:
    """The kube context a resource was read from ("" for manifests): one cluster of the scan."""
    return resource.origin.context or ""


def _in_context(resources: list[Resource], context: str | None) -> list[Resource]:
    return resources if context is None else [r for r in resources if context_of(r) == context]


def collect_grants(inventory: Inventory) -> list[Grant]:
    """Every (binding, subject) pair. A scan of several kube contexts holds several clusters:
    a binding is resolved against the roles of its own cluster only."""
    use_defaults = bool(inventory.settings.get("assume_default_cluster_roles", True))
    bindings = inventory.of_kind("RoleBinding", "ClusterRoleBinding")
    indexes = {c: RoleIndex(inventory, use_defaults, c) for c in sorted({context_of(b) for b in bindings})}
    cache: dict[tuple[str, str, str, str | None], Capabilities] = {}
    grants: list[Grant] = []
    for binding in bindings:
        roles = indexes[context_of(binding)]
        namespace = _binding_namespace(binding)
        role = roles.resolve(binding.data.get("roleRef"), namespace)
        if role.found is None and roles.partial_input:
            _note_not_in_input(inventory, binding, role)
        key = (context_of(binding), role.kind, role.name, namespace)
        caps = cache.get(key)
        if caps is None:
            caps = cache[key] = _bind_of_admin_roles(capabilities(role.rules, namespace), roles)
        subjects = binding.data.get("subjects")
        for index, raw in enumerate(subjects if isinstance(subjects, list) else []):
            subject = parse_subject(raw, namespace)
            if subject is not None:
                grants.append(Grant(binding, index, subject, role, namespace, caps))
    return grants


def _note_not_in_input(inventory: Inventory, binding: Resource, role: ResolvedRole) -> None:
    position = binding.origin.position(("roleRef", "name"))
    where = f" in namespace {_binding_namespace(binding)}" if role.kind == "Role" else ""
    inventory.notices[("not-in-input", binding.origin.source, binding.ref)] = Notice(
        binding.origin.source,
        f"{binding.kind} {binding.name} refers to {role.kind} {role.name}{where}, which is not in the input: "
        "its permissions were not judged (scan the files that define it, or use --strict-inputs to report it "
        "as missing)",
        position.line if position else None,
    )


def _bind_of_admin_roles(caps: Capabilities, roles: RoleIndex) -> Capabilities:
    """bind limited by resourceNames is the safe form, unless a name is a full-admin ClusterRole:
    bind on cluster-admin lets the subject hand out cluster-admin (in its namespace, or everywhere)."""
    names = caps.named.get("bindRoles", [])
    if caps.can["bindRoles"] or not any(roles.grants_full_admin(n) for n in names):
        return caps
    via = {**caps.via, "bindRoles": caps.named_via.get("bindRoles", "")}
    return Capabilities({**caps.can, "bindRoles": True}, caps.named, via, caps.named_via)
