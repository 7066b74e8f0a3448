"""core.lookups: ``literal_in`` writes plain words into the SQL and refuses anything else;
``any_of`` finds rows by long lists of keys."""

from __future__ import annotations

import pytest
from django.db import connection

from tanggap.tickets.models import Message, Ticket
from tanggap.tickets.workflow import ACTIVE_VALUES

pytestmark = pytest.mark.django_db


def test_literal_in_is_written_into_the_sql_and_filters_like_in(ticket):
    qs = Ticket.objects.filter(status__literal_in=ACTIVE_VALUES)
    sql, params = qs.query.sql_with_params()
    assert "IN ('new', 'on_hold', 'open', 'pending')" in sql
    assert "new" not in params
    assert list(qs) == list(Ticket.objects.filter(status__in=ACTIVE_VALUES)) == [ticket]
    assert not Ticket.objects.filter(status__literal_in=["closed"]).exists()


@pytest.mark.parametrize("values", [[], ["x') OR 1=1 --"], ["Open"], [1], ["a" * 65]])
def test_literal_in_refuses_anything_but_plain_words(values):
    with pytest.raises(ValueError, match="literal_in"):
        Ticket.objects.filter(status__literal_in=values)


def test_any_of_finds_what_in_finds_by_key_and_by_foreign_key(ticket, receive):
    other = receive(sender="budi@example.com", subject="Lain").ticket
    keys = [ticket.pk, other.pk, 10**9]
    assert set(Ticket.objects.filter(pk__any_of=keys)) == set(Ticket.objects.filter(pk__in=keys))
    assert set(Ticket.objects.filter(pk__any_of=keys)) == {ticket, other}
    messages = Message.objects.filter(ticket_id__any_of=[other.pk])
    assert set(messages) == set(Message.objects.filter(ticket_id__in=[other.pk])) and messages.exists()
    assert not Ticket.objects.filter(pk__any_of=[]).exists()


def test_any_of_passes_one_array_on_postgresql(ticket):
    sql, params = Ticket.objects.filter(pk__any_of=[ticket.pk, ticket.pk + 1]).query.sql_with_params()
    if connection.vendor == "postgresql":
        assert "= ANY(%s)" in sql and [ticket.pk, ticket.pk + 1] in params
    else:
        assert "IN (%s, %s)" in sql


def test_any_of_takes_integers_only():
    with pytest.raises(ValueError):
        Ticket.objects.filter(pk__any_of=["1 OR 1=1"])
