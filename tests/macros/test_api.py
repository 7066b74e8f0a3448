"""The macros API: listing what one may use, CRUD for leads, applying to a ticket."""

from __future__ import annotations

import pytest

from tanggap.accounts.services import api_token_create
from tanggap.macros.models import Macro
from tanggap.tickets.models import MessageKind, Priority, Status
from tests.api.conftest import ApiClient, error_code


@pytest.fixture
def api_as(db):
    def make(user) -> ApiClient:
        _, raw = api_token_create(actor=user, user=user, name="tests")
        return ApiClient(raw)

    return make


def test_list_shows_only_usable_macros(api_as, agent, other_agent, make_macro, other_team):
    make_macro(name="Everyone")
    make_macro(name="Billing", team=other_team)
    make_macro(name="Off", is_active=False)
    body = api_as(agent).get("/api/macros").json()
    assert [m["name"] for m in body["items"]] == ["Everyone"]
    assert body["has_more"] is False
    names = [m["name"] for m in api_as(other_agent).get("/api/macros", {"q": "bill"}).json()["items"]]
    assert names == ["Billing"]


def test_list_all_is_for_leads(api_as, agent, supervisor, make_macro):
    make_macro(name="Off", is_active=False)
    assert error_code(api_as(agent).get("/api/macros", {"all": "true"})) == "permission_denied"
    items = api_as(supervisor).get("/api/macros", {"all": "true"}).json()["items"]
    assert [(m["name"], m["is_active"]) for m in items] == [("Off", False)]


def test_list_query_count_does_not_grow(api_as, agent, make_macro, django_assert_max_num_queries):
    client = api_as(agent)
    for i in range(3):
        make_macro(name=f"M{i}")
    with django_assert_max_num_queries(8) as few:
        client.get("/api/macros")
    for i in range(3, 15):
        make_macro(name=f"M{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/macros").json()["items"]) == 15


def test_leads_create_update_move_and_delete(api_as, supervisor, team):
    client = api_as(supervisor)
    response = client.post(
        "/api/macros",
        {
            "name": "Refund policy",
            "team_id": team.pk,
            "body_id": "Halo {{customer.first_name}}",
            "set_status": "pending",
            "set_priority": 3,
            "add_tags": ["Refund"],
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["team"] == {"id": team.pk, "name": team.name}
    assert created["add_tags"] == ["refund"]
    second = client.post("/api/macros", {"name": "Second", "body_en": "Hi"}).json()
    patched = client.patch(
        f"/api/macros/{second['id']}", {"name": "Second!", "set_priority": None, "position": "up"}
    )
    assert patched.status_code == 200, patched.content
    assert (patched.json()["name"], patched.json()["position"]) == ("Second!", 0)
    # Leaving team_id out keeps the team; null makes it everyone's.
    kept = client.patch(f"/api/macros/{created['id']}", {"is_active": False}).json()
    assert (kept["team"]["id"], kept["is_active"]) == (team.pk, False)
    assert client.patch(f"/api/macros/{created['id']}", {"team_id": None}).json()["team"] is None
    assert client.delete(f"/api/macros/{second['id']}").status_code == 204
    assert list(Macro.objects.values_list("name", flat=True)) == ["Refund policy"]


def test_unknown_variable_is_a_422_naming_it(api_as, supervisor):
    response = api_as(supervisor).post("/api/macros", {"name": "Bad", "body_en": "{{ settings.SECRET_KEY }}"})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert error["details"]["variable"] == "settings.SECRET_KEY"
    assert "settings.SECRET_KEY" in error["message"]


def test_agents_and_trainees_cannot_write(api_as, agent, trainee, make_macro):
    macro = make_macro()
    for user in (agent, trainee):
        client = api_as(user)
        assert client.post("/api/macros", {"name": "x", "body_id": "y"}).status_code == 403
        assert client.patch(f"/api/macros/{macro.pk}", {"name": "x"}).status_code == 403
        assert client.delete(f"/api/macros/{macro.pk}").status_code == 403
    assert Macro.objects.get(pk=macro.pk).name == "Order status"


def test_apply_returns_text_and_changes(api_as, agent, ticket, make_macro):
    macro = make_macro(set_status="pending", set_priority=Priority.HIGH)
    response = api_as(agent).post(f"/api/tickets/{ticket.pk}/macros/{macro.pk}/apply?language=en")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["text"] == f"Hi Siti, ticket #{ticket.pk}."
    assert body["language"] == "en"
    assert body["changes"]["status"] == {"from": "new", "to": "pending"}
    assert body["changes"]["priority"] == {"from": 2, "to": 3}
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert ticket.messages.filter(kind=MessageKind.EVENT, event_code="macro_applied").count() == 1


def test_apply_is_404_for_what_one_may_not_see(api_as, agent, other_agent, ticket, make_macro, other_team):
    team_macro = make_macro(team=other_team)
    macro = make_macro(name="Everyone")
    assert (
        error_code(api_as(agent).post(f"/api/tickets/{ticket.pk}/macros/{team_macro.pk}/apply"))
        == "not_found"
    )
    assert (
        error_code(api_as(other_agent).post(f"/api/tickets/{ticket.pk}/macros/{macro.pk}/apply"))
        == "not_found"
    )
    assert api_as(agent).post(f"/api/tickets/{ticket.pk}/macros/999999/apply").status_code == 404
    assert (
        api_as(agent).post(f"/api/tickets/{ticket.pk}/macros/{macro.pk}/apply?language=fr").status_code == 422
    )


def test_apply_refused_transition_is_409(api_as, agent, ticket, make_macro):
    from tanggap.tickets.services import ticket_transition

    ticket_transition(actor=agent, ticket=ticket, status="solved")
    macro = make_macro(set_status="on_hold")
    response = api_as(agent).post(f"/api/tickets/{ticket.pk}/macros/{macro.pk}/apply")
    assert response.status_code == 409
    assert error_code(response) == "invalid_transition"


def test_anonymous_is_401(db):
    assert ApiClient(None).get("/api/macros").status_code == 401
