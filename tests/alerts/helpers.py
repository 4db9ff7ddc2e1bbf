"""What the alert tests share: the clock they evaluate at, a rule made through
the API, one evaluation or delivery run, and a throwaway CA and certificate."""

import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collector import alerts
from collector.extensions import db

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
# Emotions of the answers the tests seed for a good and for a bad period.
GOOD = [0.4, 0.5, 0.6, 0.7, 0.3]
BAD = [-0.5, -0.3, -0.4, -0.2, -0.6]


def make_rule(api, receiver, **fields) -> dict:
    body = {
        "journey": "checkout",
        "step": "payment",
        "kind": "emotion_drop",
        "webhook_url": receiver.url,
        "window_hours": 1,
        "min_n": 20,
        **fields,
    }
    response = api.post("/v1/alerts/rules", json=body)
    assert response.status_code == 201, response.json
    receiver.secret = response.json["secret"]
    return response.json


def evaluate(app, now: datetime) -> list[int]:
    with app.app_context():
        return [delivery.id for delivery in alerts.evaluate_rules(db.session, now, "https://cx.example.com")]


def deliver(app, now: datetime) -> list[dict]:
    with app.app_context():
        return [
            {"id": d.id, "status": d.status, "attempts": d.attempts, "next": d.next_attempt_at}
            for d in alerts.deliver_pending(db.session, now)
        ]


def make_certificates(folder: Path, host: str) -> Path:
    """A throwaway CA (ca.pem) and a certificate for ``host`` signed by it (leaf.pem,
    leaf.key), written to ``folder``; skips the test where there is no openssl command."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl(
        "req",
        "-x509",
        *curve,
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=Stepsense test CA",
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign",
    )
    openssl("req", *curve, "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", f"/CN={host}")
    (folder / "leaf.ext").write_text(
        f"subjectAltName=DNS:{host}\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
    )
    openssl(
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
    )
    return folder
