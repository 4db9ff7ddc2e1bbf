"""The scale path on real distributed parts, with faults under load (bench/SCALE.md).

Starts, all on this machine's loopback:

* three web hosts: gunicorn (2 gthread workers) on 127.0.0.2, 127.0.0.3, 127.0.0.4,
  behind HAProxy (Debian's) on 127.0.0.1, health-checked on /healthz;
* a three-node NATS JetStream cluster; the ingest log has 3 replicas;
* a PostgreSQL primary and a streaming replica (initdb, pg_basebackup), the web
  hosts reading curves from the replica (DATABASE_READ_URL);
* Redis (the machine's, 127.0.0.1:6379) for rate limits and site-cache invalidation;
* two `stepsense ingest worker` processes.

Then it sends ``--answers`` answers through HAProxy from ``--clients`` threads
that behave like the widget (resend an answer until it is acknowledged with a
2xx), and on the way: SIGKILLs one web host, SIGKILLs the node that leads the
stream, restarts the PostgreSQL primary, SIGKILLs a worker. Finally it waits for
the log to drain and checks: every acknowledged answer stored exactly once,
nothing stored twice, the curve read from the replica equal to the primary's,
`stepsense rollups verify` clean. Exit status 1 if a check fails.

    .venv/bin/python bench/cluster.py                 # 3,000 answers
    .venv/bin/python bench/cluster.py --answers 400   # the bounded CI run (tests/scale/test_cluster.py)
"""

import argparse
import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.scale.servers import (  # noqa: E402 -- after the path set-up
    Gunicorn,
    NatsServer,
    PostgresCluster,
    eventually,
    free_port,
    http,
    wait_for_port,
)

ORIGIN = "https://shop.example.com"
WEB_HOSTS = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
HAPROXY = "/usr/sbin/haproxy"
REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass
class Report:
    answers: int = 0
    acknowledged: int = 0
    attempts: int = 0
    refused: dict[str, int] = field(default_factory=dict)  # status or error → count, answered before a retry
    stored: int = 0
    stored_acknowledged: int = 0
    duplicates: int = 0
    faults: list[str] = field(default_factory=list)
    curve_primary: dict[str, int] = field(default_factory=dict)
    curve_replica: dict[str, int] = field(default_factory=dict)
    verify_clean: bool = False
    seconds: float = 0.0
    drain_seconds: float = 0.0

    def failures(self) -> list[str]:
        found = []
        if self.acknowledged != self.answers:
            found.append(f"{self.answers - self.acknowledged} answers never acknowledged")
        if self.stored_acknowledged != self.acknowledged:
            found.append(f"{self.acknowledged - self.stored_acknowledged} acknowledged answers lost")
        if self.duplicates:
            found.append(f"{self.duplicates} answers stored twice")
        if self.curve_replica != self.curve_primary:
            found.append(f"replica curve {self.curve_replica} != primary {self.curve_primary}")
        if not self.verify_clean:
            found.append("rollups verify is not clean")
        return found


def haproxy_config(port: int, backends: list[Gunicorn], stats_port: int) -> str:
    servers = "\n".join(
        f"    server web{i} {b.host}:{b.port} check inter 300ms fall 2 rise 2" for i, b in enumerate(backends, 1)
    )
    return f"""global
    maxconn 2000
defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 10s
    retries 2
    option redispatch
    option forwardfor
    retry-on conn-failure empty-response response-timeout
frontend ingest
    bind 127.0.0.1:{port}
    default_backend web
backend web
    balance roundrobin
    option httpchk GET /healthz
    http-check expect rstatus (200)
{servers}
listen stats
    bind 127.0.0.1:{stats_port}
    stats enable
    stats uri /
"""


