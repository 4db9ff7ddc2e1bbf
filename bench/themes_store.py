"""Reading a journey's stored themes vs recomputing them (issue item 12: read ≤ 0.05× recompute).

Migrates a fresh SQLite file (or PostgreSQL database with ``--db postgresql``),
bulk-seeds ``--rows`` answers, every one with a comment, over the four English
steps of ``tests/data/themes_eval.tsv`` (cart, shipping, payment, account;
each eval comment repeated with a numbered noise word so texts differ), over
``--days`` days; then times

* **recompute**: ``theme_store.rebuild`` of every step (what
  ``stepsense themes rebuild --force`` runs: build + store the assignments);
* **read**: ``theme_report.journey_themes`` (the body of
  ``GET /v1/journeys/checkout/themes``), warm, whole window and a 7-day
  window with share_change, median of ``--repeat`` runs;

and prints both and the ratio. Exit status 1 if the ratio passes 0.05.

    .venv/bin/python bench/themes_store.py --rows 100000
"""

import argparse
import csv
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta

import sqlalchemy as sa
from flask_migrate import upgrade

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from collector import create_app  # noqa: E402
from collector.analytics import theme_report, theme_store  # noqa: E402
from collector.common.time import utcnow  # noqa: E402
from collector.extensions import db  # noqa: E402
from collector.models import Journey, Response, Step  # noqa: E402
from collector.tenancy.sites import create_site  # noqa: E402

STEPS = ["cart", "shipping", "payment", "account"]
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _eval() -> dict[str, list[str]]:
    path = os.path.join(ROOT, "tests", "data", "themes_eval.tsv")
    found: dict[str, list[str]] = {step: [] for step in STEPS}
    with open(path, encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            if row["step"] in found:
                found[row["step"]].append(row["text"])
    return found


def seed(rows: int, days: int) -> Journey:
    site, _ = create_site(db.session, "Bench", ["https://bench.example.com"])
    journey = Journey(site_id=site.id, key="checkout", name="Checkout")
    db.session.add(journey)
    db.session.flush()
    steps = [Step(journey_id=journey.id, key=key, name=key, position=i) for i, key in enumerate(STEPS)]
    db.session.add_all(steps)
    db.session.commit()
    texts, rng, now = _eval(), random.Random(7), utcnow()
    batch = []
    for i in range(rows):
        step = steps[i % len(steps)]
        text = rng.choice(texts[step.key])
        label = rng.choice(("negative", "neutral", "positive"))
        batch.append(
            {
                "site_id": site.id,
                "journey_id": journey.id,
                "step_id": step.id,
                "client_id": str(uuid.UUID(int=i)),
                "kind": "csat",
                "score": rng.randint(1, 5),
                "comment": f"{text} w{rng.randint(0, 5000)}",
                "polarity": rng.uniform(-1, 1),
                "subjectivity": 0.5,
                "sentiment_label": label,
                "language": "en",
                "emotion": rng.uniform(-1, 1),
                "scorer_version": "bench",
                "trigger": "inline",
                "device": rng.choice(("mobile", "desktop")),
                "locale": "en",
                "created_at": now - timedelta(seconds=rng.uniform(0, days * 86400)),
            }
        )
        if len(batch) == 10_000:
            db.session.execute(sa.insert(Response), batch)
            db.session.commit()
            batch = []
            print(f"seeded {i + 1}", file=sys.stderr)
    if batch:
        db.session.execute(sa.insert(Response), batch)
        db.session.commit()
    return journey


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="themes-bench-")
    url = f"sqlite:///{workdir}/bench.sqlite3"
    if args.db == "postgresql":
        import psycopg

        name = f"themes_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=test", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = PG_URL.rsplit("/", 1)[0] + "/" + name
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        journey = seed(args.rows, args.days)
        db.session.execute(sa.text("ANALYZE"))
        steps = [(step, theme_store.comment_stats(db.session, step.id)[0]) for step in journey.steps]
        wall, cpu = time.perf_counter(), time.process_time()
        theme_store.rebuild(db.session, steps)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        now = utcnow()
        scenarios = {"all comments": {}, "last 7 days, share_change": {"from": now - timedelta(days=7), "to": now}}
        print(f"{args.db}, {args.rows:,} answers with comments, {len(steps)} steps")
        print(f"recompute (rebuild every step): {wall:.2f} s wall, {cpu:.2f} s CPU")
        worst = 0.0
        for name, filters in scenarios.items():
            theme_report.journey_themes(db.session, journey, filters)  # warm
            times, cpus = [], []
            for _ in range(args.repeat):
                start, start_cpu = time.perf_counter(), time.process_time()
                body = theme_report.journey_themes(db.session, journey, filters)
                times.append(time.perf_counter() - start)
                cpus.append(time.process_time() - start_cpu)
                db.session.rollback()
            median, median_cpu = statistics.median(times), statistics.median(cpus)
            worst = max(worst, median / wall)
            themes = sum(len(step["themes"]) for step in body["steps"])
            print(
                f"read, {name}: median {median * 1000:.0f} ms wall = {median / wall:.4f}x recompute, "
                f"{median_cpu * 1000:.0f} ms CPU = {median_cpu / cpu:.4f}x ({themes} themes)"
            )
    return 0 if worst <= 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
