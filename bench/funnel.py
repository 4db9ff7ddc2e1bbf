"""Funnel at scale: the curve+funnel endpoint vs a raw recomputation, and event ingest vs no-op.

Part 1, per database (an SQLite file in a temp dir, and/or a fresh PostgreSQL
database): migrate, create a site with a five-step ``checkout`` journey,
bulk-seed ``--events`` funnel events over ``--days`` days as whole sessions
(step views with skips, re-entries, errors, completions, some sessions
resumed after the 30-minute timeout; executemany on SQLite, COPY on
PostgreSQL; a progress bar on stderr) plus answers for about one session in
ten, build all rollups with ``rebuild_rollups`` (``stepsense rollups
rebuild``), ANALYZE, then time in one run

* **endpoint**: ``GET /v1/journeys/checkout/curve`` (curve + funnel) through the
  Flask test client, warm, served from the rollups;
* **raw**: the funnel recomputed from the events table (``funnel.aggregate(...,
  source="raw")``: one ordered scan of the journey's events, sessions cut and
  measured in Python) plus the curve's raw GROUP BY,

checks that the rollups give exactly the raw funnel totals, and prints the ratio
(target ≤ 0.05).

Part 2 (``--ingest``): gunicorn + wrk exactly as ``bench/ingest.py`` (same
server settings and no-op endpoint), ``POST /v1/events`` with one ``step_view``
per request (the widget's usual request) over a pool of sessions, so every
request re-reads and re-measures a session; target ≥ 0.5 × no-op requests/s.

    .venv/bin/python bench/funnel.py --events 10000000            # both databases
    .venv/bin/python bench/funnel.py --db sqlite --events 200000 --ingest
"""

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench import ingest as ingest_bench  # noqa: E402
from bench.seeding import (  # noqa: E402
    CHUNK,
    PG_ADMIN_URL,
    SCENARIOS,
    bench_app,
    bench_journey,
    build_rollups,
    bulk_write,
    log,
    percentile,
    scratch_database,
    timed,
)
from collector.analytics import curves, funnel  # noqa: E402
from collector.analytics.emotion import score_response  # noqa: E402
from collector.extensions import db  # noqa: E402

EVENT_COLUMNS = (
    "site_id",
    "journey_id",
    "step_id",
    "client_id",
    "type",
    "visitor_id",
    "session_id",
    "url_path",
    "device",
    "locale",
    "variant",
    "created_at",
)
RESPONSE_COLUMNS = (
    "site_id",
    "journey_id",
    "step_id",
    "client_id",
    "kind",
    "score",
    "comment",
    "polarity",
    "subjectivity",
    "sentiment_label",
    "emotion",
    "scorer_version",
    "trigger",
    "visitor_id",
    "session_id",
    "device",
    "locale",
    "variant",
    "created_at",
)
COMMENTS = ("Quick and easy, thanks", "My card was declined twice, awful")


def sessions(total_events: int, days: int, ids: dict, end: datetime, seed: int = 11):
    """Yield (events, responses) chunks of whole sessions until ``total_events`` events."""
    rng = random.Random(seed)
    site_id, journey_id, step_ids = ids["site"], ids["journey"], ids["steps"]
    start = end - timedelta(days=days)
    span = days * 86400
    scored = {
        (score, comment): score_response("csat", score, comment)
        for score in range(1, 6)
        for comment in (None, *COMMENTS)
    }
    made = 0
    events, responses = [], []
    while made < total_events:
        session_id = f"s{rng.getrandbits(48):x}"
        visitor = f"v{rng.getrandbits(40):x}"
        device = rng.choice(("desktop", "desktop", "mobile", "tablet"))
        locale = rng.choice(("en", "en", "de", "fr"))
        variant = rng.choice(("A", "B"))
        moment = start + timedelta(seconds=rng.random() * span)
        visits = 2 if rng.random() < 0.1 else 1
        for _ in range(visits):
            pain = 0.55 if variant == "A" else 0.65  # payment keeps B's visitors a little better
            path = ["landing", "cart"] + ([] if rng.random() < 0.1 else ["shipping"]) + ["payment", "confirmation"]
            for step in path:

                def add(kind: str, step_key: str = step) -> None:
                    events.append(
                        (
                            site_id,
                            journey_id,
                            step_ids[step_key],
                            str(uuid.UUID(int=rng.getrandbits(128))),
                            kind,
                            visitor,
                            session_id,
                            f"/shop/{step_key}",
                            device,
                            locale,
                            variant,
                            moment,
                        )
                    )

                add("step_view")
                if step == "payment":
                    while rng.random() < 0.15:  # declined card: error, then back to payment
                        moment += timedelta(seconds=rng.randint(5, 60))
                        add("error")
                        moment += timedelta(seconds=rng.randint(2, 20))
                        add("step_view")
                if rng.random() < 0.1:
                    score = rng.randint(1, 2) if step == "payment" and rng.random() < 0.6 else rng.randint(3, 5)
                    comment = COMMENTS[score <= 2] if rng.random() < 0.2 else None  # as often as in bench/curve.py
                    s = scored[(score, comment)]
                    responses.append(
                        (
                            site_id,
                            journey_id,
                            step_ids[step],
                            str(uuid.UUID(int=rng.getrandbits(128))),
                            "csat",
                            score,
                            comment,
                            s.polarity,
                            s.subjectivity,
                            s.sentiment_label,
                            s.emotion,
                            s.scorer_version,
                            "inline",
                            visitor,
                            session_id,
                            device,
                            locale,
                            variant,
                            moment + timedelta(seconds=rng.randint(1, 20)),
                        )
                    )
                if step == "confirmation":
                    add("journey_complete")
                    break
                moment += timedelta(seconds=int(rng.expovariate(1 / 40)) + 1)
                if rng.random() > (pain if step == "payment" else 0.85):
                    break
            moment += timedelta(minutes=rng.randint(31, 600))
        if len(events) >= CHUNK:
            made += len(events)
            yield events, responses
            events, responses = [], []
    if events:
        yield events, responses


