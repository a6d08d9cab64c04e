"""Helpers for the live-cluster tests: the fake API server process and kubeconfigs for it."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.apiserver import FIXTURES, ApiServerHandle, running_apiserver

HERE = Path(__file__).resolve().parent
DATA = HERE / "data"
EQUIVALENCE = [FIXTURES, DATA / "equivalence"]
SECRET_RULE = DATA / "secret-rule"


@pytest.fixture(scope="module")
def cluster() -> Iterator[ApiServerHandle]:
    """The example cluster, served exactly as written (no defaulting, no implicit objects)."""
    with running_apiserver(EQUIVALENCE, defaulting=False, implicit=False) as api:
        yield api


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
