"""The `subject` view: exact RBAC matching, aggregation, scopes, and the bootstrap policy."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path as FsPath
from typing import Any

import pytest
from conftest import FIXTURES

from kubeaudit.engine.loader import load_rules
from kubeaudit.inventory import Inventory
from kubeaudit.model import Origin, Resource
from kubeaudit.scan import run_scan, scan_manifests
from kubeaudit.semantics.rbac import (
    PolicyRule,
    Request,
    RoleIndex,
    beyond_discovery,
    capabilities,
    collect_grants,
    grant_applies,
    is_discovery_url,
    parse_subject,
    rule_allows,
)
from kubeaudit.sources.base import Batch, Source
from kubeaudit.sources.manifests import ManifestFile, parse_file
from kubeaudit.testing import expected_lines
from kubeaudit.views.subject import subject_targets

RBAC = "rbac.authorization.k8s.io"


def rule(**fields: Any) -> PolicyRule:
    parsed = PolicyRule.parse(fields)
    assert parsed is not None
    return parsed


def res(kind: str, name: str, namespace: str | None = None, **data: Any) -> Resource:
    api = "v1" if kind in ("Namespace", "Pod") else f"{RBAC}/v1"
    metadata = {"name": name, **({"namespace": namespace} if namespace else {}), **data.pop("metadata", {})}
    body = {"apiVersion": api, "kind": kind, "metadata": metadata, **data}
    return Resource(api, kind, name, namespace, body, Origin("cluster:test", context="test"))


def inventory(*resources: Resource, **settings: Any) -> Inventory:
    inv = Inventory(frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"}))
    for resource in resources:
        inv.add(resource)
    inv.settings = settings
    return inv


# --- matching, as the API server's evaluation helpers do it -------------------------------------


CORE = {"apiGroups": [""]}
EXEC = Request("create", "", "pods", "exec")


@pytest.mark.parametrize(
    ("written", "request_", "allowed"),
    [
        ({"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}, Request("get", "", "pods"), True),
        ({"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}, Request("list", "", "pods"), False),
        ({"apiGroups": [""], "resources": ["pods"], "verbs": ["*"]}, Request("delete", "", "pods"), True),
        ({"apiGroups": ["apps"], "resources": ["pods"], "verbs": ["get"]}, Request("get", "", "pods"), False),
        ({"apiGroups": ["*"], "resources": ["pods"], "verbs": ["get"]}, Request("get", "metrics.k8s.io", "pods"), True),
        # a resource does not cover its subresources; * and */sub do
        ({**CORE, "resources": ["pods"], "verbs": ["create"]}, EXEC, False),
        ({**CORE, "resources": ["pods/exec"], "verbs": ["create"]}, EXEC, True),
        ({**CORE, "resources": ["*"], "verbs": ["create"]}, EXEC, True),
        ({**CORE, "resources": ["*/exec"], "verbs": ["create"]}, EXEC, True),
        ({"apiGroups": [""], "resources": ["*/exec"], "verbs": ["create"]}, Request("create", "", "pods"), False),
        ({**CORE, "resources": ["pods/*"], "verbs": ["create"]}, EXEC, False),
        ({"apiGroups": [""], "resources": ["*/scale"], "verbs": ["get"]}, Request("get", "", "pods", "exec"), False),
        # resourceNames: only requests naming one of them; * there is a literal name
        ({"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["tls"], "verbs": ["get"]},
         Request("get", "", "secrets", name="tls"), True),
        ({"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["tls"], "verbs": ["get"]},
         Request("get", "", "secrets", name="db"), False),
        ({"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["tls"], "verbs": ["list"]},
         Request("list", "", "secrets"), False),
        ({"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["*"], "verbs": ["get"]},
         Request("get", "", "secrets", name="db"), False),
        # non-resource URLs: exact, *, or a prefix ending in *
        ({"nonResourceURLs": ["/healthz"], "verbs": ["get"]}, Request("get", path="/healthz"), True),
        ({"nonResourceURLs": ["/healthz"], "verbs": ["get"]}, Request("get", path="/healthz/etcd"), False),
        ({"nonResourceURLs": ["/healthz/*"], "verbs": ["get"]}, Request("get", path="/healthz/etcd"), True),
        ({"nonResourceURLs": ["*"], "verbs": ["get"]}, Request("get", path="/metrics"), True),
        ({"nonResourceURLs": ["*"], "verbs": ["get"]}, Request("post", path="/metrics"), False),
        # a resource rule never allows a non-resource request, and the other way round
        ({"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, Request("get", path="/metrics"), False),
        ({"nonResourceURLs": ["*"], "verbs": ["*"]}, Request("get", "", "pods"), False),
    ],
)  # fmt: skip
def test_rule_allows_matches_the_api_server(written: dict[str, Any], request_: Request, allowed: bool) -> None:
    assert rule_allows(rule(**written), request_) is allowed


def test_rolebindings_grant_only_namespaced_resources_in_their_namespace() -> None:
    assert grant_applies(None, Request("get", "", "nodes"))
    assert grant_applies(None, Request("get", path="/metrics"))
    assert grant_applies("shop", Request("get", "", "pods", namespace="shop"))
    assert not grant_applies("shop", Request("get", "", "pods", namespace="other"))
    assert not grant_applies("shop", Request("get", "", "nodes", namespace=""))
    assert not grant_applies("shop", Request("get", path="/metrics"))


def test_capabilities_respect_scope_and_bind_is_checked_in_the_bindings_namespace() -> None:
    rules = [
        rule(apiGroups=[""], resources=["nodes/proxy", "secrets"], verbs=["get"]),
        rule(apiGroups=[RBAC], resources=["clusterroles"], verbs=["bind", "escalate"]),
    ]
    cluster = capabilities(rules, None).can
    namespaced = capabilities(rules, "shop").can
    assert cluster["proxyNodes"] and cluster["readSecrets"] and cluster["bindRoles"] and cluster["escalateRoles"]
    assert not namespaced["proxyNodes"] and not namespaced["escalateRoles"]
    assert namespaced["readSecrets"] and namespaced["bindRoles"]


def test_full_admin_needs_wildcards_for_verbs_groups_and_resources_in_one_rule() -> None:
    split = [rule(apiGroups=["*"], resources=["*"], verbs=["get"]), rule(apiGroups=[""], resources=["*"], verbs=["*"])]
    assert not capabilities(split, None).can["fullAdmin"]
    assert capabilities([rule(apiGroups=["*"], resources=["*"], verbs=["*"])], None).can["fullAdmin"]


def test_names_restrict_some_capabilities_but_not_impersonation() -> None:
    rules = [
        rule(apiGroups=[""], resources=["secrets"], resourceNames=["tls"], verbs=["get"]),
        rule(apiGroups=[""], resources=["users"], resourceNames=["admin"], verbs=["impersonate"]),
        rule(apiGroups=[RBAC], resources=["roles"], resourceNames=["view"], verbs=["bind"]),
    ]
    caps = capabilities(rules, None)
    assert not caps.can["readSecrets"] and caps.named["readSecrets"] == ["tls"]
    assert caps.can["impersonate"]
    assert not caps.can["bindRoles"] and caps.named["bindRoles"] == ["view"]


def test_discovery_urls() -> None:
    assert all(is_discovery_url(u) for u in ("/api", "/apis/*", "/version/", "/healthz", "/readyz/*"))
    assert not any(is_discovery_url(u) for u in ("*", "/metrics", "/logs/*", "/a*", "/debug/pprof"))


# --- aggregation --------------------------------------------------------------------------------


def test_aggregated_cluster_roles_take_the_rules_of_every_selected_role_transitively() -> None:
    inv = inventory(
        res(
            "ClusterRole", "top", aggregationRule={"clusterRoleSelectors": [
                {"matchLabels": {"agg/top": "true"}},
                {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["gold"]}]},
            ]},
            rules=[{"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}],  # replaced by the controller
        ),
        res("ClusterRole", "middle", metadata={"labels": {"agg/top": "true"}},
            aggregationRule={"clusterRoleSelectors": [
                {"matchExpressions": [{"key": "agg/middle", "operator": "Exists"}]}
            ]}),
        res("ClusterRole", "leaf", metadata={"labels": {"agg/middle": ""}},
            rules=[{"apiGroups": [""], "resources": ["pods"], "verbs": ["create"]}]),
        res("ClusterRole", "gold", metadata={"labels": {"tier": "gold"}},
            rules=[{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get"]}]),
        res("ClusterRole", "silver", metadata={"labels": {"tier": "silver", "agg/top": "false"}},
            rules=[{"apiGroups": [""], "resources": ["nodes"], "verbs": ["get"]}]),
    )  # fmt: skip
    roles = RoleIndex(inv, use_defaults=False)
    rules, sources = roles.cluster_role_rules("top")
    assert sources == ["gold", "middle"]
    assert {r.resources for r in rules} == {("pods",), ("configmaps",)}
    assert rules[0].source is not None and rules[0].source.role_name in ("gold", "leaf")


def test_aggregation_cycles_terminate() -> None:
    select = {"clusterRoleSelectors": [{"matchLabels": {"ring": "yes"}}]}
    inv = inventory(
        res("ClusterRole", "a", metadata={"labels": {"ring": "yes"}}, aggregationRule=select),
        res("ClusterRole", "b", metadata={"labels": {"ring": "yes"}}, aggregationRule=select),
    )
    assert RoleIndex(inv, use_defaults=False).cluster_role_rules("a")[0] == []


def test_the_built_in_admin_role_aggregates_edit_and_view() -> None:
    roles = RoleIndex(inventory())
    admin = roles.resolve({"kind": "ClusterRole", "name": "admin"}, None)
    assert admin.found and admin.builtin and admin.aggregated
    caps = capabilities(admin.rules, None)
    assert caps.can["readSecrets"] and caps.can["execPods"] and not caps.can["escalateRoles"]
    view = capabilities(roles.resolve({"kind": "ClusterRole", "name": "view"}, None).rules, None)
    assert not view.can["readSecrets"] and not view.can["createPods"]


def test_a_role_in_the_input_replaces_the_built_in_of_the_same_name() -> None:
    inv = inventory(res("ClusterRole", "view", rules=[{**CORE, "resources": ["secrets"], "verbs": ["list"]}]))
    view = RoleIndex(inv).resolve({"kind": "ClusterRole", "name": "view"}, None)
    assert not view.builtin and capabilities(view.rules, None).can["readSecrets"]


# --- subjects -----------------------------------------------------------------------------------


def test_subjects_are_normalised() -> None:
    sa_user = parse_subject({"kind": "User", "name": "system:serviceaccount:ci:deployer"}, None)
    assert sa_user is not None and sa_user.id == "ServiceAccount/ci/deployer" and sa_user.written_as == "User"
    local = parse_subject({"kind": "ServiceAccount", "name": "app"}, "shop")
    assert local is not None and local.id == "ServiceAccount/shop/app"
    assert parse_subject({"kind": "ServiceAccount", "name": "app"}, None) is None  # a ClusterRoleBinding needs it
    assert parse_subject({"kind": "Robot", "name": "x"}, None) is None
    doc = parse_subject({"kind": "Group", "name": "system:unauthenticated"}, None)
    assert doc is not None and doc.as_doc()["anonymous"] and doc.as_doc()["system"]


def test_one_target_per_subject_and_binding_pointing_at_the_subject() -> None:
    inv = inventory(
        res("ClusterRoleBinding", "ops", roleRef={"kind": "ClusterRole", "name": "edit", "apiGroup": RBAC},
            subjects=[{"kind": "User", "name": "ann"}, {"kind": "Group", "name": "ops"}]),
        res("RoleBinding", "ann-admin", "shop", roleRef={"kind": "ClusterRole", "name": "cluster-admin"},
            subjects=[{"kind": "User", "name": "ann"}]),
    )  # fmt: skip
    targets = {(t.resource.name, t.doc["subject"]["id"]): t for t in subject_targets(inv)}
    assert sorted(targets) == [("ann-admin", "User/ann"), ("ops", "Group/ops"), ("ops", "User/ann")]
    first = targets[("ops", "User/ann")]
    assert first.resource_path(("can", "readSecrets")) == ("subjects", 0)
    assert first.resource_path(("role", "found")) == ("roleRef", "name")
    assert first.doc["scope"] == "cluster-wide" and first.doc["can"]["readSecrets"]
    effective = first.doc["effective"]
    assert not effective["clusterWide"]["can"]["fullAdmin"]
    assert effective["namespaces"]["shop"]["can"]["fullAdmin"] and effective["namespaces"]["shop"]["can"]["readSecrets"]
    admin = targets[("ann-admin", "User/ann")].doc
    assert admin["scope"] == "in namespace shop" and admin["can"]["fullAdmin"] and not admin["can"]["proxyNodes"]


def test_rbac_rules_work_on_cluster_resources_without_source_lines() -> None:
    """A live cluster's resources have no file lines: findings carry no position, nothing crashes."""

    class Cluster(Source):
        def describe(self) -> list[str]:
            return ["cluster:test"]

        def batches(self) -> Any:
            from kubeaudit.sources.base import Batch

            yield Batch(resources=[
                res("ClusterRoleBinding", "ci", roleRef={"kind": "ClusterRole", "name": "cluster-admin"},
                    subjects=[{"kind": "ServiceAccount", "name": "ci", "namespace": "ci"}]),
                res("ClusterRoleBinding", "gone", roleRef={"kind": "ClusterRole", "name": "gone"},
                    subjects=[{"kind": "User", "name": "bob"}]),
            ])  # fmt: skip

    rules = [r for r in load_rules() if r.category in ("rbac", "network")]
    source: Source = Cluster()
    result = run_scan([source], rules)
    assert not result.errors
    assert sorted((f.rule_id, f.line) for f in result.findings) == [
        ("rbac-full-admin", None),
        ("rbac-missing-role", None),
    ]


