"""The multi-host proof, bounded (bench/cluster.py at 400 answers): three web hosts behind
HAProxy, a three-node JetStream cluster (replicas 3), a PostgreSQL primary with a
streaming replica, Redis, two workers; under load one web host, the stream leader's
node and a worker are SIGKILLed and the primary restarted. Nothing acknowledged is
lost, nothing stored twice, the replica's curve converges, the rollups verify."""

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from tests.scale.conftest import IN_CI
from tests.scale.servers import NATS_SERVER, PostgresCluster

HAPROXY = "/usr/sbin/haproxy"


@pytest.mark.slow
def test_faults_under_load_lose_nothing_acknowledged_and_double_nothing():
    if not os.environ.get("TEST_DATABASE_URL"):
        pytest.skip("runs with the PostgreSQL suite (TEST_DATABASE_URL): it starts PostgreSQL clusters of its own")
    missing = [
        tool
        for tool, present in (
            ("haproxy", os.path.exists(HAPROXY)),
            ("nats-server", os.path.exists(NATS_SERVER)),
            ("PostgreSQL 15", PostgresCluster.available()),
        )
        if not present
    ]
    if missing:
        (pytest.fail if IN_CI else pytest.skip)(f"missing: {', '.join(missing)} (.ci/run installs them)")
    from bench.cluster import run

    workdir = Path(tempfile.mkdtemp(prefix="stepsense-cluster-test-"))
    try:
        report = run(answers=400, clients=4, workdir=workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    assert len(report.faults) == 4, report.faults
    assert report.failures() == []
    assert report.acknowledged == report.stored_acknowledged == report.stored == 400
    assert report.duplicates == 0
