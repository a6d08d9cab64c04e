"""What the inventory keeps of a resource for the cross-resource views: the fields they declare.

A cross-resource view is built after every file was read, from copies the pipeline keeps of the
resources it needs. Each view declares, next to its code, the fields it reads of those copies as
a *field tree*; the pipeline keeps the union of the declarations of the views the scan builds and
drops the rest while the file's node tree is still alive, so memory grows with what the views
read, not with the size of the manifests. tests/views/test_kept_fields.py builds every view from
copies trimmed to its own declaration and from whole resources and requires the same documents,
so a view that reads an undeclared field fails there.

A field tree is `True` (the value as written, whole) or a mapping from field names to field trees
(of a mapping, only those fields; of a list, every item trimmed by the same tree). A value whose
type is not what the tree expects is kept as written: the views' own type checks then see what
they would have seen.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, Union

FieldTree = Union[Literal[True], Mapping[str, "FieldTree"]]  # noqa: UP007 (a recursive alias needs the string form)


# What every kept copy keeps: identity and metadata (reports, suppression annotations, the views'
# `metadata` fields).
IDENTITY: Mapping[str, FieldTree] = {"apiVersion": True, "kind": True, "metadata": True}


def trimmed(value: Any, tree: FieldTree) -> Any:
    """`value` with only the fields `tree` names (lists trimmed item by item, in place of each item)."""
    if tree is True:
        return value
    if isinstance(value, dict):
        return {key: trimmed(item, tree[key]) for key, item in value.items() if key in tree}
    if isinstance(value, list):
        return [trimmed(item, tree) for item in value]
    return value


def union(*trees: FieldTree) -> FieldTree:
    """A tree naming every field any of `trees` names (`True` wins over a narrower tree)."""
    if any(tree is True for tree in trees):
        return True
    merged: dict[str, FieldTree] = {}
    for tree in trees:
        assert tree is not True
        for key, sub in tree.items():
            merged[key] = union(merged[key], sub) if key in merged else sub
    return merged
