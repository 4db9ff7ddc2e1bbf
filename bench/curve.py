"""Curve latency: the rollup-backed curve endpoint vs a raw GROUP BY, at 1M answers.

For each database (an SQLite file in a temp dir, and/or a fresh PostgreSQL
database) this migrates, creates a site with a five-step ``checkout``
journey, bulk-seeds ``--rows`` answers over ``--days`` days (executemany on
SQLite, COPY on PostgreSQL; a progress bar on stderr) plus about as many
impression events, builds the rollups in bulk (``rebuild_rollups``, the
code behind ``stepsense rollups rebuild``) and ANALYZEs. Then, in the same
run and per scenario (whole journey; a device + variant segment), it times

* **curve**: ``GET /v1/journeys/checkout/curve`` through the Flask test
  client with a Bearer key, warm (served from the rollups);
* **raw**: the GROUP BY over ``responses`` (and ``events`` for impressions)
  that yields the same per-step sums, i.e. what the curve would cost without
  rollups;

checks that both give the same per-step numbers, and prints p50/p95 and the
ratio curve/raw (target ≤ 0.05). Exit status 1 if numbers disagree or the
target is missed.

    .venv/bin/python bench/curve.py                         # both databases, 1,000,000 answers
    .venv/bin/python bench/curve.py --db sqlite --rows 100000
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.seeding import (  # noqa: E402
    CHUNK,
    PG_ADMIN_URL,
    SCENARIOS,
    STEPS,
    bench_app,
    bench_journey,
    build_rollups,
    bulk_write,
    log,
    percentile,
    scratch_database,
    timed,
)
from collector.analytics import curves, rollups  # noqa: E402
from collector.analytics.emotion import score_response  # noqa: E402
from collector.extensions import db  # noqa: E402
from collector.models import Journey  # noqa: E402

KIND = {"landing": "thumbs", "cart": "csat", "shipping": "ces", "payment": "ces", "confirmation": "nps"}
# Mean position of the rating on its scale, per step: payment is the pain point.
MOOD = {"landing": 0.75, "cart": 0.72, "shipping": 0.66, "payment": 0.35, "confirmation": 0.8}
SCALE = {"thumbs": (0, 1), "csat": (1, 5), "ces": (1, 7), "nps": (0, 10)}
COMMENTS = [
    "Super quick and painless",
    "Loved how smooth this was",
    "Really seamless checkout",
    "perfect, no hassle at all",
    "My card was declined twice for no reason",
    "The payment page took forever to load",
    "Got stuck on the 3-D Secure screen",
    "Total hassle, gave up",
    "Coupon code didn't work",
    "I paid with PayPal",
    "Ordering for my mum",
    None,
]
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
    "url_path",
    "device",
    "locale",
    "variant",
    "attributes",
    "created_at",
)
EVENT_COLUMNS = (
    "site_id",
    "journey_id",
    "step_id",
    "client_id",
    "type",
    "kind",
    "visitor_id",
    "session_id",
    "url_path",
    "device",
    "locale",
    "variant",
    "created_at",
)


def generate(
    rows: int, days: int, site_id: int, journey_id: int, step_ids: dict[str, int], end: datetime, seed: int = 7
):
    """Yield (responses, events) chunks of column tuples, deterministic for a seed."""
    rng = random.Random(seed)
    scored = {}
    start = end - timedelta(days=days)
    span = days * 86400
    for offset in range(0, rows, CHUNK):
        responses, events = [], []
        for _ in range(min(CHUNK, rows - offset)):
            step = rng.choices(STEPS, weights=(30, 25, 20, 15, 10))[0]
            exit_intent = step == "payment" and rng.random() < 0.2
            kind = "comment" if exit_intent else KIND[step]
            comment = rng.choice(COMMENTS) if exit_intent or rng.random() < 0.15 else None
            if kind == "comment":
                score, comment = None, comment or COMMENTS[7]
            else:
                low, high = SCALE[kind]
                score = round(low + min(1.0, max(0.0, rng.gauss(MOOD[step], 0.25))) * (high - low))
            key = (kind, score, comment)
            if key not in scored:
                scored[key] = score_response(kind, score, comment)
            s = scored[key]
            created = start + timedelta(seconds=rng.random() * span)
            visitor = f"v{rng.getrandbits(40):x}"
            device = rng.choice(("desktop", "desktop", "mobile", "tablet"))
            locale = rng.choice(("en", "en", "de", "fr"))
            variant = rng.choice(("A", "B"))
            path = f"/shop/{step}"
            responses.append(
                (
                    site_id,
                    journey_id,
                    step_ids[step],
                    str(uuid.UUID(int=rng.getrandbits(128))),
                    kind,
                    score,
                    comment,
                    s.polarity,
                    s.subjectivity,
                    s.sentiment_label,
                    s.emotion,
                    s.scorer_version,
                    "exit_intent" if exit_intent else "inline",
                    visitor,
                    visitor[:9],
                    path,
                    device,
                    locale,
                    variant,
                    None,
                    created,
                )
            )
            for _ in range(rng.choice((0, 1, 1, 2))):  # not every impression is answered, some answers' are lost
                events.append(
                    (
                        site_id,
                        journey_id,
                        step_ids[step],
                        str(uuid.UUID(int=rng.getrandbits(128))),
                        "impression",
                        kind,
                        visitor,
                        visitor[:9],
                        path,
                        device,
                        locale,
                        variant,
                        created,
                    )
                )
        yield responses, events


def check_same(curve_body: dict, raw_sums: dict, journey: Journey) -> list[str]:
    """Differences between the endpoint's steps and metrics computed from the raw GROUP BY."""
    problems = []
    per_step = {step.id: rollups.zero_sums() for step in journey.steps}
    for (step_id, _, _), sums in raw_sums.items():
        curves._add(per_step[step_id], sums)
    for step, item in zip(journey.steps, curve_body["steps"]):
        expected = json.loads(json.dumps(curves.metrics(per_step[step.id])))
        for name, value in expected.items():
            if item[name] != value:
                problems.append(f"{step.key}.{name}: curve {item[name]} != raw {value}")
    return problems


