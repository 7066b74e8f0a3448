"""Writing webhooks: subscriptions, the deliveries events create, test events and retries."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tanggap.accounts.permissions import require
from tanggap.core import events, outbox
from tanggap.core.audit import audit_record
from tanggap.core.errors import InvalidInput
from tanggap.core.models import OutboxStatus
from tanggap.webhooks import selectors
from tanggap.webhooks.models import WebhookDelivery, WebhookSubscription
from tanggap.webhooks.validation import url_message, webhook_url_problem

logger = logging.getLogger(__name__)

# The events a subscription may ask for; each carries the ticket it is about.
WEBHOOK_EVENTS = (
    events.TICKET_CREATED,
    events.MESSAGE_RECEIVED,
    events.REPLY_SENT,
    events.NOTE_ADDED,
    events.TICKET_STATUS_CHANGED,
    events.TICKET_ASSIGNED,
    events.TICKET_UPDATED,
    events.TICKET_MERGED,
)
TEST_EVENT = "webhook.test"
SECRET_PREFIX = "whsec_"  # noqa: S105 (a prefix, not a secret)


def _outbox_label() -> str:
    return WebhookDelivery._meta.label_lower


def _new_secret() -> str:
    return SECRET_PREFIX + secrets.token_hex(32)


def _clean_name(name: str) -> str:
    name = " ".join(name.split())
    if not name or len(name) > 100:
        raise InvalidInput(field="name")
    return name


def _clean_url(url: str) -> str:
    url = url.strip()
    problem = webhook_url_problem(url)
    if problem is not None:
        raise InvalidInput(url_message(problem), field="url", reason=problem)
    return url


def _clean_events(names: Sequence[str]) -> list[str]:
    chosen = list(dict.fromkeys(names))
    unknown = [n for n in chosen if n not in WEBHOOK_EVENTS]
    if unknown or not chosen:
        raise InvalidInput(_("Choose at least one known event."), field="events", unknown=unknown[:10])
    return [n for n in WEBHOOK_EVENTS if n in chosen]


@transaction.atomic
def webhook_create(
    *, actor: Any, name: str, url: str, events: Sequence[str], active: bool = True
) -> tuple[WebhookSubscription, str]:
    """A new subscription. Returns it with its signing secret, which is shown this once."""
    require(actor, "webhook.manage")
    secret = _new_secret()
    subscription = WebhookSubscription.objects.create(
        name=_clean_name(name),
        url=_clean_url(url),
        events=_clean_events(events),
        active=active,
        secret=secret,
        created_by=actor,
    )
    audit_record(
        actor=actor, action="webhook.created", target=subscription, data={"events": subscription.events}
    )
    return subscription, secret


@transaction.atomic
def webhook_update(
    *,
    actor: Any,
    subscription: WebhookSubscription,
    name: str | None = None,
    url: str | None = None,
    events: Sequence[str] | None = None,
    active: bool | None = None,
) -> WebhookSubscription:
    require(actor, "webhook.manage")
    changed: list[str] = []
    if name is not None and _clean_name(name) != subscription.name:
        subscription.name = _clean_name(name)
        changed.append("name")
    if url is not None and _clean_url(url) != subscription.url:
        subscription.url = _clean_url(url)
        changed.append("url")
    if events is not None and _clean_events(events) != subscription.events:
        subscription.events = _clean_events(events)
        changed.append("events")
    if active is not None and active != subscription.active:
        subscription.active = active
        subscription.deactivated_reason = "" if active else "by_admin"
        changed.append("active")
    if changed:
        subscription.save()
        audit_record(actor=actor, action="webhook.updated", target=subscription, data={"changed": changed})
    return subscription


@transaction.atomic
def webhook_secret_rotate(*, actor: Any, subscription: WebhookSubscription) -> str:
    """A new signing secret, shown this once; deliveries sign with it from now on."""
    require(actor, "webhook.manage")
    secret = _new_secret()
    subscription.secret = secret
    subscription.save(update_fields=["secret", "updated_at"])
    audit_record(actor=actor, action="webhook.secret_rotated", target=subscription)
    return secret


@transaction.atomic
def webhook_delete(*, actor: Any, subscription: WebhookSubscription) -> None:
    """Delete the subscription and its delivery log."""
    require(actor, "webhook.manage")
    audit_record(actor=actor, action="webhook.deleted", target=subscription, data={"name": subscription.name})
    subscription.delete()


def _delivery(subscription: WebhookSubscription, event: str, data: dict[str, Any]) -> WebhookDelivery:
    now = timezone.now()
    delivery = WebhookDelivery(subscription=subscription, event=event, next_attempt_at=now)
    delivery.payload = {"id": str(delivery.uuid), "event": event, "created_at": now.isoformat(), "data": data}
    delivery.save()
    return delivery


@transaction.atomic
def webhook_send_test(*, actor: Any, subscription: WebhookSubscription) -> WebhookDelivery:
    """Queue a ``webhook.test`` delivery to check the endpoint and its signature check."""
    require(actor, "webhook.manage")
    delivery = _delivery(subscription, TEST_EVENT, selectors.ping_data(subscription))
    audit_record(actor=actor, action="webhook.test_sent", target=subscription, data={"delivery": delivery.pk})
    outbox.kick(_outbox_label())
    return delivery


@transaction.atomic
def webhook_delivery_retry(*, actor: Any, delivery: WebhookDelivery) -> WebhookDelivery:
    """Try a delivery again now, whatever its state (a delivery being sent right now is left alone)."""
    require(actor, "webhook.manage")
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    if (
        delivery.status == OutboxStatus.IN_PROGRESS
        and delivery.locked_until
        and delivery.locked_until > timezone.now()
    ):
        return delivery
    delivery.status = OutboxStatus.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.locked_until = None
    delivery.finished_at = None
    delivery.save(update_fields=["status", "next_attempt_at", "locked_until", "finished_at"])
    audit_record(actor=actor, action="webhook.delivery_retried", target=delivery.subscription)
    outbox.kick(_outbox_label())
    return delivery


def deliveries_create_for_event(name: str, payload: dict[str, Any]) -> list[WebhookDelivery]:
    """Event subscriber: one delivery per active subscription that wants ``name``.

    Events are dispatched after the writer's commit, so this opens its own transaction; an event
    from a rolled-back write never arrives here.
    """
    subscriptions = selectors.subscriptions_for_event(name)
    if not subscriptions:
        return []
    data = selectors.event_data(name, payload)
    if data is None:
        return []
    with transaction.atomic():
        created = [_delivery(subscription, name, data) for subscription in subscriptions]
        outbox.kick(_outbox_label())
    return created


def webhook_deliver(
    *, subscription: WebhookSubscription, event: str, data: dict[str, Any]
) -> WebhookDelivery:
    """Queue one delivery of ``event`` to one subscription chosen by another context (a trigger's
    "call a webhook" action), whatever events it subscribed to. Refused when it is switched off."""
    if not subscription.active:
        raise InvalidInput("the webhook is switched off", field="endpoint")
    delivery = _delivery(subscription, event, data)
    outbox.kick(_outbox_label())
    return delivery


def on_ticket_event(name: str, payload: dict[str, Any]) -> None:
    """The ``core.events`` subscriber (registered in ``apps.py``)."""
    deliveries_create_for_event(name, payload)


def subscription_deactivate_gone(*, subscription_id: int) -> None:
    """The endpoint answered 410 Gone: stop sending to it until an admin turns it back on."""
    WebhookSubscription.objects.filter(pk=subscription_id, active=True).update(
        active=False, deactivated_reason="gone", updated_at=timezone.now()
    )
    selectors.forget_active()
    logger.info("webhook subscription %s deactivated: endpoint answered 410 Gone", subscription_id)
