"""Errors of the cluster source. No `kubernetes` import here: the CLI catches these cheaply."""

from __future__ import annotations


class ClusterError(Exception):
    """The cluster cannot be scanned at all: no kubeconfig, unknown context, unreachable server,
    TLS verification failure, rejected credentials. One line per problem, never a traceback."""

    def __init__(self, lines: str | list[str]) -> None:
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        super().__init__("\n".join(self.lines))


class ApiError(Exception):
    """A request answered with an error status (or that failed after every retry)."""

    def __init__(self, status: int, reason: str, message: str = "", attempts: int = 1) -> None:
        self.status = status  # 0 when no HTTP answer was received
        self.reason = reason
        self.message = message
        self.attempts = attempts
        super().__init__(self.describe())

    def describe(self) -> str:
        what = f"{self.status} {self.reason}" if self.status else self.reason
        text = f"{what}: {self.message}" if self.message and self.message != self.reason else what
        return text + (f" (after {self.attempts} attempts)" if self.attempts > 1 else "")

    @property
    def forbidden(self) -> bool:
        return self.status == 403


class Expired(ApiError):
    """410 Gone: a continue token expired (etcd compaction); the list must start over."""
