"""Fixtures for the REST API: token-authenticated clients and a ticket of another team."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from tanggap.accounts.services import api_token_create
from tanggap.tickets.models import Ticket


class ApiClient:
    """A Django test client that sends a bearer token and JSON bodies."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, data: Any = None, **extra: Any) -> Any:
        headers = {**self.headers, **extra.pop("headers", {})}
        fn = getattr(self.client, method)
        if method in ("get", "delete") and data is None:
            return fn(path, headers=headers, **extra)
        if method == "get":
            return fn(path, data, headers=headers, **extra)
        return fn(path, data, content_type="application/json", headers=headers, **extra)

    def get(self, path: str, params: dict[str, Any] | None = None, **extra: Any) -> Any:
        return self._call("get", path, params, **extra)

    def post(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self._call("post", path, data if data is not None else {}, **extra)

    def patch(self, path: str, data: Any = None, **extra: Any) -> Any:
        return self._call("patch", path, data if data is not None else {}, **extra)

    def delete(self, path: str, **extra: Any) -> Any:
        return self._call("delete", path, **extra)


@pytest.fixture
def token_for(db):
    def make(user) -> str:
        _, raw = api_token_create(actor=user, user=user, name="tests")
        return raw

    return make


@pytest.fixture
def api_as(token_for):
    def make(user) -> ApiClient:
        return ApiClient(token_for(user))

    return make


@pytest.fixture
def agent_api(api_as, agent) -> ApiClient:
    return api_as(agent)


@pytest.fixture
def admin_api(api_as, admin) -> ApiClient:
    return api_as(admin)


@pytest.fixture
def anon_api(db) -> ApiClient:
    return ApiClient(None)


@pytest.fixture
def other_team(make_team):
    return make_team("Billing")


@pytest.fixture
def foreign_ticket(receive, other_team) -> Ticket:
    """A ticket of a team the ``agent`` fixture is not in (so: 404 for them)."""
    result = receive("Tagihan saya salah.", sender="rudi@example.com", subject="Tagihan salah")
    result.ticket.team = other_team
    result.ticket.save(update_fields=["team"])
    return result.ticket


def error_code(response: Any) -> str:
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.json()["error"]["code"]
