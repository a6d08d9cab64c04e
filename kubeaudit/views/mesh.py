"""The mesh views: Istio transport and authorization posture, joined across resources.

Reads workloads, Namespaces, Services, Secrets (names only: never their data), the mesh
configs (kubeaudit.semantics.meshconfig; their view is views/meshconfig.py), and Istio's
PeerAuthentication, DestinationRule, AuthorizationPolicy and Gateway. Kinds are matched, not
versions, so `security.istio.io` and `networking.istio.io` objects in `v1beta1` and `v1` are
read alike. A scan of several kube contexts holds several meshes: everything is grouped by
context.

Istio semantics, as its API reference states them:

- A mesh is present in a context when the input has istiod (a workload named `istiod*` or
  labelled `app: istiod`), a namespace or pod enrolled by label, or any Istio resource.
- A namespace is enrolled by `istio-injection=enabled`, by `istio.io/rev` (unless
  `istio-injection=disabled`), or by `istio.io/dataplane-mode=ambient` (ambient counts as in
  the mesh). A pod opts out with `sidecar.istio.io/inject: "false"` (label or annotation) or,
  in ambient, `istio.io/dataplane-mode: none`; it opts in with `sidecar.istio.io/inject:
  "true"` or an `istio.io/rev` label. Without the Namespace object its enrolment is unknown.
- PeerAuthentication: a policy without a selector (or with empty `matchLabels`) applies to its
  namespace, or to the whole mesh in the root namespace (`mesh-root-namespace` setting, default
  `istio-system`); one with a selector applies to the pods of its namespace whose labels match
  every `matchLabels` entry, and is ignored in the root namespace. The most specific policy
  whose mode is not UNSET decides a workload's mode (workload, then namespace, then mesh,
  then Istio's default, PERMISSIVE); `portLevelMtls` overrides it per port.
- AuthorizationPolicy: ALLOW (the default action) with a rule that has no `from`, `to` or
  `when` matches every request: allow-all. ALLOW without rules matches nothing: in the root
  namespace without a selector it denies every request mesh-wide unless another policy allows it.
- A DestinationRule host is in the mesh when it names a Service of the input (`name`,
  `name.ns`, `name.ns.svc`, `name.ns.svc.cluster.local`; a short name is in the rule's own
  namespace) whose namespace, or one of whose selected workloads, is enrolled.
- A Service port's protocol is chosen by its name (`<protocol>` or `<protocol>-<suffix>`) or
  its `appProtocol`, for Istio's protocols; a port with neither is sniffed and, when that
  fails, handled as opaque TCP.

Documents are described with each view's registration at the end of this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubeaudit.inventory import Inventory
from kubeaudit.model import Path, Resource
from kubeaudit.semantics.fieldtree import IDENTITY
from kubeaudit.semantics.labels import labels_of
from kubeaudit.semantics.meshconfig import MESH_CONFIG_KINDS, is_mesh_config
from kubeaudit.semantics.workloads import POD_SPEC_LOCATIONS, WORKLOAD_KINDS, get_path
from kubeaudit.views.base import Target
from kubeaudit.views.registry import InventoryView, register

ROOT_NAMESPACE_SETTING = "mesh_root_namespace"
DEFAULT_ROOT_NAMESPACE = "istio-system"
POLICY_KINDS = frozenset({"PeerAuthentication", "DestinationRule", "AuthorizationPolicy", "Gateway"})
ISTIO_KINDS = frozenset(
    {*POLICY_KINDS, "VirtualService", "ServiceEntry", "Sidecar", "RequestAuthentication", "IstioOperator"}
)
# What deciding "is there a mesh, and who is in it" reads.
PRESENCE_KINDS = frozenset({*WORKLOAD_KINDS, "Namespace", *ISTIO_KINDS})
# Istio's protocols for port names and appProtocol (udp is declared, never proxied).
ISTIO_PROTOCOLS = frozenset(
    {"http", "http2", "https", "tcp", "tls", "grpc", "grpc-web", "mongo", "mysql", "redis", "udp"}
)
GRPC_PROTOCOLS = frozenset({"grpc", "grpc-web"})
WEAK_MTLS = ("PERMISSIVE", "DISABLE")

# (kube context or "" for manifests, namespace)
NamespaceKey = tuple[str, str]


def _key(resource: Resource) -> NamespaceKey:
    return (resource.origin.context or "", resource.namespace or "default")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _spec(resource: Resource) -> dict[str, Any]:
    return _dict(resource.data.get("spec"))


def root_namespace(inventory: Inventory) -> str:
    value = inventory.settings.get(ROOT_NAMESPACE_SETTING)
    return value if isinstance(value, str) and value else DEFAULT_ROOT_NAMESPACE


def namespace_enrolment(labels: dict[str, str]) -> str:
    """How a Namespace's labels enrol its pods: sidecar, ambient, disabled or none."""
    if labels.get("istio.io/dataplane-mode") == "ambient":
        return "ambient"
    injection = labels.get("istio-injection")
    if injection == "enabled":
        return "sidecar"
    if injection == "disabled":
        return "disabled"
    return "sidecar" if "istio.io/rev" in labels else "none"