class Cluster:
    """Every part of the layout, started in ``start`` and stopped in ``stop``."""

    def __init__(self, workdir: Path, stream: str = "cluster") -> None:
        self.workdir, self.stream = workdir, stream
        self.nats: list[NatsServer] = []
        self.primary = self.replica = None
        self.web: list[Gunicorn] = []
        self.workers: list[subprocess.Popen] = []
        self.haproxy: subprocess.Popen | None = None
        self.port = free_port()
        self.database = "cluster"

    # --- start -----------------------------------------------------------------------------------

    def start(self) -> "Cluster":
        pg_dir = Path(tempfile.mkdtemp(prefix="stepsense-cluster-pg-"))
        pg_dir.chmod(0o755)
        self.pg_dir = pg_dir
        self.primary = PostgresCluster(pg_dir, "primary").init().start()
        self.replica = PostgresCluster(pg_dir, "replica").replica_of(self.primary).start()
        self.primary.psql(f"CREATE DATABASE {self.database}")
        cluster_ports = [free_port() for _ in range(3)]
        for i in range(3):
            routes = [f"nats://127.0.0.1:{p}" for j, p in enumerate(cluster_ports) if j != i]
            self.nats.append(
                NatsServer(
                    self.workdir, name=f"n{i + 1}", cluster="stepsense", cluster_port=cluster_ports[i], routes=routes
                )
            )
        for node in self.nats:
            node.process = subprocess.Popen(
                node.command(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
            )
        for node in self.nats:
            wait_for_port(node.port)
        self._flask("db", "upgrade")
        site = json.loads(self._flask("sites", "create", "--name", "Cluster shop", "--origin", ORIGIN))
        self.site_key, self.secret = site["public_key"], site["secret_key"]
        self._wait_for_jetstream()
        for host in WEB_HOSTS:
            self.web.append(
                Gunicorn(
                    self.primary.url(self.database),
                    self.workdir / f"web-{host}.log",
                    workers=2,
                    host=host,
                    **self.env(),
                ).start()
            )
        stats_port = free_port()
        config = self.workdir / "haproxy.cfg"
        config.write_text(haproxy_config(self.port, self.web, stats_port))
        with open(self.workdir / "haproxy.log", "wb") as log:
            self.haproxy = subprocess.Popen(
                [HAPROXY, "-f", str(config), "-db"], stdout=subprocess.DEVNULL, stderr=log, start_new_session=True
            )
        wait_for_port(self.port)
        for _ in range(2):
            self.start_worker()
        return self

    def env(self) -> dict[str, str]:
        return {
            "INGEST_QUEUE_URL": ",".join(node.url for node in self.nats),
            "INGEST_QUEUE_STREAM": self.stream,
            "INGEST_QUEUE_REPLICAS": "3",
            "INGEST_QUEUE_TIMEOUT": "2",
            "DATABASE_READ_URL": self.replica.url(self.database),
            "REPLICA_MAX_LAG_SECONDS": "5",
            "RATELIMIT_ENABLED": "true",
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "RATELIMIT_KEY_PREFIX": f"cluster{os.getpid()}",
            "RATELIMIT_PUBLIC_PER_IP": "1000000/minute",
            "RATELIMIT_PUBLIC_PER_SITE": "1000000/minute",
            "CACHE_INVALIDATION_URL": REDIS_URL,
            "SITE_CACHE_SECONDS": "10",
            "TRUSTED_PROXIES": "1",
        }

    def _process_env(self, **extra: str) -> dict[str, str]:
        env = {
            **os.environ,
            "DATABASE_URL": self.primary.url(self.database),
            "SECRET_KEY": "cluster",
            "PYTHONPATH": str(ROOT),
            **self.env(),
            **extra,
        }
        env.pop("TEST_DATABASE_URL", None)
        return env

    def _flask(self, *args: str, **extra: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "collector:create_app", *args],
            cwd=ROOT,
            env=self._process_env(**extra),
            capture_output=True,
            text=True,
            timeout=300,
        )
        if done.returncode:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stderr[-2000:]}")
        return done.stdout

    def _wait_for_jetstream(self) -> None:
        """The cluster has a meta leader and the stream exists with its 3 replicas."""

        def ready() -> bool:
            try:
                self._flask("ingest", "status", "--json", "--dead", "0")
                return True
            except RuntimeError:
                return False

        if not eventually(ready, timeout=60, every=1):
            raise RuntimeError("the JetStream cluster did not come up")

    def start_worker(self) -> subprocess.Popen:
        with open(self.workdir / f"worker-{len(self.workers)}.log", "wb") as log:
            worker = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "collector:create_app", "ingest", "worker", "--batch", "200"],
                cwd=ROOT,
                env=self._process_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.workers.append(worker)
        return worker

    # --- faults ----------------------------------------------------------------------------------

    def status(self) -> dict:
        return json.loads(self._flask("ingest", "status", "--json", "--dead", "0"))

    def kill_web_host(self) -> str:
        self.web[0].kill()
        return f"SIGKILL web host {self.web[0].host} (master and workers)"

    def kill_stream_leader(self) -> str:
        leader = self.status()["leader"]
        node = next(node for node in self.nats if node.name == leader)
        node.process.send_signal(signal.SIGKILL)
        node.process.wait(10)
        node.process = None
        return f"SIGKILL NATS node {leader}, the stream's leader"

    def restart_primary(self) -> str:
        self.primary.stop("fast")
        time.sleep(1)
        self.primary.start()
        return "restart of the PostgreSQL primary (pg_ctl stop -m fast, start)"

    def kill_worker(self) -> str:
        worker = self.workers[0]
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
        return f"SIGKILL ingest worker {worker.pid}"

    # --- checks ----------------------------------------------------------------------------------

    def drained(self) -> bool:
        try:
            state = self.status()
        except RuntimeError:
            return False
        return state["messages"] == 0 and state["lag"] == 0

    def curve(self) -> dict[str, int]:
        """The curve as the API serves it (from the replica: DATABASE_READ_URL)."""
        status, _, body = http(
            self.port, "GET", "/v1/journeys/checkout/curve", headers={"Authorization": f"Bearer {self.secret}"}
        )
        if status != 200:
            return {"error": status}
        return {step["step"]: step["responses"] for step in json.loads(body)["steps"]}

    def primary_curve(self) -> dict[str, int]:
        script = (
            "import json\nfrom collector import create_app\nfrom collector.extensions import db\n"
            "from collector.analytics.curves import journey_curve\nfrom collector.tenancy.journeys import get_journey\n"
            "from collector.models import Site\nimport sqlalchemy as sa\napp = create_app()\nwith app.app_context():\n"
            f"    site = db.session.scalar(sa.select(Site).where(Site.public_key == {self.site_key!r}))\n"
            "    curve = journey_curve(db.session, get_journey(db.session, site, 'checkout'), {})\n"
            "    print(json.dumps({s['step']: s['responses'] for s in curve['steps']}))\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script],
            cwd=ROOT,
            env=self._process_env(DATABASE_READ_URL=""),
            capture_output=True,
            text=True,
            timeout=120,
        )
        return json.loads(done.stdout.strip().splitlines()[-1])

    def stored_client_ids(self) -> list[str]:
        out = self.primary.psql("SELECT client_id FROM responses", database=self.database)
        return [line for line in out.splitlines() if line]

    # --- stop ------------------------------------------------------------------------------------

    def stop(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(15)
                except subprocess.TimeoutExpired:
                    os.killpg(worker.pid, signal.SIGKILL)
        if self.haproxy and self.haproxy.poll() is None:
            self.haproxy.terminate()
            self.haproxy.wait(10)
        for server in self.web:
            server.stop()
        for node in self.nats:
            node.stop()
        for cluster in (self.replica, self.primary):
            if cluster is not None:
                cluster.stop("immediate")
        if getattr(self, "pg_dir", None):
            shutil.rmtree(self.pg_dir, ignore_errors=True)


def send_answers(cluster: Cluster, report: Report, answers: int, clients: int, on_progress) -> list[str]:
    """Widget-like clients through HAProxy: each answer resent until acknowledged; returns the acknowledged ids."""
    acknowledged: list[str] = []
    lock = threading.Lock()
    steps = ("cart", "shipping", "payment", "confirmation")

    def one(n: int) -> None:
        client_id = str(uuid.uuid4())
        body = {
            "site_key": cluster.site_key,
            "journey": "checkout",
            "step": steps[n % 4],
            "kind": "csat",
            "score": 1 + n % 5,
            "comment": "Quick and easy, thanks!" if n % 3 else "The card form kept failing.",
            "client_id": client_id,
            "visitor_id": f"v{n}",
            "session_id": f"s{n % 200}",
            "device": "desktop",
        }
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            with lock:
                report.attempts += 1
            try:
                status, headers, _ = http(cluster.port, "POST", "/v1/responses", body, {"Origin": ORIGIN}, timeout=10)
            except OSError as error:
                status, headers = type(error).__name__, {}
            if isinstance(status, int) and 200 <= status < 300:
                with lock:
                    acknowledged.append(client_id)
                    on_progress(len(acknowledged))
                return
            with lock:
                report.refused[str(status)] = report.refused.get(str(status), 0) + 1
            time.sleep(min(2.0, float(headers.get("retry-after", 0.2))))  # as the widget waits before a resend

    with concurrent.futures.ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, range(answers)))
    return acknowledged


