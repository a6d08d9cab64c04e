"""Property-based tests: Kubernetes-shaped objects, with valid and wrongly typed values at the fields
the rules and views read, never make the scanner raise, and every finding points into its object.

The objects go through the real pipeline: written as YAML, read by the manifest source, judged by
every built-in rule (those off by default included). Kinds come from the view registry, so a new
rule family's kinds are generated too (with junk specs) as soon as its view is registered.

The default run is short, for CI; KUBEAUDIT_HYPOTHESIS_EXAMPLES=2000 (for example) runs longer.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kubeaudit.engine.loader import load_rules
from kubeaudit.model import Path as DocPath
from kubeaudit.safetext import printable
from kubeaudit.scan import run_scan
from kubeaudit.sources.manifests import ManifestSource
from kubeaudit.views.registry import VIEWS

EXAMPLES = int(os.environ.get("KUBEAUDIT_HYPOTHESIS_EXAMPLES", "60"))
RULES = load_rules()

scalar = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["", "*", "0", "true", "RuntimeDefault", "Localhost", "ALL", "NET_RAW", "SYS_ADMIN"]),
)
junk = st.recursive(
    scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


def maybe(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly the valid shape, sometimes any value at all (a wrong type, null)."""
    return st.one_of(valid, valid, valid, junk)