def workload_enrolment(namespace: str | None, labels: dict[str, str], annotations: dict[str, str]) -> str:
    """sidecar, ambient, opted-out, none, or unknown (namespace labels not in the input)."""
    inject = labels.get("sidecar.istio.io/inject", annotations.get("sidecar.istio.io/inject"))
    if inject == "false" or labels.get("istio.io/dataplane-mode") == "none":
        return "opted-out"
    if labels.get("istio.io/dataplane-mode") == "ambient" or namespace == "ambient":
        return "ambient"
    if namespace == "disabled":
        return "none"
    if namespace == "sidecar" or inject == "true" or "istio.io/rev" in labels:
        return "sidecar"
    return "unknown" if namespace is None else "none"


IN_MESH = ("sidecar", "ambient")


@dataclass(slots=True)
class MeshWorkload:
    resource: Resource
    meta_path: Path
    labels: dict[str, str]
    enrolment: str

    @property
    def ref(self) -> str:
        return f"{self.resource.kind}/{self.resource.name}"

    @property
    def in_mesh(self) -> bool:
        return self.enrolment in IN_MESH


def _owned_by_listed(resource: Resource, present: set[tuple[NamespaceKey, str, str]]) -> bool:
    metadata = _dict(resource.data.get("metadata"))
    return any(
        isinstance(o, dict)
        and o.get("controller") is True
        and (_key(resource), o.get("kind"), o.get("name")) in present
        for o in _list(metadata.get("ownerReferences"))
    )


def _selector_labels(spec: dict[str, Any]) -> dict[str, str] | None:
    """A WorkloadSelector's matchLabels; None when it selects the whole namespace."""
    selector = spec.get("selector")
    match = labels_of({"labels": _dict(selector).get("matchLabels")})
    return match or None


def _subset(wanted: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in wanted.items())