# --- the bootstrap policy -----------------------------------------------------------------------

BOOTSTRAP = FIXTURES / "clusters" / "bootstrap-rbac.yaml"


def test_bootstrap_rbac_flags_user_bindings_only() -> None:
    """On a real cluster's default RBAC plus user-added bindings, the RBAC rules report exactly
    the marked lines: no system component's own permissions, every risky user-added grant."""
    rules = [r for r in load_rules() if r.category == "rbac"]
    result = scan_manifests([str(BOOTSTRAP)], rules, settings={"strict_inputs": True})  # a whole cluster's RBAC
    assert not result.errors
    text = FsPath(BOOTSTRAP).read_text(encoding="utf-8")
    expected = {(line, r.id) for r in rules for line in expected_lines(text, r.id)}
    found = {(f.line, f.rule_id) for f in result.findings}
    assert found == expected
    user_part = text[: text.index("# ---------------------------------------------------------------- user-added")]
    assert all((line or 0) > user_part.count("\n") for line, _ in found)
    assert {rule_id for _, rule_id in expected} == {r.id for r in rules} - {
        "rbac-read-secrets", "rbac-approve-csr", "rbac-webhook-config-write", "rbac-impersonate"
    }  # fmt: skip


class _PartialSource(Source):
    """A source that read a binding but could not list ClusterRoles (as after a 403)."""

    def __init__(self, folder: FsPath, text: str, unavailable: dict[str, str]) -> None:
        self._path = folder / "rbac.yaml"
        self._path.write_text(text)
        self._unavailable = unavailable

    def describe(self) -> list[str]:
        return ["partial"]

    def batches(self) -> Iterator[Batch]:
        parsed = parse_file(ManifestFile(str(self._path), "rbac.yaml"))
        yield Batch(resources=parsed.resources, errors=parsed.errors, files=1)

    def unavailable_kinds(self) -> dict[str, str]:
        return self._unavailable


