"""Presence (by hand, by signing in and out, by activity with an idle timeout) and capacity."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tanggap.accounts.models import Availability, Presence, Role
from tanggap.accounts.presence import (
    IDLE_AFTER,
    activity_seen,
    availability_of,
    availability_update,
    presence_idle_sweep,
    presence_set,
)
from tanggap.core import events
from tanggap.core.errors import InvalidInput, PermissionDenied

pytestmark = pytest.mark.django_db


def test_a_new_agent_is_offline_with_a_working_email_capacity(agent):
    row = availability_of(agent)
    assert row.status == Presence.OFFLINE
    assert row.capacity["email"] == 10


def test_presence_by_hand_is_published(agent, published, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        presence_set(actor=agent, status="online")
    assert Availability.objects.get(user=agent).status == Presence.ONLINE
    assert (events.AGENT_PRESENCE_CHANGED, "online", "offline") in [
        (name, p.get("status"), p.get("previous")) for name, p in published
    ]
    with pytest.raises(InvalidInput):
        presence_set(actor=agent, status="busy")


def test_only_leads_set_another_agents_presence(make_agent, team):
    dewi = make_agent("dewi", teams=[team])
    budi = make_agent("budi", teams=[team])
    lead = make_agent("lead", role=Role.SUPERVISOR, teams=[team])
    presence_set(actor=dewi, status="online")
    with pytest.raises(PermissionDenied):
        presence_set(actor=budi, agent=dewi, status="offline")
    presence_set(actor=lead, agent=dewi, status="offline")
    assert Availability.objects.get(user=dewi).status == Presence.OFFLINE


def test_an_idle_agent_turns_away_and_comes_back_with_activity(agent):
    presence_set(actor=agent, status="online")
    now = timezone.now()
    assert presence_idle_sweep(now=now + IDLE_AFTER - timedelta(seconds=5)) == 0
    assert presence_idle_sweep(now=now + IDLE_AFTER + timedelta(seconds=5)) == 1
    row = Availability.objects.get(user=agent)
    assert (row.status, row.idle) == (Presence.AWAY, True)
    activity_seen(user=agent)
    row.refresh_from_db()
    assert (row.status, row.idle) == (Presence.ONLINE, False)


def test_away_by_hand_stays_away_with_activity(agent):
    presence_set(actor=agent, status="away")
    activity_seen(user=agent, at=timezone.now() + timedelta(hours=1))
    assert Availability.objects.get(user=agent).status == Presence.AWAY


def test_signing_in_and_out(client, agent):
    client.post("/login/", {"username": "agent", "password": "correct-horse-42"})
    assert Availability.objects.get(user=agent).status == Presence.ONLINE
    client.post("/logout/")
    assert Availability.objects.get(user=agent).status == Presence.OFFLINE


def test_signing_in_keeps_away_set_by_hand(client, agent):
    presence_set(actor=agent, status="away")
    client.post("/login/", {"username": "agent", "password": "correct-horse-42"})
    assert Availability.objects.get(user=agent).status == Presence.AWAY


def test_capacity_languages_and_skills_are_validated(agent, make_agent):
    lead = make_agent("lead", role=Role.SUPERVISOR)
    row = availability_update(
        actor=lead,
        agent=agent,
        capacity={"email": 8, "chat": 3, "sms": 0},
        languages=["EN", "id"],
        skills=["Refund", "billing"],
    )
    assert row.capacity == {"email": 8, "chat": 3}
    assert row.languages == ["en", "id"]
    assert row.skills == ["billing", "refund"]
    for bad in ({"fax": 1}, {"email": -1}, {"email": 1000}, {"email": "many"}):
        with pytest.raises(InvalidInput):
            availability_update(actor=lead, agent=agent, capacity=bad)
    with pytest.raises(InvalidInput):
        availability_update(actor=lead, agent=agent, languages=["fr"])
    with pytest.raises(InvalidInput):
        availability_update(actor=lead, agent=agent, skills=[f"s{i}" for i in range(40)])
    with pytest.raises(PermissionDenied):
        availability_update(actor=agent, agent=agent, capacity={"email": 50})
