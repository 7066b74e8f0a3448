"""The durable outbox: claim under a lease, retries with back-off, give-up, recovery after a crash,
and two drains never handling the same row."""

from __future__ import annotations

import random
import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import connection, models
from django.utils import timezone

from tanggap.core import outbox
from tanggap.core.models import OutboxRow, OutboxStatus


class SampleJob(OutboxRow):
    """A test-only outbox (its app is not installed, so migrations and ``makemigrations`` ignore it)."""

    payload = models.CharField(max_length=50, default="")

    class Meta:
        app_label = "outbox_tests"


LABEL = SampleJob._meta.label_lower


@pytest.fixture(scope="session")
def sample_table(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with connection.schema_editor() as editor:
            editor.create_model(SampleJob)
        yield
        with connection.schema_editor() as editor:
            editor.delete_model(SampleJob)


@pytest.fixture
def box(sample_table, db):
    """A registered sample outbox whose handler does ``box.behave(row)`` and records each call."""
    state = SimpleNamespace(calls=[], behave=lambda row: None)

    def handler(row: SampleJob) -> None:
        state.calls.append(row.pk)
        state.behave(row)

    outbox.register(SampleJob, handler, max_attempts=3, base_delay=10.0, max_delay=25.0)
    yield state
    outbox.unregister(SampleJob)


def make_job(**fields) -> SampleJob:
    fields.setdefault("next_attempt_at", timezone.now())
    return SampleJob.objects.create(**fields)


def reload(job: SampleJob) -> SampleJob:
    return SampleJob.objects.get(pk=job.pk)


# ---------------------------------------------------------------- claiming


def test_claim_leases_due_rows_only(box):
    due = make_job()
    later = make_job(next_attempt_at=timezone.now() + timedelta(minutes=5))
    done = make_job(status=OutboxStatus.DONE)

    assert outbox.claim_due(LABEL) == [due.pk]
    claimed = reload(due)
    assert claimed.status == OutboxStatus.IN_PROGRESS
    assert claimed.attempts == 1
    assert claimed.locked_until > timezone.now() + outbox.LEASE - timedelta(seconds=30)
    assert reload(later).status == OutboxStatus.PENDING
    assert reload(done).attempts == 0
    # Leased: a second drain does not get it.
    assert outbox.claim_due(LABEL) == []


def test_claim_respects_the_limit_and_oldest_first(box):
    now = timezone.now()
    jobs = [make_job(next_attempt_at=now - timedelta(minutes=i)) for i in range(5)]
    assert outbox.claim_due(LABEL, limit=2) == [jobs[4].pk, jobs[3].pk]


# ---------------------------------------------------------------- outcomes


def test_success_marks_the_row_done(box):
    job = make_job()
    assert outbox.drain(LABEL) == 1
    job = reload(job)
    assert job.status == OutboxStatus.DONE
    assert job.finished_at is not None
    assert job.locked_until is None
    assert job.last_error == ""
    assert box.calls == [job.pk]


def test_retry_later_backs_off_then_fails_after_max_attempts(box):
    def fail(row):
        raise outbox.RetryLater("upstream answered 503")

    box.behave = fail
    job = make_job()

    outbox.drain(LABEL)
    job = reload(job)
    assert job.status == OutboxStatus.PENDING
    assert job.attempts == 1
    assert "503" in job.last_error
    wait = (job.next_attempt_at - timezone.now()).total_seconds()
    assert 10.0 * 0.8 - 2 <= wait <= 10.0 * 1.2  # base delay with jitter
    assert outbox.drain(LABEL) == 0  # not due yet

    for attempt in (2, 3):
        SampleJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
        outbox.drain(LABEL)
        job = reload(job)
        assert job.attempts == attempt
    assert job.status == OutboxStatus.FAILED  # max_attempts=3
    assert job.finished_at is not None
    assert len(box.calls) == 3


def test_give_up_fails_at_once(box):
    def refuse(row):
        raise outbox.GiveUp("410 Gone")

    box.behave = refuse
    job = make_job()
    outbox.drain(LABEL)
    job = reload(job)
    assert job.status == OutboxStatus.FAILED
    assert job.attempts == 1
    assert job.last_error == "410 Gone"


def test_unexpected_errors_are_retried_and_logged(box, caplog):
    def crash(row):
        raise ValueError("bug in the handler")

    box.behave = crash
    job = make_job()
    outbox.drain(LABEL)
    job = reload(job)
    assert job.status == OutboxStatus.PENDING
    assert job.last_error == "ValueError: bug in the handler"
    assert "failed" in caplog.text


def test_base_exceptions_from_native_code_are_retried_but_interrupts_are_not(box):
    class Panic(BaseException):  # like nh3's PanicException
        pass

    def panic(row):
        raise Panic("native code panicked")

    box.behave = panic
    job = make_job()
    outbox.drain(LABEL)
    assert reload(job).status == OutboxStatus.PENDING

    def interrupt(row):
        raise KeyboardInterrupt

    box.behave = interrupt
    SampleJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    with pytest.raises(KeyboardInterrupt):
        outbox.drain(LABEL)


def test_backoff_is_exponential_capped_and_jittered():
    rng = random.Random(1)
    delays = [outbox.backoff(n, 30.0, 300.0, rng) for n in range(1, 8)]
    for attempt, delay in enumerate(delays, start=1):
        nominal = min(300.0, 30.0 * 2 ** (attempt - 1))
        assert nominal * 0.8 <= delay <= nominal * 1.2
    assert max(delays) <= 300.0 * 1.2


# ---------------------------------------------------------------- crashes and leases


def test_a_worker_killed_mid_row_leaves_a_lease_that_the_sweep_reclaims(box):
    """kill -9 while handling: the row stays in progress with a lease; once it expires the next
    drain claims it again and delivers it."""
    job = make_job()
    assert outbox.claim_due(LABEL) == [job.pk]  # the worker claimed it … and died
    assert outbox.drain(LABEL) == 0  # lease still valid: nobody else takes it
    SampleJob.objects.filter(pk=job.pk).update(locked_until=timezone.now() - timedelta(seconds=1))

    assert outbox.drain(LABEL) == 1
    job = reload(job)
    assert job.status == OutboxStatus.DONE
    assert job.attempts == 2
    assert box.calls == [job.pk]


def test_a_row_whose_worker_died_on_its_last_attempt_fails(box):
    job = make_job(
        status=OutboxStatus.IN_PROGRESS, attempts=3, locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert outbox.drain(LABEL) == 0
    job = reload(job)
    assert job.status == OutboxStatus.FAILED
    assert "lease expired" in job.last_error
    assert box.calls == []


def test_a_row_whose_lease_ran_out_before_handling_is_left_for_the_next_claim(box):
    job = make_job()
    outbox.claim_due(LABEL)
    SampleJob.objects.filter(pk=job.pk).update(locked_until=timezone.now() - timedelta(seconds=1))
    assert outbox.process(LABEL, job.pk) == outbox.LEASE_EXPIRED
    assert box.calls == []
    assert reload(job).status == OutboxStatus.IN_PROGRESS


def test_an_outcome_is_not_recorded_when_another_drain_reclaimed_the_row(box):
    """The lease is a fencing token: a slow handler whose row was re-claimed meanwhile records nothing."""
    job = make_job()
    outbox.claim_due(LABEL)

    def reclaimed_meanwhile(row):
        SampleJob.objects.filter(pk=row.pk).update(
            locked_until=timezone.now() + timedelta(minutes=7), attempts=row.attempts + 1
        )

    box.behave = reclaimed_meanwhile
    assert outbox.process(LABEL, job.pk) == outbox.LEASE_LOST
    job = reload(job)
    assert job.status == OutboxStatus.IN_PROGRESS
    assert job.attempts == 2


def test_process_ignores_rows_not_in_progress(box):
    job = make_job(status=OutboxStatus.DONE)
    assert outbox.process(LABEL, job.pk) == OutboxStatus.DONE
    assert outbox.process(LABEL, 999_999) == outbox.MISSING
    assert box.calls == []


# ---------------------------------------------------------------- kick, sweep, counts


def test_kick_drains_after_commit(box, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = make_job()
        outbox.kick(LABEL)
        assert reload(job).status == OutboxStatus.PENDING  # nothing before the commit
    assert reload(job).status == OutboxStatus.DONE


def test_kick_survives_a_queue_that_is_down(box, monkeypatch, django_capture_on_commit_callbacks, caplog):
    from django.tasks import task_backends

    def down(self, task, args, kwargs):
        raise ConnectionError("queue unavailable")

    monkeypatch.setattr(type(task_backends["default"]), "enqueue", down)
    with django_capture_on_commit_callbacks(execute=True):
        job = make_job()
        outbox.kick(LABEL)
    assert reload(job).status == OutboxStatus.PENDING  # the sweep delivers it later
    assert "could not enqueue" in caplog.text


def test_drain_all_keeps_going_when_one_outbox_fails(box, monkeypatch):
    make_job()
    real_drain = outbox.drain

    def drain(label, limit=200):
        if label != LABEL:
            raise RuntimeError("broken outbox")
        return real_drain(label, limit)

    monkeypatch.setattr(outbox, "drain", drain)
    counts = outbox.drain_all()
    assert counts[LABEL] == 1
    assert all(v == -1 for k, v in counts.items() if k != LABEL)


def test_counts_per_state(box):
    now = timezone.now()
    make_job()
    make_job(next_attempt_at=now + timedelta(minutes=3))
    make_job(status=OutboxStatus.IN_PROGRESS, locked_until=now + timedelta(minutes=3))
    make_job(status=OutboxStatus.IN_PROGRESS, locked_until=now - timedelta(minutes=3))
    make_job(status=OutboxStatus.FAILED)
    make_job(status=OutboxStatus.DONE)
    make_job(status=OutboxStatus.DONE)

    row = next(r for r in outbox.counts() if r.label == LABEL)
    assert (row.due, row.waiting, row.in_progress, row.stuck, row.failed, row.done) == (1, 1, 1, 1, 1, 2)
    assert row.pending == 2


# ---------------------------------------------------------------- concurrency


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_drains_never_handle_a_row_twice(sample_table):
    """Two workers, each with its own connection. PostgreSQL: SKIP LOCKED; SQLite: BEGIN IMMEDIATE
    serialises the claims."""
    SampleJob.objects.all().delete()
    seen: list[tuple[str, int]] = []
    seen_lock = threading.Lock()

    def handler(row: SampleJob) -> None:
        with seen_lock:
            seen.append((threading.current_thread().name, row.pk))

    outbox.register(SampleJob, handler, batch=3)
    try:
        now = timezone.now()
        SampleJob.objects.bulk_create([SampleJob(next_attempt_at=now, payload=str(i)) for i in range(40)])
        start = threading.Barrier(2)
        errors: list[BaseException] = []

        def work() -> None:
            try:
                start.wait()
                while outbox.drain(LABEL, limit=5):
                    pass
            except BaseException as exc:  # surfaced below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=work, name=f"drain-{i}") for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in threads)
        assert errors == []
        handled = [pk for _, pk in seen]
        assert len(handled) == 40
        assert len(set(handled)) == 40  # never twice
        assert SampleJob.objects.filter(status=OutboxStatus.DONE, attempts=1).count() == 40
    finally:
        outbox.unregister(SampleJob)
        SampleJob.objects.all().delete()
