"""Reliability fixtures: a real gunicorn on a loopback port and a TCP proxy that
can cut the database off. The small HTTP client the tests (and the gunicorn
fixture) use, ``request``, is in tests/reliability/helpers.py.

The server runs the same ``collector:create_app()`` as production, on the
per-test database of tests/conftest.py (a file SQLite, or a fresh PostgreSQL
database when TEST_DATABASE_URL is set).
"""

import os
import selectors
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from tests.reliability.helpers import request

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """``gunicorn collector:create_app()`` in a subprocess, on ``port``."""

    def __init__(self, database_url: str, port: int, log_path: Path, workers: int = 2, **env: str) -> None:
        self.port = port
        self.workers = workers
        self.log_path = log_path
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "reliability-test",
            "RATELIMIT_ENABLED": "false",
            "SITE_CACHE_SECONDS": "0",
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.env.pop("TEST_DATABASE_URL", None)
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> "Gunicorn":
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--timeout",
                "30",
                "--graceful-timeout",
                "5",
                "collector:create_app()",
            ],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-3000:]}")
            try:
                status, _, _ = request(self.port, "GET", "/healthz", timeout=2)
                if status in (200, 503) and len(self.worker_pids()) == self.workers:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer: {self.log_path.read_text()[-3000:]}")

    @property
    def pid(self) -> int:
        return self.process.pid

    def worker_pids(self) -> list[int]:
        try:
            return [child.pid for child in psutil.Process(self.pid).children()]
        except psutil.NoSuchProcess:
            return []

    def kill_worker(self) -> int:
        """SIGKILL one worker; the master starts a replacement."""
        pid = self.worker_pids()[0]
        os.kill(pid, signal.SIGKILL)
        return pid

    def kill_all(self) -> None:
        """SIGKILL the master, then its workers: the whole server dies at once, as in a crash."""
        workers = self.worker_pids()
        os.kill(self.pid, signal.SIGKILL)
        for pid in workers:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(10)
        for pid in workers:
            try:
                psutil.Process(pid).wait(10)
            except psutil.NoSuchProcess:
                pass

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill_all()


@pytest.fixture
def gunicorn(database_url, tmp_path):
    """``gunicorn(**env)`` starts a server on the test's database; stopped after the test."""
    servers: list[Gunicorn] = []

    def start(url: str | None = None, workers: int = 2, **env: str) -> Gunicorn:
        server = Gunicorn(url or database_url, free_port(), tmp_path / "gunicorn.log", workers, **env)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


class TcpProxy:
    """Forwards 127.0.0.1:port to a target; ``stop()`` refuses and cuts every
    connection (the database is gone), ``start()`` brings it back on the same port."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = free_port()
        self.listener: socket.socket | None = None
        self.connections: set[socket.socket] = set()
        self.lock = threading.Lock()
        self.running = False

    def start(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.listener.listen(64)
        self.running = True
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while self.running:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.connections |= {client, upstream}
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()

    def _pipe(self, a: socket.socket, b: socket.socket) -> None:
        selector = selectors.DefaultSelector()
        selector.register(a, selectors.EVENT_READ, b)
        selector.register(b, selectors.EVENT_READ, a)
        try:
            while True:
                for key, _ in selector.select(timeout=1):
                    data = key.fileobj.recv(65536)
                    if not data:
                        return
                    key.data.sendall(data)
        except (OSError, ValueError):
            return
        finally:
            selector.close()
            for sock in (a, b):
                sock.close()
                with self.lock:
                    self.connections.discard(sock)

    def stop(self) -> None:
        self.running = False
        if self.listener:
            try:  # wakes the thread blocked in accept(); close() alone would not on Linux
                self.listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.listener.close()
        with self.lock:
            connections, self.connections = list(self.connections), set()
        for sock in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()


@pytest.fixture
def db_proxy():
    """A stoppable TCP proxy in front of the test PostgreSQL."""
    from sqlalchemy.engine import make_url

    url = make_url(os.environ["TEST_DATABASE_URL"])
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    yield proxy
    proxy.stop()
