"""kubeaudit: a Kubernetes security posture scanner."""

from __future__ import annotations

__all__ = ["__version__"]

# The one place the version is written: the build reads it from here (pyproject.toml,
# [tool.hatch.version]), and `kubeaudit --version` answers without importlib.metadata (20 ms).
__version__ = "0.1.0"
