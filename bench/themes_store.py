"""Reading a journey's stored themes vs recomputing them (issue item 12: read ≤ 0.05× recompute at 1M answers).

For each database asked for (SQLite and PostgreSQL by default, one after the
other in one run), migrates a fresh one (a temporary SQLite file; the
scratch PostgreSQL database of ``bench.seeding.scratch_database``, dropped at
the end), bulk-seeds ``--rows`` answers through ``bench.seeding.bulk_write``
(PostgreSQL ``COPY``, SQLite ``executemany``, progress on stderr), every one with a comment, over the four
English steps of ``tests/data/themes_eval.tsv`` (cart, shipping, payment,
account; each eval comment with a numbered noise word so texts differ), over
``--days`` days; then times

* **recompute**: ``theme_store.rebuild`` of every step (what
  ``stepsense themes rebuild --force`` runs: build + store the assignments);
* **read**: ``theme_report.journey_themes`` (the body of
  ``GET /v1/journeys/checkout/themes``), warm, whole window and a 7-day
  window with share_change, median of ``--repeat`` runs;
* **dashboard refresh**: the themes part of a dashboard refresh (the panel
  and the curve's top themes), recomputed as it was, and from the parts
  ``theme_cache`` keeps: nothing changed since the last refresh, and right
  after one new answer arrived;

and prints them and the ratios. Exit status 1 if a read passes 0.05× recompute.

    .venv/bin/python bench/themes_store.py --rows 1000000
    .venv/bin/python bench/themes_store.py --rows 20000 --db sqlite
"""

import argparse
import csv
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import click
import sqlalchemy as sa
from flask_migrate import upgrade

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.seeding import PG_ADMIN_URL, bulk_write, scratch_database, table_columns  # noqa: E402
from collector import create_app  # noqa: E402
from collector.analytics import theme_cache, theme_report, theme_store  # noqa: E402
from collector.analytics.maintenance import rebuild_rollups  # noqa: E402
from collector.common.time import utcnow  # noqa: E402
from collector.extensions import db  # noqa: E402
from collector.models import Journey, Response, Step  # noqa: E402
from collector.tenancy.sites import create_site  # noqa: E402

STEPS = ["cart", "shipping", "payment", "account"]
COLUMNS = table_columns(Response.__table__)
CHUNK = 50_000


def _eval() -> dict[str, list[str]]:
    path = os.path.join(ROOT, "tests", "data", "themes_eval.tsv")
    found: dict[str, list[str]] = {step: [] for step in STEPS}
    with open(path, encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE):
            if row["step"] in found:
                found[row["step"]].append(row["text"])
    return found


def _rows(site_id: int, journey_id: int, step_ids: list[int], rows: int, days: int) -> Iterator[list[tuple]]:
    """The answers as tuples in ``COLUMNS`` order (the rest of the columns NULL), ``CHUNK`` at a time (seeded: the same every run)."""
    texts, rng, now = _eval(), random.Random(7), utcnow()
    keys = dict(zip(step_ids, STEPS))
    chunk: list[tuple] = []
    for i in range(rows):
        step_id = step_ids[i % len(step_ids)]
        values = {
            "site_id": site_id,
            "journey_id": journey_id,
            "step_id": step_id,
            "client_id": str(uuid.UUID(int=i)),
            "kind": "csat",
            "score": rng.randint(1, 5),
            "comment": f"{rng.choice(texts[keys[step_id]])} w{rng.randint(0, 5000)}",
            "polarity": rng.uniform(-1, 1),
            "subjectivity": 0.5,
            "sentiment_label": rng.choice(("negative", "neutral", "positive")),
            "language": "en",
            "emotion": rng.uniform(-1, 1),
            "scorer_version": "bench",
            "trigger": "inline",
            "device": rng.choice(("mobile", "desktop")),
            "locale": "en",
            "created_at": now - timedelta(seconds=rng.uniform(0, days * 86400)),
        }
        chunk.append(tuple(values.get(name) for name in COLUMNS))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def seed(kind: str, rows: int, days: int) -> Journey:
    site, _ = create_site(db.session, "Bench", ["https://bench.example.com"])
    journey = Journey(site_id=site.id, key="checkout", name="Checkout")
    db.session.add(journey)
    db.session.flush()
    steps = [Step(journey_id=journey.id, key=key, name=key, position=i) for i, key in enumerate(STEPS)]
    db.session.add_all(steps)
    db.session.commit()
    chunks = ([chunk] for chunk in _rows(site.id, journey.id, [step.id for step in steps], rows, days))
    bulk_write(kind, db.engine, (("responses", COLUMNS),), chunks, rows, "answers")
    return journey


