"""Paginated listing of one resource: `limit` + `continue`, restarted when a token expires.

A 410 Gone on a continue token (etcd compacted the revision the list was reading)
restarts the list from the beginning; objects already handed out are skipped by uid,
so a restart neither loses nor duplicates anything. Only the uids of the list in
progress are kept, not the objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from kubeaudit.sources.cluster.discovery import ApiResource
from kubeaudit.sources.cluster.errors import ApiError, Expired
from kubeaudit.sources.cluster.transport import JSON, METADATA_LIST, Transport

DEFAULT_PAGE_SIZE = 500
MAX_RESTARTS = 3


@dataclass(slots=True)
class Page:
    items: list[dict[str, Any]]
    remaining: int | None  # metadata.remainingItemCount, when the server says
    restarted: bool = False  # the first page after a 410 restart


def list_pages(
    transport: Transport,
    resource: ApiResource,
    namespace: str | None = None,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    metadata_only: bool = False,
) -> Iterator[Page]:
    """Pages of objects as the API returns them, with kind/apiVersion restored on every item."""
    path = resource.path(namespace)
    accept = METADATA_LIST if metadata_only else JSON
    seen: set[str] = set()
    token: str | None = None
    restarts = 0
    restarted = False
    while True:
        query: dict[str, str | int] = {"limit": max(1, page_size)}  # limit=0 would mean "everything"
        if token:
            query["continue"] = token
        try:
            body = transport.get(path, query, accept)
        except Expired as exc:
            if token is None or restarts >= MAX_RESTARTS:
                raise ApiError(exc.status, exc.reason, f"list expired {restarts + 1} times: {exc.message}") from None
            restarts += 1
            token, restarted = None, True
            continue
        if metadata_only and body.get("kind") != "PartialObjectMetadataList":
            # A server that ignored the metadata-only Accept header sent full objects. Never keep them.
            raise ApiError(0, "metadata-only list not supported", f"{path} sent {body.get('kind')}, not metadata")
        items: list[dict[str, Any]] = []
        for raw in body.get("items") or []:
            if not isinstance(raw, dict):
                continue
            item = normalise(raw, resource, metadata_only)
            key = identity(item)
            if key in seen:
                continue
            seen.add(key)
            items.append(item)
        meta = body.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        remaining = meta.get("remainingItemCount")
        yield Page(items, remaining if isinstance(remaining, int) else None, restarted)
        restarted = False
        previous, token = token, meta.get("continue") or None
        if not token:
            return
        if token == previous:  # a server that answers a continue token with itself would never end
            raise ApiError(0, "pagination loop", f"{path} returned the continue token it was given")


def identity(item: dict[str, Any]) -> str:
    meta = item.get("metadata") or {}
    uid = meta.get("uid")
    return str(uid) if uid else f"{meta.get('namespace') or ''}/{meta.get('name') or ''}"


def normalise(item: dict[str, Any], resource: ApiResource, metadata_only: bool = False) -> dict[str, Any]:
    """The object as a manifest would have it: kind and apiVersion set, managedFields dropped.
    Metadata-only items keep only their metadata, under the resource's own kind."""
    meta = item.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
    if metadata_only:
        return {"apiVersion": resource.api_version, "kind": resource.kind, "metadata": meta or {}}
    if item.get("kind") != resource.kind or item.get("apiVersion") != resource.api_version:
        item = {"apiVersion": resource.api_version, "kind": resource.kind, **item}
    return item
