"""``stepsense doctor`` on a healthy set-up and on the mistakes operators make."""

import pytest

from collector.extensions import db
from collector.models import Site
from tests.helpers import app_for


@pytest.fixture
def doctor(monkeypatch):
    """Run the doctor against an app, with SECRET_KEY in the environment unless told otherwise."""
    monkeypatch.setenv("SECRET_KEY", "a-long-random-value")

    def run(app, *args):
        return app.test_cli_runner().invoke(args=["doctor", *args])

    return run


def test_a_healthy_set_up_passes(app, doctor, site):
    result = doctor(app, "--workers", "1")
    assert result.exit_code == 0, result.output
    assert "no problems found" in result.output
    assert "PROBLEM" not in result.output


def test_an_unmigrated_database_is_a_problem(tmp_path, doctor):
    app = app_for(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    result = doctor(app, "--workers", "1")
    assert result.exit_code == 1
    assert "PROBLEM  the database is at revision none" in result.output
    assert "fix: run: stepsense db upgrade" in result.output


def test_several_workers_need_a_shared_secret_and_shared_limits(database_url, doctor, monkeypatch):
    monkeypatch.delenv("SECRET_KEY")
    app = app_for(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://")
    result = doctor(app, "--workers", "4")
    assert result.exit_code == 1
    assert "SECRET_KEY is not set and 4 workers run" in result.output
    assert "rate limits are kept in each worker's memory (4 workers)" in result.output
    assert "2 problem(s)" in result.output


def test_an_unreachable_redis_is_a_problem(database_url, doctor):
    app = app_for(database_url, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1")
    result = doctor(app, "--workers", "2")
    assert result.exit_code == 1
    assert "the rate-limit Redis does not answer" in result.output


def test_a_site_origin_no_browser_sends_is_a_problem(app, doctor, site):
    with app.app_context():
        stored = db.session.get(Site, site.id)
        stored.origins = ["https://shop.example.com/checkout", "shop.example.com"]
        db.session.commit()
    result = doctor(app, "--workers", "1")
    assert result.exit_code == 1
    assert (
        "has origins that browsers never send: 'https://shop.example.com/checkout', 'shop.example.com'" in result.output
    )


def test_alert_rules_without_public_url_are_a_problem(app, doctor, api):
    api.post("/v1/journeys", json={"key": "checkout", "steps": [{"key": "cart"}, {"key": "payment"}]})
    created = api.post(
        "/v1/alerts/rules",
        json={
            "name": "Payment",
            "journey": "checkout",
            "kind": "emotion_drop",
            "webhook_url": "https://hooks.example.com/x",
        },
    )
    assert created.status_code == 201, created.json
    result = doctor(app, "--workers", "1")
    assert result.exit_code == 1
    assert "1 active alert rule(s), and PUBLIC_URL is not set" in result.output
    app.config["PUBLIC_URL"] = "https://cx.example.com"
    assert doctor(app, "--workers", "1").exit_code == 0


def test_rules_that_email_without_an_smtp_server_are_a_problem(app, doctor, api):
    app.config["PUBLIC_URL"] = "https://cx.example.com"
    api.post("/v1/journeys", json={"key": "checkout", "steps": [{"key": "cart"}]})
    created = api.post(
        "/v1/alerts/rules",
        json={
            "journey": "checkout",
            "kind": "digest",
            "target": "slack",
            "webhook_url": "https://hooks.slack.com/services/T/B/X",
            "email_to": ["cx@example.com"],
        },
    )
    assert created.status_code == 201, created.json
    result = doctor(app, "--workers", "1")
    assert result.exit_code == 1
    assert "1 active alert rule(s) send e-mail, and SMTP_URL or SMTP_FROM is not set" in result.output
    app.config.update(SMTP_URL="smtp://mail.example.com:587?starttls=true", SMTP_FROM="cx@example.com")
    result = doctor(app, "--workers", "1")
    assert result.exit_code == 0 and "ok       e-mail configured" in result.output


def test_a_missing_widget_build_is_a_problem(app, doctor, tmp_path):
    app.static_folder = str(tmp_path)
    result = doctor(app, "--workers", "1")
    assert result.exit_code == 1
    assert "the widget build is missing: widget.js, widget-ui.js" in result.output
