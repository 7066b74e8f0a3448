"""Routing fixtures: a team that routes automatically, agents with presence and capacity."""

from __future__ import annotations

import itertools

import pytest
from django.utils import timezone

from tanggap.accounts.models import Availability, Presence
from tanggap.routing.models import TeamRouting
from tanggap.routing.services import loads_refresh
from tanggap.tickets.inbound import InboundMessage, Sender
from tanggap.tickets.services import message_receive

_n = itertools.count(1)


@pytest.fixture
def routed_team(make_team):
    team = make_team("Routed")
    TeamRouting.objects.create(team=team, enabled=True, strategy="least_loaded", sticky=True)
    from tanggap.routing.services import forget_routed_teams

    forget_routed_teams()
    return team


@pytest.fixture
def make_online(make_agent, routed_team):
    def make(name=None, *, status=Presence.ONLINE, capacity=None, languages=(), skills=(), teams=None):
        agent = make_agent(name, teams=teams or [routed_team])
        Availability.objects.update_or_create(
            user=agent,
            defaults={
                "status": status,
                "capacity": {"email": 5} if capacity is None else capacity,
                "languages": list(languages),
                "skills": list(skills),
                "last_activity_at": timezone.now(),
            },
        )
        loads_refresh([agent.pk])  # what the availability services' event does
        return agent

    return make


@pytest.fixture
def arrive(routed_team):
    """A new ticket in the routed team, from a customer (routing not run: tests call it)."""

    def arrive(
        *,
        sender=None,
        subject="Pesanan belum sampai",
        text="Halo, pesanan saya belum sampai.",
        team=None,
        channel="email",
    ):
        result = message_receive(
            inbound=InboundMessage(
                channel=channel,
                sender=Sender("email", sender or f"c{next(_n)}@example.com", "Siti"),
                subject=subject,
                text=text,
                idempotency_key=f"routing-{next(_n)}",
                team_id=(team or routed_team).pk,
            )
        )
        return result.ticket

    return arrive
