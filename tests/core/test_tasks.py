"""Periodic jobs under expiring locks, and recovery of tasks whose worker died."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import pytest
from django.tasks import TaskResultStatus, task_backends
from huey import crontab
from huey.contrib.djhuey import HUEY
from huey.contrib.djhuey.tasks_backend import KEY, _initial_record

from tanggap.core import tasks


@pytest.fixture(autouse=True)
def clean_store():
    """Tests run Huey in memory (TANGGAP_QUEUE=immediate); start and end each test with it empty."""
    HUEY.storage.flush_results()
    yield
    HUEY.storage.flush_results()


# ---------------------------------------------------------------- locks and periodic jobs


def test_lock_is_exclusive_until_released():
    first, second = (
        tasks.JobLock("sample", timedelta(minutes=5)),
        tasks.JobLock("sample", timedelta(minutes=5)),
    )
    assert first.acquire()
    assert not second.acquire()
    assert first.is_held()
    first.release()
    assert not first.is_held()
    assert second.acquire()
    second.release()


def test_an_expired_lock_is_taken_over_by_exactly_one_contender():
    """The holder was killed: once its lock expires one contender (never two) takes over."""
    dead = tasks.JobLock("sample", timedelta(seconds=60))
    assert dead.acquire(now=time.time() - 120)  # expired a minute ago
    a, b = tasks.JobLock("sample", timedelta(minutes=5)), tasks.JobLock("sample", timedelta(minutes=5))
    assert a.acquire()
    assert not b.acquire()
    # The dead holder's late release must not free the new holder's lock.
    dead.release()
    assert a.is_held()
    assert not b.acquire()
    a.release()
    assert b.acquire()


def test_a_periodic_run_is_skipped_while_another_holds_the_lock():
    calls = []
    job = tasks.PeriodicJob(
        name="sample", schedule=crontab(), fn=lambda: calls.append(1) or "ran", lock_ttl=timedelta(minutes=5)
    )
    other_run = tasks.JobLock("sample", job.lock_ttl)
    assert other_run.acquire()
    assert job.run() is tasks.SKIPPED
    assert calls == []
    other_run.release()
    assert job.run() == "ran"
    assert calls == [1]
    assert not other_run.is_held()  # released after the run


def test_the_lock_is_released_when_the_job_fails():
    def boom():
        raise RuntimeError("job failed")

    job = tasks.PeriodicJob(name="sample", schedule=crontab(), fn=boom, lock_ttl=timedelta(minutes=5))
    with pytest.raises(RuntimeError):
        job.run()
    assert not tasks.JobLock("sample", job.lock_ttl).is_held()


def test_the_periodic_jobs_are_registered_with_the_scheduler():
    names = {job.name for job in tasks.jobs()}
    assert {"outbox-sweep", "tasks-recover"} <= names
    periodic = {t.name for t in HUEY._registry.periodic_tasks}
    assert {"periodic.outbox-sweep", "periodic.tasks-recover"} <= periodic


def test_run_job_by_name(db):
    result = tasks.run_job("outbox-sweep")
    assert isinstance(result, dict)
    assert "webhooks.webhookdelivery" in result
    with pytest.raises(KeyError):
        tasks.run_job("no-such-job")


# ---------------------------------------------------------------- lost tasks


def _running(task, *, marker: dict, args=(), kwargs=None) -> str:
    """Store a result record and running marker as a worker that started ``task`` would."""
    task_id = uuid.uuid4().hex
    record = _initial_record("default", task, task_id, list(args), kwargs or {})
    record.update(status="RUNNING", started_at="2026-01-01T00:00:00+00:00", worker_ids=["host.1"])
    HUEY.put_result(KEY % task_id, record)
    HUEY.put(f"{tasks.RUNNING_PREFIX}{task_id}", marker)
    return task_id


def _marker(**fields) -> dict:
    return {
        "host": "elsewhere",
        "pid": 1,
        "pidns": "",
        "started_at": time.time(),
        **fields,
    }


def test_markers_are_written_while_a_task_runs_and_cleared_after(db, django_capture_on_commit_callbacks):
    seen = {}

    def spy(sender, task_result, **kwargs):
        seen["during"] = HUEY.get(f"{tasks.RUNNING_PREFIX}{task_result.id}", peek=True)

    from django.tasks.signals import task_started

    task_started.connect(spy)  # connected after ours, so it sees the marker
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = tasks.worker_ping.enqueue("hello")
    finally:
        task_started.disconnect(spy)
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value["token"] == "hello"
    assert seen["during"]["pid"] == os.getpid()
    assert list(tasks._keys_with_prefix(tasks.RUNNING_PREFIX)) == []


def test_a_task_running_longer_than_the_bound_is_marked_failed():
    task_id = _running(tasks.worker_ping, marker=_marker(started_at=time.time() - 7200), args=["x"])
    report = tasks.recover_lost_tasks()
    assert report.failed == 1
    result = task_backends["default"].get_result(task_id)
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[-1].exception_class_path == "tanggap.core.tasks.WorkerLost"
    assert result.finished_at is not None
    assert list(tasks._keys_with_prefix(tasks.RUNNING_PREFIX)) == []


def test_a_recent_task_on_a_worker_we_cannot_see_is_left_alone():
    task_id = _running(tasks.worker_ping, marker=_marker(), args=["x"])
    assert tasks.recover_lost_tasks().failed == 0
    assert task_backends["default"].get_result(task_id).status == TaskResultStatus.RUNNING


def test_a_task_on_a_live_local_worker_is_left_alone():
    marker = _marker(host=socket.gethostname(), pid=os.getpid(), pidns=tasks.pid_namespace())
    task_id = _running(tasks.worker_ping, marker=marker, args=["x"])
    assert tasks.recover_lost_tasks().failed == 0
    assert task_backends["default"].get_result(task_id).status == TaskResultStatus.RUNNING


@pytest.mark.skipif(not os.path.exists("/proc/self/ns/pid"), reason="needs Linux PID namespaces")
def test_a_task_whose_local_worker_was_killed_fails_at_once():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=30)
    marker = _marker(host=socket.gethostname(), pid=dead.pid, pidns=tasks.pid_namespace())
    task_id = _running(tasks.worker_ping, marker=marker, args=["x"])
    assert tasks.recover_lost_tasks().failed == 1
    assert task_backends["default"].get_result(task_id).status == TaskResultStatus.FAILED


def test_an_idempotent_lost_task_is_enqueued_again(db, monkeypatch, django_capture_on_commit_callbacks):
    from tanggap.core import outbox

    drained = []
    monkeypatch.setattr(outbox, "drain", lambda label, limit=200: drained.append(label) or 0)
    task_id = _running(
        tasks.outbox_drain_task,
        marker=_marker(started_at=time.time() - 7200),
        args=["webhooks.webhookdelivery"],
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = tasks.recover_lost_tasks()
    assert (report.failed, report.requeued) == (1, 1)
    assert drained == ["webhooks.webhookdelivery"]  # the new run (inline in tests)
    assert task_backends["default"].get_result(task_id).status == TaskResultStatus.FAILED


def test_leftover_markers_of_finished_tasks_are_cleared():
    task_id = _running(tasks.worker_ping, marker=_marker(), args=["x"])
    record = HUEY.get(KEY % task_id, peek=True)
    record["status"] = "SUCCESSFUL"
    HUEY.put_result(KEY % task_id, record)
    HUEY.put(f"{tasks.RUNNING_PREFIX}gone", _marker())  # its record no longer exists
    report = tasks.recover_lost_tasks()
    assert (report.failed, report.cleared) == (0, 2)
    assert task_backends["default"].get_result(task_id).status == TaskResultStatus.SUCCESSFUL
    assert list(tasks._keys_with_prefix(tasks.RUNNING_PREFIX)) == []


def _sqlite_huey(tmp_path):
    from huey import SqliteHuey

    return SqliteHuey("sample", filename=str(tmp_path / "queue.sqlite3"))


def _postgres_huey(tmp_path):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("runs on PostgreSQL")
    from huey import PostgresHuey

    params = connection.get_connection_params()
    dsn = " ".join(
        f"{k}={v}" for k, v in params.items() if k in ("dbname", "user", "password", "host", "port") and v
    )
    return PostgresHuey("sample", dsn=dsn, table_prefix=f"hueytest{uuid.uuid4().hex[:8]}")


def _redis_huey(tmp_path):
    import redis
    from huey import RedisHuey

    huey = RedisHuey(f"sample-{uuid.uuid4().hex[:8]}", url="redis://127.0.0.1:6379/15")
    try:
        huey.storage.conn.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    return huey


@pytest.mark.parametrize(
    "make_huey", [_sqlite_huey, _postgres_huey, _redis_huey], ids=["sqlite", "postgres", "redis"]
)
@pytest.mark.django_db(transaction=True)
def test_marker_keys_are_listed_by_prefix_on_each_storage(make_huey, tmp_path):
    from huey.storage import PostgresStorage

    storage = make_huey(tmp_path).storage
    real = HUEY.storage
    try:
        for key in (
            f"{tasks.RUNNING_PREFIX}a",
            f"{tasks.RUNNING_PREFIX}b",
            "djt.a",
            "tanggap.lock.x",
            "tanggap_running.c",
        ):
            storage.put_data(key, b"1")
        HUEY.storage = storage
        assert sorted(tasks._keys_with_prefix(tasks.RUNNING_PREFIX)) == [
            f"{tasks.RUNNING_PREFIX}a",
            f"{tasks.RUNNING_PREFIX}b",
        ]
    finally:
        HUEY.storage = real
        storage.flush_results()
        if isinstance(storage, PostgresStorage):
            with storage.db() as curs:
                for table in (
                    storage.table_kv,
                    storage.table_schedule,
                    storage.table_task,
                    storage.table_counter,
                ):
                    curs.execute(f"drop table if exists {table}")
        storage.close()


@pytest.mark.django_db
def test_database_statistics_job_collects_sqlite_statistics():
    from django.db import connection

    from tanggap.core.tasks import run_job

    result = run_job("database-statistics")
    if connection.vendor == "sqlite":
        assert result == "analyzed"
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")
            assert cursor.fetchone()[0] == 1
    else:
        assert result == "skipped"
