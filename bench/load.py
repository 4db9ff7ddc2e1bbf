"""Mixed load on loopback against a live gunicorn: what a busy site looks like.

Migrates a fresh database (an SQLite file, or a new PostgreSQL database with
``--database postgresql``), seeds a site with a four-step journey, starts
``gunicorn collector:create_app()`` and drives it from ``--clients`` threads
for ``--duration`` seconds (or ``--requests`` in all), each request drawn from
a fixed mix: widget config fetches, single and 10-answer batch ingest, event
batches, curve reads, response listings and CSV exports. Rate limits are off.

It prints per endpoint: requests, throughput, p50/p99 latency and error rate,
then checks that every answer acknowledged with a 2xx is stored exactly once.
Exit status 1 on any error or lost or doubled answer.

    .venv/bin/python bench/load.py                        # SQLite, 30 s, 16 clients
    .venv/bin/python bench/load.py --database postgresql --duration 20
"""

import argparse
import http.client
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ORIGIN = "https://shop.example.com"
STEPS = ("cart", "shipping", "payment", "confirmation")
# (endpoint label, weight): about what one busy site's widgets and CX team send.
MIX = (
    ("config", 30),
    ("ingest 1", 25),
    ("ingest 10", 10),
    ("events 5", 15),
    ("curve", 10),
    ("responses", 6),
    ("export csv", 4),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(database: str, workdir: str) -> tuple[str, str, str, str | None]:
    """Migrate a fresh database and seed a site; returns (url, public key, secret, pg name)."""
    from flask_migrate import upgrade

    from collector import create_app
    from collector.extensions import db
    from collector.tenancy.sites import create_site

    pg_name = None
    if database == "postgresql":
        import psycopg

        pg_name = f"bench_load_{uuid.uuid4().hex[:8]}"  # not stepsense_*: .ci/run drops those
        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        url = PG_URL.rsplit("/", 1)[0] + "/" + pg_name
    else:
        url = f"sqlite:///{workdir}/load.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False})
    with app.app_context():
        upgrade()
        site, secret = create_site(db.session, "Load shop", [ORIGIN])
        db.session.commit()
        public_key = site.public_key
        db.engine.dispose()
    client = app.test_client()
    steps = [{"key": key, "name": key.title()} for key in STEPS]
    assert (
        client.post(
            "/v1/journeys", json={"key": "checkout", "steps": steps}, headers={"Authorization": f"Bearer {secret}"}
        ).status_code
        == 201
    )
    with app.app_context():
        db.engine.dispose()
    return url, public_key, secret, pg_name


def drop(pg_name: str | None) -> None:
    if pg_name:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/test", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')


def start_gunicorn(url: str, port: int, workers: int, log) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "RATELIMIT_ENABLED": "false", "SECRET_KEY": "bench", "PYTHONPATH": ROOT}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "30",
            "--keep-alive",
            "5",
            "collector:create_app()",
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("gunicorn did not start")


