"""gunicorn settings that ``stepsense serve`` loads: a worker loads the
sentiment models before it takes its first request, and a worker that exits
leaves its metric files behind, marked dead so live gauges ignore them."""

import os

from prometheus_client import multiprocess

from collector import sentiment


def post_worker_init(worker) -> None:
    """Before the worker accepts connections: otherwise its first answers with a comment
    wait seconds for the language model (and, in a benchmark, the first phase pays for it)."""
    sentiment.warm_up()


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):  # set by `stepsense serve` with METRICS_ENABLED only
        multiprocess.mark_process_dead(worker.pid)
