"""The fake API server, exercised with the real ``kubernetes`` client (no mocks)."""

from __future__ import annotations

import json
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import urllib3
from kubernetes.client import (
    ApiClient,
    ApiException,
    ApisApi,
    AppsV1Api,
    CoreV1Api,
    CustomObjectsApi,
    RbacAuthorizationV1Api,
    VersionApi,
)

from . import FIXTURES, ApiServerHandle, running_apiserver

PARTIAL_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
ALL_PODS = ["bare-nginx", "web-5d8f7c9b6d-4xk2p", "web-5d8f7c9b6d-9tq7z", "web-5d8f7c9b6d-bm8wd", "debug"]


@pytest.fixture(scope="module")
def api() -> Iterator[ApiServerHandle]:
    with running_apiserver(FIXTURES) as handle:
        yield handle


@pytest.fixture(scope="module")
def client(api: ApiServerHandle) -> ApiClient:
    return api.api_client()


def raw_get(api: ApiServerHandle, path: str, token: str | None = None,
            accept: str = "application/json") -> tuple[int, dict[str, Any], dict[str, str]]:
    """A plain urllib request (for checks the typed client hides: headers, missing token)."""
    ctx = ssl.create_default_context(cafile=str(api.ca_file))
    headers = {"Accept": accept}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(api.url + path, headers=headers)
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as resp:
            return resp.status, json.loads(resp.read()), dict(resp.headers)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), dict(err.headers)


def list_all_pods(core: CoreV1Api, limit: int) -> tuple[list[str], int]:
    names: list[str] = []
    pages = 0
    token: str | None = None
    while True:
        page = core.list_pod_for_all_namespaces(limit=limit, _continue=token)
        pages += 1
        names += [p.metadata.name for p in page.items]
        token = page.metadata._continue
        if not token:
            return names, pages


def status_body(exc: ApiException) -> dict[str, Any]:
    return json.loads(exc.body)


# --------------------------------------------------------------------------------------------------


def test_pagination_follows_continue_to_the_end(client: ApiClient) -> None:
    core = CoreV1Api(client)
    first = core.list_pod_for_all_namespaces(limit=2)
    assert first.kind == "PodList" and first.api_version == "v1"
    assert len(first.items) == 2
    assert first.metadata.remaining_item_count == 3
    assert first.metadata._continue

    names, pages = list_all_pods(core, limit=2)
    assert pages == 3
    assert names == ALL_PODS  # etcd key order: namespace, then name
    unpaged = core.list_pod_for_all_namespaces()
    assert [p.metadata.name for p in unpaged.items] == ALL_PODS
    assert unpaged.metadata._continue is None


def test_list_items_and_metadata_look_real(api: ApiServerHandle, client: ApiClient) -> None:
    status, body, headers = raw_get(api, "/api/v1/namespaces/team-a/pods?limit=1", api.token)
    assert status == 200 and headers["Content-Type"] == "application/json"
    assert body["kind"] == "PodList" and body["apiVersion"] == "v1"
    assert set(body["metadata"]) == {"resourceVersion", "continue", "remainingItemCount"}
    item = body["items"][0]
    assert "kind" not in item and "apiVersion" not in item
    meta = item["metadata"]
    assert {"uid", "resourceVersion", "creationTimestamp", "managedFields"} <= set(meta)

    core, apps = CoreV1Api(client), AppsV1Api(client)
    pod = core.read_namespaced_pod("web-5d8f7c9b6d-4xk2p", "team-a")
    assert pod.kind == "Pod"  # a single GET carries kind/apiVersion
    assert pod.spec.service_account_name == "default"  # apiserver defaulting
    rs = apps.read_namespaced_replica_set("web-5d8f7c9b6d", "team-a")
    deploy = apps.read_namespaced_deployment("web", "team-a")
    assert pod.metadata.owner_references[0].uid == rs.metadata.uid
    assert rs.metadata.owner_references[0].uid == deploy.metadata.uid
    assert deploy.spec.template.spec.containers[0].image_pull_policy == "IfNotPresent"

    with pytest.raises(ApiException) as exc:
        core.read_namespaced_pod("nope", "team-a")
    assert exc.value.status == 404 and status_body(exc.value)["reason"] == "NotFound"


