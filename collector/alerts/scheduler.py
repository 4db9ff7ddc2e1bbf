"""Running alerts on a clock: ``stepsense alerts run`` evaluates and delivers once (for cron); setting
``ALERTS_SCHEDULER_SECONDS`` above 0 does the same in a background thread of
each app process.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from collector.alerts import mail, webhooks
from collector.alerts.delivery import run
from collector.common.time import utcnow

log = logging.getLogger(__name__)


def init_app(app: Flask) -> None:
    """Check the webhook address and SMTP settings; start the background scheduler when
    ``ALERTS_SCHEDULER_SECONDS`` > 0."""
    try:
        webhooks.AddressPolicy.from_settings(
            app.config.get("ALERTS_ALLOW_PRIVATE_TARGETS"), app.config.get("ALERTS_ALLOWED_PRIVATE_NETWORKS")
        )
    except ValueError as error:
        raise ValueError(
            f"ALERTS_ALLOWED_PRIVATE_NETWORKS must be comma-separated networks such as 10.0.5.7/32: {error}"
        ) from None
    mail.SmtpSettings.from_config(
        app.config.get("SMTP_URL"), app.config.get("SMTP_FROM")
    )  # ValueError says what to fix
    seconds = float(app.config.get("ALERTS_SCHEDULER_SECONDS") or 0)
    if seconds > 0:
        app.extensions["alerts_scheduler"] = start_scheduler(app, seconds)


class Scheduler:
    """A daemon thread that calls ``run`` every ``seconds``; ``stop()`` ends it."""

    def __init__(self, app: Flask, seconds: float) -> None:
        self.app, self.seconds = app, seconds
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="stepsense-alerts", daemon=True)

    def _loop(self) -> None:
        from collector.extensions import db

        while not self.stopped.wait(self.seconds):
            with self.app.app_context():
                try:
                    run(db.session, utcnow(), self.app.config.get("PUBLIC_URL"))
                except Exception:
                    db.session.rollback()
                    log.exception("alerts run failed")

    def stop(self, timeout: float = 10) -> None:
        self.stopped.set()
        self.thread.join(timeout)


def start_scheduler(app: Flask, seconds: float) -> Scheduler:
    scheduler = Scheduler(app, seconds)
    scheduler.thread.start()
    return scheduler