@dataclass(slots=True)
class MeshModel:
    root: str
    present: dict[str, str] = field(default_factory=dict)  # context -> what shows the mesh
    _evidence_rank: dict[str, int] = field(default_factory=dict)
    namespaces: dict[NamespaceKey, str | None] = field(default_factory=dict)  # enrolment, None: unknown
    namespace_objects: dict[NamespaceKey, Resource] = field(default_factory=dict)
    workloads: dict[NamespaceKey, list[MeshWorkload]] = field(default_factory=dict)
    by_kind: dict[str, list[Resource]] = field(default_factory=dict)
    services: dict[tuple[str, str, str], Resource] = field(default_factory=dict)  # for host look-ups
    service_list: list[Resource] = field(default_factory=list)  # all, duplicates (overlays) included
    secrets: set[tuple[str, str, str]] = field(default_factory=set)
    control_planes: set[NamespaceKey] = field(default_factory=set)  # where istiod runs
    # context -> the namespaces a --namespace cluster scan read (absent: the input is everything)
    scanned_namespaces: dict[str, list[str]] = field(default_factory=dict)

    def mesh_system(self, key: NamespaceKey) -> bool:
        """The mesh's own namespaces: the root namespace, and those istiod runs in."""
        return key[1] == self.root or key in self.control_planes

    def found(self, context: str, rank: int, evidence: str) -> None:
        """Record what shows a mesh in a context; the strongest sign (lowest rank) is kept."""
        if rank < self._evidence_rank.get(context, 99):
            self._evidence_rank[context] = rank
            self.present[context] = evidence

    def of(self, kind: str) -> list[Resource]:
        return self.by_kind.get(kind, [])

    def in_context(self, context: str, kind: str) -> list[Resource]:
        return [r for r in self.of(kind) if (r.origin.context or "") == context]

    def namespace_in_mesh(self, key: NamespaceKey) -> bool:
        return self.namespaces.get(key) in IN_MESH or any(w.in_mesh for w in self.workloads.get(key, ()))

    def selected_workloads(self, key: NamespaceKey, wanted: dict[str, str]) -> list[MeshWorkload]:
        return [w for w in self.workloads.get(key, ()) if _subset(wanted, w.labels)]

    # -- PeerAuthentication ----------------------------------------------------------------------
    def peer_scope(self, resource: Resource) -> str:
        """mesh, namespace, workload, or ignored (a selector in the root namespace)."""
        selector = _selector_labels(_spec(resource))
        if (resource.namespace or "default") == self.root:
            return "ignored" if selector else "mesh"
        return "workload" if selector else "namespace"

    def _mode(self, resource: Resource) -> str:
        mode = _dict(_spec(resource).get("mtls")).get("mode")
        return mode if isinstance(mode, str) and mode else "UNSET"

    def _deciding(self, candidates: list[Resource]) -> Resource | None:
        decided = [p for p in sorted(candidates, key=lambda r: r.name) if self._mode(p) != "UNSET"]
        return decided[0] if decided else None

    def deciding_policy(self, workload: MeshWorkload) -> Resource | None:
        """The PeerAuthentication whose mode a workload gets (most specific, not UNSET)."""
        key = _key(workload.resource)
        policies = [p for p in self.of("PeerAuthentication") if _key(p) == key]
        selecting = [p for p in policies if self.peer_scope(p) == "workload"]
        selecting = [p for p in selecting if _subset(_selector_labels(_spec(p)) or {}, workload.labels)]
        namespace_wide = [p for p in policies if self.peer_scope(p) == "namespace"]
        mesh_wide = [p for p in self.in_context(key[0], "PeerAuthentication") if self.peer_scope(p) == "mesh"]
        for tier in (selecting, namespace_wide, mesh_wide):
            found = self._deciding(tier)
            if found is not None:
                return found
        return None

    def peer_workloads(self, policy: Resource) -> list[MeshWorkload]:
        """The workloads a PeerAuthentication applies to (its mode, or its port overrides)."""
        scope = self.peer_scope(policy)
        if scope == "ignored":
            return []
        key = _key(policy)
        if scope == "workload":
            return self.selected_workloads(key, _selector_labels(_spec(policy)) or {})
        keys = [key] if scope == "namespace" else sorted(k for k in self.workloads if k[0] == key[0])
        return [w for k in keys for w in self.workloads.get(k, ()) if self.deciding_policy(w) is policy]

    def mesh_wide_mtls(self, context: str) -> Resource | None:
        return self._deciding(
            [p for p in self.in_context(context, "PeerAuthentication") if self.peer_scope(p) == "mesh"]
        )

    # -- AuthorizationPolicy --------------------------------------------------------------------
    def mesh_wide_deny_by_default(self, context: str) -> bool:
        for policy in self.in_context(context, "AuthorizationPolicy"):
            spec = _spec(policy)
            if (policy.namespace or "default") != self.root or _selector_labels(spec) or spec.get("targetRef"):
                continue
            if spec.get("action") in (None, "ALLOW") and not _list(spec.get("rules")) and not spec.get("provider"):
                return True
        return False

    # -- hosts and services ---------------------------------------------------------------------
    def service_for_host(self, host: Any, context: str, namespace: str) -> Resource | None:
        if not isinstance(host, str) or "*" in host:
            return None
        parts = host.strip().lower().split(".")
        if len(parts) == 1:
            name, ns = parts[0], namespace
        elif len(parts) == 2 or (len(parts) == 3 and parts[2] == "svc") or parts[2:] == ["svc", "cluster", "local"]:
            name, ns = parts[0], parts[1]
        else:
            return None
        return self.services.get((context, ns, name))

    def service_in_mesh(self, service: Resource) -> bool:
        key = _key(service)
        if self.namespaces.get(key) in IN_MESH:
            return True
        selector = labels_of({"labels": _spec(service).get("selector")})
        return bool(selector) and any(w.in_mesh for w in self.selected_workloads(key, selector))


