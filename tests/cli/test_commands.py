"""The ``tanggap`` command's argument handling, run in-process with click's CliRunner."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from click.testing import CliRunner
from huey.contrib.djhuey import HUEY

from tanggap import __version__, cli
from tanggap.accounts.models import Role, User
from tanggap.core import tasks
from tanggap.core.models import AuditEntry
from tanggap.tickets.models import Status, Ticket


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_version(runner):
    result = runner.invoke(cli.main, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_help_lists_the_commands(runner):
    result = runner.invoke(cli.main, ["--help"])
    assert result.exit_code == 0
    for name in ("run", "serve", "worker", "demo-data", "createadmin", "manage", "jobs"):
        assert name in result.output


# ---------------------------------------------------------------- createadmin


@pytest.mark.django_db
def test_createadmin_from_stdin(runner):
    result = runner.invoke(
        cli.main,
        ["createadmin", "--username", "rina", "--email", "Rina@Example.com", "--password-stdin"],
        input="correct-horse-42\n",
    )
    assert result.exit_code == 0, result.output
    user = User.objects.get(username="rina")
    assert user.role == Role.ADMIN
    assert user.is_admin
    assert user.email == "rina@example.com"
    assert user.check_password("correct-horse-42")
    entry = AuditEntry.objects.get(action="agent.created", object_id=str(user.pk))
    assert entry.actor is None  # the first admin has no one to be created by


@pytest.mark.django_db
def test_createadmin_prompts_twice(runner):
    result = runner.invoke(cli.main, ["createadmin"], input="correct-horse-42\ncorrect-horse-42\n")
    assert result.exit_code == 0, result.output
    assert User.objects.get(username="admin").role == Role.ADMIN


@pytest.mark.django_db
def test_createadmin_refuses_passwords_that_differ(runner):
    result = runner.invoke(cli.main, ["createadmin"], input="correct-horse-42\nsomething-else-9\n")
    assert result.exit_code != 0
    assert "do not match" in result.output
    assert not User.objects.exists()


@pytest.mark.django_db
def test_createadmin_refuses_a_weak_password(runner):
    result = runner.invoke(cli.main, ["createadmin", "--password-stdin"], input="short\n")
    assert result.exit_code == 1
    assert "password" in result.output
    assert not User.objects.exists()


@pytest.mark.django_db
def test_createadmin_refuses_a_taken_username(runner, make_agent):
    make_agent("admin")
    result = runner.invoke(cli.main, ["createadmin", "--password-stdin"], input="correct-horse-42\n")
    assert result.exit_code == 1
    assert "username" in result.output


@pytest.mark.django_db
def test_createadmin_needs_a_password_on_stdin(runner):
    result = runner.invoke(cli.main, ["createadmin", "--password-stdin"], input="")
    assert result.exit_code == 1
    assert not User.objects.exists()


# ---------------------------------------------------------------- demo-data


@pytest.mark.django_db
def test_demo_data_small(runner):
    result = runner.invoke(cli.main, ["demo-data", "--tickets", "30", "--customers", "10", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert Ticket.objects.count() == 30
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Status.values)
    assert {"id", "en"} <= set(Ticket.objects.values_list("language", flat=True))
    assert "user admin, password tanggap-demo" in result.output
    assert "demo data only" in result.output


@pytest.mark.django_db
def test_demo_data_refuses_a_database_with_tickets(runner, ticket):
    result = runner.invoke(cli.main, ["demo-data", "--tickets", "5", "--customers", "3"])
    assert result.exit_code == 1
    assert "--force" in result.output
    assert Ticket.objects.count() == 1

    forced = runner.invoke(cli.main, ["demo-data", "--tickets", "6", "--customers", "3", "--force"])
    assert forced.exit_code == 0, forced.output
    assert Ticket.objects.count() == 7


def test_demo_data_checks_its_numbers(runner):
    assert runner.invoke(cli.main, ["demo-data", "--customers", "0"]).exit_code == 2
    assert runner.invoke(cli.main, ["demo-data", "--tickets", "-1"]).exit_code == 2


# ---------------------------------------------------------------- run, serve, worker


def test_run_and_serve_check_their_options(runner):
    assert runner.invoke(cli.main, ["run", "--port", "0"]).exit_code == 2
    assert runner.invoke(cli.main, ["run", "--port", "70000"]).exit_code == 2
    assert runner.invoke(cli.main, ["serve", "--workers", "0"]).exit_code == 2
    assert runner.invoke(cli.main, ["serve", "--port", "http"]).exit_code == 2


def test_worker_refuses_the_inline_queue(runner):
    assert HUEY.immediate  # the test settings run tasks inline
    result = runner.invoke(cli.main, ["worker"])
    assert result.exit_code == 1
    assert "immediate" in result.output


def test_worker_builds_a_consumer_with_the_options(runner, monkeypatch):
    created = {}

    class FakeConsumer:
        def run(self):
            created["ran"] = True

    def create_consumer(**options):
        created.update(options)
        return FakeConsumer()

    monkeypatch.setattr(cli, "_huey_is_immediate", lambda: False)
    monkeypatch.setattr(HUEY, "create_consumer", create_consumer)
    result = runner.invoke(cli.main, ["worker", "--workers", "3", "--no-scheduler"])
    assert result.exit_code == 0, result.output
    assert created["workers"] == 3
    assert created["periodic"] is False
    assert created["worker_type"] == "thread"
    assert created["ran"]
    assert "scheduler off" in result.output

    created.clear()
    assert runner.invoke(cli.main, ["worker"]).exit_code == 0
    assert created["periodic"] is True
    assert created["workers"] == 2  # settings.HUEY["consumer"]


def test_the_worker_knows_the_django_tasks_shim():
    cli._prepare_worker()
    assert "huey.contrib.djhuey.tasks_backend.djtasks.run" in HUEY._registry._registry


# ---------------------------------------------------------------- jobs


def test_jobs_list(runner):
    result = runner.invoke(cli.main, ["jobs", "list"])
    assert result.exit_code == 0
    assert "outbox-sweep" in result.output
    assert "tasks-recover" in result.output


@pytest.mark.django_db
def test_jobs_run(runner):
    result = runner.invoke(cli.main, ["jobs", "run", "outbox-sweep"])
    assert result.exit_code == 0, result.output
    assert "webhooks.webhookdelivery" in json.loads(result.output)

    unknown = runner.invoke(cli.main, ["jobs", "run", "nope"])
    assert unknown.exit_code == 1
    assert "outbox-sweep" in unknown.output


@pytest.mark.django_db
def test_jobs_run_skips_when_locked(runner):
    lock = tasks.JobLock("outbox-sweep", timedelta(minutes=5))
    assert lock.acquire()
    try:
        result = runner.invoke(cli.main, ["jobs", "run", "outbox-sweep"])
    finally:
        lock.release()
    assert result.exit_code == cli.EX_TEMPFAIL
    assert "skipped" in result.output


@pytest.mark.django_db
def test_jobs_status(runner):
    result = runner.invoke(cli.main, ["jobs", "status"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:3] == ["outbox", "due", "waiting"]
    assert any(line.startswith("webhooks.webhookdelivery") for line in lines)
    assert "queue:" in result.output
    assert "job outbox-sweep: idle" in result.output


@pytest.mark.django_db(transaction=True)  # the task is enqueued on commit, as outside tests
def test_jobs_ping(runner):
    result = runner.invoke(cli.main, ["jobs", "ping", "--timeout", "5"])
    assert result.exit_code == 0, result.output
    assert "pong from" in result.output


# ---------------------------------------------------------------- manage


@pytest.mark.django_db
def test_manage_passes_through_to_django(runner):
    result = runner.invoke(cli.main, ["manage", "showmigrations", "core"])
    assert result.exit_code == 0, result.output
    assert "[X] 0001_initial" in result.output


def test_manage_passes_help_through(runner):
    result = runner.invoke(cli.main, ["manage", "check", "--help"])
    assert result.exit_code == 0
    assert "tanggap manage check" in result.output
