"""The reports API: the same figures as JSON, the error shape on bad input, access."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from tanggap.accounts.services import api_token_create
from tests.analytics.conftest import wib

pytestmark = pytest.mark.django_db
RANGE = {"start": "2026-11-16", "end": "2026-11-22"}


def client_for(user):
    token = api_token_create(actor=user, user=user, name="test")[1]
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def figures(make_ticket, sweep, agent, colleague, team, policy):
    make_ticket(created=wib(16, 10), agent=agent, team=team, first=timedelta(minutes=30))
    make_ticket(created=wib(17, 10), agent=agent, team=team, first=timedelta(hours=2))
    make_ticket(created=wib(18, 10), agent=colleague, team=team, first=timedelta(minutes=10))
    sweep()


def test_response_times_per_agent(figures, admin, agent):
    response = client_for(admin).get("/api/reports/response-times", {**RANGE, "dimension": "agent"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["start"] == "2026-11-16" and body["dimension"] == "agent"
    mine = next(g for g in body["groups"] if g["key"] == str(agent.pk))
    assert mine["tickets"] == 2
    fr = mine["first_response"]
    assert fr["count"] == 2 and fr["with_target"] == 2 and fr["within_target"] == 1
    assert fr["within_target_percent"] == 50.0
    assert 30 * 60 * 0.975 <= fr["median_seconds"] <= 30 * 60 * 1.025


def test_an_agent_gets_their_own_figures_and_403_for_others(figures, agent, colleague):
    client = client_for(agent)
    body = client.get("/api/reports/response-times", RANGE).json()
    assert body["groups"][0]["tickets"] == 2
    response = client.get("/api/reports/response-times", {**RANGE, "agent": colleague.pk})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"start": "2026-11-22", "end": "2026-11-16"}, 422, "invalid_input"),
        ({"start": "2024-01-01", "end": "2026-11-16"}, 422, "invalid_input"),
        ({"dimension": "customer"}, 422, "invalid_input"),
        ({"start": "yesterday"}, 422, "invalid_input"),
        ({"end": "0001-01-02"}, 422, "invalid_input"),
        ({"start": "9999-12-01", "end": "9999-12-31"}, 422, "invalid_input"),
        ({"team": 999999}, 404, "not_found"),
        ({"channel": "pigeon"}, 422, "invalid_input"),
    ],
)
def test_bad_input_is_a_json_error_with_a_code(admin, params, status, code):
    response = client_for(admin).get("/api/reports/response-times", params)
    assert response.status_code == status, response.content
    assert response.json()["error"]["code"] == code


def test_without_credentials_it_is_401():
    response = Client().get("/api/reports/response-times")
    assert response.status_code == 401 and response.json()["error"]["code"] == "not_authenticated"


def test_unanswered(make_ticket, sweep, admin, agent, team):
    make_ticket(created=wib(16, 10), agent=agent, team=team)
    body = client_for(admin).get("/api/reports/unanswered").json()
    assert body["total"] == 1 and sum(b["count"] for b in body["bands"]) == 1
    assert [b["index"] for b in body["bands"]] == [0, 1, 2, 3, 4]


def test_the_operations_document_their_errors(admin):
    schema = client_for(admin).get("/api/openapi.json").json()
    for path in ("/api/reports/response-times", "/api/reports/unanswered"):
        responses = schema["paths"][path]["get"]["responses"]
        assert {"200", "400", "401", "403", "404", "422"} <= set(responses)
