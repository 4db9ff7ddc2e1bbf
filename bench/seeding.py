"""What the curve and funnel benches share: a scratch database, the app and the
five-step ``checkout`` journey they seed, the bulk write of generated rows, the
rollup rebuild and ANALYZE after it, and the timers.

Both benches generate rows as tuples in a table's column order, in chunks; the
bulk write is COPY on PostgreSQL (the fastest path in) and executemany on SQLite
with the last column, the timestamp, as text (how the app stores it there).
"""

import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

import click
import psycopg
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade
from sqlalchemy.engine import make_url

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from collector import create_app  # noqa: E402
from collector.analytics.maintenance import rebuild_rollups  # noqa: E402
from collector.extensions import db  # noqa: E402
from collector.models import Journey, Site, Step  # noqa: E402
from collector.tenancy.sites import create_site  # noqa: E402

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
STEPS = ["landing", "cart", "shipping", "payment", "confirmation"]
SCENARIOS = (("journey", {}), ("segment device=mobile variant=B", {"device": "mobile", "variant": "B"}))
CHUNK = 50_000
# One chunk of generated rows: per table (in the order of ``tables``), its rows as tuples.
Chunk = Sequence[list[tuple]]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextmanager
def scratch_database(kind: str, pg_url: str, prefix: str) -> Iterator[str]:
    """The URL of an empty database, dropped afterwards: an SQLite file in a temp dir,
    or a new PostgreSQL database named ``prefix_…`` on the server of ``pg_url``."""
    if kind == "sqlite":
        workdir = tempfile.mkdtemp(prefix="stepsense-bench-")
        try:
            yield f"sqlite:///{workdir}/bench.sqlite3"
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return
    admin = make_url(pg_url)
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"  # not stepsense_*: .ci/run drops those, even while a bench runs
    connect = dict(
        host=admin.host or "127.0.0.1",
        port=admin.port or 5432,
        user=admin.username or "postgres",
        password=admin.password,
        dbname=admin.database or "postgres",
        autocommit=True,
    )
    with psycopg.connect(**connect) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**connect) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def bench_app(url: str) -> Flask:
    """The app as the benches run it: no rate limits, no site cache, quiet logs."""
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "RATELIMIT_ENABLED": False,
            "SECRET_KEY": "bench",
            "SITE_CACHE_SECONDS": 0,
            "LOG_LEVEL": "ERROR",
        }
    )


def bench_journey() -> tuple[Site, str, Journey]:
    """Migrate, then create the bench site (and its admin secret) with the checkout journey."""
    upgrade()
    site, secret = create_site(db.session, "Bench shop", ["https://shop.example.com"])
    journey = Journey(site_id=site.id, key="checkout", name="Checkout")
    journey.steps = [Step(key=key, name=key.title(), position=i) for i, key in enumerate(STEPS)]
    db.session.add(journey)
    db.session.commit()
    return site, secret, journey


def bulk_write(
    database: str,
    engine: sa.Engine,
    tables: Sequence[tuple[str, Sequence[str]]],
    chunks: Iterable[Chunk],
    total: int,
    what: str,
) -> int:
    """Write each chunk's rows into ``tables`` ((name, columns) pairs), one commit a
    chunk, with a progress bar of ``total`` counted in the first table's rows;
    returns the first table's rows written."""
    raw = engine.raw_connection()
    written = 0
    try:
        cursor = raw.cursor()
        label = f"seeding {what} ({'postgresql COPY' if database == 'postgresql' else 'sqlite executemany'})"
        with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
            if database == "sqlite":
                cursor.execute("PRAGMA synchronous=OFF")
            for chunk in chunks:
                for (table, columns), rows in zip(tables, chunk):
                    names = ", ".join(columns)
                    if database == "postgresql":
                        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                            for row in rows:
                                copy.write_row(row)
                    else:
                        cursor.executemany(
                            f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})",
                            [row[:-1] + (_sqlite_time(row[-1]),) for row in rows],
                        )
                raw.commit()
                written += len(chunk[0])
                bar.update(len(chunk[0]))
            if database == "sqlite":
                cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        raw.close()
    return written


def table_columns(table: sa.Table, last: str = "created_at") -> tuple[str, ...]:
    """Every column of ``table`` but its generated primary key, with ``last`` (the timestamp
    ``bulk_write`` converts for SQLite) moved to the end: a bench that fills rows by name
    keeps up with the model instead of a hand-kept list."""
    names = [column.name for column in table.columns if not (column.primary_key and column.autoincrement)]
    return (*(name for name in names if name != last), last)


def _sqlite_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def build_rollups() -> tuple[int, float]:
    """Rebuild every rollup from the seeded rows (``stepsense rollups rebuild``), then
    ANALYZE so the planner knows the tables' sizes; (rollup rows, seconds)."""
    started = time.perf_counter()
    rollup_rows = rebuild_rollups(db.session)
    db.session.commit()
    seconds = time.perf_counter() - started
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE")
    return rollup_rows, seconds


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def timed(function, repeat: int) -> tuple[list[float], object]:
    """Milliseconds of ``repeat`` calls after one warm-up (caches, plans, pages), and the last result."""
    result = function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return times, result
