"""Ingest throughput: `POST /v1/responses` against a no-op endpoint, same server, same load.

For each database (an SQLite file in a temp dir, and a fresh PostgreSQL
database) this migrates with ``flask db upgrade``, seeds a site and its
``checkout`` journey, starts gunicorn on ``bench.ingest_wsgi:app`` and drives
it with wrk (``bench/ingest.lua``) for a fixed time per phase, in the order
no-op, single answer, 20-answer batch, the two diagnostics of
``bench/ingest_wsgi.py`` (unstored, insert), no-op again. It then checks that every
answer the server acknowledged with a 2xx is a row in ``responses``, in each
phase and, recounted after the last, in all of them (a row booked to the wrong
phase leaves the total right, a lost one does not), prints a table and the two
ratios, and removes its processes and databases.

    .venv/bin/python bench/ingest.py                      # both databases, 10 s per phase
    .venv/bin/python bench/ingest.py --databases sqlite --duration 5

Targets (issue 3, part 11): single answers/s >= 0.5 x no-op requests/s, and
batch-20 answers/s >= 5 x single answers/s. Exit status 1 if a check fails.
"""

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
import sqlalchemy as sa

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LUA = os.path.join(ROOT, "bench", "ingest.lua")
ORIGIN = "https://shop.example.com"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
# (name, answers per request (None: --batch), path); "unstored" is a diagnostic (see ingest_wsgi.py).
PHASES = (
    ("noop", 0, "/bench/noop"),
    ("single", 1, "/v1/responses"),
    ("batch", None, "/v1/responses"),
    ("unstored", 1, "/bench/unstored"),
    ("insert", 1, "/bench/insert"),
    ("noop again", 0, "/bench/noop"),
)


@dataclass
class Phase:
    name: str
    batch: int  # answers per request; 0 for the no-op endpoint
    path: str
    requests: int
    seconds: float
    ok: int
    non_2xx: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    server_2xx: int = 0
    server_other: int = 0
    rows: int = 0
    queued: bool = False  # answered from the ingest log: rows come later, from the worker

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def answers_per_s(self) -> float:
        return self.ok * max(self.batch, 1) / self.seconds

    @property
    def stored_per_request(self) -> int:
        """Rows an acknowledged request adds to ``responses`` within its phase."""
        return self.batch if self.path == "/v1/responses" and not self.queued else 0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", PG_URL), help="server to create the bench database on"
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per phase")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of warm-up load per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--wrk-threads", type=int, default=1, help="one leaves the other core to the server")
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="gthread")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker (gthread)")
    parser.add_argument("--keep-alive", type=int, default=5)
    parser.add_argument(
        "--no-queue",
        dest="queue",
        action="store_false",
        help="skip the queued path (a private nats-server, `stepsense ingest worker`)",
    )
    parser.add_argument(
        "--drain-answers",
        type=int,
        default=50_000,
        help="answers in the log when the worker starts (the queued phase's, topped up)",
    )
    parser.add_argument("--worker-batch", type=int, default=2000, help="stepsense ingest worker --batch")
    parser.add_argument(
        "--no-reuse-port",
        dest="reuse_port",
        action="store_false",
        help="share one listening socket between the workers (gunicorn's default; see INGEST.md)",
    )
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "RATELIMIT_ENABLED": "false",
        "SECRET_KEY": "bench",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": ROOT,
        **extra,
    }


def flask(database_url: str, *args: str) -> str:
    """Run a command of the app's CLI, as an operator would, and return its output."""
    command = [sys.executable, "-m", "flask", "--app", "collector:create_app", *args]
    done = subprocess.run(command, cwd=ROOT, env=app_env(database_url), capture_output=True, text=True, timeout=120)
    if done.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