def _istiod(resource: Resource) -> bool:
    labels = labels_of(resource.data.get("metadata"))
    return resource.name.startswith("istiod") or labels.get("app") == "istiod"


def mesh_model(inventory: Inventory) -> MeshModel:
    """The model every mesh view reads, built once per inventory."""
    return inventory.derived("mesh-model", build_model)


def build_model(inventory: Inventory) -> MeshModel:
    model = MeshModel(root_namespace(inventory))
    for resource in inventory.of_kind("Namespace"):
        key = (resource.origin.context or "", resource.name)
        model.namespace_objects.setdefault(key, resource)
        enrolment = namespace_enrolment(labels_of(resource.data.get("metadata")))
        model.namespaces[key] = enrolment
        if enrolment in IN_MESH:
            model.found(key[0], 2, f"Namespace {resource.name} is enrolled in the mesh")
    workloads = inventory.of_kind(*sorted(WORKLOAD_KINDS))
    listed = {(_key(r), r.kind, r.name) for r in workloads}
    for resource in sorted(workloads, key=lambda r: (r.kind, r.name)):
        key = _key(resource)
        if _istiod(resource):
            model.found(key[0], 0, f"{resource.kind} {key[1]}/{resource.name} runs istiod")
            model.control_planes.add(key)
        if _owned_by_listed(resource, listed):
            continue
        meta_path = POD_SPEC_LOCATIONS[resource.kind][1]
        meta = _dict(get_path(resource.data, meta_path))
        labels = labels_of(meta)
        annotations = {k: v for k, v in _dict(meta.get("annotations")).items() if isinstance(v, str)}
        enrolment = workload_enrolment(model.namespaces.get(key), labels, annotations)
        if enrolment in IN_MESH:
            model.found(key[0], 3, f"{resource.kind} {key[1]}/{resource.name} is enrolled in the mesh")
        model.workloads.setdefault(key, []).append(MeshWorkload(resource, meta_path, labels, enrolment))
    for kind in sorted(ISTIO_KINDS | MESH_CONFIG_KINDS):
        for resource in sorted(inventory.of_kind(kind), key=lambda r: (r.namespace or "", r.name)):
            if kind in MESH_CONFIG_KINDS and not is_mesh_config(resource):
                continue
            model.by_kind.setdefault(kind, []).append(resource)
            if kind in ISTIO_KINDS:
                context = resource.origin.context or ""
                model.found(context, 1, f"{kind} {resource.namespace or 'default'}/{resource.name}")
    for resource in inventory.of_kind("Service"):
        model.service_list.append(resource)
        model.services[(resource.origin.context or "", resource.namespace or "default", resource.name)] = resource
    for resource in inventory.of_kind("Secret"):
        model.secrets.add((resource.origin.context or "", resource.namespace or "default", resource.name))
    for facts in inventory.facts.values():
        if isinstance(facts, dict) and isinstance(facts.get("scannedNamespaces"), list):
            model.scanned_namespaces[str(facts.get("context") or "")] = [str(n) for n in facts["scannedNamespaces"]]
    return model


def _object_doc(resource: Resource) -> dict[str, Any]:
    data = resource.data
    return {
        "apiVersion": data.get("apiVersion"),
        "kind": data.get("kind"),
        "metadata": data.get("metadata") or {},
        "spec": data.get("spec") or {},
    }


def _names(workloads: list[MeshWorkload], namespaced: bool) -> list[str]:
    if not workloads:
        return ["no workload of the scanned input"]
    return [f"{w.resource.kind}/{w.resource.namespace or 'default'}/{w.resource.name}" if namespaced else w.ref
            for w in workloads]  # fmt: skip


