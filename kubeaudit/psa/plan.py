"""The Pod Security Admission plan: per namespace, what it enforces now, which workloads each
level would reject (and with which controls), and the strictest level it can enforce today.

Built from one scan with every Pod Security Standards rule, each pod judged at its
namespace's policy version (kubeaudit.engine.namespace_policy). Admission enforces on Pods
only: a controller whose pod template is rejected keeps its running pods, but every new pod
(a rollout, a scale-up, a replacement after a node is lost) is refused, and the controller
keeps retrying, so its rollout stalls. A bare Pod keeps running and cannot be created again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from kubeaudit.engine.namespace_policy import LEVELS, NamespaceLabels, NamespacePolicies, WorkloadSummary
from kubeaudit.model import Finding, ScanResult
from kubeaudit.psa.admission import AdmissionConfig

# The user a controller creates pods as: its own service account when kube-controller-manager
# runs with --use-service-account-credentials (the kubeadm default), else the manager itself.
CONTROLLER_MANAGER = "system:kube-controller-manager"
POD_CREATOR = {
    "Deployment": "replicaset-controller",  # through its ReplicaSets
    "ReplicaSet": "replicaset-controller",
    "StatefulSet": "statefulset-controller",
    "DaemonSet": "daemon-set-controller",
    "Job": "job-controller",
    "CronJob": "job-controller",  # through its Jobs
    "ReplicationController": "replication-controller",
}
CONTROLLERS = frozenset(POD_CREATOR)


def controller_user(kind: str) -> str | None:
    sa = POD_CREATOR.get(kind)
    return f"system:serviceaccount:kube-system:{sa}" if sa else None


@dataclass(frozen=True, slots=True)
class Rejection:
    kind: str
    name: str
    controls: tuple[str, ...]  # rule ids

    @property
    def stalls(self) -> bool:
        """Whether it stops a controller's new pods (its rollout stalls)."""
        return self.kind in CONTROLLERS

    @property
    def effect(self) -> str:
        if self.kind in CONTROLLERS:
            return f"new pods rejected: the {self.kind} keeps retrying and its rollout stalls; running pods stay"
        if self.kind == "Pod":
            return "the running Pod stays, but it cannot be created again"
        return "a template only: pods made from it are rejected"


@dataclass(slots=True)
class NamespacePlan:
    context: str | None
    namespace: str
    labels: NamespaceLabels | None  # None: no Namespace object was read
    level: str  # the level enforced now
    level_source: str
    version: str  # the policy version its pods were judged at (v1.N)
    version_source: str
    exempt: str | None = None  # why the whole namespace is exempt
    workloads: int = 0
    exempt_workloads: list[tuple[str, str, str]] = field(default_factory=list)  # kind, name, why
    rejected: dict[str, list[Rejection]] = field(default_factory=dict)  # level -> rejections
    strictest: str | None = None  # None when exempt

    @property
    def command(self) -> str | None:
        if self.strictest is None:
            return None
        return (
            f"kubectl label --overwrite namespace {self.namespace} "
            f"pod-security.kubernetes.io/enforce={self.strictest} "
            f"pod-security.kubernetes.io/enforce-version={self.version}"
        )

    @property
    def stalled_now(self) -> list[Rejection]:
        """Controllers the level enforced today already refuses new pods of."""
        if self.exempt or self.level == "privileged":
            return []
        return [r for r in self.rejected.get(self.level, []) if r.stalls]


@dataclass(slots=True)
class Plan:
    inputs: list[str]
    complete: bool
    namespaces: list[NamespacePlan]
    admission: AdmissionConfig
    problems: list[str] = field(default_factory=list)  # what could not be read


