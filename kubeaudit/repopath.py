"""The path a finding's file has in its repository: the file's part of a fingerprint.

Relative to the root of the git repository that holds the file (the nearest folder up
with a `.git` entry), else to the working directory, `/`-separated: so `scan .` and
`scan deploy/` agree, a scan from a subfolder agrees with one from the root, and the
path is the one GitHub shows. Files outside both keep their absolute path. Found by
looking for `.git`, never by running git (nothing from the scanned repository runs).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import PurePosixPath, PureWindowsPath

STDIN_DISPLAY = "<stdin>"


# Both caches hold one entry per folder and per file of the input (paths the scan keeps anyway).
# Bounded LRU caches (4,096 folders) thrashed on big repositories: a 50,000-resource corpus has
# 7,000 folders, and each miss walks up to the root with one stat() per level.
@cache
def _repository_root(folder: str) -> str | None:
    if os.path.exists(os.path.join(folder, ".git")):
        return folder
    parent = os.path.dirname(folder)
    return None if parent == folder else _repository_root(parent)


def _relative(path: str, root: str) -> str | None:
    try:
        rel = os.path.relpath(path, root)
    except ValueError:  # another drive on Windows
        return None
    return None if rel == os.pardir or rel.startswith(os.pardir + os.sep) else rel


def _posix(path: str) -> str:
    return PureWindowsPath(path).as_posix() if os.sep == "\\" else PurePosixPath(path).as_posix()


@cache
def _repository_path(source: str, cwd: str) -> str:
    path = os.path.realpath(os.path.join(cwd, source))
    root = _repository_root(os.path.dirname(path))
    for base in (root, os.path.realpath(cwd)):
        rel = _relative(path, base) if base is not None else None
        if rel is not None:
            return _posix(rel)
    return _posix(path)


def repository_path(source: str) -> str:
    """`source` (a file path as reports show it) as a path in its repository."""
    if not source or source in ("-", STDIN_DISPLAY):
        return source
    return _repository_path(source, os.getcwd())
