"""Publishing single answers to JetStream from request threads: the request thread's own
socket (``nats_wire``, the default on nats:// servers) vs the hand-over to the asyncio
loop thread (``Publisher._publish_in_loop``, kept for tls://), side by side in one run.

A private nats-server (JetStream, temp store, free port); each mode publishes
``--messages`` single-message requests from 1 and from 4 threads (a gthread worker's
threads), rounds alternating. Prints the wall-clock rate and this process's CPU per
publish (the client's side; ``time.process_time``). Every publish is acknowledged
(PubAck) before the next one of its thread, as in a request.

    .venv/bin/python bench/publish.py [--messages 2000] [--rounds 2]
"""

import argparse
import os
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from bench.ingest import nats_server  # noqa: E402
from collector.ingest import queue  # noqa: E402

PAYLOAD = b"x" * 700  # about a queued answer with its comment


def run(publish, messages: int, threads: int, tag: str) -> tuple[float, float]:
    per_thread = messages // threads

    def go(index: int) -> None:
        for i in range(per_thread):
            publish([("bench.in.answer.1", f"{tag}-{index}-{i}", PAYLOAD)])

    workers = [threading.Thread(target=go, args=(index,)) for index in range(threads)]
    wall, cpu = time.perf_counter(), time.process_time()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    done = per_thread * threads
    return done / wall, cpu / done * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with nats_server() as url:
        publisher = queue.Publisher(queue.QueueSettings((url,), stream="bench"))
        publisher.publish([("bench.in.answer.1", "warm-up", PAYLOAD)])  # creates the streams
        modes = {"own socket (nats_wire)": publisher.publish, "loop thread (nats-py)": publisher._publish_in_loop}
        print(f"{args.messages} single publishes per phase, load average {os.getloadavg()[0]:.1f}")
        for round_ in range(args.rounds):
            for name, publish in modes.items():
                for threads in (1, 4):
                    rate, cpu = run(publish, args.messages, threads, f"{round_}-{name[:4]}-{threads}")
                    print(f"  {name:<24} {threads} thread(s): {rate:7,.0f}/s   {cpu:.3f} ms CPU per publish")
        print(f"load average {os.getloadavg()[0]:.1f}")
        publisher.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