class Client(threading.Thread):
    """One keep-alive connection sending requests drawn from MIX until told to stop."""

    def __init__(self, port: int, public_key: str, secret: str, seed: int, stop: threading.Event, budget) -> None:
        super().__init__(daemon=True)
        self.port, self.public_key, self.secret, self.stop, self.budget = port, public_key, secret, stop, budget
        self.rng = random.Random(seed)
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.acknowledged: list[str] = []
        self.conn = None

    def _answer(self) -> dict:
        kind = self.rng.choice(["csat", "ces", "nps", "comment"])
        score = {"csat": self.rng.randint(1, 5), "ces": self.rng.randint(1, 7), "nps": self.rng.randint(0, 10)}.get(
            kind
        )
        comment = self.rng.choice([None, "Card declined twice", "Smooth and quick", "shipping costs too high"])
        return {
            "site_key": self.public_key,
            "journey": "checkout",
            "step": self.rng.choice(STEPS),
            "kind": kind,
            "score": score,
            "comment": comment or ("why?" if kind == "comment" else None),
            "client_id": str(uuid.uuid4()),
            "visitor_id": f"v{self.rng.randint(1, 5000)}",
            "device": self.rng.choice(["mobile", "desktop"]),
        }

    def _event(self) -> dict:
        return {
            "site_key": self.public_key,
            "journey": "checkout",
            "step": self.rng.choice(STEPS),
            "type": self.rng.choice(["impression", "step_view", "dismiss"]),
            "client_id": str(uuid.uuid4()),
        }

    def _request(self, label: str) -> tuple[str, str, bytes | None, dict, list[str]]:
        widget = {"Content-Type": "text/plain;charset=UTF-8", "Origin": ORIGIN}
        cx = {"Authorization": f"Bearer {self.secret}"}
        if label == "config":
            return "GET", f"/v1/sites/{self.public_key}/config", None, {"Origin": ORIGIN}, []
        if label.startswith("ingest"):
            items = [self._answer() for _ in range(int(label.split()[1]))]
            body = items[0] if len(items) == 1 else {"responses": items}
            return "POST", "/v1/responses", json.dumps(body).encode(), widget, [item["client_id"] for item in items]
        if label == "events 5":
            return "POST", "/v1/events", json.dumps({"events": [self._event() for _ in range(5)]}).encode(), widget, []
        if label == "curve":
            return "GET", "/v1/journeys/checkout/curve", None, cx, []
        if label == "responses":
            return "GET", "/v1/responses?limit=50&has_comment=true", None, cx, []
        return "GET", "/v1/journeys/checkout/export?format=csv", None, cx, []

    def run(self) -> None:
        labels, weights = zip(*MIX)
        while not self.stop.is_set() and self.budget():
            label = self.rng.choices(labels, weights)[0]
            method, path, body, headers, client_ids = self._request(label)
            started = time.perf_counter()
            try:
                if self.conn is None:
                    self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                response.read()
                ok = 200 <= response.status < 300
                if response.getheader("Connection", "").lower() == "close":
                    self.conn.close()
                    self.conn = None
            except (OSError, http.client.HTTPException):
                ok = False
                self.conn = None
            self.latencies[label].append(time.perf_counter() - started)
            if ok:
                self.acknowledged += client_ids
            else:
                self.errors[label] += 1


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def stored_counts(url: str) -> dict[str, int]:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        counts = dict(conn.execute(sa.text("SELECT client_id, count(*) FROM responses GROUP BY client_id")).all())
    engine.dispose()
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of load (upper bound)")
    parser.add_argument("--requests", type=int, default=0, help="stop after this many requests (0: no cap)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="stepsense-load-")
    url, public_key, secret, pg_name = prepare(args.database, workdir)
    port = free_port()
    log = open(os.path.join(workdir, "gunicorn.log"), "wb")
    server = start_gunicorn(url, port, args.workers, log)
    sent = [0]
    lock = threading.Lock()

    def budget() -> bool:
        if not args.requests:
            return True
        with lock:
            sent[0] += 1
            return sent[0] <= args.requests

    try:
        stop = threading.Event()
        clients = [Client(port, public_key, secret, seed, stop, budget) for seed in range(args.clients)]
        started = time.perf_counter()
        for client in clients:
            client.start()
        deadline = time.monotonic() + args.duration
        while time.monotonic() < deadline and any(client.is_alive() for client in clients):
            time.sleep(0.1)
        stop.set()
        for client in clients:
            client.join(60)
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(30)
        log.close()

    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    for client in clients:
        for label, values in client.latencies.items():
            latencies[label] += values
        for label, count in client.errors.items():
            errors[label] += count
    acknowledged = [client_id for client in clients for client_id in client.acknowledged]
    counts = stored_counts(url)
    lost = len(set(acknowledged) - set(counts))
    doubled = sum(1 for count in counts.values() if count > 1)

    total = sum(len(values) for values in latencies.values())
    print(
        f"\n{args.database}, {args.workers} gunicorn workers, {args.clients} clients, {elapsed:.1f} s, "
        f"{total} requests, {total / elapsed:.0f} req/s overall\n"
    )
    print("| endpoint | requests | req/s | p50 ms | p99 ms | errors |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, _ in MIX:
        values = latencies.get(label, [])
        rate = errors.get(label, 0) / len(values) if values else 0.0
        print(
            f"| {label} | {len(values)} | {len(values) / elapsed:.0f} | {percentile(values, 0.5) * 1000:.1f} | "
            f"{percentile(values, 0.99) * 1000:.1f} | {errors.get(label, 0)} ({rate:.2%}) |"
        )
    print(f"\nanswers acknowledged: {len(acknowledged)}, stored: {len(counts)}, lost: {lost}, stored twice: {doubled}")
    drop(pg_name)
    shutil.rmtree(workdir, ignore_errors=True)
    failed = sum(errors.values()) or lost or doubled
    print("FAIL" if failed else "OK: 0 errors, no acknowledged answer lost")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