BINDING_TO_CUSTOM_ROLE = (
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ci}\n"
    "roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ci-deployer}\n"
    "subjects: [{kind: ServiceAccount, name: ci, namespace: ci}]\n"
)


def test_unlistable_roles_are_not_reported_missing_but_not_evaluated(tmp_path: FsPath) -> None:
    rules = [r for r in load_rules() if r.id == "rbac-missing-role"]
    strict = {"strict_inputs": True}  # the source read everything there is
    readable = run_scan([_PartialSource(tmp_path, BINDING_TO_CUSTOM_ROLE, {})], rules, settings=strict)
    assert [f.rule_id for f in readable.findings] == ["rbac-missing-role"]  # the role really is absent
    forbidden = run_scan(
        [_PartialSource(tmp_path, BINDING_TO_CUSTOM_ROLE, {"ClusterRole": "forbidden (403)"})], rules, settings=strict
    )
    assert forbidden.findings == []
    assert "ClusterRole could not be read" in forbidden.not_evaluated["rbac-missing-role"]


def test_kubeadm_cluster_info_is_public_but_nothing_else_is() -> None:
    cluster_info = [rule(apiGroups=[""], resources=["configmaps"], resourceNames=["cluster-info"], verbs=["get"])]
    assert not beyond_discovery(cluster_info, "kube-public")
    assert beyond_discovery(cluster_info, "kube-system")  # only kube-public publishes it
    assert beyond_discovery(cluster_info, None)  # cluster-wide: every namespace's cluster-info
    listing = [rule(apiGroups=[""], resources=["configmaps"], resourceNames=["cluster-info"], verbs=["get", "list"])]
    assert beyond_discovery(listing, "kube-public")
    other = [rule(apiGroups=[""], resources=["configmaps"], resourceNames=["cluster-info", "x"], verbs=["get"])]
    assert beyond_discovery(other, "kube-public")