# --- the `mesh` fact set of the namespace view ------------------------------------------------------


def namespace_mesh_facts(inventory: Inventory) -> dict[NamespaceKey, dict[str, Any]]:
    """Per namespace with workloads: the `mesh` facts the namespace view carries."""
    model = mesh_model(inventory)
    facts: dict[NamespaceKey, dict[str, Any]] = {}
    for key, workloads in model.workloads.items():
        present = key[0] in model.present
        policies = sorted(p.name for p in model.of("AuthorizationPolicy") if _key(p) == key)
        facts[key] = {
            "present": present,
            "evidence": model.present.get(key[0]),
            "injection": model.namespaces.get(key),  # None: the Namespace object is not in the input
            "inMesh": model.namespace_in_mesh(key),
            "outsideMesh": [w.ref for w in workloads if w.enrolment in ("none", "opted-out")],
            "optedOut": [w.ref for w in workloads if w.enrolment == "opted-out"],
            "authorizationPolicies": policies,
            "meshWideDenyByDefault": model.mesh_wide_deny_by_default(key[0]),
            "meshSystem": model.mesh_system(key),
        }
    return facts


# --- `mesh`: one target per context with a mesh ------------------------------------------------------


def mesh_targets(inventory: Inventory) -> list[Target]:
    model = mesh_model(inventory)
    targets = []
    for context, evidence in sorted(model.present.items()):
        deciding = model.mesh_wide_mtls(context)
        mode = model._mode(deciding) if deciding is not None else None
        doc: dict[str, Any] = {
            "present": True,
            "evidence": evidence,
            "rootNamespace": model.root,
            "meshWideMtls": mode,
            "meshWidePolicy": deciding.name if deciding is not None else None,
        }
        prefixes: dict[Path, Path]
        subject = None
        if deciding is not None:
            resource, prefixes = deciding, {("meshWideMtls",): ("spec", "mtls", "mode")}
        else:
            anchor = _mesh_anchor(model, context)
            if anchor is None:
                continue
            resource, prefixes = anchor
            subject = f"{context}\x1fmesh"  # about the cluster's mesh, not the object it is shown at
        targets.append(Target("mesh", resource, doc, prefixes, subject=subject))
    return targets


def _mesh_anchor(model: MeshModel, context: str) -> tuple[Resource, dict[Path, Path]] | None:
    """Where a mesh-wide finding points: the root Namespace, istiod, the first Istio object,
    the first enrolled Namespace, or the first workload (by identity, not input order)."""
    at_name: dict[Path, Path] = {("meshWideMtls",): ("metadata", "name")}
    root = model.namespace_objects.get((context, model.root))
    if root is not None:
        return root, at_name
    mine = [w for ws in model.workloads.values() for w in ws if (w.resource.origin.context or "") == context]
    workloads = [w.resource for w in mine]
    istiod = [r for r in workloads if _istiod(r)]
    istio = [r for kind in sorted(ISTIO_KINDS) for r in model.in_context(context, kind)]
    enrolled = [r for k, r in model.namespace_objects.items() if k[0] == context and model.namespaces.get(k) in IN_MESH]
    for candidates in (istiod, istio, enrolled):
        if candidates:
            return min(candidates, key=lambda r: (r.kind, r.namespace or "", r.name)), at_name
    if workloads:
        anchor = min(workloads, key=lambda r: (r.namespace or "", r.kind, r.name))
        return anchor, {("meshWideMtls",): ("metadata", "namespace")}
    return None


# --- `istio`: one target per Istio policy object ---------------------------------------------------


