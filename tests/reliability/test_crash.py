"""Crash durability: answers acknowledged with a 2xx survive SIGKILLs of
gunicorn's workers and master, and retries by ``client_id`` never store twice."""

import json
import threading
import time
import uuid
from collections import Counter

import pytest
import sqlalchemy as sa

from collector.analytics.maintenance import compare_rollups
from collector.extensions import db
from collector.models import Response
from tests.reliability.helpers import request

CLIENTS = 6
ANSWERS_PER_CLIENT = 40  # sent singly and in batches of up to 5
DEADLINE_SECONDS = 120


class WidgetClient(threading.Thread):
    """Sends its answers one request at a time; an answer counts as acknowledged
    only on a 2xx, and anything else (refused, reset, 5xx) is retried with the same client_id."""

    def __init__(self, server, site, index: int, deadline: float) -> None:
        super().__init__(daemon=True)
        self.server, self.site, self.deadline = server, site, deadline
        self.pending = [
            {
                "site_key": site.public_key,
                "journey": "checkout",
                "step": f"step-{index % 3}",
                "kind": "ces",
                "score": 1 + (n % 7),
                "client_id": str(uuid.uuid4()),
                "visitor_id": f"v{index}",
                "comment": f"answer {n}",
            }
            for n in range(ANSWERS_PER_CLIENT)
        ]
        self.acknowledged: list[str] = []
        self.attempts = 0
        self.failures = 0
        self.statuses: Counter = Counter()
        self.batch = 1 + index % 5

    def run(self) -> None:
        while self.pending and time.monotonic() < self.deadline:
            items = self.pending[: self.batch]
            body = items[0] if len(items) == 1 else {"responses": items}
            self.attempts += 1
            try:
                status, _, data = request(self.server.port, "POST", "/v1/responses", body, timeout=10)
            except OSError:
                status = None
            self.statuses[status] += 1
            if status in (200, 201):
                result = json.loads(data)
                assert result["received"] == len(items)
                self.acknowledged += [item["client_id"] for item in items]
                del self.pending[: len(items)]
            else:
                self.failures += 1
                time.sleep(0.05)


@pytest.mark.slow
def test_acknowledged_answers_survive_sigkill_of_workers_and_master(app, site, gunicorn):
    """Every answer that got a 2xx is stored exactly once after a worker and then the master are SIGKILLed."""
    server = gunicorn()
    deadline = time.monotonic() + DEADLINE_SECONDS
    clients = [WidgetClient(server, site, index, deadline) for index in range(CLIENTS)]
    for client in clients:
        client.start()

    def acknowledged() -> int:
        return sum(len(client.acknowledged) for client in clients)

    total = CLIENTS * ANSWERS_PER_CLIENT
    while acknowledged() < total // 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    killed_worker = server.kill_worker()
    while acknowledged() < total // 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert killed_worker not in server.worker_pids()
    server.kill_all()
    down_at = acknowledged()
    time.sleep(0.5)  # clients keep retrying against a closed port
    server.start()
    for client in clients:
        client.join(max(0.0, deadline - time.monotonic()) + 1)

    sent = [item for client in clients for item in client.acknowledged]
    unacknowledged = sum(len(client.pending) for client in clients)
    assert unacknowledged == 0, f"{unacknowledged} answers never acknowledged before the deadline"
    assert down_at < total, "the server was killed after the clients had finished"
    retries = sum(client.failures for client in clients)
    assert retries > 0, "no send failed: the kills did not hit the run"

    stored = Counter(app_rows(app, sa.select(Response.client_id)))
    assert {client_id for client_id, count in stored.items() if count > 1} == set()
    assert set(sent) <= set(stored), f"lost {len(set(sent) - set(stored))} acknowledged answers"
    assert len(stored) == total
    with app.app_context():
        assert compare_rollups(db.session) == []
    statuses = sum((client.statuses for client in clients), Counter())
    print(
        f"\ncrash run: {total} answers acknowledged after {sum(c.attempts for c in clients)} requests, "
        f"{retries} retried ({dict(statuses)}); 1 worker and the master SIGKILLed",
        flush=True,
    )


def app_rows(app, statement) -> list:
    with app.app_context():
        return list(db.session.scalars(statement))
