"""Fixtures of the scale path: a real nats-server per test module (JetStream, a temp
store, a free port: tests may stop and start it), an app whose public ingest
publishes to it, and a worker that drains it in-process.
"""

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

from collector.extensions import db
from collector.ingest import queue, queue_status
from collector.ingest.worker import Worker
from collector.tenancy.sites import site_cache
from tests.helpers import app_for
from tests.scale.servers import NATS_SERVER, NatsServer, PostgresCluster

IN_CI = os.environ.get("CI") == "true"


@pytest.fixture(scope="module")
def nats_server():
    if not os.path.exists(NATS_SERVER):
        if IN_CI:
            pytest.fail("nats-server is not installed (.ci/run installs it)")
        pytest.skip("nats-server is not installed (apt-get install nats-server)")
    workdir = Path(tempfile.mkdtemp(prefix="stepsense-nats-"))
    server = NatsServer(workdir).start()
    yield server
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def broker(nats_server):
    """The module's nats-server, running (a test that stopped it gets it back)."""
    if nats_server.process is None:
        nats_server.start()
    yield nats_server
    if nats_server.process is None:
        nats_server.start()


@pytest.fixture
def stream_name() -> str:
    return f"t{uuid.uuid4().hex[:12]}"


@pytest.fixture
def queue_config(broker, stream_name) -> dict:
    return {"INGEST_QUEUE_URL": broker.url, "INGEST_QUEUE_STREAM": stream_name, "INGEST_QUEUE_TIMEOUT": 2}


@pytest.fixture
def app(database_url, queue_config):
    """The app on a fresh database, its public ingest queued on the test's own stream."""
    app = app_for(database_url, **queue_config)
    site_cache.clear()
    yield app
    queue.close_publishers()
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def settings(app) -> queue.QueueSettings:
    return queue.QueueSettings.from_config(app.config)


@pytest.fixture
def drain(app, settings):
    """``drain()``: run a worker until the log has been idle briefly; returns its stats."""

    def run(batch: int = 100, idle_exit: float = 0.6, **kwargs) -> object:
        worker = Worker(app, settings, batch=batch, fetch_timeout=0.3, **kwargs)
        return worker.run(idle_exit=idle_exit)

    return run


@pytest.fixture
def status(settings):
    """``status()``: the log's QueueStatus, read through the broker."""
    return lambda: queue.publisher(settings).run(queue_status.status, settings)


def pg_workdir() -> Path:
    """A temp dir the postgres user can enter (pytest's tmp dirs are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="stepsense-pg-"))
    path.chmod(0o755)
    return path


@pytest.fixture(scope="module")
def pg_primary():
    """A throw-away PostgreSQL primary a test may stop (skipped without TEST_DATABASE_URL)."""
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("PostgreSQL-only: set TEST_DATABASE_URL")
    if not PostgresCluster.available():
        if IN_CI:
            pytest.fail("PostgreSQL 15 binaries (initdb, pg_basebackup) are missing")
        pytest.skip("PostgreSQL 15 binaries (initdb) are missing")
    workdir = pg_workdir()
    cluster = PostgresCluster(workdir)
    try:
        cluster.init().start()
    except Exception as error:
        shutil.rmtree(workdir, ignore_errors=True)
        if IN_CI:
            pytest.fail(f"could not start a PostgreSQL primary: {error}")
        pytest.skip(f"could not start a PostgreSQL primary: {error}")
    yield cluster
    cluster.stop("immediate")
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="module")
def pg_replica(pg_primary):
    """A streaming replica of ``pg_primary`` (pg_basebackup -R), started by the test."""
    workdir = pg_workdir()
    replica = PostgresCluster(workdir, name="replica")
    try:
        replica.replica_of(pg_primary).start()
    except Exception as error:
        shutil.rmtree(workdir, ignore_errors=True)
        if IN_CI:
            pytest.fail(f"could not start a streaming replica: {error}")
        pytest.skip(f"could not start a streaming replica: {error}")
    yield replica
    replica.stop("immediate")
    shutil.rmtree(workdir, ignore_errors=True)
