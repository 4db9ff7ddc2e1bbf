"""SQLite's writers queue on a file lock instead of polling the database's lock."""

import threading

import sqlalchemy as sa

from collector.common.database import one_writer_at_a_time


def test_a_second_writer_waits_until_the_first_is_done(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'stepsense.db'}")
    order = []
    inside = threading.Event()

    def second():
        inside.wait(5)
        with one_writer_at_a_time(engine):
            order.append("second writes")

    thread = threading.Thread(target=second)
    thread.start()
    with one_writer_at_a_time(engine):
        inside.set()
        thread.join(0.3)  # still blocked
        order.append("first done")
    thread.join(5)
    assert order == ["first done", "second writes"]
    assert (tmp_path / "stepsense.db.writer").exists()


def test_a_database_in_memory_takes_no_lock(tmp_path):
    engine = sa.create_engine("sqlite://")
    with one_writer_at_a_time(engine), one_writer_at_a_time(engine):  # would deadlock if it locked
        pass
