"""``stepsense serve``: the app under gunicorn."""

import os
import sys
import tempfile

import click


@click.command("serve")
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--workers", default=2, show_default=True, type=int, help="Processes; about one per core.")
@click.option(
    "--worker-class",
    default="gthread",
    show_default=True,
    type=click.Choice(["gthread", "sync"]),
    help="gthread keeps browser connections alive and overlaps database round trips.",
)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=int,
    help="Threads per worker (gthread). Answers arriving together in one worker share a transaction "
    "(group commit), so more threads store more answers per commit (bench/INGEST.md, round 6).",
)
@click.option(
    "--keep-alive", default=5, show_default=True, type=int, help="Seconds an idle keep-alive connection stays open."
)
@click.option(
    "--reuse-port/--no-reuse-port",
    default=True,
    show_default=True,
    help="A listening socket per worker (SO_REUSEPORT), so the kernel spreads connections over the workers; "
    "with one shared socket, one worker often takes every keep-alive connection (bench/INGEST.md).",
)
def serve(bind: str, workers: int, worker_class: str, threads: int, keep_alive: int, reuse_port: bool) -> None:
    """Run the app under gunicorn (replaces this process); the defaults are bench/ingest.py's.

    No gunicorn access log: it would write client IPs; the app logs each request
    itself (``stepsense.request`` at INFO, with its request id). With
    ``METRICS_ENABLED`` the workers share a fresh multiprocess metrics folder.
    """
    if _env_true("METRICS_ENABLED"):
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = _fresh_metrics_dir(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
        "--threads",
        str(threads),
        "--keep-alive",
        str(keep_alive),
        *(["--reuse-port"] if reuse_port else []),
        "--config",
        "python:collector.monitoring.gunicorn",
        "collector:create_app()",
    ]
    os.execvp(args[0], args)


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _fresh_metrics_dir(path: str | None) -> str:
    """The multiprocess folder, emptied: files of an earlier run would be added to this one's counts."""
    if not path:
        return tempfile.mkdtemp(prefix="stepsense-metrics-")
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.endswith(".db"):
            os.remove(os.path.join(path, name))
    return path
