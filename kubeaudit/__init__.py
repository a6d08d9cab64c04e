"""kubeaudit: a Kubernetes security posture scanner."""

from __future__ import annotations

__all__ = ["__version__"]


def __getattr__(name: str) -> str:
    # Read from the package metadata on first use: importlib.metadata costs 30 ms of start-up
    # that commands which never print a version should not pay.
    if name != "__version__":
        raise AttributeError(f"module 'kubeaudit' has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("kubeaudit")
    except PackageNotFoundError:  # running from a source tree that was never installed
        found = "0.0.0+unknown"
    globals()["__version__"] = found
    return found
