"""Paginated listing of one resource: `limit` + `continue`, restarted when a token expires.

A 410 Gone on a continue token (etcd compacted the revision the list was reading)
restarts the list from the beginning; objects already handed out are skipped by uid,
so a restart neither loses nor duplicates anything. Only the uids of the list in
progress are kept, not the objects.

Every list ends: a continue token the list has already been given (a cycle, A -> B -> A)
and a list still going after `max_pages` pages (a server that hands out a fresh token on
every page) are errors, and the kind becomes a coverage gap. A page over the response
cap is asked for again with half the limit, down to one object, so a cap never refuses
a list of big objects that fit one by one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from kubeaudit.sources.cluster.answers import list_problem, object_label, object_problem
from kubeaudit.sources.cluster.discovery import ApiResource
from kubeaudit.sources.cluster.errors import ApiError, Expired, ResponseTooLarge
from kubeaudit.sources.cluster.transport import JSON, METADATA_LIST, Transport

DEFAULT_PAGE_SIZE = 500
DEFAULT_MAX_PAGES = 10_000  # 5 million objects at the default page size
MAX_RESTARTS = 3


@dataclass(slots=True)
class Page:
    items: list[dict[str, Any]]
    remaining: int | None  # metadata.remainingItemCount, when the server says
    restarted: bool = False  # the first page after a 410 restart
    malformed: list[str] = field(default_factory=list)  # objects not scanned: "name what is wrong"


def list_pages(
    transport: Transport,
    resource: ApiResource,
    namespace: str | None = None,
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    metadata_only: bool = False,
    max_pages: int = DEFAULT_MAX_PAGES,
) -> Iterator[Page]:
    """Pages of objects as the API returns them, with kind/apiVersion restored on every item."""
    path = resource.path(namespace)
    accept = METADATA_LIST if metadata_only else JSON
    seen: set[str] = set()
    tokens: set[bytes] = set()  # digests of the continue tokens this list was given
    token: str | None = None
    restarts = 0
    restarted = False
    pages = 0
    limit = max(1, page_size)  # limit=0 would mean "everything"
    while True:
        if pages >= max_pages:
            raise ApiError(0, "too many pages", f"{path} still had more after {pages} pages (--max-pages {max_pages})")
        query: dict[str, str | int] = {"limit": limit}
        if token:
            query["continue"] = token
        try:
            body = transport.get(path, query, accept)
        except Expired as exc:
            if token is None or restarts >= MAX_RESTARTS:
                raise ApiError(exc.status, exc.reason, f"list expired {restarts + 1} times: {exc.message}") from None
            restarts += 1
            token, restarted = None, True
            tokens.clear()
            continue
        except ResponseTooLarge:
            if limit == 1:
                raise
            limit = max(1, limit // 2)  # the same page again, in smaller pieces
            continue
        pages += 1
        if metadata_only and body.get("kind") != "PartialObjectMetadataList":
            # A server that ignored the metadata-only Accept header sent full objects. Never keep them.
            raise ApiError(0, "metadata-only list not supported", f"{path} sent {body.get('kind')}, not metadata")
        problem = list_problem(body)
        if problem is not None:
            raise ApiError(0, "malformed list", f"{path}: {problem}")
        items: list[dict[str, Any]] = []
        malformed: list[str] = []
        for index, raw in enumerate(body.get("items") or []):
            problem = object_problem(raw, resource.kind, resource.namespaced)
            if problem is not None:  # reported by name, never read
                malformed.append(f"{object_label(raw, index)} {problem}")
                continue
            item = normalise(raw, resource, metadata_only)
            key = identity(item)
            if key in seen:
                continue
            seen.add(key)
            items.append(item)
        meta = body.get("metadata") or {}
        remaining = meta.get("remainingItemCount")
        yield Page(items, remaining if isinstance(remaining, int) else None, restarted, malformed)
        restarted = False
        token = meta.get("continue") or None
        if not token:
            return
        digest = hashlib.blake2b(token.encode("utf-8", "replace"), digest_size=16).digest()
        if digest in tokens:  # A -> B -> A: the list would never end
            raise ApiError(0, "pagination loop", f"{path} gave a continue token it had given before (page {pages})")
        tokens.add(digest)


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
