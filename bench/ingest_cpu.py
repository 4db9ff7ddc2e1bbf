"""CPU per request of ingest vs the no-op endpoint, in-process (Flask test client).

Complements bench/ingest.py on a shared, loaded machine: ``time.process_time``
counts only this process's CPU, so other engineers' jobs barely move it.
Rounds alternate no-op, single answer and 20-answer batch, and the median of
the rounds is printed. PostgreSQL's own CPU (server process) is not included.

``--threads N`` sends each phase's requests from N threads at once, as the
threads of one gunicorn gthread worker do, so concurrent answers share group
commits. The extra phase "unstored" is the single answer with the write left
out (validated, redacted and scored, then acknowledged): the CPU ceiling of
the single-answer path if storing cost nothing.

    .venv/bin/python bench/ingest_cpu.py                       # SQLite file
    .venv/bin/python bench/ingest_cpu.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test
    .venv/bin/python bench/ingest_cpu.py --threads 4           # as one worker with 4 threads
    .venv/bin/python bench/ingest_cpu.py --profile single      # cProfile of the single phase
    .venv/bin/python bench/ingest_cpu.py --queue               # + the queued single answer (private nats-server)
"""

import argparse
import contextlib
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402

ORIGIN = "https://shop.example.com"
COMMENTS = [
    "The payment page kept failing, I had to retry my card three times.",
    "Quick and easy, thanks!",
    "Shipping costs were only shown at the very end, annoying.",
    "ok",
    "Could not find where to enter my discount code.",
    "Great experience overall, delivery options were clear.",
]
KINDS = [("csat", 1, 5), ("ces", 1, 7), ("nps", 0, 10)]


