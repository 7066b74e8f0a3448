"""Events become deliveries only after the write commits, and only for subscriptions that want them.

These tests commit for real (transactional_db), so the after-commit dispatch runs as in production.
"""

from __future__ import annotations

import json

import pytest
from django.db import transaction

from tanggap.core import outbox
from tanggap.core.models import OutboxStatus
from tanggap.tickets.services import reply_send
from tanggap.webhooks.models import WebhookDelivery
from tanggap.webhooks.services import webhook_create, webhook_update

LABEL = WebhookDelivery._meta.label_lower

pytestmark = pytest.mark.django_db(transaction=True)


def _deliver_all() -> None:
    outbox.drain(LABEL)


def test_message_creates_deliveries_for_subscribed_events(subscription, hook_server, admin, receive):
    only_replies, _ = webhook_create(actor=admin, name="Replies", url=hook_server.url, events=["reply.sent"])
    off, _ = webhook_create(
        actor=admin, name="Off", url=hook_server.url, events=["ticket.created"], active=False
    )

    result = receive("Halo, paket saya rusak.", subject="Paket rusak")
    _deliver_all()

    rows = list(WebhookDelivery.objects.order_by("id"))
    assert [(r.subscription_id, r.event) for r in rows] == [
        (subscription.pk, "ticket.created"),
        (subscription.pk, "message.received"),
    ]
    assert all(r.status == OutboxStatus.DONE for r in rows)
    bodies = {json.loads(r.body)["event"]: json.loads(r.body) for r in hook_server.received}
    assert set(bodies) == {"ticket.created", "message.received"}
    message = bodies["message.received"]["data"]["message"]
    assert message["id"] == result.message.pk
    assert message["kind"] == "customer"
    assert message["text"] == "Halo, paket saya rusak."
    assert bodies["message.received"]["data"]["ticket"]["subject"] == "Paket rusak"
    assert not WebhookDelivery.objects.filter(subscription__in=[only_replies, off]).exists()


def test_reply_and_status_change_events(subscription, hook_server, agent, admin, receive):
    ticket = receive().ticket
    WebhookDelivery.objects.all().delete()
    hook_server.received.clear()
    webhook_update(actor=admin, subscription=subscription, events=["reply.sent", "ticket.status_changed"])

    reply_send(actor=agent, ticket=ticket, text="Terima kasih sudah menunggu.")
    _deliver_all()

    bodies = {json.loads(r.body)["event"]: json.loads(r.body)["data"] for r in hook_server.received}
    assert set(bodies) == {"reply.sent", "ticket.status_changed"}
    assert bodies["reply.sent"]["message"]["kind"] == "reply"
    assert bodies["reply.sent"]["message"]["author"]["id"] == agent.pk
    assert bodies["ticket.status_changed"]["previous"] == "new"
    assert bodies["ticket.status_changed"]["status"] == "pending"
    assert bodies["ticket.status_changed"]["ticket"]["assignee"]["id"] == agent.pk


def test_rolled_back_write_produces_no_delivery(subscription, hook_server, receive):
    with pytest.raises(RuntimeError), transaction.atomic():
        receive("Halo, ini tidak jadi.")
        raise RuntimeError("the request failed after the message was stored")
    _deliver_all()
    assert not WebhookDelivery.objects.exists()
    assert hook_server.received == []