def test_bind_limited_to_names_counts_when_a_name_is_a_full_admin_role() -> None:
    def binder(*names: str) -> Resource:
        return res("ClusterRole", "binder-" + "-".join(names), rules=[
            {"apiGroups": [RBAC], "resources": ["clusterroles"], "verbs": ["bind"], "resourceNames": list(names)}
        ])  # fmt: skip

    def binding(role: str) -> Resource:
        return res("ClusterRoleBinding", role, roleRef={"kind": "ClusterRole", "name": role, "apiGroup": RBAC},
                   subjects=[{"kind": "User", "name": "op"}])  # fmt: skip

    root = res("ClusterRole", "root", rules=[{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}])
    roles = (binder("edit", "view"), binder("view", "cluster-admin"), binder("root"), root)
    inv = inventory(*roles, binding("binder-edit-view"), binding("binder-view-cluster-admin"), binding("binder-root"))
    can = {g.role.name: g.caps.can["bindRoles"] for g in collect_grants(inv)}
    assert can == {"binder-edit-view": False, "binder-view-cluster-admin": True, "binder-root": True}
    via = {g.role.name: g.caps.via.get("bindRoles") for g in collect_grants(inv)}
    assert via["binder-root"] == "ClusterRole binder-root rules[0]"


def test_bindings_resolve_roles_of_their_own_cluster() -> None:
    """Two kube contexts in one scan: a binding never takes the rules of another cluster's role."""

    def in_context(resource: Resource, context: str) -> Resource:
        return Resource(resource.api_version, resource.kind, resource.name, resource.namespace, resource.data,
                        Origin(f"cluster:{context}", context=context))  # fmt: skip

    ops = {"kind": "ClusterRole", "name": "ops", "apiGroup": RBAC}
    ann = {"kind": "User", "name": "ann"}
    inv = inventory(
        in_context(res("ClusterRole", "ops", rules=[{**CORE, "resources": ["secrets"], "verbs": ["list"]}]), "prod"),
        in_context(res("ClusterRole", "ops", rules=[{**CORE, "resources": ["configmaps"], "verbs": ["list"]}]), "dev"),
        in_context(res("ClusterRoleBinding", "ops", roleRef=ops, subjects=[{"kind": "User", "name": "ann"}]), "dev"),
        in_context(res("ClusterRoleBinding", "ops", roleRef=ops, subjects=[{"kind": "User", "name": "ann"}]), "prod"),
        in_context(res("ClusterRoleBinding", "gone", roleRef={**ops, "name": "gone"}, subjects=[ann]), "dev"),
    )
    targets = list(subject_targets(inv))
    secrets = {(t.resource.origin.context, t.resource.name): t.doc["can"]["readSecrets"] for t in targets}
    assert secrets == {("dev", "ops"): False, ("prod", "ops"): True, ("dev", "gone"): False}
    effective = {t.resource.origin.context: t.doc["effective"]["clusterWide"]["grants"] for t in targets}
    assert len(effective["prod"]) == 1 and len(effective["dev"]) == 2  # the same User, per cluster
