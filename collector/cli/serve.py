"""``stepsense serve``: the app under gunicorn."""

import os
import sys

import click


@click.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--workers", default=2, show_default=True, type=int, help="Processes; about one per core.")
@click.option("--worker-class", default="gthread", show_default=True,
              type=click.Choice(["gthread", "sync"]), help="gthread keeps browser connections alive and overlaps database round trips.")
@click.option("--threads", default=2, show_default=True, type=int,
              help="Threads per worker (gthread). More mostly adds writers waiting for SQLite's write lock.")
@click.option("--keep-alive", default=5, show_default=True, type=int, help="Seconds an idle keep-alive connection stays open.")
def serve(bind: str, workers: int, worker_class: str, threads: int, keep_alive: int) -> None:
    """Run the app under gunicorn (replaces this process); the defaults are bench/ingest.py's."""
    args = [
        sys.executable, "-m", "gunicorn",
        "--bind", bind, "--workers", str(workers), "--worker-class", worker_class, "--threads", str(threads),
        "--keep-alive", str(keep_alive), "--access-logfile", "-", "collector:create_app()",
    ]
    os.execvp(args[0], args)
