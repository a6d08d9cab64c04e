"""Read-only HTTP to the API server: GET only, raw JSON, bounded retries, a timeout per request.

Requests go through the `kubernetes` client's ApiClient (its configuration, auth
headers, token refresh and TLS), but the body is read as raw JSON rather than
deserialised into typed models, so objects keep their manifest field names.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from kubeaudit.sources.cluster.errors import ApiError, ClusterError, Expired

JSON = "application/json"
METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
METADATA = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
# The only method this scanner ever sends. There is no code path that sends another.
METHOD = "GET"

DEFAULT_TIMEOUT = 30.0
DEFAULT_ATTEMPTS = 5
MAX_RETRY_AFTER = 10.0


class Transport:
    """GET requests for one cluster connection."""

    def __init__(
        self,
        api_client: Any,
        *,
        context: str,
        server: str,
        timeout: float = DEFAULT_TIMEOUT,
        attempts: int = DEFAULT_ATTEMPTS,
        backoff: float = 0.25,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.api = api_client
        self.context = context
        self.server = server
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.sleep = sleep
        self.requests = 0

    def get(
        self, path: str, query: Mapping[str, str | int] | None = None, accept: str = JSON, *, retry_connect: bool = True
    ) -> dict[str, Any]:
        """The decoded JSON body of a 2xx answer. Raises ApiError (Expired for 410) for error
        answers and for failures that persist after every retry; ClusterError for 401 and TLS
        verification failures, which no retry can fix and which make the whole cluster unreadable."""
        last: ApiError | None = None
        for attempt in range(1, self.attempts + 1):
            try:
                status, headers, body = self._send(path, query, accept)
            except _Transient as exc:
                last = ApiError(0, exc.reason, exc.detail, attempts=attempt)
                if not retry_connect or attempt == self.attempts:
                    raise last from None
                self.sleep(self._delay(attempt))
                continue
            if 200 <= status < 300:
                try:
                    decoded = json.loads(body)
                except ValueError:
                    raise ApiError(status, "invalid JSON", f"{path} did not answer with JSON") from None
                if not isinstance(decoded, dict):
                    raise ApiError(status, "invalid JSON", f"{path} did not answer with a JSON object")
                return decoded
            reason, message = _status_text(status, body)
            if status == 401:
                raise ClusterError(
                    f"context {self.context} ({self.server}): credentials rejected (401 Unauthorized): "
                    "the token or client certificate is invalid or has expired"
                )
            if status == 410:
                raise Expired(status, reason or "Gone", message)
            if status == 429 or status >= 500:
                last = ApiError(status, reason, message, attempts=attempt)
                if attempt == self.attempts:
                    raise last
                self.sleep(self._delay(attempt, headers.get("Retry-After")))
                continue
            raise ApiError(status, reason, message)
        assert last is not None
        raise last

    def _delay(self, attempt: int, retry_after: str | None = None) -> float:
        if retry_after:
            try:
                return min(MAX_RETRY_AFTER, max(0.0, float(retry_after)))
            except ValueError:
                pass
        return self.backoff * (2 ** (attempt - 1)) * (0.5 + random.random() / 2)

    def _send(self, path: str, query: Mapping[str, str | int] | None, accept: str) -> tuple[int, Any, bytes]:
        import urllib3
        from kubernetes.client.exceptions import ApiException

        method, url, headers, _, _ = self.api.param_serialize(
            method=METHOD,
            resource_path=path,
            query_params=list((query or {}).items()),
            header_params={"Accept": accept},
            auth_settings=["BearerToken"],
        )
        assert method == METHOD
        self.requests += 1
        try:
            response = self.api.call_api(method, url, header_params=headers, _request_timeout=self.timeout)
            body = response.read()
        except ApiException as exc:  # the client turns TLS failures into status 0
            if exc.status == 0 and "SSL" in str(exc.reason):
                raise self._tls_error(str(exc.reason)) from None
            raise _Transient("request failed", _one_line(str(exc.reason))) from None
        except urllib3.exceptions.SSLError as exc:
            raise self._tls_error(str(exc)) from None
        except urllib3.exceptions.NewConnectionError as exc:  # a subclass of ConnectTimeoutError: first
            raise _Transient("connection failed", _connection_reason(exc)) from None
        except (urllib3.exceptions.TimeoutError, TimeoutError):
            raise _Transient("timed out", f"no answer within {self.timeout:g} s (--request-timeout)") from None
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise _Transient("connection failed", _connection_reason(exc)) from None
        return int(response.status), response.headers, body

    def _tls_error(self, text: str) -> ClusterError:
        detail = _one_line(text)
        if "CERTIFICATE_VERIFY_FAILED" in text:
            found = re.search(r"certificate verify failed: ([^()'\"]+)", text)
            detail = "certificate verify failed" + (f" ({found.group(1).strip()})" if found else "")
        return ClusterError(
            f"context {self.context} ({self.server}): TLS verification failed: {detail}; "
            "check the cluster's certificate-authority in the kubeconfig"
        )


class _Transient(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def _connection_reason(exc: BaseException) -> str:
    text = str(getattr(exc, "reason", None) or exc)
    for marker, said in (
        ("Connection refused", "connection refused"),
        ("Name or service not known", "host name not found"),
        ("nodename nor servname", "host name not found"),
        ("Temporary failure in name resolution", "host name not found"),
        ("timed out", "connection timed out"),
        ("Network is unreachable", "network unreachable"),
        ("No route to host", "no route to host"),
        ("Connection reset", "connection reset"),
        ("RemoteDisconnected", "server closed the connection"),
    ):
        if marker in text:
            return said
    return _one_line(text)


def _status_text(status: int, body: bytes) -> tuple[str, str]:
    """(reason, message) of a Kubernetes Status body, or the bare status."""
    try:
        decoded = json.loads(body)
    except ValueError:
        decoded = None
    if isinstance(decoded, dict):
        return str(decoded.get("reason") or ""), _one_line(str(decoded.get("message") or ""))
    return "", _one_line(body[:200].decode("utf-8", "replace"))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def connection_error(transport: Transport, error: ApiError) -> ClusterError:
    """The one line for a server that cannot be reached at all."""
    why = error.message or error.reason
    return ClusterError(f"context {transport.context} ({transport.server}): cannot connect: {why}")
