"""The customers, agents, teams and /me APIs."""

from __future__ import annotations

import pytest

from tanggap.accounts.models import Role, User
from tanggap.customers.models import Customer
from tanggap.customers.services import customer_find_or_create
from tests.api.conftest import error_code

# ---------------------------------------------------------------- customers


def test_create_search_get_patch_customer(agent_api):
    response = agent_api.post(
        "/api/customers",
        {
            "name": "Ani",
            "identities": [
                {"kind": "email", "value": "Ani@Example.com"},
                {"kind": "phone", "value": "0812 1111 2222"},
            ],
        },
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert {i["value"] for i in created["identities"]} == {"ani@example.com", "+6281211112222"}
    found = agent_api.get("/api/customers", {"q": "ani@"}).json()["items"]
    assert [c["id"] for c in found] == [created["id"]]
    assert agent_api.get(f"/api/customers/{created['id']}").json()["name"] == "Ani"
    response = agent_api.patch(f"/api/customers/{created['id']}", {"name": "Ani Lestari", "language": "id"})
    assert response.status_code == 200
    assert response.json()["name"] == "Ani Lestari" and response.json()["tier"] == ""
    response = agent_api.patch(f"/api/customers/{created['id']}", {"tier": "VIP"})
    assert response.status_code == 200 and response.json()["tier"] == "vip"
    assert agent_api.patch(f"/api/customers/{created['id']}", {"tier": "x" * 33}).status_code == 422


def test_identity_of_another_customer_is_409(agent_api):
    customer_find_or_create(kind="email", value="taken@example.com")
    response = agent_api.post(
        "/api/customers", {"name": "X", "identities": [{"kind": "email", "value": "taken@example.com"}]}
    )
    assert response.status_code == 409
    assert error_code(response) == "conflict"


def test_customer_needs_an_identity(agent_api):
    assert agent_api.post("/api/customers", {"name": "X", "identities": []}).status_code == 422


def test_merge_customers(api_as, make_agent):
    supervisor = make_agent(role=Role.SUPERVISOR)
    a = customer_find_or_create(kind="email", value="a@example.com")[0]
    b = customer_find_or_create(kind="email", value="b@example.com")[0]
    response = api_as(supervisor).post(f"/api/customers/{a.pk}/merge", {"target_id": b.pk})
    assert response.status_code == 200, response.content
    assert {i["value"] for i in response.json()["identities"]} == {"a@example.com", "b@example.com"}
    assert Customer.objects.get(pk=a.pk).merged_into_id == b.pk


def test_agent_cannot_merge_customers(agent_api):
    a = customer_find_or_create(kind="email", value="a@example.com")[0]
    b = customer_find_or_create(kind="email", value="b@example.com")[0]
    assert agent_api.post(f"/api/customers/{a.pk}/merge", {"target_id": b.pk}).status_code == 403


def test_unknown_customer_is_404(agent_api):
    response = agent_api.get("/api/customers/999999")
    assert response.status_code == 404
    assert error_code(response) == "not_found"


def test_customer_list_query_count_is_constant(agent_api, django_assert_max_num_queries):
    for i in range(2):
        customer_find_or_create(kind="email", value=f"q{i}@example.com")
    with django_assert_max_num_queries(8) as small:
        agent_api.get("/api/customers", {"limit": 100})
    for i in range(2, 25):
        customer_find_or_create(kind="email", value=f"q{i}@example.com")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(agent_api.get("/api/customers", {"limit": 100}).json()["items"]) == 25


# ---------------------------------------------------------------- me, agents, teams


def test_me(agent_api, agent):
    body = agent_api.get("/api/me").json()
    assert (body["id"], body["role"], [t["name"] for t in body["teams"]]) == (agent.pk, "agent", ["Support"])


def test_agents_and_teams_readable_by_agents(agent_api, agent, admin, team):
    agents = agent_api.get("/api/agents").json()["items"]
    assert {a["id"] for a in agents} >= {agent.pk, admin.pk}
    assert agent_api.get(f"/api/agents/{admin.pk}").json()["role"] == "admin"
    teams = agent_api.get("/api/teams").json()["items"]
    assert [t["name"] for t in teams] == ["Support"]
    assert agent_api.get(f"/api/teams/{team.pk}").json()["members"][0]["id"] == agent.pk


def test_admin_creates_and_changes_agents_and_teams(admin_api, team):
    response = admin_api.post(
        "/api/agents",
        {
            "username": "wati",
            "password": "kuda-laut-2024",
            "email": "wati@example.com",
            "role": "supervisor",
            "team_ids": [team.pk],
        },
    )
    assert response.status_code == 201, response.content
    wati = response.json()
    assert wati["teams"] == [{"id": team.pk, "name": "Support"}]
    response = admin_api.patch(f"/api/agents/{wati['id']}", {"display_name": "Wati S.", "is_active": False})
    assert response.status_code == 200
    assert (response.json()["name"], response.json()["is_active"]) == ("Wati S.", False)

    response = admin_api.post("/api/teams", {"name": "Sales", "member_ids": [wati["id"]]})
    assert response.status_code == 201, response.content
    sales = response.json()
    response = admin_api.patch(f"/api/teams/{sales['id']}", {"description": "Penjualan", "member_ids": []})
    assert (response.json()["description"], response.json()["members"]) == ("Penjualan", [])


@pytest.mark.parametrize(
    "data",
    [
        {"username": "x", "password": "short"},
        {"username": "x", "password": "kuda-laut-2024", "email": "nope"},
        {"username": "x", "password": "kuda-laut-2024", "role": "god"},
        {"username": "x", "password": "kuda-laut-2024", "team_ids": [424242]},
    ],
)
def test_invalid_agents_are_422(admin_api, data):
    response = admin_api.post("/api/agents", data)
    assert response.status_code == 422, response.content
    assert not User.objects.filter(username="x").exists()


def test_duplicate_username_is_409(admin_api, agent):
    response = admin_api.post("/api/agents", {"username": agent.username, "password": "kuda-laut-2024"})
    assert response.status_code == 409


def test_non_admin_cannot_manage_agents_or_teams(agent_api, agent, team):
    assert agent_api.post("/api/agents", {"username": "y", "password": "kuda-laut-2024"}).status_code == 403
    assert agent_api.patch(f"/api/agents/{agent.pk}", {"role": "admin"}).status_code == 403
    assert agent_api.patch(f"/api/teams/{team.pk}", {"name": "Mine now"}).status_code == 403


def test_agent_list_query_count_is_constant(agent_api, make_agent, team, django_assert_max_num_queries):
    with django_assert_max_num_queries(8) as small:
        agent_api.get("/api/agents", {"limit": 100})
    for _ in range(10):
        make_agent(teams=[team])
    with django_assert_max_num_queries(len(small.captured_queries)):
        agent_api.get("/api/agents", {"limit": 100})
    with django_assert_max_num_queries(len(small.captured_queries)):
        agent_api.get("/api/teams", {"limit": 100})
