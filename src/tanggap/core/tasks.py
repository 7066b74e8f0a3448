"""Background work through Django's ``django.tasks`` API (Huey is the engine).

Periodic jobs run from Huey's scheduler (exactly one node runs it: ``tanggap worker`` unless
``--no-scheduler``), each under a lock that expires, so a slow run never overlaps the next and a
worker killed mid-run does not block the job for ever. Two jobs recover what a crash leaves behind:
``outbox-sweep`` re-claims outbox rows whose lease expired, and ``tasks-recover`` marks
``django.tasks`` results stuck in RUNNING (their worker died) as FAILED, re-enqueueing the tasks that
are safe to run again.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from django.dispatch import receiver
from django.tasks import Task, task
from django.tasks.signals import task_finished, task_started
from django.utils.module_loading import import_string
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task
from huey.contrib.djhuey.tasks_backend import KEY as RESULT_KEY
from huey.contrib.djhuey.tasks_backend import HueyBackend

logger = logging.getLogger(__name__)

LOCK_PREFIX = "tanggap.lock."
RUNNING_PREFIX = "tanggap.running."
# A task still RUNNING this long after it started, on a worker we cannot check, is taken as lost.
LOST_AFTER = timedelta(hours=1)


# ---------------------------------------------------------------- worker identity


@cache
def pid_namespace() -> str:
    """The PID namespace of this process (Linux), so a PID is only compared within its own namespace."""
    try:
        return str(os.stat("/proc/self/ns/pid").st_ino)
    except OSError:
        return ""


def process_marker() -> dict[str, Any]:
    """Who this process is, for ``process_gone`` to tell later whether it still runs."""
    return {"host": socket.gethostname(), "pid": os.getpid(), "pidns": pid_namespace()}


def worker_id() -> str:
    """``host.pid`` — the same form the Huey task backend records in a result's ``worker_ids``."""
    return f"{socket.gethostname()}.{os.getpid()}"


def process_gone(marker: dict[str, Any]) -> bool:
    """Whether the worker process that wrote ``marker`` is certainly gone (same host and PID
    namespace, PID no longer alive). Elsewhere we cannot tell, and the time bound decides."""
    if marker.get("host") != socket.gethostname() or not marker.get("pidns"):
        return False
    if marker.get("pidns") != pid_namespace():
        return False
    try:
        os.kill(int(marker["pid"]), 0)
    except ProcessLookupError:
        return True
    except (OSError, ValueError, KeyError):
        return False
    return False


# ---------------------------------------------------------------- periodic jobs


