"""Line look-ups after a file's node trees were released: one re-parse per file, not per finding.

A file's node trees are dropped once its own resources have been evaluated, so memory does not
grow with the input. Findings made later (cross-resource views, suppression notices) must then
re-read the file. Inside a `reparse_session()` a re-read file is composed once, all its
documents together, and kept while lookups ask for it (a few files at a time), so a file with
thousands of late findings is parsed twice in all, not once per finding.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextvars import ContextVar

from yaml.nodes import Node

# Lookups are grouped by file, so one file at a time would do; a few more absorb interleaving
# (a namespace whose workloads sit in several files) without holding many trees.
DEFAULT_FILES_KEPT = 4

Documents = list[Node | None]


class _Session:
    __slots__ = ("files_kept", "trees")

    def __init__(self, files_kept: int) -> None:
        self.files_kept = files_kept
        self.trees: OrderedDict[Hashable, Documents] = OrderedDict()

    def documents(self, key: Hashable, compose: Callable[[], Documents]) -> Documents:
        trees = self.trees
        found = trees.get(key)
        if found is not None:
            trees.move_to_end(key)
            return found
        found = compose()
        trees[key] = found
        while len(trees) > self.files_kept:
            trees.popitem(last=False)
        return found


_active: ContextVar[_Session | None] = ContextVar("kubeaudit_reparse_session", default=None)


@contextlib.contextmanager
def reparse_session(files_kept: int = DEFAULT_FILES_KEPT) -> Iterator[None]:
    """Keep re-parsed files for the lookups made inside this block; drop them at its end."""
    token = _active.set(_Session(files_kept))
    try:
        yield
    finally:
        _active.reset(token)


def reparsed_documents(key: Hashable, compose: Callable[[], Documents]) -> Documents:
    """The documents of the file `key`, composed by `compose` unless this session already has them."""
    session = _active.get()
    return compose() if session is None else session.documents(key, compose)
