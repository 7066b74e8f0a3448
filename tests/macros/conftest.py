"""Fixtures for macros: a supervisor who writes them, a trainee, a second team and its agent."""

from __future__ import annotations

import pytest

from tanggap.accounts.models import Role
from tanggap.macros.services import macro_create


@pytest.fixture
def supervisor(make_agent, team):
    return make_agent("supervisor", role=Role.SUPERVISOR, teams=[team])


@pytest.fixture
def trainee(make_agent, team):
    return make_agent("trainee", role=Role.TRAINEE, teams=[team])


@pytest.fixture
def other_team(make_team):
    return make_team("Billing")


@pytest.fixture
def other_agent(make_agent, other_team):
    return make_agent("other", teams=[other_team])


@pytest.fixture
def make_macro(supervisor):
    def make(**kwargs):
        kwargs.setdefault("name", "Order status")
        kwargs.setdefault("body_id", "Halo {{ customer.first_name }}, tiket #{{ ticket.number }}.")
        kwargs.setdefault("body_en", "Hi {{ customer.first_name }}, ticket #{{ ticket.number }}.")
        return macro_create(actor=kwargs.pop("actor", supervisor), **kwargs)

    return make


@pytest.fixture(autouse=True)
def _english_by_default(settings):
    """Assertions read the English source strings; the Indonesian wording is checked on its own."""
    settings.LANGUAGE_CODE = "en"
