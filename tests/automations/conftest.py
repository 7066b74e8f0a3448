"""Fixtures for the acknowledgement: an inbox on a team, a team calendar, and a recent history of
first responses built through the real intake (then dated back, as a factory would)."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from tanggap.inboxes.setup import inbox_create
from tanggap.sla.admin_services import calendar_create
from tanggap.tickets.inbound import InboundMessage, Sender
from tanggap.tickets.models import Ticket
from tanggap.tickets.services import message_receive

_keys = itertools.count(1)


@pytest.fixture
def inbox(db, team):
    return inbox_create(actor=None, name="Support", address="support@tanggap.test", team=team)


@pytest.fixture
def always_open(admin, team):
    """The team works around the clock: every estimate is a duration, whatever the time now."""
    return calendar_create(actor=admin, name="24/7", always_open=True, teams=[(team, None)])


@pytest.fixture
def office(admin, team):
    """Monday to Friday 08:00-17:00 in Jakarta, no public holidays (so dates in tests stay plain)."""
    return calendar_create(actor=admin, name="Office", public_holidays=False, teams=[(team, None)])


@pytest.fixture
def history(db) -> Callable[..., list[int]]:
    """``history(count, minutes, now=..., team=..., channel=...)``: ``count`` tickets customers opened
    in the last days before ``now``, each first answered ``minutes`` later (None: still waiting)."""

    def make(
        count: int,
        minutes: float | None,
        *,
        now: datetime | None = None,
        team=None,
        channel: str = "email",
        first: datetime | None = None,
    ) -> list[int]:
        now = now or timezone.now()
        ids = []
        for n in range(count):
            created = first + timedelta(hours=n) if first else now - timedelta(days=1, hours=n)
            result = message_receive(
                inbound=InboundMessage(
                    channel=channel,
                    sender=Sender("email", f"past{next(_keys)}@example.com", "Past Customer"),
                    subject="Pertanyaan lama",
                    text="Halo, saya mau tanya soal pesanan saya.",
                    idempotency_key=f"history-{next(_keys)}",
                    received_at=created,
                    team_id=team.pk if team else None,
                )
            )
            answered = created + timedelta(minutes=minutes) if minutes is not None else None
            Ticket.objects.filter(pk=result.ticket.pk).update(
                created_at=created, first_response_at=answered, status="open"
            )
            ids.append(result.ticket.pk)
        return ids

    return make


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Assertions read the English source strings; the Indonesian wording is checked on its own."""
    settings.LANGUAGE_CODE = "en"