def latency(database: str, url: str, args) -> dict:
    app = bench_app(url)
    with app.app_context():
        site, secret, journey = bench_journey()
        ids = {"site": site.id, "journey": journey.id, "steps": {step.key: step.id for step in journey.steps}}
        end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)

        started = time.perf_counter()
        tables = (("events", EVENT_COLUMNS), ("responses", RESPONSE_COLUMNS))
        chunks = sessions(args.events, args.days, ids, end)
        events = bulk_write(database, db.engine, tables, chunks, args.events, "events")
        seed_seconds = time.perf_counter() - started
        answers = db.session.scalar(sa.text("SELECT count(*) FROM responses"))
        _, rollup_seconds = build_rollups()
        funnel_rows = sum(
            db.session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
            for table in ("funnel_rollups", "funnel_journey_rollups", "funnel_durations")
        )
        log(
            f"{database}: seeded {events:,} events and {answers:,} answers in {seed_seconds:.1f}s; "
            f"rollups rebuilt in {rollup_seconds:.1f}s ({funnel_rows:,} funnel rows)"
        )

        client = app.test_client()
        headers = {"Authorization": f"Bearer {secret}"}
        window = {"from": (end - timedelta(days=args.days)).isoformat(), "to": (end + timedelta(days=1)).isoformat()}
        result = {
            "database": database,
            "events": events,
            "answers": answers,
            "days": args.days,
            "seed_seconds": round(seed_seconds, 1),
            "rollup_seconds": round(rollup_seconds, 1),
            "funnel_rollup_rows": funnel_rows,
            "scenarios": [],
        }
        for name, segment in SCENARIOS:
            params = {**window, **segment}
            filters = {
                "from": datetime.fromisoformat(params["from"]),
                "to": datetime.fromisoformat(params["to"]),
                **segment,
            }

            def call_endpoint():
                response = client.get("/v1/journeys/checkout/curve", query_string=params, headers=headers)
                assert response.status_code == 200, response.get_data(as_text=True)
                return response.get_json()

            def call_raw():
                db.session.rollback()
                curves.aggregate(db.session, journey, filters, source="raw")
                return funnel.aggregate(db.session, journey, filters, source="raw")[1]

            endpoint_ms, body = timed(call_endpoint, args.repeat)
            raw_ms, raw_totals = timed(call_raw, args.raw_repeat)
            rolled = funnel.aggregate(db.session, journey, filters)[1]
            same = (rolled.steps, rolled.journeys, rolled.durations) == (
                raw_totals.steps,
                raw_totals.journeys,
                raw_totals.durations,
            )
            entry = {
                "scenario": name,
                "endpoint_p50_ms": round(statistics.median(endpoint_ms), 2),
                "endpoint_p95_ms": round(percentile(endpoint_ms, 0.95), 2),
                "raw_p50_ms": round(statistics.median(raw_ms), 1),
                "sessions": body["funnel"]["sessions"],
                "completion": body["funnel"]["completion"]["rate"],
                "payment_abandonment": body["steps"][3]["funnel"]["abandonment"]["rate"],
                "flags": {item["step"]: item["flags"] for item in body["steps"] if item["flags"]},
                "rollups_equal_raw": same,
            }
            entry["ratio_p50"] = round(entry["endpoint_p50_ms"] / entry["raw_p50_ms"], 5)
            result["scenarios"].append(entry)
            log(
                f"{database} {name}: endpoint p50 {entry['endpoint_p50_ms']} ms | raw p50 {entry['raw_p50_ms']} ms | "
                f"ratio {entry['ratio_p50']} | rollups == raw: {same}"
            )
        db.session.remove()
        db.engine.dispose()
    return result


