"""Fixtures for the agent workspace: signed-in clients and a ticket of another team."""

from __future__ import annotations

import pytest
from django.test import Client

from tanggap.tickets.models import Ticket


@pytest.fixture
def login(db):
    def login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login


@pytest.fixture
def agent_client(login, agent) -> Client:
    return login(agent)


@pytest.fixture
def admin_client_(login, admin) -> Client:
    return login(admin)


@pytest.fixture
def other_team(make_team):
    return make_team("Billing")


@pytest.fixture
def foreign_ticket(receive, other_team) -> Ticket:
    """A ticket of a team the ``agent`` fixture is not in."""
    result = receive("Tagihan saya salah.", sender="rudi@example.com", subject="Tagihan salah")
    result.ticket.team = other_team
    result.ticket.save(update_fields=["team"])
    return result.ticket


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Assertions in these tests read the English source strings; Indonesian is checked on its own."""
    settings.LANGUAGE_CODE = "en"