def _timed(function, repeat: int) -> tuple[float, float, object]:
    """Median wall and CPU seconds of ``repeat`` calls (after one warm-up call)."""
    result = function()
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        db.session.rollback()
    return statistics.median(walls), statistics.median(cpus), result


def _one_more_answer(journey: Journey) -> None:
    """A new answer with a comment, stored as ingest stores it (so the data's version moves)."""
    step = journey.steps[2]
    db.session.add(
        Response(
            site_id=journey.site_id,
            journey_id=journey.id,
            step_id=step.id,
            client_id=str(uuid.uuid4()),
            kind="csat",
            score=1,
            comment="my card was declined",
            sentiment_label="negative",
            language="en",
            emotion=-0.8,
            scorer_version="bench",
            trigger="inline",
            created_at=utcnow(),
        )
    )
    db.session.commit()


def run(kind: str, url: str, args) -> float:
    """Seed, rebuild and read one database; returns the worst read/recompute ratio (wall)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False, "SECRET_KEY": "bench"})
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        journey = seed(kind, args.rows, args.days)
        seeded = time.perf_counter() - started
        wall = time.perf_counter()
        # Bulk-seeded behind ingest's back: count the curve's and the themes' rollups as
        # `stepsense rollups rebuild` does (ingest keeps them as it stores; not part of the recompute).
        rebuild_rollups(db.session)
        db.session.commit()
        print(f"rollups rebuild after seeding: {time.perf_counter() - wall:.1f} s wall", file=sys.stderr)
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        steps = [(step, theme_store.comment_stats(db.session, step.id)[0]) for step in journey.steps]
        with click.progressbar(length=args.rows, label="recompute (rebuild every step)", file=sys.stderr) as bar:
            wall, cpu = time.perf_counter(), time.process_time()
            theme_store.rebuild(db.session, steps, bar.update)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()
        now = utcnow()
        tomorrow = datetime.combine(now.date(), datetime.min.time(), tzinfo=now.tzinfo) + timedelta(days=1)
        scenarios = {
            "all comments": {},
            "last 7 whole UTC days, share_change (rollups)": {"from": tomorrow - timedelta(days=7), "to": tomorrow},
            "last 7 days to the second, share_change (raw)": {"from": now - timedelta(days=7), "to": now},
        }
        print(f"\n{kind}, {args.rows:,} answers with comments, {len(steps)} steps (seeded in {seeded:.0f} s wall)")
        print(f"recompute (rebuild every step): {wall:.2f} s wall, {cpu:.2f} s CPU")
        worst = 0.0
        for name, filters in scenarios.items():
            median, median_cpu, body = _timed(
                lambda f=filters: theme_report.journey_themes(db.session, journey, f), args.repeat
            )
            worst = max(worst, median / wall)
            themes = sum(len(step["themes"]) for step in body["steps"])
            print(
                f"read, {name}: median {median * 1000:.0f} ms wall = {median / wall:.4f}x recompute, "
                f"{median_cpu * 1000:.0f} ms CPU = {median_cpu / cpu:.4f}x ({themes} themes)"
            )
        _profile(kind, journey, scenarios["last 7 whole UTC days, share_change (rollups)"])
        _dashboard(journey, args.repeat)
        db.session.remove()
        db.engine.dispose()
    return worst


def _profile(kind: str, journey: Journey, filters: dict) -> None:
    """Where a 7-day read's time goes: totals and groups (both windows) against the examples,
    and on PostgreSQL the examples statement's EXPLAIN ANALYZE (to stderr)."""
    previous = theme_report._previous_window(filters)
    parts = {
        "totals": lambda: (
            theme_report._totals(db.session, journey, filters),
            theme_report._totals(db.session, journey, previous),
        ),
        "groups": lambda: (
            theme_report._groups(db.session, journey, filters),
            theme_report._groups(db.session, journey, previous),
        ),
    }
    body = theme_report.journey_themes(db.session, journey, filters)
    models = theme_report._models(db.session, [step.id for step in journey.steps])
    labels = {
        (step_id, theme.key): theme.label
        for step_id, entry in models.items()
        if entry.model is not None
        for theme in entry.model.themes
    }
    keys = {s.key: s.id for s in journey.steps}
    wanted = [
        (keys[step["step"]], theme["key"], labels[(keys[step["step"]], theme["key"])])
        for step in body["steps"]
        for theme in step["themes"]
    ]
    parts["examples"] = lambda: theme_report._examples(db.session, wanted, filters)
    timings = []
    for name, function in parts.items():
        start = time.perf_counter()
        function()
        timings.append(f"{name} {(time.perf_counter() - start) * 1000:.0f} ms")
    print(f"profile, 7 whole days + previous window: {', '.join(timings)} ({len(wanted)} themes' examples)")
    if kind == "postgresql" and wanted:
        captured = []

        def capture(conn, cursor, statement, parameters, context, executemany):
            captured.append((statement, parameters))

        sa.event.listen(db.engine, "before_cursor_execute", capture)
        theme_report._examples(db.session, wanted[:1], filters)
        sa.event.remove(db.engine, "before_cursor_execute", capture)
        statement, parameters = captured[-1]
        raw = db.session.connection().connection.driver_connection
        plan = raw.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).fetchall()
        print("EXPLAIN ANALYZE, one theme's examples:\n" + "\n".join(row[0] for row in plan), file=sys.stderr)
    db.session.rollback()


