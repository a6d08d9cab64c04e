"""Where kubeaudit keeps what it may forget: the user's cache folder.

Light on purpose (os and pathlib only): `kubeaudit rules list` asks for it before anything else
is imported.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path as FsPath


def cache_dir() -> FsPath | None:
    """The cache folder: ``$KUBEAUDIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/kubeaudit`` (when
    absolute, as the XDG spec asks), else the platform's cache folder; None when
    ``KUBEAUDIT_NO_CACHE`` is set (caching off)."""
    if os.environ.get("KUBEAUDIT_NO_CACHE"):
        return None
    explicit = os.environ.get("KUBEAUDIT_CACHE_DIR")
    if explicit:
        return FsPath(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg and os.path.isabs(xdg):
        return FsPath(xdg) / "kubeaudit"
    home = FsPath.home()
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "kubeaudit"
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return FsPath(os.environ["LOCALAPPDATA"]) / "kubeaudit" / "Cache"
    return home / ".cache" / "kubeaudit"
