"""Helpers for the live-cluster tests: the fake API server process and kubeconfigs for it.

Every server these tests start goes through `serve` (or the `cluster` fixture), which checks,
when the server stops, that its request log holds only what a read-only scanner may send:
GET, no watch, no query but limit/continue, secrets only as metadata-only collection lists.
A future change that sends anything else fails every test that exercises it.
"""

from __future__ import annotations

import base64
import contextlib
import json
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from kubeaudit.sources.cluster import credentials
from kubeaudit.sources.cluster.transport import METADATA_LIST, QUERY_PARAMETERS
from tests.apiserver import FIXTURES, ApiServerHandle, running_apiserver

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
EQUIVALENCE = [FIXTURES, DATA / "equivalence"]
SECRET_RULE = DATA / "secret-rule"


def read_only_violations(log: list[dict[str, Any]]) -> list[str]:
    """Requests in a server's log that a read-only scanner must never send."""
    bad = []
    for r in log:
        parts = r["path"].strip("/").split("/")
        if parts[:1] == ["api"] and len(parts) >= 5 and parts[2] == "namespaces":
            parts = parts[:2] + parts[4:]  # drop namespaces/NS
        secret = parts[:1] == ["api"] and len(parts) >= 3 and parts[2] == "secrets"
        if r["method"] != "GET":
            bad.append(f"{r['method']} {r['path']}")
        elif set(r["query"]) - QUERY_PARAMETERS:
            bad.append(f"query {sorted(r['query'])} on {r['path']}")
        elif secret and (len(parts) > 3 or r["accept"] != METADATA_LIST):
            bad.append(f"secret data could be read: {r['path']} Accept: {r['accept']}")
    return bad


@contextlib.contextmanager
def serve(manifests: Any = None, **options: Any) -> Iterator[ApiServerHandle]:
    """running_apiserver, plus the read-only check of everything the scanner sent."""
    with running_apiserver(manifests, **options) as api:
        yield api
        assert read_only_violations(api.requests()) == []


@pytest.fixture(scope="module")
def cluster() -> Iterator[ApiServerHandle]:
    """The example cluster, served exactly as written (no defaulting, no implicit objects)."""
    with serve(EQUIVALENCE, defaulting=False, implicit=False) as api:
        yield api


@pytest.fixture
def pod(cluster: ApiServerHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A pod's environment for the test server: no kubeconfig anywhere, service env vars, a mounted
    token. The client's own InClusterConfigLoader reads them; only the directory differs from a pod's
    (credentials.SERVICE_ACCOUNT_DIR, patched here)."""
    account = tmp_path / "serviceaccount"
    account.mkdir()
    (account / "token").write_text(cluster.token + "\n", encoding="utf-8")
    shutil.copy(cluster.ca_file, account / "ca.crt")
    (account / "namespace").write_text("kubeaudit", encoding="utf-8")
    monkeypatch.setattr(credentials, "SERVICE_ACCOUNT_DIR", str(account))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.kube/config
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", str(cluster.port))
    return account


def write_kubeconfig(path: Path, servers: Mapping[str, ApiServerHandle], current: str | None = None) -> Path:
    """One kubeconfig with a context per server (context name -> server)."""
    clusters, contexts, users = [], [], []
    for name, api in servers.items():
        ca = base64.b64encode(api.ca_file.read_bytes()).decode()
        clusters.append({"name": name, "cluster": {"server": api.url, "certificate-authority-data": ca}})
        contexts.append({"name": name, "context": {"cluster": name, "user": name}})
        users.append({"name": name, "user": {"token": api.token}})
    doc: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": clusters,
        "contexts": contexts,
        "users": users,
    }
    if current:
        doc["current-context"] = current
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def report(out: str) -> dict[str, Any]:
    return json.loads(out)


def finding_keys(doc: dict[str, Any]) -> set[tuple[str, str, str | None, str, str]]:
    return {
        (f["ruleId"], f["resource"]["kind"], f["resource"]["namespace"], f["resource"]["name"], f["path"])
        for f in doc["findings"]
    }