def _missing_credentials(model: MeshModel, gateway: Resource) -> tuple[list[str], dict[Path, Path]]:
    """credentialNames of a Gateway's servers that no Secret of the input provides.

    A Secret counts in the Gateway's namespace or in the namespace of a workload its selector
    selects (the gateway proxy reads it from its own namespace). Only names are compared.
    Raises _Unknowable when a credential is not found but the scan did not read every namespace
    (a --namespace cluster scan): the proxy, and its Secret, may be in one it did not read.
    """
    context = gateway.origin.context or ""
    spec = _spec(gateway)
    selector = labels_of({"labels": spec.get("selector")})
    namespaces = {gateway.namespace or "default"}
    if selector:
        namespaces |= {k[1] for k in model.workloads if k[0] == context and model.selected_workloads(k, selector)}
    missing: list[str] = []
    prefixes: dict[Path, Path] = {}
    for index, server in enumerate(_list(spec.get("servers"))):
        name = _dict(_dict(server).get("tls")).get("credentialName")
        if not isinstance(name, str) or not name:
            continue
        if not any((context, ns, name) in model.secrets for ns in namespaces):
            prefixes[("missingCredentials", len(missing))] = ("spec", "servers", index, "tls", "credentialName")
            missing.append(name)
    scanned = model.scanned_namespaces.get(context)
    if missing and scanned is not None:
        raise _Unknowable(
            f"Secrets and gateway workloads outside the scanned namespaces ({', '.join(scanned)}) were not read"
        )
    return missing, prefixes


class _Unknowable(Exception):
    """A field the scan did not read enough to decide."""


def istio_targets(inventory: Inventory) -> list[Target]:
    model = mesh_model(inventory)
    targets = []
    for kind in sorted(POLICY_KINDS):
        for resource in model.of(kind):
            doc = _object_doc(resource)
            prefixes: dict[Path, Path] = {("spec",): ("spec",)}
            doc["scope"] = None
            doc["workloads"] = []
            doc["inMeshHost"] = False
            doc["missingCredentials"] = []
            unread: dict[str, str] = {}
            if kind == "PeerAuthentication":
                doc["scope"] = model.peer_scope(resource)
                applies = model.peer_workloads(resource)
                doc["workloads"] = [w.ref for w in applies]
                doc["appliesTo"] = _names(applies, doc["scope"] == "mesh")
            elif kind == "DestinationRule":
                service = model.service_for_host(_spec(resource).get("host"), *_key(resource))
                doc["inMeshHost"] = service is not None and model.service_in_mesh(service)
            elif kind == "Gateway":
                try:
                    doc["missingCredentials"], more = _missing_credentials(model, resource)
                    prefixes.update(more)
                except _Unknowable as exc:
                    unread["missingCredentials"] = str(exc)
            doc.setdefault("appliesTo", [])
            targets.append(Target("istio", resource, doc, prefixes, unread=unread))
    return targets


# --- `meshservice`: one target per Service port -------------------------------------------------------


def port_protocol(port: dict[str, Any]) -> str | None:
    """The protocol Istio selects from a port's appProtocol or name prefix, lower case."""
    for candidate in (port.get("appProtocol"), port.get("name")):
        if not isinstance(candidate, str):
            continue
        text = candidate.lower()
        if text in ISTIO_PROTOCOLS:
            return text
        prefix = text.split("-", 1)[0]
        if candidate is port.get("name") and text.startswith("grpc-web"):
            return "grpc-web"
        if candidate is port.get("name") and prefix in ISTIO_PROTOCOLS:
            return prefix
    return None


def meshservice_targets(inventory: Inventory) -> list[Target]:
    model = mesh_model(inventory)
    targets = []
    for service in sorted(model.service_list, key=lambda r: (*_key(r), r.name)):
        key = _key(service)
        present = key[0] in model.present
        in_mesh = present and model.service_in_mesh(service)
        for index, port in enumerate(_list(_spec(service).get("ports"))):
            if not isinstance(port, dict):
                continue
            protocol = port_protocol(port)
            label = port.get("name") if isinstance(port.get("name"), str) and port.get("name") else port.get("port")
            doc: dict[str, Any] = {
                "apiVersion": service.data.get("apiVersion"),
                "kind": service.data.get("kind"),
                "metadata": service.data.get("metadata") or {},
                "namespace": key[1],
                "port": port,
                "portLabel": str(label),
                "transport": port.get("protocol") or "TCP",
                "protocol": protocol,
                "grpc": protocol in GRPC_PROTOCOLS,
                "meshPresent": present,
                "inMesh": in_mesh,
            }
            at: Path = ("spec", "ports", index)
            name_at: Path = (*at, "name") if "name" in port else at
            prefixes: dict[Path, Path] = {("port",): at, ("protocol",): name_at, ("inMesh",): name_at}
            targets.append(Target("meshservice", service, doc, prefixes))
    return targets