@contextmanager
def sqlite_database():
    directory = tempfile.mkdtemp(prefix="stepsense-bench-")
    try:
        yield f"sqlite:///{directory}/bench.sqlite3"
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextmanager
def postgresql_database(server_url: str):
    url = sa.make_url(server_url)
    # Not "stepsense_…": .ci/run drops those as leftovers, even while a bench runs.
    name = f"ingestbench_{os.getpid()}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(database_url: str) -> str:
    """Migrate, create a site (CLI) and its checkout journey; return the site's public key."""
    flask(database_url, "db", "upgrade")
    site = json.loads(flask(database_url, "sites", "create", "--name", "Bench shop", "--origin", ORIGIN))
    script = (
        "from collector import create_app\n"
        "from collector.extensions import db\n"
        "from collector.tenancy.journeys import create_journey\n"
        "from collector.models import Site\n"
        "from bench.ingest_wsgi import BENCH_ROWS\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    BENCH_ROWS.create(db.engine)\n"
        f"    site = db.session.get(Site, {site['id']})\n"
        "    create_journey(db.session, site, {'key': 'checkout', 'name': 'Checkout', 'steps': [\n"
        "        {'key': key} for key in ('cart', 'shipping', 'payment', 'confirmation')]})\n"
    )
    subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=app_env(database_url), check=True, timeout=120)
    return site["public_key"]


def count_rows(database_url: str) -> int:
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.scalar(sa.text("SELECT count(*) FROM responses"))
    finally:
        engine.dispose()


