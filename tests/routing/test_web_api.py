"""Presence and routing from the workspace and the API."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tanggap.accounts.models import Availability, Presence, Role
from tanggap.accounts.services import api_token_create
from tanggap.routing.models import TeamRouting

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def bearer(user) -> dict[str, str]:
    _, raw = api_token_create(actor=user, user=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def test_the_top_bar_toggle_sets_presence(agent):
    client = signed_in(agent)
    page = client.get("/").content.decode()
    assert 'id="agent-status"' in page
    assert 'data-status="online"' in page  # signing in put the agent online
    response = client.post("/presence/", {"status": "away"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-status="away"' in response.content.decode()
    assert Availability.objects.get(user=agent).status == Presence.AWAY
    response = client.post("/presence/", {"status": "offline", "next": "/customers/"})
    assert response.status_code == 302 and response["Location"] == "/customers/"
    assert Availability.objects.get(user=agent).status == Presence.OFFLINE
    assert client.post("/presence/", {"status": "asleep"}, HTTP_HX_REQUEST="true").status_code == 422


def test_the_toggle_needs_csrf(agent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.post("/presence/", {"status": "away"}).status_code == 403


def test_the_angry_customer_lane_is_on_the_team_settings_form(make_agent, routed_team):
    supervisor = make_agent("sup", role=Role.SUPERVISOR, teams=[routed_team])
    client = signed_in(supervisor)
    page = client.get(f"/routing/{routed_team.pk}/").content.decode()
    assert 'name="angry_first"' in page and 'name="angry_threshold" value="60"' in page
    response = client.post(
        f"/routing/{routed_team.pk}/",
        {"enabled": "on", "strategy": "least_loaded", "angry_first": "on", "angry_threshold": "75"},
    )
    assert response.status_code == 302
    row = TeamRouting.objects.get(team=routed_team)
    assert (row.angry_first, row.angry_threshold) == (True, 0.75)
    assert 'name="angry_threshold" value="75"' in client.get(f"/routing/{routed_team.pk}/").content.decode()
    refused = client.post(f"/routing/{routed_team.pk}/", {"strategy": "least_loaded", "angry_threshold": "0"})
    assert refused.status_code == 200 and TeamRouting.objects.get(team=routed_team).angry_threshold == 0.75


def test_a_supervisor_routes_their_own_team_only(make_agent, routed_team, make_team):
    other = make_team("Billing")
    supervisor = make_agent("sup", role=Role.SUPERVISOR, teams=[routed_team])
    member = make_agent("dewi", teams=[routed_team])
    client = signed_in(supervisor)
    page = client.get(f"/routing/{routed_team.pk}/")
    assert page.status_code == 200
    assert "dewi" in page.content.decode()
    assert client.get(f"/routing/{other.pk}/").status_code == 404
    assert client.post(f"/routing/{other.pk}/", {"strategy": "round_robin"}).status_code == 404
    response = client.post(
        f"/routing/{routed_team.pk}/",
        {"enabled": "on", "strategy": "round_robin", "rebalance_minutes": "20", "lane_tiers": "vip, gold"},
    )
    assert response.status_code == 302
    row = TeamRouting.objects.get(team=routed_team)
    assert (row.enabled, row.strategy, row.sticky, row.rebalance_minutes, row.lane_tiers) == (
        True,
        "round_robin",
        False,
        20,
        ["gold", "vip"],
    )
    response = client.post(
        f"/routing/{routed_team.pk}/agents/{member.pk}/",
        {"capacity_email": "6", "capacity_chat": "2", "languages": ["id", "en"], "skills": "refund; billing"},
    )
    assert response.status_code == 302
    availability = Availability.objects.get(user=member)
    assert availability.capacity == {"email": 6, "chat": 2}
    assert availability.skills == ["billing", "refund"]
    assert "6" in client.get(f"/routing/{routed_team.pk}/").content.decode()
    # An agent of another team is not theirs to edit.
    outsider = make_agent("rudi", teams=[other])
    assert client.get(f"/routing/{routed_team.pk}/agents/{outsider.pk}/").status_code == 404


def test_agents_do_not_see_routing_pages(agent, routed_team):
    client = signed_in(agent)
    assert client.get("/routing/").status_code == 404
    assert client.get(f"/routing/{routed_team.pk}/").status_code == 404


def test_a_lead_sets_an_agent_offline_from_the_board(make_agent, routed_team):
    lead = make_agent("sup", role=Role.SUPERVISOR, teams=[routed_team])
    member = make_agent("dewi", teams=[routed_team])
    signed_in(member)  # online
    client = signed_in(lead)
    client.post(f"/routing/{routed_team.pk}/agents/{member.pk}/presence/", {"status": "offline"})
    assert Availability.objects.get(user=member).status == Presence.OFFLINE


def test_presence_and_routing_through_the_api(make_agent, routed_team, make_team):
    agent = make_agent("dewi", teams=[routed_team])
    lead = make_agent("sup", role=Role.SUPERVISOR, teams=[routed_team])
    client = Client()
    response = client.put(
        "/api/me/presence", json.dumps({"status": "online"}), content_type="application/json", **bearer(agent)
    )
    assert response.status_code == 200 and response.json()["status"] == "online"
    assert client.get("/api/me/presence", **bearer(agent)).json()["capacity"]["email"] == 10
    refused = client.patch(
        f"/api/agents/{agent.pk}/availability",
        json.dumps({"capacity": {"email": 50}}),
        content_type="application/json",
        **bearer(agent),
    )
    assert refused.status_code == 403 and refused.json()["error"]["code"]
    headers = bearer(lead)
    response = client.patch(
        f"/api/agents/{agent.pk}/availability",
        json.dumps({"capacity": {"email": 4, "chat": 2}, "languages": ["en"], "status": "away"}),
        content_type="application/json",
        **headers,
    )
    body = response.json()
    assert (body["capacity"], body["languages"], body["status"]) == ({"email": 4, "chat": 2}, ["en"], "away")
    bad = client.patch(
        f"/api/agents/{agent.pk}/availability",
        json.dumps({"capacity": {"fax": 1}}),
        content_type="application/json",
        **headers,
    )
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_input"
    response = client.patch(
        f"/api/teams/{routed_team.pk}/routing",
        json.dumps({"strategy": "round_robin", "rebalance_minutes": 15, "angry_first": True}),
        content_type="application/json",
        **headers,
    )
    assert response.json() == {
        "team_id": routed_team.pk,
        "enabled": True,
        "strategy": "round_robin",
        "sticky": True,
        "rebalance_minutes": 15,
        "lane_tiers": [],
        "angry_first": True,
        "angry_threshold": 0.6,
    }
    other = make_team("Billing")
    assert client.get(f"/api/teams/{other.pk}/routing", **headers).status_code == 403
    assert (
        client.patch(
            f"/api/teams/{routed_team.pk}/routing",
            json.dumps({"strategy": "fastest"}),
            content_type="application/json",
            **headers,
        ).status_code
        == 422
    )