def test_version_and_discovery(client: ApiClient) -> None:
    assert VersionApi(client).get_code().git_version == "v1.37.1"

    core_resources = {r.name: r for r in CoreV1Api(client).get_api_resources().resources}
    assert {"pods", "namespaces", "nodes", "serviceaccounts", "secrets", "configmaps", "services",
            "resourcequotas", "limitranges"} <= set(core_resources)
    pods = core_resources["pods"]
    assert (pods.singular_name, pods.namespaced, pods.kind, pods.verbs) == ("pod", True, "Pod",
                                                                             ["get", "list", "watch"])
    assert core_resources["namespaces"].namespaced is False

    groups = {g.name: g for g in ApisApi(client).get_api_versions().groups}
    assert {"apps", "batch", "rbac.authorization.k8s.io", "networking.k8s.io", "security.istio.io"} <= set(groups)
    assert groups["security.istio.io"].preferred_version.group_version == "security.istio.io/v1"
    apps = {r.name for r in AppsV1Api(client).get_api_resources().resources}
    assert {"deployments", "statefulsets", "daemonsets", "replicasets"} <= apps

    policies = CustomObjectsApi(client).list_namespaced_custom_object(
        "security.istio.io", "v1", "team-b", "authorizationpolicies")
    assert [p["metadata"]["name"] for p in policies["items"]] == ["allow-nothing"]
    assert policies["items"][0]["kind"] == "AuthorizationPolicy"  # unstructured lists keep kind


def test_dynamic_client_discovery(client: ApiClient, tmp_path: Path) -> None:
    from kubernetes.dynamic import DynamicClient

    dyn = DynamicClient(client, cache_file=str(tmp_path / "discovery.json"))
    crbs = dyn.resources.get(api_version="rbac.authorization.k8s.io/v1", kind="ClusterRoleBinding").get()
    assert [b.metadata.name for b in crbs.items] == ["deployer-is-cluster-admin"]


def test_label_selector_and_watch(client: ApiClient) -> None:
    core = CoreV1Api(client)
    web = core.list_namespaced_pod("team-a", label_selector="app=web,pod-template-hash in (5d8f7c9b6d)")
    assert len(web.items) == 3
    assert core.list_pod_for_all_namespaces(field_selector="metadata.name=debug").items[0].metadata.name == "debug"


def test_secrets_full_and_metadata_only(client: ApiClient) -> None:
    core = CoreV1Api(client)
    secret = core.read_namespaced_secret("api-token", "team-b")
    assert secret.data == {"token": "ZG8tbm90LWxlYWstbWU="}  # stringData became base64 data

    meta_only = core.list_secret_for_all_namespaces(_headers={"Accept": PARTIAL_LIST})
    assert meta_only.kind == "PartialObjectMetadataList"
    assert [s.metadata.name for s in meta_only.items] == ["db-credentials", "api-token"]
    raw = core.list_secret_for_all_namespaces(_headers={"Accept": f"{PARTIAL_LIST},application/json"},
                                              _preload_content=False)
    body = json.loads(raw.data)
    assert raw.headers["Content-Type"] == PARTIAL_LIST
    assert body["apiVersion"] == "meta.k8s.io/v1"
    assert all(set(i) == {"kind", "apiVersion", "metadata"} for i in body["items"])
    assert "czNjcjN0" not in raw.data.decode()


def test_authentication(api: ApiServerHandle) -> None:
    with pytest.raises(ApiException) as exc:
        CoreV1Api(api.api_client(api.write_kubeconfig(token="wrong-token"))).list_namespace()
    assert exc.value.status == 401
    assert status_body(exc.value) == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                      "message": "Unauthorized", "reason": "Unauthorized", "code": 401}
    assert raw_get(api, "/api/v1/pods")[0] == 401  # no Authorization header at all


def test_wrong_ca_fails_tls_verification(api: ApiServerHandle) -> None:
    core = CoreV1Api(api.api_client(api.wrong_ca_kubeconfig_path))
    with pytest.raises((urllib3.exceptions.MaxRetryError, urllib3.exceptions.SSLError, ssl.SSLError)) as exc:
        core.list_namespace()
    reason = getattr(exc.value, "reason", exc.value)
    assert isinstance(reason, (urllib3.exceptions.SSLError, ssl.SSLError))
    assert "CERTIFICATE_VERIFY_FAILED" in str(reason)


def test_writes_are_refused_and_logged(api: ApiServerHandle, client: ApiClient) -> None:
    api.clear_requests()
    core = CoreV1Api(client)
    with pytest.raises(ApiException) as exc:
        core.delete_namespaced_pod("debug", "team-b")
    assert exc.value.status == 405
    assert status_body(exc.value)["reason"] == "MethodNotAllowed"
    core.list_namespaced_config_map("team-a", limit=5)
    log = api.requests(at_least=2)
    assert [(r["method"], r["path"], r["status"]) for r in log] == [
        ("DELETE", "/api/v1/namespaces/team-b/pods/debug", 405),
        ("GET", "/api/v1/namespaces/team-a/configmaps", 200),
    ]
    assert log[1]["query"] == {"limit": "5"}


