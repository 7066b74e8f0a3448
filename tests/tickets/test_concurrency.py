"""message_receive under real concurrency: two workers, two connections, one message."""

from __future__ import annotations

import pytest
from django.db import connection

from tanggap.customers.models import Customer
from tanggap.tickets.models import Message, Ticket
from tanggap.tickets.services import message_receive
from tests.conftest import race, together
from tests.tickets.conftest import inbound

pytestmark = pytest.mark.django_db(transaction=True)


def test_same_key_in_the_check_then_insert_window_is_stored_once(monkeypatch):
    from tanggap.tickets import receiving

    lookups: list = []
    real_lookup = receiving._received_before

    def spy(keys):
        found = real_lookup(keys)
        lookups.append(found)
        return found

    monkeypatch.setattr(receiving, "_received_before", spy)
    message = inbound(key="<race@mail.example>", sender="race@example.com")
    first, second = race(lambda: message_receive(inbound=message), lambda: message_receive(inbound=message))
    # The first worker's check missed. The second's check runs in its transaction: on SQLite that
    # waits for the first to commit and finds its row; on PostgreSQL it misses too, its insert loses
    # to the unique key, and the check after the conflict finds the winner.
    expected = [False, True] if connection.vendor == "sqlite" else [False, False, True]
    assert [bool(found) for found in lookups] == expected
    assert not first.duplicate
    assert second.duplicate
    assert second.message.pk == first.message.pk
    assert Message.objects.filter(idempotency_key="<race@mail.example>").count() == 1
    assert Ticket.objects.count() == 1
    assert Customer.objects.count() == 1
    assert Ticket.objects.get().message_count == 1


def test_same_key_at_the_same_moment_is_stored_once():
    for round_ in range(3):
        message = inbound(key=f"<together-{round_}@mail.example>", sender=f"r{round_}@example.com")
        results = together(*(lambda m=message: message_receive(inbound=m) for _ in range(3)))
        assert sorted(r.duplicate for r in results) == [False, True, True]
        assert len({r.message.pk for r in results}) == 1
    assert Ticket.objects.count() == 3
    assert Message.objects.count() == 3


def test_concurrent_messages_to_one_ticket_are_all_counted():
    ticket = message_receive(inbound=inbound(sender="count@example.com")).ticket
    calls = [
        (
            lambda i=i: message_receive(
                inbound=inbound(f"pesan {i}", ticket_id=ticket.pk, sender="count@example.com")
            )
        )
        for i in range(4)
    ]
    together(*calls)
    ticket.refresh_from_db()
    assert ticket.message_count == 5 == Message.objects.filter(ticket=ticket).exclude(kind="event").count()