def _current(
    labels: NamespaceLabels | None, admission: AdmissionConfig, policies: NamespacePolicies, key: tuple[str | None, str]
) -> tuple[str, str, str, str]:
    """(level, where it comes from, version, where it comes from)."""
    level = labels.level("enforce") if labels is not None else None
    if level is None:
        source = "admission configuration default" if admission.source else "default (no enforce label)"
        level = admission.default_level("enforce")
    elif level not in LEVELS:
        level, source = "restricted", f"label {level!r} is not a level: Pod Security Admission enforces restricted"
    else:
        source = "label"
    if labels is None:
        source += "; the Namespace object was not in the input"
    pinned = labels.version("enforce") if labels is not None else None
    minor = policies.version_of(*key)
    wanted = pinned
    if pinned is None:
        wanted = admission.default_version("enforce")
        vsource = (
            f"no enforce-version label: the admission configuration's {wanted}"
            if admission.source
            else ("no enforce-version label: latest")
        )
    else:
        vsource = f"label {pinned}"
    if wanted == "latest" and key[0] is not None and key[0] in policies.server:
        vsource += ", the API server's version"
    return level, source, f"v1.{minor}", vsource


def _exempt_workload(workload: WorkloadSummary, admission: AdmissionConfig) -> str | None:
    exemptions = admission.exemptions
    if workload.runtime_class is not None and workload.runtime_class in exemptions.runtime_classes:
        return f"runtimeClass {workload.runtime_class} is exempt"
    user = controller_user(workload.kind)
    if user is not None and user in exemptions.usernames:
        return f"its pods are created by {user}, an exempt user"
    if user is not None and CONTROLLER_MANAGER in exemptions.usernames:
        return f"its pods are created by {CONTROLLER_MANAGER}, an exempt user"
    return None


def _controls(findings: list[Finding], level: str, supersedes: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    ids = {f.rule.id for f in findings if f.rule.profile == "baseline" or (level == "restricted" and f.rule.profile)}
    if level == "restricted":  # one control once: the restricted rule that replaces a baseline one
        ids -= {old for rule_id in ids for old in supersedes.get(rule_id, ())}
    return tuple(sorted(ids))


def build_plan(result: ScanResult, admission: AdmissionConfig, supersedes: dict[str, tuple[str, ...]]) -> Plan:
    policies = result.namespace_policies
    assert isinstance(policies, NamespacePolicies), "run the scan with ScanOptions(psa_plan=True)"
    by_workload: dict[tuple[str | None, str, str, str], list[Finding]] = defaultdict(list)
    for finding in result.findings:  # a kubeaudit suppression does not sway admission
        if finding.rule.profile in ("baseline", "restricted"):
            r = finding.resource
            by_workload[(r.origin.context, policies.namespace_of(r), r.kind, r.name)].append(finding)
    keys = sorted(set(policies.workloads) | set(policies.labels), key=lambda k: (k[0] or "", k[1]))
    plans = []
    for key in keys:
        context, namespace = key
        labels = policies.labels.get(key)
        level, source, version, vsource = _current(labels, admission, policies, key)
        plan = NamespacePlan(context, namespace, labels, level, source, version, vsource)
        workloads = policies.workloads.get(key, [])
        plan.workloads = len(workloads)
        if namespace in admission.exemptions.namespaces:
            plan.exempt = f"namespace exempt in {admission.source}"
            plans.append(plan)
            continue
        for wanted in ("baseline", "restricted"):
            plan.rejected[wanted] = []
        for workload in workloads:
            why = _exempt_workload(workload, admission)
            if why is not None:
                plan.exempt_workloads.append((workload.kind, workload.name, why))
                continue
            found = by_workload.get((context, namespace, workload.kind, workload.name), [])
            for wanted in ("baseline", "restricted"):
                controls = _controls(found, wanted, supersedes)
                if controls:
                    plan.rejected[wanted].append(Rejection(workload.kind, workload.name, controls))
        plan.strictest = next(
            (lvl for lvl in ("restricted", "baseline") if not plan.rejected[lvl]),
            "privileged",
        )
        plans.append(plan)
    problems = [f"{e.source}{f':{e.line}' if e.line else ''}: {e.message}" for e in result.errors]
    problems += [f"{g.what}: {g.reason}" + (f" ({g.context})" if g.context else "") for g in result.gaps]
    return Plan(list(result.inputs), result.complete, plans, admission, problems)
