"""Tickets with known times for the dashboards: made through the services, then their instants set
on the rows (as the sla tests do), and worked out by the real clock sweep (which runs the hook)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tanggap.accounts.models import Role
from tanggap.sla.models import Policy
from tanggap.sla.services import clocks_sweep
from tanggap.tickets.inbound import InboundMessage, Sender
from tanggap.tickets.models import Message, MessageKind, Ticket
from tanggap.tickets.services import message_receive, reply_send, ticket_transition

WIB = ZoneInfo("Asia/Jakarta")
_keys = itertools.count(1)
# Monday 2026-11-16 .. Sunday 2026-11-22 (WIB); "now" is the Monday after.
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=WIB)


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=WIB)


@dataclass
class Made:
    ticket: Ticket


@pytest.fixture
def supervisor(make_agent, team):
    return make_agent("supervisor", role=Role.SUPERVISOR, teams=[team])


@pytest.fixture
def colleague(make_agent, team):
    return make_agent("colleague", teams=[team])


@pytest.fixture
def policy(db):
    return Policy.objects.create(name="All", first_response_minutes=60, resolution_minutes=24 * 60)


@pytest.fixture
def make_ticket(db):
    """A ticket created at ``created`` (assigned to ``agent``, of ``team``), answered ``first`` later
    and solved ``solved`` later when given."""

    def make(
        *,
        created: datetime,
        agent=None,
        team=None,
        first: timedelta | None = None,
        solved: timedelta | None = None,
        channel: str = "email",
        sender: str | None = None,
    ) -> Ticket:
        n = next(_keys)
        ticket = message_receive(
            inbound=InboundMessage(
                channel=channel,
                sender=Sender("email", sender or f"pelanggan{n}@example.com", "Pelanggan"),
                subject=f"Pertanyaan {n}",
                text="Halo, pesanan saya belum sampai.",
                idempotency_key=f"analytics-{n}",
                received_at=created,
            )
        ).ticket
        Message.objects.filter(ticket=ticket).update(created_at=created)
        values: dict = {"created_at": created, "team": team, "assignee": agent, "derived_stale": True}
        if first is not None:
            assert agent is not None
            reply = reply_send(actor=agent, ticket=ticket, text="Baik, kami cek.")
            Message.objects.filter(pk=reply.pk).update(created_at=created + first)
            values["first_response_at"] = created + first
        if solved is not None:
            ticket_transition(actor=agent, ticket=Ticket.objects.get(pk=ticket.pk), status="solved")
            Message.objects.filter(ticket=ticket, kind=MessageKind.EVENT, event_code="status_changed").update(
                created_at=created + solved
            )
            values["solved_at"] = created + solved
        Ticket.objects.filter(pk=ticket.pk).update(**values)
        return Ticket.objects.get(pk=ticket.pk)

    return make


@pytest.fixture
def sweep(db):
    """The real clock sweep, which runs the figures' hook."""

    def sweep(now: datetime = NOW):
        return clocks_sweep(now=now.astimezone(UTC))

    return sweep
