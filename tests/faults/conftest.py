"""Fixtures for the fault tests: apps on databases of their own (committed, not rolled back), a TCP proxy that can
cut PostgreSQL off, and Redis (required under CI=true, where an unreachable Redis fails the run)."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator

import pytest

from tests.crypto_app.conftest import committed_app  # noqa: F401 - the fixture, shared with these tests

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class CuttableProxy:
    """Forwards loopback TCP connections to a server until cut: then every open connection is dropped and new ones
    are closed as soon as they arrive, as when the database host goes away. ``restore`` brings it back."""

    def __init__(self, host: str, port: int) -> None:
        self.upstream = (host, port)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = int(self.listener.getsockname()[1])
        self.is_up = True
        self.connections: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                downstream, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if not self.is_up:
                downstream.close()
                continue
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                downstream.close()
                continue
            upstream.settimeout(None)
            downstream.settimeout(None)
            with self.lock:
                self.connections.update((downstream, upstream))
            for source, target in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                target.sendall(chunk)
        except OSError:
            pass
        finally:
            self._drop(source, target)

    def _drop(self, *sockets: socket.socket) -> None:
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
            with self.lock:
                self.connections.discard(sock)

    def cut(self) -> None:
        """The server goes away: drop every connection and refuse new ones."""
        self.is_up = False
        with self.lock:
            open_now = list(self.connections)
        self._drop(*open_now)

    def restore(self) -> None:
        """The server is back."""
        self.is_up = True

    def close(self) -> None:
        """Stop listening and drop everything."""
        self.stopping.set()
        self.cut()
        self.listener.close()
        self.thread.join(timeout=2)


@pytest.fixture
def pg_proxy(request: pytest.FixtureRequest) -> Iterator[CuttableProxy]:
    import sqlalchemy as sa

    url = sa.make_url(request.config.getoption("--pg-url"))
    proxy = CuttableProxy(url.host or "127.0.0.1", url.port or 5432)
    yield proxy
    proxy.close()


@pytest.fixture
def redis_url() -> Iterator[str]:
    """A reachable Redis (database 15, flushed); skipped when there is none, except under CI=true, where it fails."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisConnectionError

    connection = Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        connection.ping()
    except RedisConnectionError:
        connection.close()
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"Redis at {REDIS_URL} is unreachable, and CI=true needs it")
        pytest.skip(f"Redis at {REDIS_URL} is unreachable")
    connection.flushdb()
    yield REDIS_URL
    connection.flushdb()
    connection.close()
