"""The triggers API: leads list, create, change, delete, reorder and dry-run; agents get 403."""

from __future__ import annotations

import typing

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tanggap.accounts.models import Role
from tanggap.accounts.services import api_token_create
from tanggap.automations.api import EventName
from tanggap.automations.models import Trigger, TriggerEvent
from tanggap.tickets.models import Message
from tests.api.conftest import ApiClient, error_code

pytestmark = pytest.mark.django_db

REFUND = {
    "name": "Refund",
    "event": "ticket_created",
    "conditions": [{"field": "subject", "op": "contains", "value": "refund"}],
    "actions": [{"type": "add_tag", "value": "Refund"}, {"type": "set_priority", "value": 3}],
}


def _client(user) -> ApiClient:
    return ApiClient(api_token_create(actor=user, user=user, name="tests")[1])


@pytest.fixture
def lead(make_agent, team):
    return make_agent("lead", role=Role.SUPERVISOR, teams=[team])


@pytest.fixture
def lead_api(lead):
    return _client(lead)


def test_api_event_names_match_the_model():
    assert set(typing.get_args(EventName)) == set(TriggerEvent.values)


def test_create_get_update_delete(lead_api):
    response = lead_api.post("/api/triggers", REFUND)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["actions"][0] == {"type": "add_tag", "value": "refund"}  # stored as a tag is
    assert body["position"] == 0 and body["is_active"] and body["fire_count"] == 0
    trigger_id = body["id"]
    assert lead_api.get(f"/api/triggers/{trigger_id}").json()["name"] == "Refund"
    patched = lead_api.patch(f"/api/triggers/{trigger_id}", {"is_active": False, "name": "Refunds"})
    assert patched.status_code == 200 and patched.json()["is_active"] is False
    assert patched.json()["conditions"] == REFUND["conditions"]  # unchanged
    assert lead_api.delete(f"/api/triggers/{trigger_id}").status_code == 204
    assert lead_api.get(f"/api/triggers/{trigger_id}").status_code == 404


def test_list_in_order_and_reorder(lead_api):
    ids = [lead_api.post("/api/triggers", {**REFUND, "name": f"T{n}"}).json()["id"] for n in range(3)]
    with CaptureQueriesContext(connection) as queries:
        listed = lead_api.get("/api/triggers").json()["items"]
    assert [t["id"] for t in listed] == ids
    assert len(queries) <= 6  # token, user, triggers: no query per trigger
    response = lead_api.post("/api/triggers/reorder", {"ids": [ids[2], ids[0], ids[1]]})
    assert response.status_code == 200
    assert [t["id"] for t in lead_api.get("/api/triggers").json()["items"]] == [ids[2], ids[0], ids[1]]
    bad = lead_api.post("/api/triggers/reorder", {"ids": [ids[0], ids[1]]})
    assert bad.status_code == 422 and error_code(bad) == "invalid_input"


@pytest.mark.parametrize(
    "change,key",
    [
        ({"conditions": [{"field": "password", "op": "is", "value": "x"}]}, "field"),
        ({"conditions": [{"field": "priority", "op": "is", "value": 9}]}, "value"),
        ({"conditions": [{"field": "subject", "op": "is", "value": "x"}]}, "op"),
        ({"conditions": [{"field": "subject", "op": "contains", "value": "x", "extra": 1}]}, "extra"),
        ({"actions": [{"type": "delete_ticket"}]}, "type"),
        ({"actions": [{"type": "set_status", "value": "gone"}]}, "value"),
        ({"actions": [{"type": "send_mail", "body": "Halo {{ customer.password }}"}]}, "body"),
        ({"actions": [{"type": "webhook", "endpoint": 12345}]}, "endpoint"),
    ],
)
def test_invalid_rules_are_422_with_where_and_why(lead_api, change, key):
    response = lead_api.post("/api/triggers", {**REFUND, **change})
    assert response.status_code == 422, response.content
    details = response.json()["error"]["details"]
    assert details["key"] == key and details["index"] == 0
    assert not Trigger.objects.exists()


def test_an_agent_outside_the_team_is_refused(lead_api, make_agent, make_team, team):
    outsider = make_agent("outsider", teams=[make_team("Billing")])
    response = lead_api.post(
        "/api/triggers", {**REFUND, "actions": [{"type": "assign", "team": team.pk, "agent": outsider.pk}]}
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["reason"] == "not_in_team"


def test_a_taken_name_is_409(lead_api):
    lead_api.post("/api/triggers", REFUND)
    response = lead_api.post("/api/triggers", {**REFUND, "name": "refund"})
    assert response.status_code == 409


def test_dry_run_writes_nothing(lead_api, receive, team):
    trigger_id = lead_api.post("/api/triggers", REFUND).json()["id"]
    ticket = receive(subject="I want a REFUND").ticket
    before = Message.objects.count()
    response = lead_api.post(f"/api/triggers/{trigger_id}/test", {"ticket": ticket.pk})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["matches"] is True
    assert body["conditions"] == [{"field": "subject", "op": "contains", "value": "refund", "holds": True}]
    assert [(a["type"], a["changes"]) for a in body["actions"]] == [("add_tag", True), ("set_priority", True)]
    assert Message.objects.count() == before and not ticket.tags.exists()


def test_dry_run_on_a_ticket_the_lead_cannot_see_is_404(lead_api, receive, make_team):
    trigger_id = lead_api.post("/api/triggers", REFUND).json()["id"]
    hidden = receive(subject="refund").ticket
    hidden.team = make_team("Elsewhere")
    hidden.save(update_fields=["team"])
    response = lead_api.post(f"/api/triggers/{trigger_id}/test", {"ticket": hidden.pk})
    assert response.status_code == 404


def test_agents_get_403(agent, lead_api):
    trigger_id = lead_api.post("/api/triggers", REFUND).json()["id"]
    agent_api = _client(agent)
    assert agent_api.get("/api/triggers").status_code == 403
    assert agent_api.post("/api/triggers", {**REFUND, "name": "Mine"}).status_code == 403
    assert agent_api.patch(f"/api/triggers/{trigger_id}", {"is_active": False}).status_code == 403
    assert agent_api.delete(f"/api/triggers/{trigger_id}").status_code == 403
    assert agent_api.post("/api/triggers/reorder", {"ids": [trigger_id]}).status_code == 403
    assert agent_api.post(f"/api/triggers/{trigger_id}/test", {"ticket": 1}).status_code == 403
    assert Trigger.objects.get().is_active


def test_without_a_token_401():
    assert ApiClient(None).get("/api/triggers").status_code == 401
