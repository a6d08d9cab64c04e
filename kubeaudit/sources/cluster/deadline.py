"""A deadline for one whole HTTP request, however slowly the server answers.

urllib3's timeouts bound each socket operation, not the request: a server that sends a
few bytes every second never trips a 3 s read timeout, and a request can last for ever.
So each request runs under a `Deadline`, a timer that, when it fires, shuts down the
socket of the connection the request is using. The blocked read in the requesting
thread then returns or raises at once, and the transport reports the request as timed
out. (Shutting the socket down is the one way to interrupt a read blocked in another
thread; closing it is not safe while the other thread uses it.)

To know which connection a request uses, the client's connection pools get a connection
class that records itself with the deadline of the thread that sends a request on it.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from typing import Any

_current = threading.local()


class Deadline:
    """`with Deadline(seconds):` around one request sent from this thread."""

    def __init__(self, seconds: float) -> None:
        self.seconds = max(0.0, seconds)
        self.expired = False
        self._connection: Any = None
        self._lock = threading.Lock()
        self._timer = threading.Timer(self.seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        _current.deadline = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        with self._lock:
            self._connection = None  # the connection may go back to the pool: never touch it again
        _current.deadline = None

    def attach(self, connection: Any) -> None:
        with self._lock:
            self._connection = connection
            late = self.expired
        if late:
            self._shutdown(connection)

    def _expire(self) -> None:
        with self._lock:
            self.expired = True
            connection = self._connection
        if connection is not None:
            self._shutdown(connection)

    @staticmethod
    def _shutdown(connection: Any) -> None:
        sock = getattr(connection, "sock", None)
        if sock is None:
            return
        # The plain socket's shutdown, under TLS too: SSLSocket.shutdown would also drop the TLS
        # state another thread is reading through. OSError: already closed, the request is over.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Tracked:
    """Mixed into the client's connection classes: tells the sending thread's Deadline which
    connection carries its request."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        deadline = getattr(_current, "deadline", None)
        if deadline is not None:
            deadline.attach(self)
        return super().request(*args, **kwargs)  # type: ignore[misc]


_classes: dict[type, type] = {}
_classes_lock = threading.Lock()


def _tracked_pool(pool_class: Any) -> type:
    with _classes_lock:
        if pool_class not in _classes:
            base = pool_class.ConnectionCls
            connection = type(f"Tracked{base.__name__}", (_Tracked, base), {})
            _classes[pool_class] = type(f"Tracked{pool_class.__name__}", (pool_class,), {"ConnectionCls": connection})
        return _classes[pool_class]


def track_connections(manager: Any) -> None:
    """Make a urllib3 PoolManager's pools use connections a Deadline can cut (anything else is
    left alone; its requests then only have per-read timeouts)."""
    classes = getattr(manager, "pool_classes_by_scheme", None)
    if manager is None or not isinstance(classes, dict):
        return
    if any(cls in _classes.values() for cls in classes.values()):
        return  # already tracked
    # An instance attribute: urllib3's module-level default mapping stays as it is.
    manager.pool_classes_by_scheme = {scheme: _tracked_pool(cls) for scheme, cls in classes.items()}
