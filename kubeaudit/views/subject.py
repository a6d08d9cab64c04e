"""The `subject` view: who can do what once every RBAC binding is added up.

It presents the RBAC semantics of kubeaudit.semantics.rbac (matching, aggregation,
capabilities) as one document per (subject, binding).

One target per subject of a RoleBinding or ClusterRoleBinding: each User, Group
and ServiceAccount a binding names is one target *per binding that names it*,
so a finding is one (subject, grant) pair and points at the subject's entry in
the binding that grants the permission (`subjects[i]`); findings about the
role reference point at `roleRef.name`. The target's resource is the binding.

The document (see README "Views"):

- `subject`: `kind`, `name`, `namespace` (service accounts), `id` (`User/alice`,
  `Group/system:masters`, `ServiceAccount/shop/ci`; what the rules' `expected_subjects`
  parameter lists), `ref` (`shop/ci` or the name), `writtenAs` (the kind as written: a
  User named `system:serviceaccount:<ns>:<name>` *is* that ServiceAccount and is shown as one),
  and flags: `defaultServiceAccount` (a ServiceAccount named `default`), `system` (a User
  or Group in the reserved `system:` name space, or a ServiceAccount of kube-system),
  `anonymous` (User `system:anonymous` or Group `system:unauthenticated`), `allAuthenticated`
  (Group `system:authenticated`), `allServiceAccounts` (Group `system:serviceaccounts` or
  `system:serviceaccounts:<ns>`). Group bindings are judged on the group: they are not
  folded into the permissions of each member.
- `binding`: the binding as written; `role`: `kind`, `name`, `apiGroup`, `found` (false: the
  binding refers to a role that does not exist), `builtin` (not in the input: a ClusterRole every
  cluster has, see rules/data/default-cluster-roles.yaml), `rulesKnown`, `aggregated`, `aggregatedFrom`.
- `clusterWide` (a ClusterRoleBinding), `namespace` (a RoleBinding's namespace, else null),
  `scope` (`cluster-wide` or `in namespace <ns>`, for messages).
- `rules`: the policy rules this grant gives (aggregated ClusterRoles resolved), each with
  `grantedBy` (`ClusterRole system:aggregate-to-edit rules[2]`).
- `can`: capability flags of this grant (see CAPABILITIES); `named`: capabilities granted only
  for objects named by `resourceNames` (capability -> names); `via`: the role rule behind each
  capability; `beyondDiscovery`: the grant allows more than reading discovery and health URLs
  (and the `cluster-info` ConfigMap kubeadm publishes in kube-public). `bindRoles` limited to
  names counts when a name is a ClusterRole with every verb on every resource (cluster-admin).
- `effective`: the subject's permissions over all its bindings: `clusterWide` and
  `namespaces.<ns>` (cluster-wide grants included), each with `can`, and `grants`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from kubeaudit.inventory import Inventory
from kubeaudit.model import Path
from kubeaudit.semantics.rbac import (
    CAPABILITIES,
    CAPABILITY_NAMES,
    Grant,
    Subject,
    beyond_discovery,
    collect_grants,
    context_of,
)
from kubeaudit.views.base import Target
from kubeaudit.views.registry import InventoryView, register


def _merge(grants: list[Grant]) -> dict[str, Any]:
    can = {name: any(g.caps.can.get(name, False) for g in grants) for name in CAPABILITIES}
    return {"can": can, "grants": [g.label for g in grants]}


def _effective(grants: list[Grant]) -> dict[str, Any]:
    cluster = [g for g in grants if g.namespace is None]
    by_namespace: dict[str, list[Grant]] = defaultdict(list)
    for grant in grants:
        if grant.namespace is not None:
            by_namespace[grant.namespace].append(grant)
    effective = {
        "clusterWide": _merge(cluster),
        "namespaces": {ns: _merge(cluster + own) for ns, own in sorted(by_namespace.items())},
    }
    signers = effective["clusterWide"]["can"]["approveSigners"]
    for scope in (effective["clusterWide"], *effective["namespaces"].values()):
        scope["can"]["approveCertificates"] = signers and scope["can"]["updateCertificateApproval"]
    return effective


def subject_targets(inventory: Inventory) -> Iterator[Target]:
    """One target per binding subject, each made as it is asked for (the pipeline judges one at a time)."""
    grants = collect_grants(inventory)
    by_subject: dict[tuple[str, Subject], list[Grant]] = defaultdict(list)
    for grant in grants:
        by_subject[(context_of(grant.binding), grant.subject)].append(grant)
    effective = {key: _effective(own) for key, own in by_subject.items()}
    for grant in grants:
        subject_effective = effective[(context_of(grant.binding), grant.subject)]
        can = dict(grant.caps.can)
        can["approveCertificates"] = can["updateCertificateApproval"] and bool(
            subject_effective["clusterWide"]["can"]["approveSigners"]
        )
        via = dict(grant.caps.via)
        if can["approveCertificates"]:
            via["approveCertificates"] = via.get("updateCertificateApproval", "")
        doc: dict[str, Any] = {
            "subject": grant.subject.as_doc(),
            "binding": grant.binding.data,
            "role": grant.role.as_doc(),
            "clusterWide": grant.namespace is None,
            "namespace": grant.namespace,
            "scope": "cluster-wide" if grant.namespace is None else f"in namespace {grant.namespace}",
            "rules": [rule.as_doc() for rule in grant.role.rules],
            "can": can,
            "named": grant.caps.named,
            "via": via,
            "beyondDiscovery": beyond_discovery(grant.role.rules, grant.namespace),
            "effective": subject_effective,
        }
        yield Target("subject", grant.binding, doc, _prefixes(grant.index))


def _prefixes(index: int) -> dict[Path, Path]:
    """Where each part of a subject document is written in the binding."""
    subject: Path = ("subjects", index)
    prefixes: dict[Path, Path] = {
        ("binding",): (),
        ("subject",): subject,
        ("role",): ("roleRef",),
        ("role", "found"): ("roleRef", "name"),
        ("role", "builtin"): ("roleRef", "name"),
        ("role", "rulesKnown"): ("roleRef", "name"),
        ("role", "aggregated"): ("roleRef", "name"),
        ("role", "aggregatedFrom"): ("roleRef", "name"),
        ("rules",): ("roleRef",),
        ("clusterWide",): subject,
        ("namespace",): subject,
        ("scope",): subject,
        ("beyondDiscovery",): subject,
        ("effective",): subject,
        ("via",): subject,
    }
    for name in ("kind", "name", "namespace"):
        prefixes[("subject", name)] = (*subject, name)
    for name in ("id", "ref", "writtenAs", "defaultServiceAccount", "system", "anonymous", "allAuthenticated",
                 "allServiceAccounts"):  # fmt: skip
        prefixes[("subject", name)] = subject
    for name in CAPABILITY_NAMES:
        prefixes[("can", name)] = subject
        prefixes[("named", name)] = subject
    return prefixes


SUBJECT_VIEW = register(
    InventoryView(
        name="subject",
        kinds=frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}),
        fields=frozenset(
            {
                "subject", "binding", "role", "clusterWide", "namespace", "scope", "rules", "can", "named",
                "via", "beyondDiscovery", "effective",
            }
        ),
        build=subject_targets,
    )
)  # fmt: skip
