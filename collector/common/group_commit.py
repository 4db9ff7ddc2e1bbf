"""Group commit: the request threads of one worker that write at the same time
share one transaction.

Why: a transaction costs about as much for one answer as for fifty (begin,
a handful of round trips, commit), and concurrent writers of one site queue
behind each other anyway (SQLite's single write lock; on PostgreSQL the rows
of the step's rollups). In bench/INGEST.md (round 3) this raised PostgreSQL's
single-answer rate by 17–20 %. So a thread that finds no write under way leads: it
writes its own job. Jobs that arrive meanwhile queue up, and when the write
is done the first of them is handed the whole queue to write as the next
group, in one transaction. No request is answered before its records are
committed, so durability is unchanged; a queue of waiting writers turns into
one larger transaction instead of many small ones.

A group is keyed (for ingest: the site and the table), so that a transaction
never mixes what would have been separate transactions of different shapes.
"""

import os
import weakref
from collections.abc import Callable, Hashable
from threading import Event, Lock
from typing import Any


class Job:
    """One request's share of a group: waits for its outcome, set by the leader."""

    def __init__(self) -> None:
        self.finished = False
        self._result: Any = None
        self._error: BaseException | None = None
        self._lead: list[Job] | None = None  # a group handed to this job's thread to write
        self._woken = Event()

    def finish(self, result: Any = None) -> None:
        self._result, self.finished = result, True

    def fail(self, error: BaseException) -> None:
        self._error, self.finished = error, True

    def outcome(self) -> Any:
        """The result, or the error the write raised for this job."""
        if self._error is not None:
            raise self._error
        return self._result


class GroupCommit:
    """Runs ``write(key, jobs)`` for the jobs queued under one key, one group at a time per key.

    ``write`` must finish or fail every job it is given; a job it leaves
    unfinished fails with the exception ``write`` raised.
    """

    def __init__(self, write: Callable[[Hashable, list[Job]], None]) -> None:
        self._write = write
        self._reset()
        _instances.add(self)

    def _reset(self) -> None:
        """Start empty; also in a forked child, where no thread of the parent's runs."""
        self._lock = Lock()
        self._queues: dict[Hashable, list[Job]] = {}  # jobs waiting for the next group, per key
        self._writing: set[Hashable] = set()

    def submit(self, key: Hashable, job: Job) -> Any:
        """Queue ``job`` and return its outcome once it is committed (or raise its error)."""
        with self._lock:
            if key in self._writing:
                self._queues.setdefault(key, []).append(job)
                group = None
            else:
                self._writing.add(key)
                group = [job]
        if group is None:
            job._woken.wait()  # finished by another thread's write, or handed the next group
            group = job._lead
        if group is not None:
            self._write_and_hand_over(key, group)
        return job.outcome()

    def _write_and_hand_over(self, key: Hashable, group: list[Job]) -> None:
        try:
            self._write(key, group)
        except BaseException as error:
            for member in group:
                if not member.finished:
                    member.fail(error)
        finally:
            with self._lock:
                queued = self._queues.pop(key, None)
                if queued:
                    queued[0]._lead = queued  # its thread writes the next group
                    queued[0]._woken.set()
                else:
                    self._writing.discard(key)
            for member in group:
                member._woken.set()


_instances: "weakref.WeakSet[GroupCommit]" = weakref.WeakSet()


def _reset_after_fork() -> None:
    for instance in list(_instances):
        instance._reset()


os.register_at_fork(after_in_child=_reset_after_fork)
