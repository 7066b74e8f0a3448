"""Shared fixtures: agents, teams, customers and tickets made through the real services."""

from __future__ import annotations

import itertools
import os

import pytest

from tanggap.accounts.models import Role, Team, User
from tanggap.accounts.services import agent_create, team_create
from tanggap.tickets.inbound import InboundMessage, Sender
from tanggap.tickets.models import Ticket
from tanggap.tickets.services import message_receive
from tests.inboxes.smtp_sink import running_sink

IN_CI = os.environ.get("CI") == "true"
_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _blob_dir(settings, tmp_path):
    settings.TANGGAP_BLOB_DIR = tmp_path / "blobs"


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    # Short per-process caches (which teams route, whether any inbox acknowledges, which webhooks
    # listen) start anew with each test's database, as a restarted process would.
    from tanggap.core.process_cache import forget_process_caches

    forget_process_caches()
    yield
    forget_process_caches()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # Argon2 is deliberately slow; tests that check the production hasher set it back themselves.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def make_team(db):
    def make(name: str | None = None) -> Team:
        return team_create(actor=None, name=name or f"Team {next(_counter)}")

    return make


@pytest.fixture
def make_agent(db):
    def make(username: str | None = None, role: str = Role.AGENT, teams: list[Team] | None = None) -> User:
        return agent_create(
            actor=None,
            username=username or f"agent{next(_counter)}",
            password="correct-horse-42",
            role=role,
            teams=teams or [],
        )

    return make


@pytest.fixture
def team(make_team) -> Team:
    return make_team("Support")


@pytest.fixture
def admin(make_agent) -> User:
    return make_agent("admin", role=Role.ADMIN)


@pytest.fixture
def agent(make_agent, team) -> User:
    return make_agent("agent", teams=[team])


@pytest.fixture
def receive(db):
    """Deliver a customer message through the one write path."""

    def receive(
        text: str = "Halo, pesanan saya belum sampai.",
        *,
        sender: str = "siti@example.com",
        subject: str = "Pesanan belum sampai",
        key: str | None = None,
        ticket_id: int | None = None,
        channel: str = "email",
    ):
        return message_receive(
            inbound=InboundMessage(
                channel=channel,
                sender=Sender("email", sender, "Siti"),
                subject=subject,
                text=text,
                idempotency_key=key or f"key-{next(_counter)}",
                ticket_id=ticket_id,
            )
        )

    return receive


@pytest.fixture
def ticket(receive, team) -> Ticket:
    result = receive()
    result.ticket.team = team
    result.ticket.save(update_fields=["team"])
    return result.ticket


@pytest.fixture
def published():
    """Events delivered to subscribers (that is: after commit), as ``(name, payload)`` pairs."""
    from tanggap.core import events

    seen: list[tuple[str, dict]] = []

    def record(name: str, payload: dict) -> None:
        seen.append((name, payload))

    events.subscribe("*")(record)
    yield seen
    events.unsubscribe(record)


def race(first, second, *, hold_seconds: float = 0.5):
    """Run ``first`` inside a transaction in one thread and keep it open while ``second`` runs in
    another thread (each with its own connection), then commit ``first``. Returns both results.

    ``second`` starts after ``first`` has written but before it commits: the check-then-insert window
    every idempotent write must survive. Exceptions are re-raised in the caller.
    """
    import threading
    import time

    from django.db import connection, transaction

    written, results, errors = threading.Event(), {}, {}

    def run_first():
        try:
            with transaction.atomic():
                results["first"] = first()
                written.set()
                time.sleep(hold_seconds)  # second is now blocked on our lock or past its check
        except BaseException as exc:
            errors["first"] = exc
        finally:
            written.set()
            connection.close()

    def run_second():
        written.wait(10)
        try:
            results["second"] = second()
        except BaseException as exc:
            errors["second"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run_first), threading.Thread(target=run_second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    if errors:
        raise next(iter(errors.values()))
    return results["first"], results["second"]


def together(*calls):
    """Start ``calls`` at the same moment in threads with their own connections; return their results."""
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list = []

    def run(index, call):
        try:
            barrier.wait(10)
            results[index] = call()
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    if errors:
        raise errors[0]
    return results


@pytest.fixture
def smtp_sink(settings):
    """A loopback SMTP server that mail sent by Tanggap is delivered to (``tests/inboxes/smtp_sink.py``)."""
    with running_sink(settings) as sink:
        yield sink
