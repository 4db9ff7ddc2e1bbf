"""The per-session locks that the funnel and friction share at ingest (PostgreSQL)."""

import os
import threading

import pytest
import sqlalchemy as sa

from collector.analytics.session_locks import lock_sessions

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL: SQLite has one writer and takes no session locks"
)


@pytest.fixture
def engine():
    engine = sa.create_engine(os.environ["TEST_DATABASE_URL"])
    yield engine
    engine.dispose()


def test_a_second_writer_of_a_session_waits_for_the_first_to_commit(engine):
    order = []
    locked = threading.Event()

    def second():
        locked.wait(5)
        with engine.begin() as conn:
            lock_sessions(conn, [(1, "s1"), (1, "other")])
            order.append("second locked")

    thread = threading.Thread(target=second)
    with engine.begin() as conn:
        lock_sessions(conn, [(1, "s1")])
        thread.start()
        locked.set()
        thread.join(0.5)
        order.append("first commits")
    thread.join(5)
    assert order == ["first commits", "second locked"]


def test_sessions_already_locked_in_the_transaction_cost_no_statement(engine):
    statements = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    with engine.begin() as conn:
        lock_sessions(conn, [(1, "a"), (1, "b")])  # the ingest's one statement
        lock_sessions(conn, [(1, "a")])  # the funnel's sessions
        lock_sessions(conn, [(1, "b")])  # friction's
    with engine.begin() as conn:
        lock_sessions(conn, [(1, "a")])  # a new transaction holds nothing yet
    assert sum("pg_advisory_xact_lock" in text for text in statements) == 2
