"""The `pod` and `container` views: the pod spec of any workload, normalised.

Rules about pods should not need to know that a CronJob keeps its pod spec five
levels deep. These views give every workload the same document shape, and map
each path back into the original object so findings point at the real line.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from kubeaudit.condition import violations
from kubeaudit.model import Path, Resource, describe_type, format_path
from kubeaudit.semantics.fieldtree import FieldTree, trimmed
from kubeaudit.semantics.resources import compute_doc, container_resources, qos_class, requests_above_limits
from kubeaudit.semantics.workloads import POD_SPEC_LOCATIONS, WORKLOAD_KINDS, get_path
from kubeaudit.views.base import ShapeError, Target
from kubeaudit.views.images import image_doc
from kubeaudit.views.registry import ResourceView, Shared, kept_pod_fields, register
from kubeaudit.views.shapes import check_metadata_shape, check_pod_spec_shape

CONTAINER_LISTS = (
    ("containers", "container"),
    ("initContainers", "initContainer"),
    ("ephemeralContainers", "ephemeralContainer"),
)
# Fields a container's securityContext may set to override the pod-level value.
# The seccomp alpha annotations, which Pod Security policies before v1.19 read instead of the fields.
SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"
INHERITED_SECURITY_FIELDS = (
    "runAsUser",
    "runAsGroup",
    "runAsNonRoot",
    "seccompProfile",
    "appArmorProfile",
    "seLinuxOptions",
    "windowsOptions",
)


def pod_spec_of(resource: Resource) -> Any:
    """The pod spec of a workload as written (None where it has none)."""
    return get_path(resource.data, POD_SPEC_LOCATIONS[resource.kind][0])


class PodContext:
    """Everything the pod and container views of one workload share."""

    __slots__ = ("meta", "meta_prefix", "os", "pod_prefix", "policy", "resource", "spec")

    def __init__(self, resource: Resource, policy: int | None = None) -> None:
        spec_path, meta_path = POD_SPEC_LOCATIONS[resource.kind]
        spec = get_path(resource.data, spec_path)
        if not isinstance(spec, dict):
            found = "missing" if spec is None else "not a mapping"
            raise ShapeError(spec_path, f"{resource.kind} has no pod spec: {format_path(spec_path)} is {found}")
        check_shape(check_pod_spec_shape, spec, spec_path)
        meta = get_path(resource.data, meta_path)
        meta = meta if isinstance(meta, dict) else {}
        check_shape(check_metadata_shape, meta, meta_path)
        self.resource = resource
        self.spec: dict[str, Any] = spec
        self.pod_prefix = spec_path
        self.meta: dict[str, Any] = meta
        self.meta_prefix = meta_path
        os_field = spec.get("os")
        self.os: str | None = os_field.get("name") if isinstance(os_field, dict) else None
        self.policy = policy  # the Pod Security policy version (minor) the pod is judged at

    def base_doc(self) -> dict[str, Any]:
        data = self.resource.data
        return {
            "apiVersion": data.get("apiVersion"),
            "kind": data.get("kind"),
            "metadata": data.get("metadata") or {},
            "podMetadata": self.meta,
            "os": self.os,
            "pss": {"version": f"v1.{self.policy}", "minor": self.policy} if self.policy is not None else {},
        }

    def containers(self) -> list[tuple[str, str, int, dict[str, Any]]]:
        """(list field, container type, index, container) for every container of the pod."""
        found = []
        for field, ctype in CONTAINER_LISTS:
            for index, container in enumerate(self.spec.get(field) or ()):
                found.append((field, ctype, index, container))
        return found


def pod_context(resource: Resource, shared: Shared) -> PodContext:
    """The workload's PodContext, made once for both the pod and the container view."""
    ctx = shared.get("pod")
    if not isinstance(ctx, PodContext):
        policy = shared.get("policy")
        ctx = shared["pod"] = PodContext(resource, policy if isinstance(policy, int) else None)
    return ctx


