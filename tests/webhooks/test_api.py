"""The webhooks API: admins only; the secret is returned once; URLs are validated."""

from __future__ import annotations

import typing

import pytest

from tanggap.accounts.services import api_token_create
from tanggap.core.models import OutboxStatus
from tanggap.webhooks.api import EventName
from tanggap.webhooks.models import WebhookDelivery, WebhookSubscription
from tanggap.webhooks.services import WEBHOOK_EVENTS, deliveries_create_for_event
from tests.api.conftest import ApiClient, error_code


def _client(user) -> ApiClient:
    return ApiClient(api_token_create(actor=user, user=user, name="tests")[1])


@pytest.fixture
def admin_api(admin):
    return _client(admin)


@pytest.fixture
def agent_api(agent):
    return _client(agent)


def test_api_event_names_match_the_services():
    assert set(typing.get_args(EventName)) == set(WEBHOOK_EVENTS)


def test_create_returns_the_secret_once(admin_api):
    response = admin_api.post(
        "/api/webhooks", {"name": "CRM", "url": "https://crm.example.com/hooks", "events": ["ticket.created"]}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["secret"].startswith("whsec_")
    assert WebhookSubscription.objects.get(pk=body["id"]).secret == body["secret"]
    again = admin_api.get(f"/api/webhooks/{body['id']}").json()
    assert "secret" not in again
    listed = admin_api.get("/api/webhooks").json()["items"]
    assert all("secret" not in item for item in listed)
    assert body["secret"] not in admin_api.get("/api/webhooks").content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/x",
        "https://user:pass@example.com/hook",
        "https://token@example.com/hook",
        "javascript:alert(1)",
        "https://",
        "https://exa mple.com/",
        "http://example.com:99999/",
        "/relative/path",
    ],
)
def test_bad_urls_are_422(admin_api, url):
    response = admin_api.post("/api/webhooks", {"name": "X", "url": url, "events": ["ticket.created"]})
    assert response.status_code == 422, response.content
    assert error_code(response) == "invalid_input"
    assert not WebhookSubscription.objects.exists()


def test_unknown_event_is_422(admin_api):
    response = admin_api.post("/api/webhooks", {"name": "X", "url": "https://e.example/", "events": ["nope"]})
    assert response.status_code == 422


def test_patch_delete_and_deliveries(admin_api, subscription, ticket, hook_server):
    response = admin_api.patch(
        f"/api/webhooks/{subscription.pk}", {"active": False, "events": ["reply.sent"]}
    )
    assert response.status_code == 200
    assert (response.json()["active"], response.json()["events"]) == (False, ["reply.sent"])
    response = admin_api.patch(f"/api/webhooks/{subscription.pk}", {"url": "https://user:pw@x.example/"})
    assert response.status_code == 422

    admin_api.patch(f"/api/webhooks/{subscription.pk}", {"active": True, "events": ["ticket.created"]})
    deliveries_create_for_event("ticket.created", {"ticket_id": ticket.pk})
    response = admin_api.post(f"/api/webhooks/{subscription.pk}/test")
    assert response.status_code == 201
    assert response.json()["event"] == "webhook.test"
    items = admin_api.get(f"/api/webhooks/{subscription.pk}/deliveries").json()["items"]
    assert [d["event"] for d in items] == ["webhook.test", "ticket.created"]
    pending = admin_api.get(f"/api/webhooks/{subscription.pk}/deliveries", {"status": "pending"}).json()[
        "items"
    ]
    assert len(pending) == 2

    failed = WebhookDelivery.objects.filter(event="ticket.created").get()
    WebhookDelivery.objects.filter(pk=failed.pk).update(status=OutboxStatus.FAILED, attempts=8)
    response = admin_api.post(f"/api/webhooks/{subscription.pk}/deliveries/{failed.pk}/retry")
    assert response.status_code == 200
    assert response.json()["status"] == "pending"

    assert admin_api.delete(f"/api/webhooks/{subscription.pk}").status_code == 204
    assert not WebhookSubscription.objects.exists()
    assert not WebhookDelivery.objects.exists()
    assert admin_api.get(f"/api/webhooks/{subscription.pk}").status_code == 404


def test_non_admins_get_403(agent_api, subscription):
    for response in (
        agent_api.get("/api/webhooks"),
        agent_api.post(
            "/api/webhooks", {"name": "X", "url": "https://e.example/", "events": ["ticket.created"]}
        ),
        agent_api.get(f"/api/webhooks/{subscription.pk}"),
        agent_api.patch(f"/api/webhooks/{subscription.pk}", {"active": False}),
        agent_api.delete(f"/api/webhooks/{subscription.pk}"),
        agent_api.get(f"/api/webhooks/{subscription.pk}/deliveries"),
        agent_api.post(f"/api/webhooks/{subscription.pk}/test"),
    ):
        assert response.status_code == 403
        assert error_code(response) == "permission_denied"
    subscription.refresh_from_db()
    assert subscription.active


def test_delivery_list_query_count_is_constant(
    admin_api, subscription, ticket, django_assert_max_num_queries
):
    deliveries_create_for_event("ticket.created", {"ticket_id": ticket.pk})
    with django_assert_max_num_queries(8) as small:
        admin_api.get(f"/api/webhooks/{subscription.pk}/deliveries", {"limit": 100})
    for _ in range(20):
        deliveries_create_for_event("ticket.created", {"ticket_id": ticket.pk})
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert (
            len(admin_api.get(f"/api/webhooks/{subscription.pk}/deliveries", {"limit": 100}).json()["items"])
            == 21
        )
