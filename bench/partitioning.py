"""Does `events` need native time partitioning? Retention and ingest, with and without.

On a fresh PostgreSQL database (migrated by the app's own migrations) this
fills `events` with ``--rows`` step views spread over 30 days, copies them
into a table partitioned by day (same columns and indexes; the unique key
gains `created_at`, as a partitioned table's keys must), then measures:

* retention of the oldest day: ``DELETE`` in batches of 10,000 ids (what
  `stepsense retention run` does) on the plain table, vs ``DROP TABLE`` of the
  day's partition;
* ingest: 20 batches of 1,000 rows through the workers' bulk INSERT
  (`common/database.py`) into the full plain table, into the partitioned one,
  and into an empty plain table.

    .venv/bin/python bench/partitioning.py --rows 2000000
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

DAYS = 30
COLUMNS = (
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
    "props",
    "created_at",
)


def timed(conn: psycopg.Connection, sql: str, params=None) -> float:
    started = time.perf_counter()
    conn.execute(sql, params)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    name = f"partbench_{os.getpid()}"
    with psycopg.connect(args.pg, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = args.pg.rsplit("/", 1)[0] + "/" + name
    try:
        env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": ROOT, "SECRET_KEY": "bench"}
        subprocess.run(
            [sys.executable, "-m", "flask", "--app", "collector:create_app", "db", "upgrade"],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        report = run(url, args.rows)
    finally:
        with psycopg.connect(args.pg, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(report, indent=2))
    return 0


def run(url: str, rows: int) -> dict:
    report: dict = {"rows": rows, "days": DAYS}
    start = datetime(2026, 11, 1, tzinfo=UTC)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO sites (id, name, public_key, origins, settings, auto_register, created_at) "
            "VALUES (1, 's', 'pk_part', '[]', '{}', false, now())"
        )
        conn.execute(
            "INSERT INTO journeys (id, site_id, key, name, created_at, auto_registered) VALUES (1, 1, 'checkout', 'c', now(), false)"
        )
        conn.execute(
            "INSERT INTO steps (id, journey_id, key, name, position, auto_registered) VALUES "
            "(1, 1, 'cart', 'cart', 0, false), (2, 1, 'payment', 'payment', 1, false)"
        )
        fill = (
            "INSERT INTO {table} (site_id, journey_id, step_id, client_id, type, visitor_id, session_id, url_path, device, "
            "locale, props, created_at) SELECT 1, 1, 1 + i %% 2, md5(i::text)::uuid::text, 'step_view', 'v' || (i %% 100000), "
            "'s' || (i %% 400000), '/checkout', 'desktop', 'en', 'null'::json, "
            "%(start)s::timestamptz + (i::float8 / %(rows)s) * interval '30 days' FROM generate_series(1, %(rows)s) AS i"
        )
        report["fill_plain_s"] = round(timed(conn, fill.format(table="events"), {"start": start, "rows": rows}), 1)
        conn.execute("VACUUM ANALYZE events")
        # The same table partitioned by day.
        conn.execute("CREATE TABLE events_by_day (LIKE events INCLUDING DEFAULTS) PARTITION BY RANGE (created_at)")
        for day in range(DAYS + 1):
            low, high = start + timedelta(days=day), start + timedelta(days=day + 1)
            conn.execute(
                f"CREATE TABLE events_by_day_{day} PARTITION OF events_by_day FOR VALUES FROM ('{low.isoformat()}') "
                f"TO ('{high.isoformat()}')"
            )
        for index in (
            "UNIQUE (site_id, client_id, created_at)",
            "(journey_id, created_at)",
            "(site_id, visitor_id)",
            "(step_id)",
            "(journey_id, session_id, created_at)",
        ):
            unique = index.startswith("UNIQUE")
            columns = index.removeprefix("UNIQUE ")
            conn.execute(f"CREATE {'UNIQUE ' if unique else ''}INDEX ON events_by_day {columns}")
        _foreign_keys(conn, "events_by_day")
        report["fill_partitioned_s"] = round(timed(conn, "INSERT INTO events_by_day SELECT * FROM events"), 1)
        conn.execute("VACUUM ANALYZE events_by_day")
        report["plain_table_mb"] = int(conn.execute("SELECT pg_total_relation_size('events') / 1048576").fetchone()[0])

        # Retention of the oldest day.
        cutoff = start + timedelta(days=1)
        expired = conn.execute("SELECT count(*) FROM events WHERE created_at < %s", (cutoff,)).fetchone()[0]
        started = time.perf_counter()
        while True:
            deleted = conn.execute(
                "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE created_at < %s LIMIT 10000)", (cutoff,)
            ).rowcount
            if not deleted:
                break
        report["retention_day_rows"] = expired
        report["retention_delete_s"] = round(time.perf_counter() - started, 2)
        report["retention_vacuum_s"] = round(timed(conn, "VACUUM events"), 2)
        report["retention_drop_partition_s"] = round(timed(conn, "DROP TABLE events_by_day_0"), 3)

        # Ingest: the workers' bulk INSERT, 20 batches of 1,000.
        conn.execute("CREATE TABLE events_empty (LIKE events INCLUDING ALL)")
        _foreign_keys(conn, "events_empty")
        for table in ("events", "events_by_day", "events_empty"):
            report[f"insert_1000_ms_{table}"] = round(statistics.median(_insert_batches(conn, table, start)), 1)
    return report


def _foreign_keys(conn: psycopg.Connection, table: str) -> None:
    """The plain table's foreign keys (LIKE copies none): their checks are a third of an insert."""
    for column, target in (("site_id", "sites"), ("journey_id", "journeys"), ("step_id", "steps")):
        conn.execute(f"ALTER TABLE {table} ADD FOREIGN KEY ({column}) REFERENCES {target} (id) ON DELETE CASCADE")


def _insert_batches(conn: psycopg.Connection, table: str, start: datetime) -> list[float]:
    values = ", ".join(
        f"CAST(r ->> {i} AS {kind})"
        for i, kind in enumerate(
            (
                "integer",
                "integer",
                "integer",
                "varchar(36)",
                "varchar(24)",
                "varchar(64)",
                "varchar(64)",
                "varchar(512)",
                "varchar(16)",
                "varchar(35)",
                "json",
                "timestamptz",
            )
        )
    )
    on_conflict = "(site_id, client_id, created_at)" if table == "events_by_day" else "(site_id, client_id)"
    sql = (
        f"INSERT INTO {table} ({', '.join(COLUMNS)}) SELECT {values} FROM jsonb_array_elements(CAST(%s AS jsonb)) AS r "
        f"ON CONFLICT {on_conflict} DO NOTHING RETURNING client_id, id"
    )
    times = []
    now = (start + timedelta(days=DAYS - 1)).isoformat()
    for _ in range(20):
        rows = [
            [
                1,
                1,
                1,
                str(uuid.uuid4()),
                "step_view",
                "v1",
                f"s{uuid.uuid4().hex[:8]}",
                "/checkout",
                "desktop",
                "en",
                "null",
                now,
            ]
            for _ in range(1000)
        ]
        document = json.dumps(rows)
        with conn.transaction():
            started = time.perf_counter()
            conn.execute(sql, (document,)).fetchall()
        times.append((time.perf_counter() - started) * 1000)
    return times


if __name__ == "__main__":
    sys.exit(main())