def _dashboard(journey: Journey, repeat: int) -> None:
    """The themes part of a 30-second dashboard refresh (the panel and the curve's top themes), last 30
    days: as it was (recomputed), from the kept parts with nothing new, and right after one new answer."""
    day = datetime.combine(utcnow().date(), datetime.min.time(), tzinfo=utcnow().tzinfo)
    filters = {"from": day - timedelta(days=30), "to": day + timedelta(days=1)}

    def recomputed():
        theme_report.journey_themes(db.session, journey, dict(filters))
        theme_report.top_themes(db.session, journey, dict(filters))

    def cached():
        theme_cache.cached_journey_themes(db.session, journey, dict(filters))
        theme_cache.cached_top_themes(db.session, journey, dict(filters))

    before, _, _ = _timed(recomputed, repeat)
    after, _, _ = _timed(cached, repeat)
    changed = []
    for _ in range(repeat):
        _one_more_answer(journey)
        start = time.perf_counter()
        cached()
        changed.append(time.perf_counter() - start)
        db.session.rollback()
    print(
        f"dashboard refresh (themes panel + curve's top themes), last 30 days: recomputed {before * 1000:.0f} ms; "
        f"kept parts, nothing new {after * 1000:.1f} ms; one new answer since {statistics.median(changed) * 1000:.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", action="append", choices=("sqlite", "postgresql"), help="default: both")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_DATABASE_URL", PG_ADMIN_URL))
    args = parser.parse_args()
    worst = 0.0
    for kind in args.db or ["sqlite", "postgresql"]:
        with scratch_database(kind, args.pg_url, "ssbench_themes") as url:
            worst = max(worst, run(kind, url, args))
    return 0 if worst <= 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
