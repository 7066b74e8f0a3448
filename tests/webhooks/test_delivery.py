"""Delivering webhooks to a real loopback server: signature, retries, give-ups, crashed workers."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from datetime import timedelta

import pytest
from django.utils import timezone

from tanggap.core import outbox
from tanggap.core.models import OutboxStatus
from tanggap.webhooks import delivery as delivery_module
from tanggap.webhooks.models import WebhookDelivery, WebhookSubscription
from tanggap.webhooks.services import deliveries_create_for_event

LABEL = WebhookDelivery._meta.label_lower


def _queue(ticket) -> WebhookDelivery:
    """What the event subscriber does after a ticket is created."""
    [created] = deliveries_create_for_event("ticket.created", {"ticket_id": ticket.pk, "actor_id": None})
    return created


def _make_due(row: WebhookDelivery) -> None:
    """Time passes: the back-off delay is over."""
    WebhookDelivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_registered_with_the_outbox():
    assert LABEL in outbox.registered()


def test_delivery_is_signed_and_verifiable(subscription, hook_server, ticket):
    row = _queue(ticket)
    assert outbox.drain(LABEL) == 1
    [request] = hook_server.received
    headers = request.headers
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Tanggap-Webhooks/1"
    assert headers["x-tanggap-event"] == "ticket.created"
    assert headers["x-tanggap-delivery"] == str(row.uuid)
    timestamp = headers["x-tanggap-timestamp"]
    expected = hmac.new(
        subscription.plain_secret.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(headers["x-tanggap-signature"], f"sha256={expected}")
    # A receiver with the wrong secret would reject it.
    wrong = hmac.new(b"whsec_wrong", timestamp.encode() + b"." + request.body, hashlib.sha256).hexdigest()
    assert headers["x-tanggap-signature"] != f"sha256={wrong}"

    body = json.loads(request.body)
    assert body["id"] == str(row.uuid)
    assert body["event"] == "ticket.created"
    assert body["data"]["ticket"]["id"] == ticket.pk
    assert body["data"]["ticket"]["subject"] == ticket.subject
    assert body["data"]["ticket"]["customer"] == {"id": ticket.customer_id, "name": "Siti"}
    assert body["data"]["ticket"]["team"] == {"id": ticket.team_id, "name": "Support"}

    row.refresh_from_db()
    assert (row.status, row.attempts, row.response_status) == (OutboxStatus.DONE, 1, 200)
    assert row.delivered_at is not None
    assert row.response_body == '{"ok": true}'
    assert row.duration_ms is not None


def test_500_then_200_is_retried_then_done(subscription, hook_server, ticket):
    hook_server.answer(500, 200)
    row = _queue(ticket)
    outbox.drain(LABEL)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.response_status) == (OutboxStatus.PENDING, 1, 500)
    assert "HTTP 500" in row.last_error
    assert row.next_attempt_at > timezone.now()  # backed off
    assert outbox.drain(LABEL) == 0  # not due yet
    assert len(hook_server.received) == 1

    _make_due(row)
    assert outbox.drain(LABEL) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.response_status, row.last_error) == (OutboxStatus.DONE, 2, 200, "")
    assert [r.headers["x-tanggap-delivery"] for r in hook_server.received] == [str(row.uuid)] * 2


def test_410_gives_up_and_deactivates_the_subscription(subscription, hook_server, ticket, receive):
    hook_server.answer(410)
    row = _queue(ticket)
    outbox.drain(LABEL)
    row.refresh_from_db()
    assert (row.status, row.response_status) == (OutboxStatus.FAILED, 410)
    subscription.refresh_from_db()
    assert subscription.active is False
    assert subscription.deactivated_reason == "gone"
    # Nothing more is queued for it.
    assert deliveries_create_for_event("ticket.created", {"ticket_id": ticket.pk}) == []


@pytest.mark.parametrize("status", [400, 401, 404, 302])
def test_other_4xx_and_redirects_give_up(subscription, hook_server, ticket, status):
    hook_server.answer(status)
    row = _queue(ticket)
    outbox.drain(LABEL)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.response_status) == (OutboxStatus.FAILED, 1, status)
    assert len(hook_server.received) == 1  # the redirect was not followed
    subscription.refresh_from_db()
    assert subscription.active is True


def test_connection_refused_is_retried(subscription, ticket):
    with socket.socket() as sock:  # a port with nobody listening
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    WebhookSubscription.objects.filter(pk=subscription.pk).update(url=f"http://127.0.0.1:{port}/")
    row = _queue(ticket)
    outbox.drain(LABEL)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.response_status) == (OutboxStatus.PENDING, 1, None)
    assert "URLError" in row.last_error


def test_timeout_is_retried(subscription, hook_server, ticket, monkeypatch):
    monkeypatch.setattr(delivery_module, "TIMEOUT", 0.2)
    hook_server.delay = 1.0
    row = _queue(ticket)
    outbox.drain(LABEL)
    row.refresh_from_db()
    assert row.status == OutboxStatus.PENDING
    assert "timed out" in row.last_error.lower() or "timeout" in row.last_error.lower()


def test_a_dead_workers_delivery_is_claimed_again_and_sent_once(subscription, hook_server, ticket):
    row = _queue(ticket)
    # A worker claimed it, then died (kill -9) before sending: the row is in progress with a lease
    # that has now expired.
    WebhookDelivery.objects.filter(pk=row.pk).update(
        status=OutboxStatus.IN_PROGRESS, attempts=1, locked_until=timezone.now() - timedelta(seconds=1)
    )
    assert outbox.drain(LABEL) == 1
    assert outbox.drain(LABEL) == 0
    assert len(hook_server.received) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxStatus.DONE, 2)


def test_a_live_lease_is_not_claimed_twice(subscription, hook_server, ticket):
    row = _queue(ticket)
    WebhookDelivery.objects.filter(pk=row.pk).update(
        status=OutboxStatus.IN_PROGRESS, attempts=1, locked_until=timezone.now() + timedelta(minutes=5)
    )
    assert outbox.drain(LABEL) == 0
    assert hook_server.received == []


def test_inactive_subscription_is_not_sent(subscription, hook_server, ticket):
    row = _queue(ticket)
    WebhookSubscription.objects.filter(pk=subscription.pk).update(active=False)
    outbox.drain(LABEL)
    row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED
    assert hook_server.received == []


def test_signature_helper_matches_the_documented_scheme():
    body = b'{"a":1}'
    expected = hmac.new(b"whsec_x", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert delivery_module.sign("whsec_x", "1700000000", body) == f"sha256={expected}"