def load(args, base: str, kind: str, seconds: int, site_key: str) -> dict:
    """wrk as bench/ingest.py runs it: the no-op, or one step_view per request over --pool sessions."""
    if kind == "noop":
        return ingest_bench.wrk(args, base, "/bench/noop", 0, seconds, site_key)
    return ingest_bench.wrk(args, base, "/v1/events", "event", seconds, site_key)


def ingest(database: str, url: str, args) -> dict:
    """No-op, step_view events, no-op again; under the same gunicorn as bench/ingest.py."""
    site_key = ingest_bench.seed(url)
    server = argparse.Namespace(workers=2, worker_class="gthread", threads=args.threads, keep_alive=5)
    workdir = tempfile.mkdtemp(prefix="stepsense-bench-gunicorn-")
    phases = []
    try:
        with ingest_bench.gunicorn(server, url, workdir) as (base, access_log):
            for kind in ("noop", "event"):
                load(args, base, kind, 2, site_key)
            offset = ingest_bench.settle(access_log, 0)[1]
            for kind in ("noop", "event", "noop"):
                log(f"[{database}] {kind} for {args.duration} s ...")
                result = load(args, base, kind, args.duration, site_key)
                lines, offset = ingest_bench.settle(access_log, offset)
                phases.append(
                    {
                        "phase": kind,
                        "rps": round(result["requests"] / (result["duration_us"] / 1e6), 1),
                        "p50_ms": result["p50_us"] / 1000,
                        "p99_ms": result["p99_us"] / 1000,
                        "non_2xx": result["non_2xx"] + sum(not line.startswith("2") for line in lines),
                    }
                )
        verify = subprocess.run(
            [sys.executable, "-m", "flask", "--app", "collector:create_app", "rollups", "verify"],
            cwd=ROOT,
            env=ingest_bench.app_env(url),
            capture_output=True,
            text=True,
            timeout=600,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    noop = statistics.mean(p["rps"] for p in phases if p["phase"] == "noop")
    events = next(p for p in phases if p["phase"] == "event")
    return {
        "database": database,
        "phases": phases,
        "ratio": round(events["rps"] / noop, 3),
        "verify": verify.stdout.strip().splitlines()[-1:] if verify.returncode == 0 else verify.stdout[-2000:],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--raw-repeat", type=int, default=1)
    parser.add_argument("--ingest", action="store_true", help="also run the ingest throughput part")
    parser.add_argument("--no-latency", action="store_true", help="only the ingest part")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--pool", type=int, default=2000, help="sessions the ingest load spreads over")
    parser.add_argument("--threads", type=int, default=8, help="gunicorn threads per worker (2 workers, gthread)")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_DATABASE_URL", PG_ADMIN_URL))
    args = parser.parse_args()

    results = {"latency": [], "ingest": []}
    ok = True
    for kind in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        if not args.no_latency:
            with scratch_database(kind, args.pg_url, "ssbench_funnel") as url:
                entry = latency(kind, url, args)
            results["latency"].append(entry)
            ok = ok and all(s["rollups_equal_raw"] and s["ratio_p50"] <= 0.05 for s in entry["scenarios"])
        if args.ingest or args.no_latency:
            with scratch_database(kind, args.pg_url, "ssbench_funnel") as url:
                entry = ingest(kind, url, args)
            results["ingest"].append(entry)
            log(f"{kind} ingest: {entry['phases']} ratio {entry['ratio']} verify {entry['verify']}")
    print(json.dumps(results, indent=2))
    for entry in results["latency"]:
        for s in entry["scenarios"]:
            print(
                f"{entry['database']:<11} {s['scenario']:<34} endpoint {s['endpoint_p50_ms']:>8.2f} ms  raw {s['raw_p50_ms']:>10.1f} ms"
                f"  ratio {s['ratio_p50']:.5f}  rollups==raw {s['rollups_equal_raw']}"
            )
    for entry in results["ingest"]:
        print(f"{entry['database']:<11} step_view events/s ÷ no-op req/s = {entry['ratio']}  (target ≥ 0.5)")
    print("latency target (≤ 0.05 × raw, equal numbers):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
