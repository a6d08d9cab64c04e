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


class ConnectionLost(ApiError):
    """The connection worked when the scan started, then failed for good: credentials expired
    or were revoked (401), TLS verification started failing, or the server stayed unreachable
    after every retry. Everything not read yet is a coverage gap; no further request is sent."""

    def __init__(self, message: str) -> None:
        super().__init__(0, "connection lost", message)

    def describe(self) -> str:
        return self.message


class ResponseTooLarge(ApiError):
    """An answer longer than the response cap (--max-response-mib); the rest was never read."""

    def __init__(self, path: str, length: int | None, limit: int) -> None:
        size = f"{length / 2**20:.1f} MiB, " if length is not None else ""
        cap = f"{limit / 2**20:g} MiB"
        super().__init__(0, "response too large", f"{path}: {size}over the {cap} cap (--max-response-mib)")
        self.limit = limit

    def describe(self) -> str:
        return f"response too large: {self.message}"


class ScanTimeout(ApiError):
    """The scan's own deadline (--scan-timeout) passed: nothing more is requested."""

    def __init__(self) -> None:
        super().__init__(0, "scan timeout", "not read before the scan timeout (--scan-timeout)")

    def describe(self) -> str:
        return self.message


class UnsafeRequest(ApiError):
    """A request the read-only guard refused before sending it (a bug or a hostile name)."""

    def __init__(self, message: str) -> None:
        super().__init__(0, "refused by the read-only guard", message)