def test_forbidden_resources() -> None:
    with running_apiserver(FIXTURES, forbid=["secrets", "clusterroles", "team-b/roles"]) as api:
        client = api.api_client()
        core, rbac = CoreV1Api(client), RbacAuthorizationV1Api(client)
        for call in (core.list_secret_for_all_namespaces, rbac.list_cluster_role,
                     lambda: core.list_namespaced_secret("team-a"), lambda: rbac.list_namespaced_role("team-b"),
                     rbac.list_role_for_all_namespaces):  # cluster-wide needs every namespace
            with pytest.raises(ApiException) as exc:
                call()
            assert exc.value.status == 403
            body = status_body(exc.value)
            assert (body["kind"], body["reason"], body["code"]) == ("Status", "Forbidden", 403)
        assert "cannot list resource \"clusterroles\" in API group \"rbac.authorization.k8s.io\"" in str(
            _forbidden_message(rbac.list_cluster_role))
        assert rbac.list_namespaced_role("team-a").items == []
        assert len(rbac.list_cluster_role_binding().items) == 1
        assert [r["status"] for r in api.requests()].count(403) == 6


def _forbidden_message(call: Any) -> str:
    try:
        call()
    except ApiException as exc:
        return str(status_body(exc)["message"])
    raise AssertionError("expected 403")


def test_expired_continue_token_then_fresh_list() -> None:
    with running_apiserver(FIXTURES, expire_continue={"pods": 1}) as api:
        core = CoreV1Api(api.api_client())
        first = core.list_pod_for_all_namespaces(limit=2)
        with pytest.raises(ApiException) as exc:
            core.list_pod_for_all_namespaces(limit=2, _continue=first.metadata._continue)
        assert exc.value.status == 410
        body = status_body(exc.value)
        assert (body["reason"], body["code"]) == ("Expired", 410)
        assert body["metadata"]["continue"]  # the inconsistent-continuation token, as the real server sends
        with pytest.raises(ApiException) as again:  # an expired token stays expired
            core.list_pod_for_all_namespaces(limit=2, _continue=first.metadata._continue)
        assert again.value.status == 410
        names, pages = list_all_pods(core, limit=2)  # a fresh list works to the end
        assert (names, pages) == (ALL_PODS, 3)
        statuses = [(r["status"], "continue" in r["query"]) for r in api.requests()]
        assert statuses[:3] == [(200, False), (410, True), (410, True)]


def test_transient_500_throttling_and_delay() -> None:
    with running_apiserver(FIXTURES, fail={"pods": 2}, throttle={"configmaps": (1, 0)},
                           delay={"namespaces": 0.3}, git_version="v1.28.9-eks-49d7a4e") as api:
        client = api.api_client()
        core = CoreV1Api(client)
        for _ in range(2):
            with pytest.raises(ApiException) as exc:
                core.list_pod_for_all_namespaces()
            assert exc.value.status == 500 and status_body(exc.value)["reason"] == "InternalError"
        assert len(core.list_pod_for_all_namespaces().items) == 5

        # urllib3 honours Retry-After on 429 by itself: the client sees success, the log shows both.
        assert len(core.list_config_map_for_all_namespaces().items) == 1
        cm_log = [r for r in api.requests(at_least=5) if r["path"] == "/api/v1/configmaps"]
        assert [r["status"] for r in cm_log] == [429, 200]

        started = time.monotonic()
        core.list_namespace()
        assert time.monotonic() - started >= 0.3

        version = VersionApi(client).get_code()
        assert (version.git_version, version.minor) == ("v1.28.9-eks-49d7a4e", "28+")


def test_throttle_sends_retry_after_header() -> None:
    with running_apiserver(FIXTURES, throttle={"pods": (1, 7)}) as api:
        status, body, headers = raw_get(api, "/api/v1/pods", api.token)
        assert (status, headers["Retry-After"], body["reason"]) == (429, "7", "TooManyRequests")
        assert body["details"] == {"retryAfterSeconds": 7}
        assert raw_get(api, "/api/v1/pods", api.token)[0] == 200


def test_generated_cluster_has_owner_chain() -> None:
    with running_apiserver([], generate_pods=23, generate_namespaces=3, generate_replicas=5) as api:
        client = api.api_client()
        pods = CoreV1Api(client).list_pod_for_all_namespaces().items
        rs_uids = {rs.metadata.uid: rs for rs in AppsV1Api(client).list_replica_set_for_all_namespaces().items}
        deploy_uids = {d.metadata.uid for d in AppsV1Api(client).list_deployment_for_all_namespaces().items}
        assert len(pods) == 23 and len(rs_uids) == len(deploy_uids) == 5
        for pod in pods:
            owner = rs_uids[pod.metadata.owner_references[0].uid]
            assert owner.metadata.owner_references[0].uid in deploy_uids


def test_runs_as_module_from_repo_root() -> None:
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run([sys.executable, "-m", "tests.apiserver.server", "--help"], cwd=root,
                          capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0 and "--expire-continue" in proc.stdout