def run(answers: int, clients: int, workdir: Path) -> Report:
    report = Report(answers=answers)
    cluster = Cluster(workdir)
    try:
        cluster.start()
        faults = [
            (0.2, cluster.kill_web_host),
            (0.4, cluster.kill_stream_leader),
            (0.6, cluster.restart_primary),
            (0.8, cluster.kill_worker),
        ]
        fired: set[int] = set()
        pending = threading.Event()
        todo: list = []

        def progress(count: int) -> None:
            for i, (share, fault) in enumerate(faults):
                if i not in fired and count >= share * answers:
                    fired.add(i)
                    todo.append(fault)
                    pending.set()

        def injector() -> None:
            while True:
                pending.wait()
                pending.clear()
                while todo:
                    fault = todo.pop(0)
                    if fault is None:
                        return
                    report.faults.append(f"{time.strftime('%H:%M:%S')} {fault()}")
                    print(report.faults[-1], file=sys.stderr, flush=True)

        thread = threading.Thread(target=injector, daemon=True)
        thread.start()
        started = time.monotonic()
        acknowledged = send_answers(cluster, report, answers, clients, progress)
        report.seconds = time.monotonic() - started
        todo.append(None)
        pending.set()
        thread.join(120)
        report.acknowledged = len(acknowledged)
        drain_started = time.monotonic()
        eventually(cluster.drained, timeout=300, every=1)
        report.drain_seconds = time.monotonic() - drain_started
        stored = cluster.stored_client_ids()
        report.stored, report.duplicates = len(stored), len(stored) - len(set(stored))
        report.stored_acknowledged = len(set(acknowledged) & set(stored))
        report.curve_primary = cluster.primary_curve()
        # Through HAProxy: a live web host, whose curve reads come from the replica.
        eventually(lambda: cluster.curve() == report.curve_primary, timeout=60, every=0.5)
        report.curve_replica = cluster.curve()
        verify = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "collector:create_app", "rollups", "verify"],
            cwd=ROOT,
            env=cluster._process_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        report.verify_clean = verify.returncode == 0
    finally:
        cluster.stop()
    return report


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=3000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    for tool in (HAPROXY, "/usr/sbin/nats-server"):
        if not os.path.exists(tool):
            raise SystemExit(f"{tool} is missing (apt-get install haproxy nats-server)")
    workdir = Path(tempfile.mkdtemp(prefix="stepsense-cluster-"))
    try:
        report = run(args.answers, args.clients, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps({**report.__dict__, "failures": report.failures()}, indent=2))
    return 1 if report.failures() else 0


if __name__ == "__main__":
    sys.exit(main())