def check_shape(check: Any, value: Any, prefix: Path) -> None:
    if check(value, (), None):  # the common case, without collecting where each check passed
        return
    problems = violations(check, value)
    if problems:
        first = problems[0]
        path = prefix + first.path
        value = first.value
        # A number out of range is shown as written (its type is right; its value is not).
        found = str(value) if isinstance(value, int | float) and not isinstance(value, bool) else describe_type(value)
        raise ShapeError(path, f"{format_path(path)} {first.reason}, found {found}")


def pod_targets(resource: Resource, ctx: PodContext) -> list[Target]:
    doc = ctx.base_doc()
    doc["spec"] = ctx.spec
    prefixes: dict[Path, Path] = {("spec",): ctx.pod_prefix, ("podMetadata",): ctx.meta_prefix}
    everything = []
    for position, (field, _ctype, index, container) in enumerate(ctx.containers()):
        everything.append(container)
        prefixes[("allContainers", position)] = (*ctx.pod_prefix, field, index)
    doc["allContainers"] = everything
    doc["seccompAnnotations"] = seccomp_annotations(ctx, prefixes)
    doc["qosClass"] = qos_class(ctx.spec)
    return [Target("pod", resource, doc, prefixes, policy=ctx.policy)]


def seccomp_annotations(ctx: PodContext, prefixes: dict[Path, Path]) -> dict[str, Any]:
    """The seccomp alpha annotations as upstream Pod Security Admission reads them: the pod's, and
    a container's only where a container of that name exists (an annotation naming no container
    is ignored, so it must not fail the pod)."""
    annotations = ctx.meta.get("annotations")
    if not isinstance(annotations, dict):
        return {}
    keys = [SECCOMP_POD_ANNOTATION]
    for _field, _ctype, _index, container in ctx.containers():
        name = container.get("name") if isinstance(container, dict) else None
        if isinstance(name, str):
            keys.append(SECCOMP_CONTAINER_ANNOTATION_PREFIX + name)
    found: dict[str, Any] = {}
    for key in keys:
        if key in annotations and key not in found:
            found[key] = annotations[key]
            prefixes[("seccompAnnotations", key)] = (*ctx.meta_prefix, "annotations", key)
    return found


def container_targets(resource: Resource, ctx: PodContext) -> list[Target]:
    targets = []
    pod_security = ctx.spec.get("securityContext") or {}
    host_path_volumes = {
        v.get("name") for v in ctx.spec.get("volumes") or () if isinstance(v, dict) and v.get("hostPath") is not None
    }
    for field, ctype, index, container in ctx.containers():
        container_path: Path = (*ctx.pod_prefix, field, index)
        doc = ctx.base_doc()
        doc["pod"] = ctx.spec
        doc["container"] = container
        doc["containerType"] = ctype
        prefixes: dict[Path, Path] = {
            ("pod",): ctx.pod_prefix,
            ("podMetadata",): ctx.meta_prefix,
            ("container",): container_path,
        }
        own_security = container.get("securityContext") or {}
        effective = dict(own_security)
        for name in INHERITED_SECURITY_FIELDS:
            source: Path = (*container_path, "securityContext", name)
            if own_security.get(name) is None and pod_security.get(name) is not None:
                effective[name] = pod_security[name]
                source = (*ctx.pod_prefix, "securityContext", name)
            prefixes[("effectiveSecurityContext", name)] = source
        prefixes[("effectiveSecurityContext",)] = (*container_path, "securityContext")
        doc["effectiveSecurityContext"] = effective
        mounts: list[dict[str, Any]] = []
        for mount_index, mount in enumerate(container.get("volumeMounts") or ()):
            if mount.get("name") in host_path_volumes:
                prefixes[("hostPathMounts", len(mounts))] = (*container_path, "volumeMounts", mount_index)
                mounts.append(mount)
        doc["hostPathMounts"] = mounts
        doc["image"] = image_doc(container, container_path, prefixes)
        compute = container_resources(container)  # parsed once for both documents
        over = requests_above_limits(container, compute)
        doc["requestsAboveLimits"] = over
        for position, name in enumerate(over):
            prefixes[("requestsAboveLimits", position)] = (*container_path, "resources", "requests", name)
        doc["compute"] = compute_doc(container, compute)
        for what in ("requests", "limits"):
            for name in ("cpu", "memory"):
                prefixes[("compute", what, name)] = (*container_path, "resources", what, name)
        container_name = container.get("name")
        targets.append(
            Target(
                "container",
                resource,
                doc,
                prefixes,
                container_name if isinstance(container_name, str) else None,
                policy=ctx.policy,
            )
        )
    return targets


