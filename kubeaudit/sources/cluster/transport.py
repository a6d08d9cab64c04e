"""Read-only HTTP to the API server: GET only, raw JSON, bounded retries, a deadline per request.

Requests go through the `kubernetes` client's ApiClient (its configuration, auth
headers, token refresh and TLS), but the body is read as raw JSON rather than
deserialised into typed models, so objects keep their manifest field names.

Every request passes `check_read_only` before anything is sent: GET only, a path made of
plain segments (no `..`, no query smuggled into the path), no query parameter but
`limit` and `continue` (so never a watch), and secrets only as a metadata-only
collection list -- never a single secret, never a secret list that could carry data.

Every request ends within its deadline (`--request-timeout`, whole request: connecting,
headers and body), however slowly the server trickles its answer: a watchdog shuts the
connection's socket down when the deadline passes (see `deadline.py`). A body longer than
the response cap (`--max-response-mib`) is refused as soon as it is known to be (by its
Content-Length, or while it is read), without reading the rest. An optional scan deadline
(`--scan-timeout`) caps every request and backoff by the time the scan has left.

An answer that breaks off (truncated body, connection reset) is retried; when every attempt
breaks off, that request alone fails (its kind becomes a coverage gap). Only a server that
cannot be reached at all any more is a lost connection: once a connection has been verified
(`GET /version` answered), a later 401, TLS failure or a server that stays unreachable after
every retry does not abort the run: the transport is marked lost, every later request fails
at once with `ConnectionLost` (an ApiError), and whatever was not read yet becomes a
coverage gap.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Mapping
from typing import Any

import orjson

from kubeaudit.sources.cluster.deadline import Deadline, track_connections
from kubeaudit.sources.cluster.errors import (
    ApiError,
    ClusterError,
    ConnectionLost,
    Expired,
    ResponseTooLarge,
    ScanTimeout,
    UnsafeRequest,
)

JSON = "application/json"
METADATA_LIST = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
METADATA = "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"
# The only method this scanner ever sends. There is no code path that sends another.
METHOD = "GET"

DEFAULT_TIMEOUT = 30.0
DEFAULT_ATTEMPTS = 5
MAX_RETRY_AFTER = 10.0
# A page of 500 ordinary objects is a few MiB; a bigger answer is read again in smaller pages
# (listing.py), so this caps memory per request without refusing big objects.
DEFAULT_MAX_RESPONSE_MIB = 64.0
_CHUNK = 1 << 16

# The only query parameters ever sent: pagination. Never watch, resourceVersion tricks or dryRun.
QUERY_PARAMETERS = frozenset({"limit", "continue"})
# One path segment: a version, group, plural, namespace or object name. No '..', '%', '?', '#'.
_SEGMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def check_read_only(method: str, path: str, query: Mapping[str, str | int] | None, accept: str) -> None:
    """Raise UnsafeRequest unless the request is one this scanner may send. Nothing is sent
    before this check passes, whichever code path builds the request."""
    if method != METHOD:
        raise UnsafeRequest(f"{method} {path}: only GET is ever sent")
    segments = path.split("/")
    if segments[0] != "" or len(segments) < 2 or not all(_SEGMENT.fullmatch(s) for s in segments[1:]):
        raise UnsafeRequest(f"{path!r} is not a plain API path")
    extra = sorted(set(query or {}) - QUERY_PARAMETERS)
    if extra:
        raise UnsafeRequest(f"{path}: query parameter {', '.join(extra)} is never sent (lists only, no watch)")
    if "proxy" in segments and not (len(segments) == 7 and segments[1:4] == ["api", "v1", "nodes"]
                                    and segments[5:] == ["proxy", "configz"]):  # fmt: skip
        raise UnsafeRequest(f"{path}: the only proxied request is a node's /configz")
    resource, named = _core_resource(segments)
    if resource == "secrets" and (named or accept != METADATA_LIST):
        raise UnsafeRequest(f"{path}: secrets are only ever listed as metadata (Accept: {METADATA_LIST})")


def _core_resource(segments: list[str]) -> tuple[str | None, bool]:
    """(resource, addresses one object) of a core-group path /api/v1/[namespaces/NS/]RESOURCE[/NAME...]."""
    if segments[1:2] != ["api"] or len(segments) < 4:
        return None, False
    rest = segments[3:]
    if rest[0] == "namespaces" and len(rest) >= 3:
        rest = rest[2:]
    return rest[0], len(rest) > 1


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
        max_response_bytes: int = int(DEFAULT_MAX_RESPONSE_MIB * 2**20),
        scan_deadline: float | None = None,
    ) -> None:
        self.api = api_client
        self.context = context
        self.server = server
        self.timeout = timeout
        self.attempts = max(1, attempts)
        self.backoff = backoff
        self.max_response_bytes = max_response_bytes
        # time.monotonic() by which every request must have ended (--scan-timeout); None: no limit
        self.scan_deadline = scan_deadline
        self.requests = 0
        track_connections(getattr(getattr(api_client, "rest_client", None), "pool_manager", None))
        # Set once GET /version answered: from then on, losing the connection is a gap, not an error.
        self.verified = False
        # Set when the scan is stopped: retries stop and backoff sleeps end at once.
        self.cancelled = threading.Event()
        self._lost: ConnectionLost | None = None
        self._lock = threading.Lock()

    @property
    def lost(self) -> ConnectionLost | None:
        """Why this connection was given up during the scan (None while it works)."""
        return self._lost

    def get(
        self, path: str, query: Mapping[str, str | int] | None = None, accept: str = JSON, *, retry_connect: bool = True
    ) -> dict[str, Any]:
        """The decoded JSON body of a 2xx answer. Raises ApiError (Expired for 410) for error
        answers and for failures that persist after every retry; ClusterError for 401 and TLS
        verification failures, which no retry can fix and which make the whole cluster unreadable --
        until the connection is verified; after that they raise ConnectionLost, for this request and
        every later one. Raises UnsafeRequest, sending nothing, for a request check_read_only refuses."""
        check_read_only(METHOD, path, query, accept)
        last: ApiError | None = None
        for attempt in range(1, self.attempts + 1):
            self._check_usable()
            try:
                status, headers, body = self._send(path, query, accept)
            except _Transient as exc:
                last = ApiError(0, exc.reason, exc.detail, attempts=attempt)
                if not (retry_connect or exc.reason == BROKEN_OFF) or attempt == self.attempts:
                    if self.verified and exc.reason == "connection failed":
                        raise self._lose(f"server unreachable during the scan: {exc.detail} "
                                         f"(after {attempt} attempts)") from None  # fmt: skip
                    raise last from None
                self._wait(self._delay(attempt))
                continue
            except ClusterError as exc:  # TLS verification failed
                if self.verified:
                    raise self._lose(f"{exc.lines[0].split(': ', 1)[-1]} (during the scan)") from None
                raise
            if 200 <= status < 300:
                try:
                    decoded = decode_json(body)
                except ValueError:  # a body cut short without a length to tell: worth another try
                    last = ApiError(status, "invalid JSON", f"{path} did not answer with JSON", attempts=attempt)
                    if attempt == self.attempts:
                        raise last from None
                    self._wait(self._delay(attempt))
                    continue
                finally:
                    del body  # the decoded objects are what is kept; the bytes can go now
                if not isinstance(decoded, dict):
                    raise ApiError(status, "invalid JSON", f"{path} did not answer with a JSON object")
                return decoded
            reason, message = _status_text(status, body)
            if status == 401:
                if self.verified:
                    raise self._lose(
                        "credentials rejected (401 Unauthorized) during the scan: the token or client "
                        "certificate expired or was revoked; nothing more was read from this cluster"
                    )
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
                self._wait(self._delay(attempt, headers.get("Retry-After")))
                continue
            raise ApiError(status, reason, message)
        assert last is not None
        raise last

    def _check_usable(self) -> None:
        if self._lost is not None:
            raise ConnectionLost(self._lost.message)
        if self.cancelled.is_set():
            raise ApiError(0, "cancelled", "the scan was stopped before this request")
        if self._scan_time_left() <= 0:
            raise ScanTimeout()

    def _scan_time_left(self) -> float:
        return float("inf") if self.scan_deadline is None else self.scan_deadline - time.monotonic()

    def _lose(self, message: str) -> ConnectionLost:
        with self._lock:
            if self._lost is None:
                self._lost = ConnectionLost(message)
            return ConnectionLost(self._lost.message)

    def _wait(self, seconds: float) -> None:
        """Back off before a retry; ends early when the scan is stopped or its time is up."""
        self.cancelled.wait(max(0.0, min(seconds, self._scan_time_left())))

    def _delay(self, attempt: int, retry_after: str | None = None) -> float:
        if retry_after:
            try:
                return min(MAX_RETRY_AFTER, max(0.0, float(retry_after)))
            except ValueError:
                pass
        return self.backoff * (2 ** (attempt - 1)) * (0.5 + random.random() / 2)

    def _send(
        self, path: str, query: Mapping[str, str | int] | None, accept: str
    ) -> tuple[int, Any, bytes | bytearray]:
        method, url, headers, _, _ = self.api.param_serialize(
            method=METHOD,
            resource_path=path,
            query_params=list((query or {}).items()),
            header_params={"Accept": accept},
            auth_settings=["BearerToken"],
        )
        check_read_only(str(method), path, query, accept)  # what the client built is what we checked
        self.requests += 1
        timeout = min(self.timeout, self._scan_time_left())
        reading_body = False
        try:
            with Deadline(timeout) as deadline:
                try:
                    response = self.api.call_api(method, url, header_params=headers, _request_timeout=timeout)
                    reading_body = True
                    body = self._read_body(response.response, path)
                except ResponseTooLarge:
                    raise
                except Exception as exc:
                    if deadline.expired:  # whatever the cut connection raised, the deadline is the reason
                        raise _Transient("timed out", f"no complete answer within {timeout:g} s "
                                         "(--request-timeout)") from None  # fmt: skip
                    raise self._failure(exc, reading_body) from None
        except ValueError:  # http.client refuses a header value: a token with a line break in it
            # Not the exception's text: it quotes the header, and so the token.
            raise ClusterError(
                f"context {self.context} ({self.server}): cannot send the request: a header value is invalid; "
                "check the credentials (a token with a line break or another control character?)"
            ) from None
        return int(response.status), response.headers, body

    def _failure(self, exc: Exception, reading_body: bool) -> Exception:
        """What a failed request means: ValueError for an invalid header value (the caller words
        it), ClusterError for TLS verification, _Transient for what a retry may fix."""
        import urllib3
        from kubernetes.client.exceptions import ApiException

        if isinstance(exc, ValueError) and not reading_body:
            return exc
        if isinstance(exc, ApiException):  # the client turns TLS failures into status 0
            if exc.status == 0 and "SSL" in str(exc.reason) and not reading_body:
                return self._tls_error(str(exc.reason))
            return _Transient("request failed", _one_line(str(exc.reason)))
        if isinstance(exc, urllib3.exceptions.SSLError) and not reading_body:
            return self._tls_error(str(exc))
        if isinstance(exc, urllib3.exceptions.NewConnectionError):  # a subclass of ConnectTimeoutError: first
            return _Transient("connection failed", _connection_reason(exc))
        if isinstance(exc, (urllib3.exceptions.TimeoutError, TimeoutError)):
            return _Transient("timed out", f"no complete answer within {self.timeout:g} s (--request-timeout)")
        if isinstance(exc, (urllib3.exceptions.HTTPError, OSError, ValueError)):
            # The server was reached and its answer broke off (truncated, reset, closed early):
            # this request failed, not the connection to the cluster.
            return _Transient(BROKEN_OFF, _connection_reason(exc))
        return exc

    def _read_body(self, raw: Any, path: str) -> bytearray:
        """The whole body, refused past max_response_bytes without reading the rest."""
        limit = self.max_response_bytes
        done = False
        try:
            length = raw.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) > limit:
                raise ResponseTooLarge(path, int(length), limit)
            body = bytearray()
            for chunk in raw.stream(_CHUNK, decode_content=True):
                body += chunk
                if len(body) > limit:
                    raise ResponseTooLarge(path, None, limit)
            done = True
            return body
        finally:
            if not done:
                raw.close()  # never drain an answer we gave up on: the connection goes, not the rest
            raw.release_conn()

    def _tls_error(self, text: str) -> ClusterError:
        detail = _one_line(text)
        if "CERTIFICATE_VERIFY_FAILED" in text:
            found = re.search(r"certificate verify failed: ([^()'\"]+)", text)
            detail = "certificate verify failed" + (f" ({found.group(1).strip()})" if found else "")
        return ClusterError(
            f"context {self.context} ({self.server}): TLS verification failed: {detail}; "
            "check the cluster's certificate-authority in the kubeconfig"
        )


# The reason of a request whose answer broke off: retried, then a gap for that request alone.
BROKEN_OFF = "answer broke off"


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
        ("IncompleteRead", "the answer was cut short"),
        ("Response ended prematurely", "the answer was cut short"),
        ("EOF occurred", "the answer was cut short"),
    ):
        if marker in text:
            return said
    return _one_line(text)


def decode_json(body: bytes | bytearray) -> Any:
    """A JSON answer decoded with orjson, three times faster than the standard library on list
    pages (decoding is most of what reading a list costs). What orjson refuses and the standard
    library reads -- NaN, lone surrogate escapes, integers past 4,300 digits -- no real API server
    sends, but a broken or hostile one may: those answers are read as before, by `json`, which
    raises ValueError for what neither reads. (orjson reads integers beyond 64 bits as floats,
    as the API server's own decoding does.)"""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def _status_text(status: int, body: bytes | bytearray) -> tuple[str, str]:
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