def fields(**spec: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A mapping with any subset of these fields, each valid or not; sometimes not a mapping."""
    return maybe(st.fixed_dictionaries({}, optional=spec))


names = st.sampled_from(["a", "b", "app", "web", "default", "kube-system", "system:masters", "*"])
labels = maybe(
    st.dictionaries(st.sampled_from(["app", "tier", "pod-security.kubernetes.io/enforce"]), names, max_size=3)
)
flag = maybe(st.booleans())
strings = maybe(names)
capabilities = fields(add=maybe(st.lists(strings, max_size=3)), drop=maybe(st.lists(strings, max_size=3)))
seccomp = fields(type=maybe(st.sampled_from(["RuntimeDefault", "Localhost", "Unconfined"])), localhostProfile=strings)
security_context = fields(
    privileged=flag,
    allowPrivilegeEscalation=flag,
    readOnlyRootFilesystem=flag,
    runAsNonRoot=flag,
    runAsUser=maybe(st.integers(min_value=-1, max_value=70000)),
    runAsGroup=maybe(st.integers(min_value=-1, max_value=70000)),
    procMount=maybe(st.sampled_from(["Default", "Unmasked"])),
    capabilities=capabilities,
    seccompProfile=seccomp,
    appArmorProfile=fields(type=strings, localhostProfile=strings),
    seLinuxOptions=fields(type=strings, user=strings, role=strings),
    windowsOptions=fields(hostProcess=flag),
    sysctls=maybe(st.lists(fields(name=strings, value=strings), max_size=2)),
)
probe = fields(httpGet=fields(host=strings, port=maybe(st.integers(0, 70000))), tcpSocket=fields(host=strings))
container = fields(
    name=strings,
    image=maybe(st.sampled_from(["nginx", "nginx:latest", "registry.example/app@sha256:" + "a" * 64, "a/b:c", ":"])),
    imagePullPolicy=strings,
    securityContext=security_context,
    ports=maybe(
        st.lists(fields(hostPort=maybe(st.integers(0, 70000)), containerPort=maybe(st.integers())), max_size=2)
    ),
    env=maybe(st.lists(fields(name=maybe(st.sampled_from(["PASSWORD", "API_TOKEN", "X"])), value=strings), max_size=2)),
    resources=fields(limits=maybe(st.dictionaries(names, strings)), requests=maybe(st.dictionaries(names, strings))),
    livenessProbe=probe,
    readinessProbe=probe,
    lifecycle=fields(postStart=probe, preStop=probe),
    volumeMounts=maybe(st.lists(fields(name=strings, readOnly=flag, mountPath=strings), max_size=2)),
)
pod_spec = fields(
    hostNetwork=flag,
    hostPID=flag,
    hostIPC=flag,
    automountServiceAccountToken=flag,
    serviceAccountName=strings,
    securityContext=security_context,
    containers=maybe(st.lists(container, max_size=2)),
    initContainers=maybe(st.lists(container, max_size=1)),
    ephemeralContainers=maybe(st.lists(container, max_size=1)),
    volumes=maybe(
        st.lists(fields(name=strings, hostPath=fields(path=strings, type=strings), emptyDir=junk), max_size=2)
    ),
)
metadata = fields(
    namespace=maybe(st.sampled_from(["default", "shop", "kube-system"])),
    labels=labels,
    annotations=maybe(st.dictionaries(st.sampled_from(["kubeaudit.io/ignore", "note"]), names, max_size=2)),
)
selector = fields(
    matchLabels=labels,
    matchExpressions=maybe(
        st.lists(fields(key=strings, operator=strings, values=maybe(st.lists(strings))), max_size=2)
    ),
)
peer = fields(podSelector=selector, namespaceSelector=selector, ipBlock=fields(cidr=strings, **{"except": junk}))
rule_entry = fields(
    apiGroups=maybe(st.lists(strings, max_size=2)),
    resources=maybe(st.lists(maybe(st.sampled_from(["pods", "secrets", "*", "pods/exec", "nodes/proxy"])), max_size=3)),
    verbs=maybe(st.lists(maybe(st.sampled_from(["get", "list", "create", "*", "impersonate", "bind"])), max_size=3)),
    resourceNames=maybe(st.lists(strings, max_size=1)),
    nonResourceURLs=maybe(st.lists(strings, max_size=1)),
)
subject = fields(kind=maybe(st.sampled_from(["User", "Group", "ServiceAccount"])), name=strings, namespace=strings)


def obj(api_version: str, kind: str, **body: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {"apiVersion": st.just(api_version), "kind": st.just(kind), "metadata": metadata}, optional=body
    )


template = fields(metadata=metadata, spec=pod_spec)
KNOWN = [
    obj("v1", "Pod", spec=pod_spec),
    obj("apps/v1", "Deployment", spec=fields(selector=selector, template=template)),
    obj("apps/v1", "DaemonSet", spec=fields(template=template)),
    obj("batch/v1", "CronJob", spec=fields(jobTemplate=fields(spec=fields(template=template)))),
    obj("v1", "Namespace"),
    obj(
        "networking.k8s.io/v1",
        "NetworkPolicy",
        spec=fields(
            podSelector=selector,
            policyTypes=maybe(st.lists(maybe(st.sampled_from(["Ingress", "Egress"])), max_size=2)),
            ingress=maybe(st.lists(fields(**{"from": maybe(st.lists(peer, max_size=2))}), max_size=2)),
            egress=maybe(st.lists(fields(to=maybe(st.lists(peer, max_size=2))), max_size=2)),
        ),
    ),
    obj("rbac.authorization.k8s.io/v1", "ClusterRole", rules=maybe(st.lists(rule_entry, max_size=2))),
    obj("rbac.authorization.k8s.io/v1", "Role", rules=maybe(st.lists(rule_entry, max_size=2))),
    obj(
        "rbac.authorization.k8s.io/v1",
        "ClusterRoleBinding",
        subjects=maybe(st.lists(subject, max_size=2)),
        roleRef=fields(kind=maybe(st.sampled_from(["ClusterRole", "Role"])), name=strings, apiGroup=strings),
    ),
    obj(
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        subjects=maybe(st.lists(subject, max_size=2)),
        roleRef=fields(kind=maybe(st.sampled_from(["ClusterRole", "Role"])), name=strings, apiGroup=strings),
    ),
    obj("v1", "ServiceAccount", automountServiceAccountToken=flag),
]
# Every other kind a registered view reads (mesh, kubelet configuration, new families): junk specs.
VIEW_KINDS = sorted({kind for view in VIEWS.values() for kind in getattr(view, "all_kinds", None) or ()})
OTHERS = [obj("example.io/v1", kind, spec=junk, rules=junk, data=junk) for kind in VIEW_KINDS]
resources = st.lists(st.one_of(*KNOWN, *OTHERS), min_size=1, max_size=6)


class PartlyRead(ManifestSource):
    def __init__(self, paths: list[str], unavailable: dict[str, str]) -> None:
        super().__init__(paths)
        self.unavailable = unavailable

    def unavailable_kinds(self) -> dict[str, str]:
        return self.unavailable


def present(data: Any, path: DocPath) -> bool:
    for part in path:
        if (isinstance(data, dict) and part in data) or (
            isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        ):
            data = data[part]
        else:
            return False
    return True


def nearest_present(data: Any, path: DocPath) -> int:
    """How many steps of path exist in data."""
    for depth in range(len(path), -1, -1):
        if present(data, path[:depth]):
            return depth
    return 0


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=EXAMPLES <= 60,  # CI runs the same examples every time; long runs explore
)
@given(resources, st.sets(st.sampled_from(["NetworkPolicy", "Namespace", "ClusterRole", "RoleBinding", "Pod"])))
def test_generated_objects_never_crash_the_scan_and_findings_point_into_them(
    objects: list[dict[str, Any]], unread: set[str]
) -> None:
    for index, item in enumerate(objects):
        if isinstance(item.get("metadata"), dict):
            item["metadata"]["name"] = f"r{index}"  # identity for the check below; wrong types are tried elsewhere
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "generated.yaml"
        path.write_text(yaml.safe_dump_all(objects, sort_keys=False))
        # As if these kinds could not be read (a cluster's 403): rules needing them must not assert.
        result = run_scan([PartlyRead([str(path)], {kind: "forbidden (403)" for kind in unread})], RULES)
    for error in result.errors:  # wrong types are reported, naming the file, as one line in the console
        assert error.source == "generated.yaml" or error.source.endswith("/generated.yaml"), error
        assert "\n" not in printable(str(error))
    for finding in result.findings:
        origin = finding.resource.origin
        document = objects[origin.document or 0]
        assert present(document, origin.base_path)
        data = document
        for part in origin.base_path:
            data = data[part]
        depth = nearest_present(data, finding.path)
        # The path is the offending field, or a field missing under one that exists: never a
        # path through a value that is not there.
        assert depth >= len(finding.path) - 1 or _missing_under_inherited(finding.path, data), (
            finding.rule_id,
            finding.path,
        )
    # Never assert from data not read: a rule listed as not evaluated made no finding there.
    for rule_id, refs in result.not_evaluated_targets.items():
        assert not [f for f in result.findings if f.rule_id == rule_id and f.resource.ref in refs]


def _missing_under_inherited(path: DocPath, data: Any) -> bool:
    """Container rules that read an inherited setting (effectiveSecurityContext) point at the
    container's own field even when its securityContext is not set: two steps under what exists."""
    depth = nearest_present(data, path)
    return "securityContext" in path[depth:] and len(path) - depth <= 2