def answer(site_key: str) -> dict:
    kind, low, high = random.choice(KINDS)
    return {
        "site_key": site_key,
        "journey": "checkout",
        "step": "payment",
        "kind": kind,
        "score": random.randint(low, high),
        "comment": random.choice(COMMENTS),
        "trigger": "inline",
        "client_id": str(uuid.uuid4()),
        "visitor_id": f"v{random.randint(1, 10**6)}",
        "session_id": f"s{random.randint(1, 10**6)}",
        "url_path": "/checkout/payment?ref=mail",
        "device": "desktop",
        "locale": "en",
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg-url", help="measure on a scratch database on this PostgreSQL server")
    parser.add_argument("--requests", type=int, default=300, help="requests per phase per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--ratelimit", action="store_true", help="keep the rate limiter on (memory storage)")
    parser.add_argument("--threads", type=int, default=1, help="send each phase from this many threads at once")
    parser.add_argument("--profile", choices=["noop", "single", "batch", "unstored", "queued"])
    parser.add_argument(
        "--queue", action="store_true", help="add the queued single answer (INGEST_QUEUE_URL, a private nats-server)"
    )
    args = parser.parse_args()

    import json

    os.environ.setdefault("SECRET_KEY", "bench")
    from flask_migrate import upgrade

    from bench.ingest import nats_server
    from bench.ingest_wsgi import bp as noop_bp
    from collector import create_app
    from collector.extensions import db
    from collector.ingest import store as ingest
    from collector.tenancy.journeys import create_journey
    from collector.tenancy.sites import create_site

    workdir = tempfile.mkdtemp(prefix="stepsense-cpu-")
    stack = contextlib.ExitStack()
    pg_name = None
    if args.pg_url:
        url = sa.make_url(args.pg_url)
        pg_name = f"ingestcpu_{os.getpid()}"
        admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{pg_name}"')
        database_url = url.set(database=pg_name).render_as_string(hide_password=False)
    else:
        database_url = f"sqlite:///{workdir}/cpu.sqlite3"
    try:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "RATELIMIT_ENABLED": args.ratelimit,
                "RATELIMIT_PUBLIC_PER_IP": "1000000/minute",
                "RATELIMIT_PUBLIC_PER_SITE": "1000000/minute",
            }
        )
        app.register_blueprint(noop_bp)
        with app.app_context():
            upgrade(directory=os.path.join(ROOT, "migrations"))
            site, _ = create_site(db.session, "CPU shop", [ORIGIN])
            db.session.commit()
            create_journey(
                db.session,
                site,
                {
                    "key": "checkout",
                    "name": "Checkout",
                    "steps": [{"key": key} for key in ("cart", "shipping", "payment", "confirmation")],
                },
            )
            site_key = site.public_key
        headers = {"Content-Type": "text/plain;charset=UTF-8", "Origin": ORIGIN}

        def bodies(batch: int, n: int) -> list[bytes]:
            if batch == 0:
                return [json.dumps({"site_key": site_key, "client_id": str(uuid.uuid4())}).encode() for _ in range(n)]
            if batch == 1:
                return [json.dumps(answer(site_key)).encode() for _ in range(n)]
            return [json.dumps({"responses": [answer(site_key) for _ in range(batch)]}).encode() for _ in range(n)]

        def post_all(path: str, payloads: list[bytes], failures: list[str], target=None) -> None:
            client = (target or app).test_client()
            for body in payloads:
                reply = client.post(path, data=body, headers=headers)
                if reply.status_code >= 300:
                    failures.append(f"{path}: {reply.status_code} {reply.data[:300]!r}")

        def run(batch: int, n: int, stored: bool = True, target=None) -> float:
            path = "/bench/noop" if batch == 0 else "/v1/responses"
            payloads, failures = bodies(batch, n), []
            threads = [
                threading.Thread(target=post_all, args=(path, payloads[i :: args.threads], failures, target))
                for i in range(args.threads)
            ]
            submit = ingest._submit
            if not stored:
                ingest._submit = lambda engine, batch: ingest.IngestResult(batch.received, len(batch.records))
            try:
                start = time.process_time()
                if args.threads == 1:  # in this thread, so that --profile sees the requests
                    post_all(path, payloads, failures, target)
                for thread in threads if args.threads > 1 else ():
                    thread.start()
                for thread in threads if args.threads > 1 else ():
                    thread.join()
                spent = time.process_time() - start
            finally:
                ingest._submit = submit
            if failures:
                raise SystemExit(failures[0])
            return spent / n * 1000

        phases = {
            "noop": (0, True, None),
            "single": (1, True, None),
            "batch": (args.batch, True, None),
            "unstored": (1, False, None),
        }
        if args.queue:
            # The same app with INGEST_QUEUE_URL on a private nats-server: the queued single answer.
            queued_app = create_app(
                {
                    **app.config,
                    "INGEST_QUEUE_URL": stack.enter_context(nats_server()),
                    "INGEST_QUEUE_STREAM": "cpubench",
                }
            )
            phases["queued"] = (1, True, queued_app)
        for batch, stored, target in phases.values():
            run(batch, 50, stored, target)  # warm-up
        if args.profile:
            import cProfile
            import pstats

            profiler = cProfile.Profile(time.process_time)  # CPU, not wall time
            profiler.enable()
            batch, stored, target = phases[args.profile]
            run(batch, args.requests, stored, target)
            profiler.disable()
            if os.environ.get("PROFILE_OUT"):
                profiler.dump_stats(os.environ["PROFILE_OUT"])
            pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative")).print_stats(
                int(os.environ.get("PROFILE_LINES", 45))
            )
            return 0
        results: dict[str, list[float]] = {name: [] for name in phases}
        for _ in range(args.rounds):
            for name, (batch, stored, target) in phases.items():
                n = args.requests if batch < 2 else max(args.requests // 5, 20)
                results[name].append(run(batch, n, stored, target))
        med = {name: statistics.median(values) for name, values in results.items()}
        label = "PostgreSQL" if args.pg_url else "SQLite"
        print(f"{label}, {args.threads} thread(s): CPU ms/request (median of {args.rounds} rounds; all rounds)")
        for name, values in results.items():
            print(f"  {name:<9}{med[name]:7.3f}   " + " ".join(f"{v:.3f}" for v in values))
        print(
            f"  single/no-op CPU: {med['single'] / med['noop']:.2f}x   unstored/no-op: {med['unstored'] / med['noop']:.2f}x   "
            f"batch-{args.batch} per answer: {med['batch'] / args.batch:.3f} ms "
            f"({med['single'] / (med['batch'] / args.batch):.1f}x fewer CPU per answer than single)"
        )
        with app.app_context():
            db.engine.dispose()
    finally:
        stack.close()
        shutil.rmtree(workdir, ignore_errors=True)
        if pg_name:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    return 0


if __name__ == "__main__":
    sys.exit(main())