class JobLock:
    """A lock in Huey's key/value store that expires.

    Huey's own ``lock_task`` has no expiry on SQLite and PostgreSQL, so a worker killed while
    holding it would block the job until someone flushed the lock by hand. Here the lock holds a
    token and an expiry; an expired lock is taken over by exactly one contender, which first claims
    a marker named after the dead holder's token (``put_if_empty`` is atomic on every storage).
    The expiry must exceed the job's longest run.
    """

    def __init__(self, name: str, ttl: timedelta) -> None:
        self.name = name
        self.key = f"{LOCK_PREFIX}{name}"
        self.ttl = ttl
        self.token: str | None = None

    def _value(self, now: float) -> dict[str, Any]:
        return {"token": uuid.uuid4().hex, "expires_at": now + self.ttl.total_seconds(), "owner": worker_id()}

    def acquire(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        value = self._value(now)
        if HUEY.put_if_empty(self.key, value):
            self.token = value["token"]
            return True
        current = HUEY.get(self.key, peek=True)
        if current is None:  # released between our two calls
            if HUEY.put_if_empty(self.key, value):
                self.token = value["token"]
                return True
            return False
        if not isinstance(current, dict) or float(current.get("expires_at", 0)) > now:
            return False
        # The holder died: only the contender that claims this expired token's marker takes over.
        if not HUEY.put_if_empty(f"{self.key}.takeover.{current.get('token')}", value["token"]):
            return False
        HUEY.put(self.key, value)
        self.token = value["token"]
        logger.warning(
            "periodic job %s: took over an expired lock held by %s", self.name, current.get("owner")
        )
        return True

    def release(self) -> None:
        current = HUEY.get(self.key, peek=True)
        if isinstance(current, dict) and current.get("token") == self.token:
            HUEY.delete(self.key)
        self.token = None

    def is_held(self, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        current = HUEY.get(self.key, peek=True)
        return isinstance(current, dict) and float(current.get("expires_at", 0)) > now


SKIPPED: Any = object()


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    name: str
    schedule: Callable[[datetime], bool]
    fn: Callable[[], Any]
    lock_ttl: timedelta

    @property
    def description(self) -> str:
        return (self.fn.__doc__ or "").strip().splitlines()[0] if self.fn.__doc__ else ""

    def run(self) -> Any:
        """Run now under the job's lock. Returns ``SKIPPED`` when another run holds the lock."""
        lock = JobLock(self.name, self.lock_ttl)
        if not lock.acquire():
            logger.info("periodic job %s is still running elsewhere; this run is skipped", self.name)
            return SKIPPED
        try:
            return self.fn()
        finally:
            lock.release()


_jobs: dict[str, PeriodicJob] = {}


def periodic(
    name: str, schedule: Callable[[datetime], bool], *, lock_ttl: timedelta = timedelta(minutes=15)
) -> Callable[[Callable[[], Any]], Any]:
    """Register ``fn`` as periodic job ``name`` on Huey's scheduler, run under a lock (see ``JobLock``).

    The returned object is Huey's periodic task; the job itself runs by hand with ``run_job(name)``
    (``tanggap jobs run NAME``).
    """

    def decorator(fn: Callable[[], Any]) -> Any:
        job = PeriodicJob(name=name, schedule=schedule, fn=fn, lock_ttl=lock_ttl)
        _jobs[name] = job

        def run() -> Any:
            result = job.run()
            return None if result is SKIPPED else result

        run.__name__ = run.__qualname__ = f"periodic_{name.replace('-', '_')}"
        run.__module__ = fn.__module__
        run.__doc__ = fn.__doc__
        return db_periodic_task(schedule, name=f"periodic.{name}")(run)

    return decorator


def jobs() -> list[PeriodicJob]:
    return [_jobs[name] for name in sorted(_jobs)]


def run_job(name: str) -> Any:
    """Run periodic job ``name`` now, in this process, under its lock. ``KeyError`` if unknown."""
    return _jobs[name].run()


# ---------------------------------------------------------------- tasks


@task()
def outbox_drain_task(label: str) -> int:
    from tanggap.core import outbox

    return outbox.drain(label)


@task()
def worker_ping(token: str) -> dict[str, str]:
    """Answered by whichever worker takes it: proves that a worker is consuming the queue."""
    return {"token": token, "worker": worker_id()}


# Tasks that are safe to run again when their worker died mid-run: ``tasks-recover`` re-enqueues them.
_requeue_when_lost: set[str] = set()


def requeue_when_lost(dj_task: Task) -> Task:
    """Mark a ``django.tasks`` task as idempotent: if its worker dies mid-run, it is enqueued again."""
    _requeue_when_lost.add(dj_task.module_path)
    return dj_task


requeue_when_lost(outbox_drain_task)


@periodic("outbox-sweep", crontab(minute="*"))
def outbox_sweep() -> dict[str, int]:
    """Deliver due outbox work and re-claim rows whose worker died (expired leases)."""
    from tanggap.core import outbox

    return outbox.drain_all()


@periodic("database-statistics", crontab(minute="23", hour="*/6"))
def database_statistics() -> str:
    """Refresh SQLite's planner statistics. Without them its planner can pick an index that reads
    every ticket for the queue; PostgreSQL's autovacuum keeps its own statistics."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return "skipped"
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA analysis_limit=2000")  # sampled: seconds, not minutes, at millions of rows
        cursor.execute("ANALYZE")
    return "analyzed"


# ---------------------------------------------------------------- recovery of lost tasks
#
# The Huey task backend keeps each result as ``djt.<id>`` in Huey's key/value store, next to locks
# and other results, and no storage can list keys by prefix through Huey's API (``result_items``
# reads the whole store). So while a task runs we keep a small marker ``tanggap.running.<id>``
# (written when the task starts, deleted when it finishes): the recovery job reads only the
# markers, which are few, with a prefix query on the storages that allow one.


class WorkerLost(Exception):
    """Recorded on a task result whose worker stopped before the task finished."""


@receiver(task_started, sender=HueyBackend, dispatch_uid="tanggap.tasks.mark_running")
def _mark_running(sender: Any, task_result: Any, **kwargs: Any) -> None:
    try:
        HUEY.put(
            f"{RUNNING_PREFIX}{task_result.id}",
            process_marker() | {"started_at": time.time()},
        )
    except Exception:  # the marker only speeds up recovery; never fail the task for it
        logger.exception("could not mark task %s as running", task_result.id)


@receiver(task_finished, sender=HueyBackend, dispatch_uid="tanggap.tasks.unmark_running")
def _unmark_running(sender: Any, task_result: Any, **kwargs: Any) -> None:
    try:
        HUEY.delete(f"{RUNNING_PREFIX}{task_result.id}")
    except Exception:
        logger.exception("could not clear the running mark of task %s", task_result.id)


def _keys_with_prefix(prefix: str) -> Iterator[str]:
    """Keys in Huey's key/value store that start with ``prefix``, read cheaply where possible."""
    from huey.storage import MemoryStorage, PostgresStorage, RedisStorage, SqliteStorage

    storage: Any = HUEY.storage
    if isinstance(storage, SqliteStorage):
        # A range on the primary key (queue, key); SQLite compares text bytewise.
        rows = storage.sql(
            "select key from kv where queue = ? and key >= ? and key < ?",
            (storage.name, prefix, prefix + "\U0010ffff"),
            results=True,
        )
        yield from (row[0] for row in rows)
    elif isinstance(storage, PostgresStorage):
        # starts_with, not a range: under a linguistic collation "." sorts unlike in a byte comparison.
        rows = storage.sql(
            f"select key from {storage.table_kv} where queue = %s and starts_with(key, %s)",  # noqa: S608
            (storage.name, prefix),
            results=True,
        )
        yield from (row[0] for row in rows)
    elif isinstance(storage, RedisStorage) and isinstance(getattr(storage, "result_key", None), str):
        for key, _value in storage.conn.hscan_iter(storage.result_key, match=f"{prefix}*"):
            yield key.decode() if isinstance(key, bytes) else key
    elif isinstance(storage, MemoryStorage):
        yield from [key for key in list(storage._results) if key.startswith(prefix)]
    else:
        yield from [key for key in storage.result_items() if key.startswith(prefix)]


@dataclass(frozen=True, slots=True)
class RecoveryReport:
    failed: int
    requeued: int
    cleared: int

    def as_dict(self) -> dict[str, int]:
        return {"failed": self.failed, "requeued": self.requeued, "cleared": self.cleared}


def recover_lost_tasks(*, now: float | None = None, lost_after: timedelta = LOST_AFTER) -> RecoveryReport:
    """Mark task results left RUNNING by a dead worker as FAILED (with a ``WorkerLost`` error), and
    enqueue again the tasks marked with ``requeue_when_lost``.

    A worker is dead when it ran on this host and PID namespace and its PID is gone; otherwise a
    task is taken as lost once it has been RUNNING for ``lost_after``.
    """
    now = time.time() if now is None else now
    failed = requeued = cleared = 0
    for marker_key in list(_keys_with_prefix(RUNNING_PREFIX)):
        task_id = marker_key[len(RUNNING_PREFIX) :]
        marker = HUEY.get(marker_key, peek=True)
        record = HUEY.get(RESULT_KEY % task_id, peek=True)
        if not isinstance(record, dict) or record.get("status") != "RUNNING" or not isinstance(marker, dict):
            HUEY.delete(marker_key)  # the task finished (or its record is gone): a leftover marker
            cleared += 1
            continue
        age = now - float(marker.get("started_at", now))
        if not process_gone(marker) and age < lost_after.total_seconds():
            continue
        record["status"] = "FAILED"
        record["finished_at"] = datetime.fromtimestamp(now, tz=UTC).isoformat()
        record.setdefault("errors", []).append(
            [
                f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                f"WorkerLost: the worker {marker.get('host')}.{marker.get('pid')} stopped before the task "
                f"finished (running for {int(age)} s)\n",
            ]
        )
        HUEY.put_result(RESULT_KEY % task_id, record)
        HUEY.delete(marker_key)
        failed += 1
        logger.warning(
            "task %s (%s) was left running by a dead worker; marked failed", task_id, record.get("task_path")
        )
        if record.get("task_path") in _requeue_when_lost:
            try:
                lost_task = import_string(record["task_path"])
                lost_task.enqueue(*record.get("args", []), **record.get("kwargs", {}))
                requeued += 1
            except Exception:
                logger.exception("could not enqueue task %s again", record.get("task_path"))
    return RecoveryReport(failed=failed, requeued=requeued, cleared=cleared)


@periodic("tasks-recover", crontab(minute="*/5"))
def tasks_recover() -> dict[str, int]:
    """Fail (or re-enqueue) background tasks left running by a worker that died."""
    return recover_lost_tasks().as_dict()
