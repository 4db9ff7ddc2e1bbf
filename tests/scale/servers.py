"""Real servers the scale tests start and stop: nats-server (JetStream) and PostgreSQL clusters.

Each runs on a free loopback port with its data in a temp dir, so a test can
kill it (broker down, database down) without touching the machine's own
services. Not a fixture module: tests/scale/conftest.py wraps these.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

NATS_SERVER = shutil.which("nats-server") or "/usr/sbin/nats-server"
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def eventually(check, timeout: float = 15.0, every: float = 0.2) -> bool:
    """Whether ``check()`` became true within ``timeout`` seconds (a bound for a
    recovery that takes its own time, such as a client reconnecting; not a timing)."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(every)


def wait_for_port(port: int, timeout: float = 15.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {host}:{port} after {timeout} s")


class NatsServer:
    """One nats-server with JetStream; ``stop``/``start`` keep its port and its store."""

    def __init__(
        self,
        workdir: Path,
        port: int | None = None,
        name: str = "n1",
        cluster: str | None = None,
        cluster_port: int | None = None,
        routes: list[str] | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.workdir, self.name, self.host = workdir, name, host
        self.port = port or free_port()
        self.cluster, self.cluster_port, self.routes = cluster, cluster_port, routes or []
        self.store = workdir / f"js-{name}"
        self.store.mkdir(parents=True, exist_ok=True)
        self.log = workdir / f"nats-{name}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"

    def command(self) -> list[str]:
        command = [
            NATS_SERVER,
            "-a",
            self.host,
            "-p",
            str(self.port),
            "-js",
            "-sd",
            str(self.store),
            "-n",
            self.name,
            "-l",
            str(self.log),
        ]
        if self.cluster:
            command += [
                "--cluster_name",
                self.cluster,
                "--cluster",
                f"nats://{self.host}:{self.cluster_port}",
                "--routes",
                ",".join(self.routes),
            ]
        return command

    def start(self) -> "NatsServer":
        self.process = subprocess.Popen(
            self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        wait_for_port(self.port, host=self.host)
        return self

    def stop(self, kill: bool = False) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


class PostgresCluster:
    """A throw-away PostgreSQL 15 cluster (initdb, or pg_basebackup of a primary for a
    streaming replica), owned by the postgres user, on a free port."""

    def __init__(self, workdir: Path, name: str = "primary", port: int | None = None) -> None:
        self.port = port or free_port()
        self.datadir = workdir / f"pg-{name}"
        self.logfile = workdir / f"pg-{name}.log"
        self.name = name

    @staticmethod
    def available() -> bool:
        return (PG_BIN / "initdb").exists() and shutil.which("runuser") is not None

    def _as_postgres(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["runuser", "-u", "postgres", "--", *command], capture_output=True, text=True, check=check, timeout=120
        )

    def _own(self) -> None:
        self.datadir.parent.chmod(0o777)
        shutil.chown(self.datadir.parent, "postgres")

    def init(self) -> "PostgresCluster":
        self._own()
        self._as_postgres(
            str(PG_BIN / "initdb"), "-D", str(self.datadir), "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"
        )
        with open(self.datadir / "postgresql.conf", "a") as conf:
            conf.write(
                f"\nport = {self.port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{self.datadir}'\n"
                "wal_level = replica\nmax_wal_senders = 5\nhot_standby = on\nfsync = on\n"
                "shared_buffers = 32MB\nmax_connections = 60\n"
            )
        with open(self.datadir / "pg_hba.conf", "a") as hba:
            hba.write("host replication all 127.0.0.1/32 trust\n")
        return self

    def replica_of(self, primary: "PostgresCluster") -> "PostgresCluster":
        self._own()
        self._as_postgres(
            str(PG_BIN / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(self.datadir),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
        )
        with open(self.datadir / "postgresql.conf", "a") as conf:
            conf.write(f"\nport = {self.port}\nunix_socket_directories = '{self.datadir}'\n")
        return self

    def start(self) -> "PostgresCluster":
        self._as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.datadir), "-l", str(self.logfile), "-w", "-t", "60", "start"
        )
        return self

    def stop(self, mode: str = "fast") -> None:
        self._as_postgres(
            str(PG_BIN / "pg_ctl"), "-D", str(self.datadir), "-m", mode, "-w", "-t", "60", "stop", check=False
        )

    def kill(self) -> None:
        """SIGKILL the postmaster (a crash, not a shutdown)."""
        pid_file = self.datadir / "postmaster.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().split()[0])
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        done = subprocess.run(
            [
                str(PG_BIN / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-Atc",
                sql,
            ],
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        return done.stdout.strip()


ROOT = Path(__file__).resolve().parents[2]


def http(
    port: int,
    method: str,
    path: str,
    body: object = None,
    headers: dict | None = None,
    host: str = "127.0.0.1",
    timeout: float = 10.0,
) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection: (status, headers, body); OSError on a network failure."""
    import http.client
    import json

    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        data = body if body is None or isinstance(body, bytes) else json.dumps(body).encode()
        conn.request(method, path, body=data, headers={"Content-Type": "text/plain;charset=UTF-8", **(headers or {})})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    except http.client.HTTPException as error:
        raise ConnectionError(str(error)) from error
    finally:
        conn.close()


class Gunicorn:
    """``gunicorn collector:create_app()`` in a subprocess on ``host:port`` with ``env``."""

    def __init__(
        self,
        database_url: str,
        log_path: Path,
        workers: int = 2,
        host: str = "127.0.0.1",
        port: int | None = None,
        **env: str,
    ) -> None:
        import sys

        self.host, self.port, self.workers, self.log_path = host, port or free_port(), workers, log_path
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SECRET_KEY": "scale-test",
            "RATELIMIT_ENABLED": "false",
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.env.pop("TEST_DATABASE_URL", None)
        self.command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"{host}:{self.port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            "2",
            "--reuse-port",
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
            "collector:create_app()",
        ]
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> "Gunicorn":
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                self.command, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-3000:]}")
            try:
                if http(self.port, "GET", "/healthz", host=self.host, timeout=2)[0] in (200, 503):
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not answer: {self.log_path.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the whole server (master and workers), as a host dying."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.process = None