# --- `meshworkload`: one target per workload ------------------------------------------------------------


def meshworkload_targets(inventory: Inventory) -> list[Target]:
    model = mesh_model(inventory)
    targets = []
    for key in sorted(model.workloads):
        for workload in model.workloads[key]:
            data = workload.resource.data
            doc = {
                "apiVersion": data.get("apiVersion"),
                "kind": data.get("kind"),
                "metadata": data.get("metadata") or {},
                "podMetadata": _dict(get_path(data, workload.meta_path)),
                "namespace": key[1],
                "meshPresent": key[0] in model.present,
                "enrolment": workload.enrolment,
            }
            targets.append(Target("meshworkload", workload.resource, doc, {("podMetadata",): workload.meta_path}))
    return targets


_OBJECT_FIELDS = frozenset({"apiVersion", "kind", "metadata", "spec"})
# `mesh`: one target per context whose input holds a mesh. Document: `present`, `evidence` (what
# shows the mesh), `rootNamespace`, `meshWideMtls` (the mode of the root namespace's
# namespace-wide PeerAuthentication that is not UNSET, or null), `meshWidePolicy` (its name).
MESH_VIEW = register(
    InventoryView(
        name="mesh",
        kinds=PRESENCE_KINDS,
        fields=frozenset({"present", "evidence", "rootNamespace", "meshWideMtls", "meshWidePolicy"}),
        build=mesh_targets,
    )
)
# `istio`: one target per PeerAuthentication, DestinationRule, AuthorizationPolicy and Gateway.
# Document: the object (`apiVersion`, `kind`, `metadata`, `spec`), `scope` (PeerAuthentication:
# mesh, namespace, workload, ignored), `workloads` and `appliesTo` (the workloads whose mode it
# decides, as `Kind/name`), `inMeshHost` (DestinationRule), `missingCredentials` (Gateway:
# credentialNames no Secret of the input provides; findings point at each credentialName; a
# --namespace cluster scan that does not find one leaves it unread, so the Gateway is not evaluated).
ISTIO_VIEW = register(
    InventoryView(
        name="istio",
        kinds=PRESENCE_KINDS | {"Service"},
        fields=_OBJECT_FIELDS | {"scope", "workloads", "appliesTo", "inMeshHost", "missingCredentials"},
        build=istio_targets,
        field_kinds={"missingCredentials": frozenset({"Secret"})},
        kind_fields={"Secret": IDENTITY},  # names only: a Secret's values are never kept
    )
)
# `meshservice`: one target per Service port. Document: `apiVersion`, `kind`, `metadata`,
# `namespace`, `port` (as written), `portLabel` (its name, else its number), `transport` (TCP,
# UDP, SCTP), `protocol` (Istio's, from appProtocol or the name; null: none), `grpc`,
# `meshPresent`, `inMesh` (the Service's namespace or one of its selected workloads is enrolled).
MESHSERVICE_VIEW = register(
    InventoryView(
        name="meshservice",
        kinds=PRESENCE_KINDS | {"Service"},
        fields=frozenset(
            {"apiVersion", "kind", "metadata", "namespace", "port", "portLabel", "transport", "protocol", "grpc",
             "meshPresent", "inMesh"}
        ),
        build=meshservice_targets,
    )
)  # fmt: skip
# `meshworkload`: one target per workload (not those owned by another listed workload).
# Document: `apiVersion`, `kind`, `metadata`, `podMetadata`, `namespace`, `meshPresent`,
# `enrolment` (sidecar, ambient, opted-out, none, unknown).
MESHWORKLOAD_VIEW = register(
    InventoryView(
        name="meshworkload",
        kinds=PRESENCE_KINDS,
        fields=frozenset({"apiVersion", "kind", "metadata", "podMetadata", "namespace", "meshPresent", "enrolment"}),
        build=meshworkload_targets,
    )
)
# The namespace view's `mesh` fact set (see namespace_mesh_facts) reads these kinds.
NAMESPACE_MESH_KINDS = PRESENCE_KINDS
