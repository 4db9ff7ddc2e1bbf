"""``stepsense ingest``: the workers that drain the ingest log, and its status."""

import dataclasses
import signal

import click
from flask import current_app
from flask.cli import with_appcontext

from collector.cli.output import echo_json
from collector.ingest import queue, queue_status
from collector.ingest.worker import Worker


@click.group("ingest", help="The replicated ingest log (INGEST_QUEUE_URL): workers and status.")
def ingest_group() -> None:
    pass


def _settings() -> queue.QueueSettings:
    settings = queue.QueueSettings.from_config(current_app.config)
    if settings is None:
        raise click.UsageError("INGEST_QUEUE_URL is not set: ingest writes to the database directly, there is no log.")
    return settings


@ingest_group.command("worker")
@click.option(
    "--batch",
    default=2000,
    show_default=True,
    type=click.IntRange(1, 10_000),
    help="Messages fetched and committed together, in one transaction.",
)
@click.option(
    "--ack-wait",
    default=30.0,
    show_default=True,
    type=click.FloatRange(1, 3600),
    help="Seconds before the broker redelivers what a dead worker had fetched.",
)
@click.option(
    "--concurrency",
    default=None,
    type=click.IntRange(1, 8),
    help="Batches written at once, each in its own transaction; default 2 on PostgreSQL, 1 on SQLite (one writer).",
)
@click.option(
    "--idle-exit", default=None, type=float, help="Exit after this many seconds with nothing to do (tests, benches)."
)
@with_appcontext
def worker_command(batch: int, ack_wait: float, concurrency: int | None, idle_exit: float | None) -> None:
    """Store queued answers and events: fetch a batch, commit it, acknowledge it. Runs until SIGTERM/SIGINT."""
    worker = Worker(
        current_app._get_current_object(), _settings(), batch=batch, ack_wait=ack_wait, concurrency=concurrency
    )
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stop.set())
    click.echo(f"ingest worker: stream {worker.settings.stream}, batch {batch}", err=True)
    stats = worker.run(idle_exit=idle_exit)
    click.echo(
        f"ingest worker stopped: {stats.stored} stored, {stats.duplicates} duplicates, "
        f"{stats.dead} dead letters in {stats.batches} batches",
        err=True,
    )


@ingest_group.command("status")
@click.option(
    "--dead",
    "dead_limit",
    default=20,
    show_default=True,
    type=click.IntRange(0, 1000),
    help="How many of the latest dead letters to list.",
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object instead of text.")
@with_appcontext
def status_command(dead_limit: int, as_json: bool) -> None:
    """The log's backlog (messages, pending, unacknowledged, lag) and the latest dead letters with their reasons."""
    settings = _settings()
    publisher = queue.publisher(settings)
    state = publisher.run(queue_status.status, settings)
    dead = publisher.run(queue_status.dead_letters, settings, dead_limit) if dead_limit else []
    if as_json:
        echo_json({**dataclasses.asdict(state), "lag": state.lag, "dead": dead})
        return
    click.echo(
        f"stream {settings.stream}: {state.messages} messages, replicas {state.replicas}"
        + (f", leader {state.leader}" if state.leader else "")
    )
    click.echo(
        f"consumer {queue.CONSUMER}: {state.pending} pending, {state.ack_pending} unacknowledged, "
        f"{state.redelivered} redelivered; lag {state.lag} messages, oldest {state.lag_seconds:.1f} s"
    )
    click.echo(f"dead letters ({settings.dead_stream}): {state.dead_letters}")
    for letter in dead:
        click.echo(f"  #{letter['seq']} {letter['time']} {letter['message_id']}: {letter['reason']}")
