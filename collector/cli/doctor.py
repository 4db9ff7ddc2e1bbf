"""``stepsense doctor``: the mistakes operators make, found before visitors do.

Each check says what it found and, for a problem, what to change. The exit
status is 1 when any check found a problem, so a deploy script can stop on it.
"""

import os
from dataclasses import dataclass

import click
import sqlalchemy as sa
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app
from flask.cli import with_appcontext

from collector.extensions import db, migrate
from collector.models import AlertRule, Site
from collector.tenancy.sites import normalise_origin

WIDGET_FILES = ("widget.js", "widget-ui.js")


@dataclass(frozen=True)
class Finding:
    ok: bool
    message: str
    fix: str = ""


def check_database() -> list[Finding]:
    """Reachable, and migrated to the newest revision."""
    try:
        with db.engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    except sa.exc.DBAPIError as error:
        return [
            Finding(
                False,
                f"the database does not answer ({error.__class__.__name__})",
                "check DATABASE_URL and that the server runs",
            )
        ]
    config = migrate.get_config()
    heads = set(ScriptDirectory.from_config(config).get_heads())
    if current != heads:
        return [
            Finding(
                False,
                f"the database is at revision {', '.join(sorted(current)) or 'none'}, "
                f"the code needs {', '.join(sorted(heads))}",
                "run: stepsense db upgrade",
            )
        ]
    return [Finding(True, f"database reachable, migrations current ({', '.join(sorted(heads))})")]


def check_processes(workers: int) -> list[Finding]:
    """Settings that only work in a single process."""
    findings = []
    several = workers > 1
    if several and not os.environ.get("SECRET_KEY"):
        findings.append(
            Finding(
                False,
                f"SECRET_KEY is not set and {workers} workers run: each makes its own, so a "
                "dashboard sign-in breaks whenever another worker answers",
                "set SECRET_KEY to one long random value for every worker and host",
            )
        )
    else:
        findings.append(
            Finding(True, "SECRET_KEY " + ("set" if os.environ.get("SECRET_KEY") else "per process (one worker)"))
        )
    storage = current_app.config["RATELIMIT_STORAGE_URI"]
    if several and current_app.config["RATELIMIT_ENABLED"] and storage.startswith("memory://"):
        findings.append(
            Finding(
                False,
                f"rate limits are kept in each worker's memory ({workers} workers): every worker allows the full limit",
                "set RATELIMIT_STORAGE_URI=redis://…",
            )
        )
    elif storage.startswith(("redis://", "rediss://")):
        findings.append(_check_redis(storage))
    else:
        findings.append(Finding(True, f"rate-limit storage {storage.split('://')[0]}://"))
    return findings


def _check_redis(url: str) -> Finding:
    import redis

    try:
        redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return Finding(
            False,
            f"the rate-limit Redis does not answer ({error.__class__.__name__})",
            "check RATELIMIT_STORAGE_URI and that Redis runs",
        )
    return Finding(True, "rate-limit storage is a reachable Redis")


def check_sites() -> list[Finding]:
    """Every site's origins are origins (scheme, host and port; nothing else)."""
    findings = []
    for site in db.session.scalars(sa.select(Site).order_by(Site.id)):
        bad = []
        for origin in site.origins or []:
            try:
                if normalise_origin(origin) != origin:
                    bad.append(origin)
            except ValueError:
                bad.append(origin)
        if not site.origins:
            findings.append(
                Finding(
                    False,
                    f"site {site.id} ({site.name}) allows no origin: its widget can send nothing",
                    "add one: PATCH /v1/site with origins, or stepsense sites create",
                )
            )
        elif bad:
            findings.append(
                Finding(
                    False,
                    f"site {site.id} ({site.name}) has origins that browsers never send: "
                    f"{', '.join(repr(o) for o in bad)}",
                    "write them as scheme://host[:port], e.g. https://shop.example.com",
                )
            )
    if not findings:
        findings.append(Finding(True, "every site's origins are valid"))
    return findings


def check_public_url() -> list[Finding]:
    """Alerts link to the dashboard; without PUBLIC_URL those links point at whatever host ran the job."""
    active = db.session.scalar(sa.select(sa.func.count()).select_from(AlertRule).where(AlertRule.active.is_(True)))
    if active and not current_app.config.get("PUBLIC_URL"):
        return [
            Finding(
                False,
                f"{active} active alert rule(s), and PUBLIC_URL is not set: their dashboard links can't be built",
                "set PUBLIC_URL, e.g. https://cx.example.com",
            )
        ]
    return [
        Finding(
            True,
            "PUBLIC_URL " + ("set" if current_app.config.get("PUBLIC_URL") else "not needed (no active alert rule)"),
        )
    ]


def check_email() -> list[Finding]:
    """Rules that e-mail need SMTP_URL and SMTP_FROM; without them every e-mail fails."""
    rules = db.session.execute(sa.select(AlertRule.target, AlertRule.email_to).where(AlertRule.active.is_(True))).all()
    mailing = sum(1 for target, email_to in rules if target == "email" or email_to)
    configured = bool(current_app.config.get("SMTP_URL") and current_app.config.get("SMTP_FROM"))
    if mailing and not configured:
        return [
            Finding(
                False,
                f"{mailing} active alert rule(s) send e-mail, and SMTP_URL or SMTP_FROM is not set",
                "set SMTP_URL (e.g. smtp://mail.example.com:587?starttls=true) and SMTP_FROM",
            )
        ]
    return [Finding(True, "e-mail " + ("configured" if configured else "not needed (no rule sends e-mail)"))]


def check_widget_build() -> list[Finding]:
    """The built widget files ship inside the package; a source checkout needs `make widget`."""
    missing = [name for name in WIDGET_FILES if not os.path.isfile(os.path.join(current_app.static_folder, name))]
    if missing:
        return [Finding(False, f"the widget build is missing: {', '.join(missing)}", "run: make widget")]
    return [Finding(True, "widget build present")]


def run_checks(workers: int) -> list[Finding]:
    """All checks in the order a person would fix them; later ones need the database."""
    findings = check_database()
    findings += check_processes(workers)
    findings += check_widget_build()
    if findings[0].ok:
        findings += check_sites() + check_public_url() + check_email()
    return findings


@click.command("doctor")
@click.option(
    "--workers",
    type=int,
    default=lambda: int(os.environ.get("WEB_CONCURRENCY") or 2),
    show_default="WEB_CONCURRENCY or 2",
    help="Worker processes (over all hosts) this configuration runs with.",
)
@with_appcontext
def doctor(workers: int) -> None:
    """Check the configuration, database and sites; say what to fix (exit 1 on a problem)."""
    findings = run_checks(workers)
    for finding in findings:
        if finding.ok:
            click.echo(f"ok       {finding.message}")
        else:
            click.echo(f"PROBLEM  {finding.message}\n         fix: {finding.fix}")
    problems = sum(not finding.ok for finding in findings)
    click.echo(f"{problems} problem(s)" if problems else "no problems found")
    if problems:
        raise SystemExit(1)
