"""The webhooks API (admins only; 403 for others): subscriptions, their delivery log, test events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status

from tanggap.api.pagination import offset_page
from tanggap.api.schemas import Limit, Offset, Text, request_user
from tanggap.webhooks import selectors, services
from tanggap.webhooks.models import WebhookDelivery, WebhookSubscription

router = Router(tags=["webhooks"])

ObjectId = Annotated[int, Path(ge=1, le=2**63 - 1)]
EventName = Literal[
    "ticket.created",
    "message.received",
    "reply.sent",
    "note.added",
    "ticket.status_changed",
    "ticket.assigned",
    "ticket.updated",
    "ticket.merged",
]


class WebhookOut(Schema):
    id: int
    name: str
    url: str
    events: list[str]
    active: bool
    deactivated_reason: str
    created_at: datetime
    updated_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="The signing secret. Shown only in this response: store it now.")


class WebhookPage(Schema):
    items: list[WebhookOut]
    limit: int
    offset: int
    has_more: bool


class DeliveryOut(Schema):
    id: int
    uuid: str
    event: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str
    response_status: int | None
    response_body: str
    duration_ms: int | None
    created_at: datetime
    delivered_at: datetime | None
    finished_at: datetime | None


class DeliveryPage(Schema):
    items: list[DeliveryOut]
    limit: int
    offset: int
    has_more: bool


class WebhookIn(Schema):
    name: Annotated[str, Text(100, min_length=1, strip=True)]
    url: Annotated[str, Text(2000, min_length=1, strip=True)] = Field(
        description="http:// or https://, without credentials."
    )
    events: list[EventName] = Field(min_length=1, max_length=20)
    active: bool = True


class WebhookPatchIn(Schema):
    name: Annotated[str, Text(100, min_length=1, strip=True)] | None = None
    url: Annotated[str, Text(2000, min_length=1, strip=True)] | None = None
    events: list[EventName] | None = Field(None, min_length=1, max_length=20)
    active: bool | None = None


class DeliveryListParams(Schema):
    status: Literal["pending", "in_progress", "done", "failed"] | None = None
    limit: Limit = 25
    offset: Offset = 0


class PageParams(Schema):
    limit: Limit = 50
    offset: Offset = 0


def webhook_out(subscription: WebhookSubscription) -> dict[str, Any]:
    return {
        "id": subscription.pk,
        "name": subscription.name,
        "url": subscription.url,
        "events": list(subscription.events),
        "active": subscription.active,
        "deactivated_reason": subscription.deactivated_reason,
        "created_at": subscription.created_at,
        "updated_at": subscription.updated_at,
    }


def delivery_out(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "uuid": str(delivery.uuid),
        "event": delivery.event,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "next_attempt_at": delivery.next_attempt_at,
        "last_error": delivery.last_error,
        "response_status": delivery.response_status,
        "response_body": delivery.response_body,
        "duration_ms": delivery.duration_ms,
        "created_at": delivery.created_at,
        "delivered_at": delivery.delivered_at,
        "finished_at": delivery.finished_at,
    }


def _get(request: HttpRequest, webhook_id: int) -> WebhookSubscription:
    return selectors.webhook_get(user=request_user(request), webhook_id=webhook_id)


@router.get("/webhooks", response=WebhookPage, summary="List webhook subscriptions")
def list_webhooks(request: HttpRequest, params: Query[PageParams]) -> Any:
    page = offset_page(
        selectors.webhook_list(user=request_user(request)), limit=params.limit, offset=params.offset
    )
    return {**page.as_dict(), "items": [webhook_out(s) for s in page.items]}


@router.post("/webhooks", response={201: WebhookCreatedOut}, summary="Subscribe an endpoint to events")
def create_webhook(request: HttpRequest, payload: WebhookIn) -> Any:
    """Returns the signing secret once. Each delivery is a POST with `X-Tanggap-Signature:
    sha256=<hex HMAC-SHA256 of "{X-Tanggap-Timestamp}.{body}">`. Delivery is at least once:
    deduplicate by `X-Tanggap-Delivery`. 2xx is success; 410 turns the subscription off; other 4xx
    (but 408 and 429) fail the delivery; 5xx and network errors are retried with back-off."""
    subscription, secret = services.webhook_create(
        actor=request_user(request),
        name=payload.name,
        url=payload.url,
        events=payload.events,
        active=payload.active,
    )
    return Status(201, {**webhook_out(subscription), "secret": secret})


@router.get("/webhooks/{webhook_id}", response=WebhookOut, summary="Get a webhook subscription")
def get_webhook(request: HttpRequest, webhook_id: ObjectId) -> Any:
    return webhook_out(_get(request, webhook_id))


@router.patch("/webhooks/{webhook_id}", response=WebhookOut, summary="Change a webhook subscription")
def update_webhook(request: HttpRequest, webhook_id: ObjectId, payload: WebhookPatchIn) -> Any:
    subscription = services.webhook_update(
        actor=request_user(request),
        subscription=_get(request, webhook_id),
        name=payload.name,
        url=payload.url,
        events=payload.events,
        active=payload.active,
    )
    return webhook_out(subscription)


@router.delete("/webhooks/{webhook_id}", response={204: None}, summary="Delete a webhook subscription")
def delete_webhook(request: HttpRequest, webhook_id: ObjectId) -> Any:
    services.webhook_delete(actor=request_user(request), subscription=_get(request, webhook_id))
    return Status(204, None)


@router.get(
    "/webhooks/{webhook_id}/deliveries", response=DeliveryPage, summary="A subscription's delivery log"
)
def list_deliveries(request: HttpRequest, webhook_id: ObjectId, params: Query[DeliveryListParams]) -> Any:
    user = request_user(request)
    subscription = _get(request, webhook_id)
    qs = selectors.webhook_deliveries(user=user, subscription=subscription, status=params.status or "")
    page = offset_page(qs, limit=params.limit, offset=params.offset)
    return {**page.as_dict(), "items": [delivery_out(d) for d in page.items]}


@router.post("/webhooks/{webhook_id}/test", response={201: DeliveryOut}, summary="Send a test event")
def send_test(request: HttpRequest, webhook_id: ObjectId) -> Any:
    delivery = services.webhook_send_test(actor=request_user(request), subscription=_get(request, webhook_id))
    return Status(201, delivery_out(delivery))


@router.post(
    "/webhooks/{webhook_id}/deliveries/{delivery_id}/retry",
    response=DeliveryOut,
    summary="Retry a delivery now",
)
def retry_delivery(request: HttpRequest, webhook_id: ObjectId, delivery_id: ObjectId) -> Any:
    user = request_user(request)
    delivery = selectors.webhook_delivery_get(
        user=user, subscription=_get(request, webhook_id), delivery_id=delivery_id
    )
    services.webhook_delivery_retry(actor=user, delivery=delivery)
    delivery.refresh_from_db()
    return delivery_out(delivery)
