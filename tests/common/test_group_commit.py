"""Group commit: requests that arrive while another request's transaction is
being written are written together in the next transaction, each still
answered with its own outcome, and none before its commit."""

import json
import os
import signal
import threading
import time

import pytest
import sqlalchemy as sa

from collector.analytics.maintenance import compare_rollups
from collector.common.group_commit import GroupCommit, Job
from collector.extensions import db
from collector.models import Response
from tests.helpers import answer


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_jobs_queued_during_a_write_share_the_next_one():
    groups, release = [], threading.Event()

    def write(key, jobs):
        groups.append([job.name for job in jobs])
        if len(groups) == 1:
            release.wait(10)
        for job in jobs:
            job.finish(f"{job.name} stored")

    committer = GroupCommit(write)
    results = {}

    def submit(name):
        job = Job()
        job.name = name
        results[name] = committer.submit("site-1", job)

    first = threading.Thread(target=submit, args=("a",))
    first.start()
    wait_until(lambda: groups)  # "a" leads and is writing
    others = [threading.Thread(target=submit, args=(name,)) for name in "bcd"]
    for thread in others:
        thread.start()
    wait_until(lambda: len(committer._queues.get("site-1", [])) == 3)
    release.set()
    for thread in (first, *others):
        thread.join(10)

    assert groups[0] == ["a"]
    assert sorted(groups[1]) == ["b", "c", "d"]
    assert results == {name: f"{name} stored" for name in "abcd"}


def test_a_failed_write_fails_each_waiting_job_and_the_next_group_still_runs():
    calls = []

    def write(key, jobs):
        calls.append(len(jobs))
        if len(calls) == 1:
            raise RuntimeError("database went away")
        for job in jobs:
            job.finish("ok")

    committer = GroupCommit(write)
    with pytest.raises(RuntimeError, match="went away"):
        committer.submit("k", Job())
    assert committer.submit("k", Job()) == "ok"


@pytest.fixture
def inserts_held(app):
    """Hold the first INSERT into responses until released, and record the
    number of rows of every INSERT into responses."""
    sizes, holding, release = [], threading.Event(), threading.Event()

    def before(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO responses"):
            if "jsonb_array_elements" in statement:  # PostgreSQL, several rows: one JSON document of them
                document = parameters["rows"] if isinstance(parameters, dict) else parameters[0]
                sizes.append(len(json.loads(document)))
            else:
                sizes.append(len(context.compiled_parameters))
            if len(sizes) == 1:
                holding.set()
                release.wait(10)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", before)
    yield sizes, holding, release
    sa.event.remove(engine, "before_cursor_execute", before)


def test_concurrent_answers_are_committed_together_each_with_its_own_reply(app, make_site, rows, inserts_held):
    sizes, holding, release = inserts_held
    site = make_site(auto_register=False)
    assert (
        app.test_client()
        .post(
            "/v1/journeys",
            json={"key": "checkout", "steps": [{"key": "payment"}]},
            headers={"Authorization": f"Bearer {site.secret}"},
        )
        .status_code
        == 201
    )

    first = answer(site)
    bodies = {
        "first": first,
        "second": answer(site, score=2, comment="The card form rejected my card twice."),
        "resend of first": dict(first),
        "unknown step": answer(site, step="gift-wrap"),
        "third": answer(site, kind="nps", score=9),
    }
    replies = {}

    def post(name):
        client = app.test_client()
        replies[name] = client.post("/v1/responses", json=bodies[name], headers={"Origin": site.origin})

    leader = threading.Thread(target=post, args=("first",))
    leader.start()
    assert holding.wait(10)  # "first" holds its transaction open
    followers = [threading.Thread(target=post, args=(name,)) for name in bodies if name != "first"]
    for thread in followers:
        thread.start()
    with app.app_context():
        committer = app.extensions["stepsense.group_commit"]
    wait_until(lambda: len(committer._queues.get((site.id, "responses"), [])) == 4)
    assert replies == {}  # nobody is answered before the commit that stores their answer
    release.set()
    for thread in (leader, *followers):
        thread.join(10)

    assert sizes == [1, 3]  # the second transaction held the three followers' new answers
    assert {name: reply.status_code for name, reply in replies.items()} == {
        "first": 201,
        "second": 201,
        "resend of first": 200,
        "unknown step": 422,
        "third": 201,
    }
    assert replies["resend of first"].json == {"received": 1, "stored": 0, "duplicates": 1}
    assert replies["unknown step"].json["error"]["details"] == {"step": ["checkout/gift-wrap"]}
    assert sorted(rows(sa.select(Response.score))) == [2, 4, 9]
    with app.app_context():
        assert compare_rollups(db.session) == []


def test_a_worker_forked_during_a_write_starts_with_an_idle_committer():
    """gunicorn forks workers from the master: a child must not inherit a write
    that no thread of its own will ever finish."""
    release = threading.Event()

    def write(key, jobs):
        release.wait(10)
        for job in jobs:
            job.finish("ok")

    committer = GroupCommit(write)
    writer = threading.Thread(target=committer.submit, args=("k", Job()))
    writer.start()
    wait_until(lambda: "k" in committer._writing)
    pid = os.fork()
    if pid == 0:  # the child: its own write of key "k" must go through at once
        signal.alarm(5)
        release.set()  # the child's copy of the event; the parent's writer is not in this process
        os._exit(0 if committer.submit("k", Job()) == "ok" else 1)
    _, status = os.waitpid(pid, 0)
    release.set()
    writer.join(10)
    assert os.waitstatus_to_exitcode(status) == 0
