"""The webhooks admin pages at /admin/webhooks/: admins only (404 for others)."""

from __future__ import annotations

import pytest
from django.test import Client

from tanggap.core.models import OutboxStatus
from tanggap.webhooks.models import WebhookDelivery, WebhookSubscription
from tanggap.webhooks.services import deliveries_create_for_event


@pytest.fixture
def admin_client_(admin):
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def agent_client(agent):
    client = Client()
    client.force_login(agent)
    return client


def _urls(sub_id: int, delivery_id: int) -> list[tuple[str, str]]:
    base = f"/admin/webhooks/{sub_id}"
    return [
        ("get", "/admin/webhooks/"),
        ("get", "/admin/webhooks/new/"),
        ("post", "/admin/webhooks/new/"),
        ("get", f"{base}/"),
        ("get", f"{base}/edit/"),
        ("post", f"{base}/edit/"),
        ("post", f"{base}/active/"),
        ("post", f"{base}/test/"),
        ("post", f"{base}/secret/"),
        ("post", f"{base}/deliveries/{delivery_id}/retry/"),
    ]


def test_non_admins_get_404_everywhere(agent_client, subscription, ticket):
    [row] = deliveries_create_for_event("ticket.created", {"ticket_id": ticket.pk})
    for method, url in _urls(subscription.pk, row.pk):
        response = getattr(agent_client, method)(url)
        assert response.status_code == 404, (method, url)
    subscription.refresh_from_db()
    assert subscription.active and subscription.secret == subscription.plain_secret


def test_anonymous_is_sent_to_sign_in(db):
    response = Client().get("/admin/webhooks/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_create_shows_the_secret_once(admin_client_, hook_server):
    response = admin_client_.get("/admin/webhooks/new/")
    assert response.status_code == 200
    response = admin_client_.post(
        "/admin/webhooks/new/",
        {"name": "CRM", "url": hook_server.url, "events": ["ticket.created", "reply.sent"], "active": "on"},
    )
    assert response.status_code == 200
    sub = WebhookSubscription.objects.get()
    assert sub.secret in response.content.decode()
    assert response["Cache-Control"] == "no-store" or "no-store" in response["Cache-Control"]
    assert sub.events == ["ticket.created", "reply.sent"]
    detail = admin_client_.get(f"/admin/webhooks/{sub.pk}/")
    assert detail.status_code == 200
    assert sub.secret not in detail.content.decode()
    assert sub.secret not in admin_client_.get("/admin/webhooks/").content.decode()


def test_create_rejects_bad_urls(admin_client_):
    response = admin_client_.post(
        "/admin/webhooks/new/", {"name": "X", "url": "https://u:p@example.com/", "events": ["ticket.created"]}
    )
    assert response.status_code == 200
    assert not WebhookSubscription.objects.exists()
    assert "errorlist" in response.content.decode()


def test_edit_and_turn_off(admin_client_, subscription):
    response = admin_client_.post(
        f"/admin/webhooks/{subscription.pk}/edit/",
        {"name": "CRM 2", "url": subscription.url, "events": ["ticket.created"], "active": "on"},
    )
    assert response.status_code == 302
    subscription.refresh_from_db()
    assert (subscription.name, subscription.events) == ("CRM 2", ["ticket.created"])
    admin_client_.post(f"/admin/webhooks/{subscription.pk}/active/", {"active": "0"})
    subscription.refresh_from_db()
    assert subscription.active is False


def test_send_test_event_and_retry(admin_client_, subscription, hook_server):
    response = admin_client_.post(f"/admin/webhooks/{subscription.pk}/test/")
    assert response.status_code == 302
    row = WebhookDelivery.objects.get(subscription=subscription)
    assert row.event == "webhook.test"
    WebhookDelivery.objects.filter(pk=row.pk).update(status=OutboxStatus.FAILED, last_error="HTTP 500")
    page = admin_client_.get(f"/admin/webhooks/{subscription.pk}/").content.decode()
    assert "webhook.test" in page and "HTTP 500" in page
    admin_client_.post(f"/admin/webhooks/{subscription.pk}/deliveries/{row.pk}/retry/")
    row.refresh_from_db()
    assert row.status == OutboxStatus.PENDING


def test_rotate_secret_shows_the_new_one(admin_client_, subscription):
    response = admin_client_.post(f"/admin/webhooks/{subscription.pk}/secret/")
    subscription.refresh_from_db()
    assert subscription.secret != subscription.plain_secret
    assert subscription.secret in response.content.decode()


def test_unknown_ids_are_404(admin_client_, subscription):
    assert admin_client_.get("/admin/webhooks/999999/").status_code == 404
    assert admin_client_.get(f"/admin/webhooks/{10**25}/").status_code == 404
    assert admin_client_.post(f"/admin/webhooks/{subscription.pk}/deliveries/999/retry/").status_code == 404


def test_pages_query_count_is_constant(
    admin_client_, admin, subscription, ticket, django_assert_max_num_queries
):
    deliveries_create_for_event("ticket.created", {"ticket_id": ticket.pk})
    with django_assert_max_num_queries(40) as small_detail:
        admin_client_.get(f"/admin/webhooks/{subscription.pk}/")
    with django_assert_max_num_queries(40) as small_list:
        admin_client_.get("/admin/webhooks/")
    for i in range(10):
        deliveries_create_for_event("ticket.created", {"ticket_id": ticket.pk})
        WebhookSubscription.objects.create(name=f"S{i}", url="https://e.example/", secret="x", events=[])
    with django_assert_max_num_queries(len(small_detail.captured_queries)):
        admin_client_.get(f"/admin/webhooks/{subscription.pk}/")
    with django_assert_max_num_queries(len(small_list.captured_queries)):
        admin_client_.get("/admin/webhooks/")