@contextmanager
def gunicorn(args: argparse.Namespace, database_url: str, workdir: str, **env: str):
    """The server under test; yields (base URL, access log path)."""
    port = free_port()
    access_log = os.path.join(workdir, "access.log")
    error_log = os.path.join(workdir, "gunicorn.log")
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(args.workers),
        "--worker-class",
        args.worker_class,
        "--threads",
        str(args.threads),
        "--keep-alive",
        str(args.keep_alive),
        *(["--reuse-port"] if getattr(args, "reuse_port", True) else []),
        # The access log is on in production (`stepsense serve`); here it also
        # counts what the server answered, to check against the stored rows.
        "--access-logfile",
        access_log,
        "--access-logformat",
        "%(s)s %(U)s",
        "--error-logfile",
        error_log,
        # As `stepsense serve`: a worker loads the sentiment models before its first request.
        "--config",
        "python:collector.monitoring.gunicorn",
        "bench.ingest_wsgi:app",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=app_env(database_url, **env), start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                with open(error_log) as log:
                    raise SystemExit(f"gunicorn did not start:\n{log.read()[-3000:]}")
            time.sleep(0.2)
        yield base, access_log
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wrk(args: argparse.Namespace, base: str, path: str, mode: int | str, seconds: int, site_key: str) -> dict:
    """Load ``path`` for ``seconds``; ``mode`` as bench/ingest.lua takes it (answers per request, or "event")."""
    command = [
        "wrk",
        "-t",
        str(getattr(args, "wrk_threads", 1)),
        "-c",
        str(args.connections),
        "-d",
        f"{seconds}s",
        "--timeout",
        "10s",
        "-s",
        LUA,
        base + path,
        "--",
        str(mode),
        site_key,
        ORIGIN,
        str(getattr(args, "pool", 2000)),
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    for line in done.stdout.splitlines():
        if line.startswith("BENCH_RESULT "):
            return json.loads(line.removeprefix("BENCH_RESULT "))
    raise SystemExit(f"wrk gave no result:\n{done.stdout}\n{done.stderr}")


def settle(access_log: str, offset: int) -> tuple[list[str], int]:
    """Wait for requests still in flight when wrk stopped; return the new log lines."""
    size = -1
    while size != os.path.getsize(access_log):
        size = os.path.getsize(access_log)
        time.sleep(0.5)
    with open(access_log) as log:
        log.seek(offset)
        text = log.read()
    return text.splitlines(), offset + len(text.encode())


def measure(
    args: argparse.Namespace,
    label: str,
    database_url: str,
    site_key: str,
    base: str,
    access_log: str,
    phases_def: tuple,
    queued: bool = False,
) -> tuple[list[Phase], int]:
    """Warm up, then load each phase for --duration; count what the server answered and stored.

    Returns the phases and the rows added over all of them, recounted after the last.
    """
    for _, batch, path in phases_def[:-1]:
        wrk(args, base, path, args.batch if batch is None else batch, args.warmup, site_key)
    offset = settle(access_log, 0)[1]
    rows_at_start = rows_before = count_rows(database_url)
    phases: list[Phase] = []
    for name, batch, path in phases_def:
        batch = args.batch if batch is None else batch
        print(f"[{label}] {name} (batch {batch}) for {args.duration} s ...", file=sys.stderr, flush=True)
        result = wrk(args, base, path, batch, args.duration, site_key)
        lines, offset = settle(access_log, offset)
        rows = count_rows(database_url)
        statuses = [line.split()[0] for line in lines]
        phases.append(
            Phase(
                name=name,
                batch=batch,
                path=path,
                requests=result["requests"],
                seconds=result["duration_us"] / 1e6,
                ok=result["ok"],
                non_2xx=result["non_2xx"],
                socket_errors=result["socket_errors"],
                p50_ms=result["p50_us"] / 1000,
                p99_ms=result["p99_us"] / 1000,
                server_2xx=sum(status.startswith("2") for status in statuses),
                server_other=sum(not status.startswith("2") for status in statuses),
                rows=rows - rows_before,
                queued=queued,
            )
        )
        rows_before = rows
    return phases, count_rows(database_url) - rows_at_start


def run_database(args: argparse.Namespace, label: str, database_url: str) -> tuple[list[Phase], int, "Drain | None"]:
    """The phases of both paths, the rows the direct phases added (recounted after the last), the drain."""
    site_key = seed(database_url)
    workdir = tempfile.mkdtemp(prefix="stepsense-bench-gunicorn-")
    drained = None
    try:
        with gunicorn(args, database_url, workdir) as (base, access_log):
            phases, recounted = measure(args, label, database_url, site_key, base, access_log, PHASES)
        if args.queue:
            with nats_server() as nats_url:
                stream = f"bench{os.getpid()}"
                queue_env = {"INGEST_QUEUE_URL": nats_url, "INGEST_QUEUE_STREAM": stream}
                queued_dir = os.path.join(workdir, "queued")
                os.makedirs(queued_dir)
                with gunicorn(args, database_url, queued_dir, **queue_env) as (base, access_log):
                    queued, _ = measure(
                        args, label, database_url, site_key, base, access_log, QUEUED_PHASES, queued=True
                    )
                phases += queued
                # Every queued answer acknowledged in the warm-up and the phases is in the log.
                with open(access_log) as log:
                    acknowledged = sum(1 for line in log if line.startswith("2") and "/v1/responses" in line)
                drained = drain(args, label, database_url, queue_env, acknowledged)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return phases, recounted, drained


# --- The queued path: a private nats-server, the ingest log, `stepsense ingest worker` ----------------

QUEUED_PHASES = (
    ("noop (q)", 0, "/bench/noop"),
    ("queued", 1, "/v1/responses"),
    ("noop again (q)", 0, "/bench/noop"),
)


@contextmanager
def nats_server():
    """A nats-server with JetStream of the bench's own (free port, temp store); yields its URL."""
    server = shutil.which("nats-server") or "/usr/sbin/nats-server"
    if not os.path.exists(server):
        raise SystemExit("nats-server is not installed (apt-get install nats-server), or run with --no-queue")
    store = tempfile.mkdtemp(prefix="stepsense-bench-nats-")
    port = free_port()
    process = subprocess.Popen(
        [server, "-a", "127.0.0.1", "-p", str(port), "-js", "-sd", store],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("nats-server did not start") from None
                time.sleep(0.1)
        yield f"nats://127.0.0.1:{port}"
    finally:
        process.kill()
        process.wait()
        shutil.rmtree(store, ignore_errors=True)


@dataclass
class Drain:
    in_log: int  # answers in the log when the worker started
    stored: int  # rows the worker added
    seconds: float  # from its first stored batch to its last
    acknowledged: int  # answers the queued server acknowledged (all of them in the log)
    topped_up: int
    verify_clean: bool
    total: int = 0  # rows the worker added in all

    @property
    def rate(self) -> float:
        return self.stored / self.seconds if self.seconds else 0.0


def top_up(queue_env: dict[str, str], wanted: int) -> tuple[int, int]:
    """Copy an answer of the log under fresh client ids until it holds ``wanted``; (in log, added)."""
    import asyncio
    import uuid

    import nats

    stream = queue_env["INGEST_QUEUE_STREAM"]

    async def run() -> tuple[int, int]:
        nc = await nats.connect(queue_env["INGEST_QUEUE_URL"])
        js = nc.jetstream(timeout=10)
        info = await js.stream_info(stream)
        have = info.state.messages
        template = await js.get_msg(stream, info.state.first_seq)
        body = json.loads(template.data)
        added = 0
        while have + added < wanted:
            chunk = []
            for _ in range(min(1000, wanted - have - added)):
                client_id = str(uuid.uuid4())
                body["row"]["client_id"], body["row"]["session_id"] = client_id, f"s{client_id[:8]}"
                chunk.append(
                    js.publish(
                        template.subject,
                        json.dumps(body).encode(),
                        headers={"Nats-Msg-Id": f"{body['site']}:{client_id}"},
                    )
                )
            acks = await asyncio.gather(*chunk)
            added += sum(not ack.duplicate for ack in acks)
        await nc.close()
        return have + added, added

    return asyncio.run(run())


def drain(
    args: argparse.Namespace, label: str, database_url: str, queue_env: dict[str, str], acknowledged: int
) -> Drain:
    """Run one `stepsense ingest worker` on the full log; time it from its first commit to its last."""
    in_log, added = top_up(queue_env, args.drain_answers)
    print(
        f"[{label}] drain: {in_log:,} answers in the log, one worker (--batch {args.worker_batch}) ...",
        file=sys.stderr,
        flush=True,
    )
    before = count_rows(database_url)
    command = [
        sys.executable,
        "-m",
        "flask",
        "--app",
        "collector:create_app",
        "ingest",
        "worker",
        "--batch",
        str(args.worker_batch),
        "--idle-exit",
        "3",
    ]
    worker = subprocess.Popen(
        command, cwd=ROOT, env=app_env(database_url, **queue_env), stderr=subprocess.DEVNULL, start_new_session=True
    )
    first = last = None
    stored = 0
    deadline = time.monotonic() + 600
    try:
        while stored < in_log and time.monotonic() < deadline and worker.poll() is None:
            time.sleep(0.1)
            now, count = time.monotonic(), count_rows(database_url) - before
            if count > stored:
                if first is None:
                    first, first_count = now, count
                last, stored = now, count
    finally:
        worker.terminate()
        worker.wait(30)
    verify = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "collector:create_app", "rollups", "verify"],
        cwd=ROOT,
        env=app_env(database_url),
        capture_output=True,
        text=True,
        timeout=600,
    )
    # From the first poll that saw rows to the one that saw the last: the rows in between, over that time.
    seconds = (last - first) if first is not None else 0.0
    measured = stored - first_count if first is not None else 0
    return Drain(in_log, measured, seconds, acknowledged, added, verify.returncode == 0, total=stored)


