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

IN_CI = os.environ.get("CI") == "true"
_counter = itertools.count(1)


@pytest.fixture(autouse=True)
def _blob_dir(settings, tmp_path):
    settings.TANGGAP_BLOB_DIR = tmp_path / "blobs"


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