def run(database: str, url: str, rows: int, days: int, curve_repeat: int, raw_repeat: int) -> dict:
    app = bench_app(url)
    with app.app_context():
        site, secret, journey = bench_journey()
        step_ids = {step.key: step.id for step in journey.steps}
        end = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        chunks = generate(rows, days, site.id, journey.id, step_ids, end)

        started = time.perf_counter()
        tables = (("responses", RESPONSE_COLUMNS), ("events", EVENT_COLUMNS))
        bulk_write(database, db.engine, tables, chunks, rows, "answers")
        seed_seconds = time.perf_counter() - started
        rollup_rows, rollup_seconds = build_rollups()
        events = db.session.scalar(sa.text("SELECT count(*) FROM events"))
        log(
            f"{database}: seeded {rows:,} answers and {events:,} events in {seed_seconds:.1f}s; "
            f"{rollup_rows:,} rollup rows built in {rollup_seconds:.1f}s"
        )

        client = app.test_client()
        headers = {"Authorization": f"Bearer {secret}"}
        window = {"from": (end - timedelta(days=days)).isoformat(), "to": (end + timedelta(days=1)).isoformat()}
        results = {
            "database": database,
            "rows": rows,
            "events": events,
            "days": days,
            "seed_seconds": round(seed_seconds, 1),
            "rollup_rows": rollup_rows,
            "rollup_seconds": round(rollup_seconds, 1),
            "scenarios": [],
        }
        for name, segment in SCENARIOS:
            params = {**window, **segment}

            def call_curve():
                response = client.get("/v1/journeys/checkout/curve", query_string=params, headers=headers)
                assert response.status_code == 200, response.get_data(as_text=True)
                return response.get_json()

            filters = {
                "from": datetime.fromisoformat(params["from"]),
                "to": datetime.fromisoformat(params["to"]),
                **segment,
            }

            def call_raw():
                db.session.rollback()
                return curves.aggregate(db.session, journey, filters, source="raw")[1]

            curve_ms, body = timed(call_curve, curve_repeat)
            raw_ms, raw_sums = timed(call_raw, raw_repeat)
            assert body["source"] == "rollups", body["source"]
            problems = check_same(body, raw_sums, journey)
            entry = {
                "scenario": name,
                "curve_p50_ms": round(statistics.median(curve_ms), 2),
                "curve_p95_ms": round(percentile(curve_ms, 0.95), 2),
                "raw_p50_ms": round(statistics.median(raw_ms), 1),
                "raw_p95_ms": round(percentile(raw_ms, 0.95), 1),
                "answers_in_scope": sum(item["responses"] for item in body["steps"]),
                "flags": {item["step"]: item["flags"] for item in body["steps"] if item["flags"]},
                "agree": not problems,
            }
            entry["ratio_p50"] = round(entry["curve_p50_ms"] / entry["raw_p50_ms"], 4)
            results["scenarios"].append(entry)
            for problem in problems:
                log(f"MISMATCH {database} {name}: {problem}")
            log(
                f"{database} {name}: curve p50 {entry['curve_p50_ms']} ms p95 {entry['curve_p95_ms']} ms | raw p50 "
                f"{entry['raw_p50_ms']} ms p95 {entry['raw_p95_ms']} ms | ratio {entry['ratio_p50']}"
            )
        db.session.remove()
        db.engine.dispose()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--curve-repeat", type=int, default=50)
    parser.add_argument("--raw-repeat", type=int, default=10)
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("BENCH_DATABASE_URL", PG_ADMIN_URL),
        help="A PostgreSQL URL whose server may create and drop a scratch database.",
    )
    args = parser.parse_args()

    results = []
    for database in ("sqlite", "postgresql") if args.db == "both" else (args.db,):
        with scratch_database(database, args.pg_url, "ssbench_curve") as url:
            results.append(run(database, url, args.rows, args.days, args.curve_repeat, args.raw_repeat))

    print(
        f"{'database':<11} {'scenario':<34} {'curve p50':>10} {'curve p95':>10} {'raw p50':>10} {'raw p95':>10} {'ratio':>7}  same"
    )
    ok = True
    for result in results:
        for entry in result["scenarios"]:
            print(
                f"{result['database']:<11} {entry['scenario']:<34} {entry['curve_p50_ms']:>8.2f}ms {entry['curve_p95_ms']:>8.2f}ms "
                f"{entry['raw_p50_ms']:>8.1f}ms {entry['raw_p95_ms']:>8.1f}ms {entry['ratio_p50']:>7.4f}  {entry['agree']}"
            )
            ok = ok and entry["agree"] and entry["ratio_p50"] <= 0.05
    print(json.dumps(results, indent=2))
    print("target curve <= 0.05 x raw and equal numbers:", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
