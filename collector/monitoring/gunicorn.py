"""gunicorn settings that ``stepsense serve`` loads: a worker that exits
leaves its metric files behind, marked dead so live gauges ignore them."""

from prometheus_client import multiprocess


def child_exit(server, worker) -> None:
    multiprocess.mark_process_dead(worker.pid)
