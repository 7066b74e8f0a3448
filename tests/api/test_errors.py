"""Authentication and the one JSON error shape, for every kind of failure."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from tanggap.accounts.models import ApiToken
from tanggap.accounts.services import agent_update, api_token_revoke
from tests.api.conftest import ApiClient, error_code

# ---------------------------------------------------------------- authentication


@pytest.mark.parametrize("path", ["/api/tickets", "/api/me", "/api/customers", "/api/agents", "/api/teams"])
def test_no_token_is_401_json(anon_api, path):
    response = anon_api.get(path)
    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"


def test_unauthenticated_post_is_401_not_a_csrf_403(anon_api):
    response = anon_api.post("/api/tickets", {"customer_id": 1, "text": "x"})
    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"


@pytest.mark.parametrize(
    "header", ["Bearer tgp_not-a-real-token", "Bearer ", "Bearer nonsense", "Basic dXNlcjpwYXNz", "tgp_x"]
)
def test_bad_token_is_401(db, header):
    response = Client().get("/api/me", headers={"Authorization": header})
    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"


def test_revoked_token_is_401(agent, token_for):
    raw = token_for(agent)
    client = ApiClient(raw)
    assert client.get("/api/me").status_code == 200
    api_token_revoke(actor=agent, token=ApiToken.objects.get(user=agent))
    response = client.get("/api/me")
    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"


def test_token_of_deactivated_agent_is_401(admin, agent, token_for):
    client = ApiClient(token_for(agent))
    agent_update(actor=admin, agent=agent, is_active=False)
    assert client.get("/api/me").status_code == 401


def test_session_auth_reads_and_needs_csrf_to_write(agent, ticket):
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    assert client.get("/api/me").json()["username"] == agent.username
    response = client.post(f"/api/tickets/{ticket.pk}/notes", {"text": "hi"}, content_type="application/json")
    assert response.status_code == 403
    assert error_code(response) == "permission_denied"
    assert response.json()["error"]["details"] == {"reason": "csrf"}
    secret = "k" * 32  # the CSRF cookie holds an unmasked secret; the header may carry it as is
    client.cookies["csrftoken"] = secret
    response = client.post(
        f"/api/tickets/{ticket.pk}/notes",
        {"text": "hi"},
        content_type="application/json",
        headers={"X-CSRFToken": secret},
    )
    assert response.status_code == 201, response.content


# ---------------------------------------------------------------- error shapes


def test_malformed_json_is_400(agent_api, ticket):
    response = agent_api.client.post(
        f"/api/tickets/{ticket.pk}/notes",
        b"{not json",
        content_type="application/json",
        headers=agent_api.headers,
    )
    assert response.status_code == 400
    assert error_code(response) == "bad_request"


def test_invalid_utf8_body_is_400(agent_api, ticket):
    response = agent_api.client.post(
        f"/api/tickets/{ticket.pk}/notes",
        b'{"text": "\xff\xfe"}',
        content_type="application/json",
        headers=agent_api.headers,
    )
    assert response.status_code == 400
    assert error_code(response) == "bad_request"


def test_validation_error_is_422_with_fields(agent_api):
    response = agent_api.post("/api/tickets", {"customer_id": "abc", "priority": 9})
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "invalid_input"
    locs = {tuple(f["loc"]) for f in body["details"]["fields"]}
    assert ("body", "payload", "customer_id") in locs
    assert ("body", "payload", "text") in locs
    assert ("body", "payload", "priority") in locs


@pytest.mark.parametrize("value", ["nul\x00byte", "lone \ud800 surrogate"])
def test_unstorable_text_is_422(agent_api, ticket, value):
    body = json.dumps({"text": value})  # escapes as \u0000 / \ud800 in JSON
    response = agent_api.client.post(
        f"/api/tickets/{ticket.pk}/notes", body, content_type="application/json", headers=agent_api.headers
    )
    assert response.status_code == 422
    assert error_code(response) == "invalid_input"


def test_nul_in_query_is_422(agent_api):
    response = agent_api.get("/api/tickets", {"tag": "a\x00b"})
    assert response.status_code == 422


@pytest.mark.parametrize("value", [2**63, 2**64 + 5, -1, 0])
def test_out_of_range_ids_are_rejected(agent_api, value):
    response = agent_api.post("/api/tickets", {"customer_id": value, "text": "x"})
    assert response.status_code == 422
    response = agent_api.get("/api/tickets", {"team": value})
    assert response.status_code == 422


def test_huge_path_id_is_404_or_422(agent_api):
    response = agent_api.get(f"/api/tickets/{10**30}")
    assert response.status_code in (404, 422)
    assert error_code(response) in ("not_found", "invalid_input")


def test_unknown_route_is_404_json(agent_api, anon_api):
    for client in (agent_api, anon_api):
        response = client.get("/api/no/such/thing")
        assert response.status_code == 404
        assert error_code(response) == "not_found"


def test_wrong_method_is_405_json(agent_api):
    response = agent_api.delete("/api/tickets")
    assert response.status_code == 405
    assert error_code(response) == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_too_large_body_is_413(agent_api, ticket, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = agent_api.post(f"/api/tickets/{ticket.pk}/notes", {"text": "x" * 5000})
    assert response.status_code == 413
    assert error_code(response) == "too_large"


def test_application_errors_keep_their_code(agent_api, ticket):
    response = agent_api.patch(
        f"/api/tickets/{ticket.pk}", {"status": "closed"}
    )  # new → closed is not allowed
    assert response.status_code == 409
    assert error_code(response) == "invalid_transition"


def test_permission_denied_is_403(agent_api):
    response = agent_api.post("/api/teams", {"name": "Sales"})
    assert response.status_code == 403
    assert error_code(response) == "permission_denied"


# ---------------------------------------------------------------- OpenAPI


def test_every_operation_documents_its_errors(anon_api):
    response = anon_api.get("/api/openapi.json")
    assert response.status_code == 200
    schema = response.json()
    assert "Error" in schema["components"]["schemas"]
    operations = [
        (path, method, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if method in {"get", "post", "patch", "put", "delete"}
    ]
    assert len(operations) >= 25
    for path, method, op in operations:
        for code in ("400", "401", "403", "404", "422"):
            assert code in op["responses"], (path, method, code)
            assert op["responses"][code]["content"]["application/json"]["schema"] == {
                "$ref": "#/components/schemas/Error"
            }
        if method != "get":
            assert "409" in op["responses"], (path, method)
        assert op.get("security"), (path, method)


def test_docs_page_is_served(anon_api):
    assert anon_api.get("/api/docs").status_code == 200
