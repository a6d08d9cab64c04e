"""Type checks of what the API server answered, for the fields the cluster source reads.

A server (or a proxy, or an aggregated API) can answer anything. The views type-check the
fields rules read (views/shapes.py); this module checks the fields the source itself reads
before it reads them: object identity (metadata, name, namespace, uid, labels), node
facts, list envelopes. Each check returns what is wrong, in words, or None; the caller
turns a malformed object into a named "not scanned" error and a malformed list or
discovery document into a coverage gap. Never an exception from a wrong type.
"""

from __future__ import annotations

from typing import Any

from kubeaudit.model import describe_type


def type_name(value: Any) -> str:
    """How a JSON value's type reads in a message: "a string", "a number", "an object" (the
    manifest errors' wording, but JSON calls a mapping an object)."""
    return "an object" if isinstance(value, dict) else describe_type(value)


def wrong(field: str, value: Any, expected: str) -> str:
    return f"{field} is {type_name(value)}, not {expected}"


def _optional(value: Any, field: str, expected_type: type, expected: str) -> str | None:
    """What is wrong with an optional field: None when it is absent or of the expected type."""
    return None if value is None or isinstance(value, expected_type) else wrong(field, value, expected)


def _string_map(value: Any, field: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        return wrong(field, value, "an object")
    for key, item in value.items():
        if not isinstance(item, str):
            return wrong(f"{field}[{key!r}]", item, "a string")
    return None


def object_problem(item: Any, kind: str, namespaced: bool) -> str | None:
    """What is wrong with a listed object's fields that the source and pipeline rely on."""
    if not isinstance(item, dict):
        return f"is {type_name(item)}, not an object"
    meta = item.get("metadata")
    if not isinstance(meta, dict):
        return "has no metadata" if meta is None else wrong("metadata", meta, "an object")
    name = meta.get("name")
    if not isinstance(name, str) or not name:
        return "has no metadata.name" if name is None else wrong("metadata.name", name, "a non-empty string")
    namespace = meta.get("namespace")
    if namespaced and not isinstance(namespace, str):
        return "has no metadata.namespace" if namespace is None else wrong("metadata.namespace", namespace, "a string")
    problem = (
        _optional(meta.get("uid"), "metadata.uid", str, "a string")
        or _optional(meta.get("ownerReferences"), "metadata.ownerReferences", list, "a list")
        or _string_map(meta.get("labels"), "metadata.labels")
        or _string_map(meta.get("annotations"), "metadata.annotations")
    )
    if problem is None and kind == "Node":
        problem = _node_problem(item)
    return problem


def _node_problem(node: dict[str, Any]) -> str | None:
    status = node.get("status")
    if status is None:
        return None
    if not isinstance(status, dict):
        return wrong("status", status, "an object")
    return _string_map(status.get("nodeInfo"), "status.nodeInfo")


def object_label(item: Any, index: int) -> str:
    """namespace/name of a listed object when those are strings, else its position in the list."""
    meta = item.get("metadata") if isinstance(item, dict) else None
    name = meta.get("name") if isinstance(meta, dict) else None
    namespace = meta.get("namespace") if isinstance(meta, dict) else None
    if isinstance(name, str) and name:
        return f"{namespace}/{name}" if isinstance(namespace, str) and namespace else name
    return f"item {index + 1}"


def list_problem(body: dict[str, Any]) -> str | None:
    """What is wrong with a list answer's envelope (items, metadata)."""
    meta = body.get("metadata")
    return (
        _optional(body.get("items"), "items", list, "a list")
        or _optional(meta, "metadata", dict, "an object")
        or _optional((meta or {}).get("continue"), "metadata.continue", str, "a string")
    )


def version_problems(version: dict[str, Any], fields: tuple[str, ...]) -> list[str]:
    """The fields of GET /version that are present but not strings."""
    return [wrong(f, version[f], "a string") for f in fields if f in version and not isinstance(version[f], str)]