POD_VIEW = register(
    ResourceView(
        name="pod",
        kinds=WORKLOAD_KINDS,
        fields=frozenset(
            {
                "apiVersion",
                "kind",
                "metadata",
                "podMetadata",
                "os",
                "pss",
                "spec",
                "allContainers",
                "seccompAnnotations",
                "qosClass",
            }
        ),
        build=lambda resource, shared: pod_targets(resource, pod_context(resource, shared)),
    )
)
CONTAINER_VIEW = register(
    ResourceView(
        name="container",
        kinds=WORKLOAD_KINDS,
        fields=frozenset(
            {
                "apiVersion", "kind", "metadata", "podMetadata", "os", "pss", "pod", "container", "containerType",
                "effectiveSecurityContext", "hostPathMounts", "image", "requestsAboveLimits", "compute",
            }
        ),
        build=lambda resource, shared: container_targets(resource, pod_context(resource, shared)),
    )
)  # fmt: skip


def is_apiserver_pod(resource: Resource) -> bool:
    """The kube-apiserver's static pod (kubeadm and most installers label it component=kube-apiserver)."""
    labels = (resource.data.get("metadata") or {}).get("labels")
    return resource.kind == "Pod" and isinstance(labels, dict) and labels.get("component") == "kube-apiserver"


def slim_resource(resource: Resource, pod_fields: FieldTree | None = None) -> Resource:
    """The resource with only what is needed once its own rules have run: its identity,
    its metadata and its pod template's metadata (labels for NetworkPolicy selection,
    annotations for suppressions), and of its pod spec the fields the cross-resource views
    declare (`pod_fields`, by default every registered view's: kept_pod_fields). Findings and
    cross-resource views keep this instead of the whole object, so memory grows with findings,
    not with the size of manifests."""
    data = resource.data
    slim: dict[str, Any] = {key: data[key] for key in ("apiVersion", "kind", "metadata") if key in data}
    locations = POD_SPEC_LOCATIONS.get(resource.kind)
    if locations is not None and locations[1] != ("metadata",):
        meta_path = locations[1]
        meta = get_path(data, meta_path)
        if isinstance(meta, dict):
            node = slim
            for part in meta_path[:-1]:
                node = node.setdefault(str(part), {})
            node[str(meta_path[-1])] = meta
    if locations is not None:
        _keep_pod_fields(data, slim, locations[0], kept_pod_fields() if pod_fields is None else pod_fields)
    return replace(resource, data=slim)


def _keep_pod_fields(data: dict[str, Any], slim: dict[str, Any], spec_path: Path, pod_fields: FieldTree) -> None:
    """The pod spec fields the cross-resource views read later (`pod_fields`), into `slim`."""
    spec = get_path(data, spec_path)
    if not isinstance(spec, dict):
        return
    kept = trimmed(spec, pod_fields)
    node = slim
    for part in spec_path[:-1]:
        existing = node.get(str(part))
        node = node.setdefault(str(part), {}) if existing is None or isinstance(existing, dict) else {}
    target = node.setdefault(str(spec_path[-1]), {})
    if isinstance(target, dict):
        target.update(kept)