def report(label: str, phases: list[Phase], recounted: int, drained: "Drain | None" = None) -> list[str]:
    """Print the table and ratios of one database; return the failed checks.

    ``recounted``: the rows the direct phases added, counted after the last of them.
    """
    print(f"\n{label}")
    print(
        f"{'phase':<12}{'batch':>6}{'req/s':>10}{'answers/s':>11}{'p50 ms':>9}{'p99 ms':>9}{'non-2xx':>9}{'2xx':>8}{'rows':>8}"
    )
    for phase in phases:
        answers = f"{phase.answers_per_s:,.0f}" if phase.batch else "-"
        rows = str(phase.rows) if phase.batch else "-"
        print(
            f"{phase.name:<12}{phase.batch:>6}{phase.rps:>10,.0f}{answers:>11}{phase.p50_ms:>9.2f}{phase.p99_ms:>9.2f}"
            f"{phase.non_2xx + phase.server_other:>9}{phase.server_2xx:>8}{rows:>8}"
        )
    by_name = {phase.name: phase for phase in phases}
    noop = [by_name["noop"], by_name["noop again"]]
    single, batch, unstored = by_name["single"], by_name["batch"], by_name["unstored"]
    noop_rps = sum(phase.rps for phase in noop) / len(noop)
    single_ratio = single.answers_per_s / noop_rps
    batch_ratio = batch.answers_per_s / single.answers_per_s
    failed = []
    print(f"single / no-op (mean of both no-op runs): {single_ratio:.2f}  (target >= 0.5)")
    print(f"batch-{batch.batch} answers/s / single answers/s: {batch_ratio:.2f}  (target >= 5)")
    print(
        f"diagnostic: unstored / no-op: {unstored.rps / noop_rps:.2f}  (the single path's ceiling if storing were free)"
    )
    print(f"diagnostic: insert / no-op: {by_name['insert'].rps / noop_rps:.2f}  (one bare durable INSERT + COMMIT)")
    if single_ratio < 0.5:
        failed.append(f"{label}: single/no-op {single_ratio:.2f} < 0.5")
    if batch_ratio < 5:
        failed.append(f"{label}: batch/single {batch_ratio:.2f} < 5")
    for phase in phases:
        if phase.non_2xx or phase.server_other or phase.socket_errors:
            failed.append(
                f"{label} {phase.name}: {phase.non_2xx + phase.server_other} non-2xx, {phase.socket_errors} socket errors"
            )
        # Every answer the server acknowledged is stored, and nothing else;
        # wrk may have dropped a few replies in flight when it stopped (ok <= server_2xx).
        if phase.rows != phase.server_2xx * phase.stored_per_request:
            failed.append(
                f"{label} {phase.name}: {phase.rows} rows for {phase.server_2xx} acknowledged requests of {phase.batch}"
            )
        if phase.ok > phase.server_2xx:
            failed.append(f"{label} {phase.name}: wrk saw {phase.ok} 2xx, server logged {phase.server_2xx}")
    insert_ratio = single.answers_per_s / by_name["insert"].rps
    print(f"single / insert: {insert_ratio:.2f}  (target >= 0.5: the direct path against one bare durable write)")
    # A single answer does the unstored request's work and then a write at least as dear as the
    # bare one: even with rollups for free, its rate is at most both in series.
    in_series = 1 / (1 / unstored.rps + 1 / by_name["insert"].rps)
    print(
        f"diagnostic: single / insert at most {in_series / by_name['insert'].rps:.2f}"
        "  (unstored and insert in series: the rollups, themes and friction for free)"
    )
    if insert_ratio < 0.5:
        failed.append(f"{label}: single/insert {insert_ratio:.2f} < 0.5")
    print("rows == 2xx'd answers in every phase: " + ("yes" if not any("rows for" in f for f in failed) else "NO"))
    # A row committed before its phase's count but answered after it is booked to the wrong
    # phase; the total tells that apart from a lost (or extra) row.
    acknowledged = sum(phase.server_2xx * phase.stored_per_request for phase in phases)
    print(f"all phases: {acknowledged} acknowledged, {recounted} rows")
    if recounted != acknowledged:
        failed.append(f"{label} all phases: {recounted} rows, {acknowledged} acknowledged answers")
    if "queued" in by_name:
        queued_noop = (by_name["noop (q)"].rps + by_name["noop again (q)"].rps) / 2
        queued_ratio = by_name["queued"].answers_per_s / queued_noop
        print(f"queued / no-op (same server, INGEST_QUEUE_URL set): {queued_ratio:.2f}  (target >= 0.5)")
        if queued_ratio < 0.5:
            failed.append(f"{label}: queued/no-op {queued_ratio:.2f} < 0.5")
    if drained is not None:
        print(
            f"drain: one worker stored {drained.stored:,} answers in {drained.seconds:.2f} s = {drained.rate:,.0f} "
            f"answers/s (target >= 10,000 on PostgreSQL); {drained.in_log:,} in the log = {drained.acknowledged:,} "
            f"acknowledged by the queued server + {drained.topped_up:,} copies; rollups verify "
            + ("clean" if drained.verify_clean else "NOT CLEAN")
        )
        if not drained.verify_clean:
            failed.append(f"{label}: rollups verify failed after the drain")
        if drained.total != drained.in_log or drained.in_log != drained.acknowledged + drained.topped_up:
            failed.append(
                f"{label}: the worker stored {drained.total:,} of {drained.in_log:,} answers in the log "
                f"({drained.acknowledged:,} acknowledged + {drained.topped_up:,} copies)"
            )
        if label == "postgresql" and drained.rate < 10_000:
            failed.append(f"{label}: drain {drained.rate:,.0f} answers/s < 10,000")
    return failed


def main() -> int:
    args = parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (apt-get install wrk)")
    print(
        f"gunicorn: {args.workers} workers, {args.worker_class}, {args.threads} threads, keep-alive {args.keep_alive}s; "
        f"wrk: {args.wrk_threads} thread(s), {args.connections} connections, {args.duration} s per phase; "
        f"{os.cpu_count()} CPUs"
    )
    databases = {"sqlite": sqlite_database, "postgresql": lambda: postgresql_database(args.pg_url)}
    failed: list[str] = []
    for label in args.databases.split(","):
        with databases[label.strip()]() as database_url:
            phases, recounted, drained = run_database(args, label, database_url)
            failed += report(label, phases, recounted, drained)
    print("\n" + ("all checks passed" if not failed else "FAILED:\n  " + "\n  ".join(failed)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
