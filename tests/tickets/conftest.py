"""Fixtures for the tickets tests: more roles and a second team, all made through the services."""

from __future__ import annotations

import itertools

import pytest

from tanggap.accounts.models import Role
from tanggap.tickets.inbound import InboundAttachment, InboundMessage, Sender

_keys = itertools.count(1)


@pytest.fixture
def other_team(make_team):
    return make_team("Billing")


@pytest.fixture
def supervisor(make_agent, team):
    return make_agent("supervisor", role=Role.SUPERVISOR, teams=[team])


@pytest.fixture
def trainee(make_agent, team):
    return make_agent("trainee", role=Role.TRAINEE, teams=[team])


@pytest.fixture
def colleague(make_agent, team):
    return make_agent("colleague", teams=[team])


@pytest.fixture
def outsider(make_agent, other_team):
    """An agent of another team."""
    return make_agent("outsider", teams=[other_team])


def inbound(
    text: str = "Halo, pesanan saya belum sampai.",
    *,
    sender: str = "siti@example.com",
    kind: str = "email",
    name: str = "Siti",
    subject: str = "Pesanan belum sampai",
    key: str | None = "auto",
    ticket_id: int | None = None,
    channel: str = "email",
    html: str = "",
    attachments: tuple[InboundAttachment, ...] = (),
    **extra,
) -> InboundMessage:
    return InboundMessage(
        channel=channel,
        sender=Sender(kind, sender, name),
        subject=subject,
        text=text,
        html=html,
        idempotency_key=f"test-key-{next(_keys)}" if key == "auto" else key,
        ticket_id=ticket_id,
        attachments=attachments,
        **extra,
    )
