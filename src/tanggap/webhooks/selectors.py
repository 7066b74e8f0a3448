"""Reading webhooks (admins only) and building the data an event's delivery carries."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from tanggap.accounts.permissions import can
from tanggap.core.errors import NotFound, PermissionDenied
from tanggap.core.process_cache import ProcessCache
from tanggap.tickets.models import Message, Ticket
from tanggap.webhooks.models import WebhookDelivery, WebhookSubscription

MAX_TEXT_IN_PAYLOAD = 10_000


def _require_manage(user: Any) -> None:
    if not can(user, "webhook.manage"):
        raise PermissionDenied(action="webhook.manage")


def webhook_list(*, user: Any) -> QuerySet[WebhookSubscription]:
    _require_manage(user)
    return WebhookSubscription.objects.select_related("created_by").order_by("name", "id")


def webhook_get(*, user: Any, webhook_id: int) -> WebhookSubscription:
    _require_manage(user)
    try:
        return WebhookSubscription.objects.select_related("created_by").get(pk=webhook_id)
    except (WebhookSubscription.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(object="webhook") from None


def webhook_deliveries(
    *, user: Any, subscription: WebhookSubscription, status: str = ""
) -> QuerySet[WebhookDelivery]:
    """The delivery log of a subscription, newest first (the payload is not loaded)."""
    _require_manage(user)
    qs = WebhookDelivery.objects.filter(subscription=subscription).defer("payload")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")


def webhook_delivery_get(
    *, user: Any, subscription: WebhookSubscription, delivery_id: int
) -> WebhookDelivery:
    _require_manage(user)
    try:
        return WebhookDelivery.objects.get(pk=delivery_id, subscription=subscription)
    except (WebhookDelivery.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(object="delivery") from None


# Every received message publishes events, and each asks which subscriptions want it: the active
# subscriptions are read at most once per ``ACTIVE_TTL`` per process (a mail import publishes
# thousands of events a second). A change made in this process is seen at once (``forget_active``,
# called on save and delete); one made in another process within ``ACTIVE_TTL``.
ACTIVE_TTL = 1.0
_active = ProcessCache(ACTIVE_TTL, lambda: list(WebhookSubscription.objects.filter(active=True)))
forget_active = _active.forget


def _active_subscriptions() -> list[WebhookSubscription]:
    return _active.get()


def subscriptions_for_event(name: str) -> list[WebhookSubscription]:
    """Active subscriptions that asked for ``name`` (few rows: filtered here, so the same on every
    database)."""
    return [s for s in _active_subscriptions() if name in (s.events or [])]


# ---------------------------------------------------------------- payloads


def _ticket_summary(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.pk,
        "number": ticket.pk,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "language": ticket.language,
        "team": {"id": ticket.team.pk, "name": ticket.team.name} if ticket.team else None,
        "assignee": (
            {"id": ticket.assignee.pk, "username": ticket.assignee.username, "name": ticket.assignee.label}
            if ticket.assignee
            else None
        ),
        "customer": {"id": ticket.customer.pk, "name": ticket.customer.name},
        "created_at": ticket.created_at.isoformat(),
        "updated_at": ticket.updated_at.isoformat(),
    }


def _message_summary(message: Message) -> dict[str, Any]:
    text = message.body_text
    return {
        "id": message.pk,
        "kind": message.kind,
        "channel": message.channel,
        "author": (
            {"id": message.author.pk, "username": message.author.username, "name": message.author.label}
            if message.author
            else None
        ),
        "customer_id": message.customer_id,
        "text": text[:MAX_TEXT_IN_PAYLOAD],
        "text_truncated": len(text) > MAX_TEXT_IN_PAYLOAD,
        "created_at": message.created_at.isoformat(),
    }


_EXTRA_KEYS = ("previous", "status", "assignee_id", "team_id", "changed", "source_id", "actor_id")


def event_data(name: str, payload: dict[str, Any]) -> dict[str, Any] | None:
    """What a delivery of event ``name`` carries: the ticket (and message) as they are now, plus the
    event's own facts. None when the ticket no longer exists."""
    ticket_id = payload.get("ticket_id")
    if ticket_id is None:
        return None
    ticket = Ticket.objects.select_related("customer", "team", "assignee").filter(pk=ticket_id).first()
    if ticket is None:
        return None
    data: dict[str, Any] = {"ticket": _ticket_summary(ticket)}
    message_id = payload.get("message_id")
    if message_id is not None:
        message = Message.objects.select_related("author").filter(pk=message_id, ticket_id=ticket.pk).first()
        if message is None:
            # A merge may have moved the message to another ticket since.
            message = Message.objects.select_related("author").filter(pk=message_id).first()
        if message is not None:
            data["message"] = _message_summary(message)
    for key in _EXTRA_KEYS:
        if key in payload:
            data[key] = payload[key]
    return data


def ping_data(subscription: WebhookSubscription) -> dict[str, Any]:
    return {"webhook": {"id": subscription.pk, "name": subscription.name}, "test": True}
