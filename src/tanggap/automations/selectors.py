"""Reading triggers (leads only: everyone else gets ``NotFound``, as if there were none) and an
agent's trigger notices."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from tanggap.accounts.permissions import can
from tanggap.accounts.selectors import agent_choices, team_choices
from tanggap.automations.models import Trigger, TriggerNotice
from tanggap.core.errors import NotFound
from tanggap.tickets.models import Ticket
from tanggap.tickets.selectors import ticket_get_for_agent, ticket_visible_qs
from tanggap.webhooks.models import WebhookSubscription

MANAGE_ACTION = "trigger.manage"
NOTICE_PAGE = 50


def _require(user: Any) -> None:
    if not can(user, MANAGE_ACTION):
        raise NotFound(object="trigger")


def trigger_list(*, user: Any) -> QuerySet[Trigger]:
    """Every trigger in the order they are tried."""
    _require(user)
    return Trigger.objects.order_by("position", "id")


def trigger_get(*, user: Any, trigger_id: int) -> Trigger:
    _require(user)
    try:
        return Trigger.objects.get(pk=trigger_id)
    except (Trigger.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(object="trigger") from None


def trigger_ticket(*, user: Any, number: int) -> Ticket:
    """The ticket a lead tests a trigger on: one they may see, else ``NotFound``."""
    _require(user)
    return ticket_get_for_agent(user=user, ticket_id=number)


@dataclass(frozen=True, slots=True)
class BuilderChoices:
    """What the builder's pickers offer: ``(id, label)`` pairs."""

    teams: tuple[tuple[int, str], ...]
    agents: list[tuple[int, str]]
    webhooks: list[tuple[int, str]]


def builder_choices(*, user: Any) -> BuilderChoices:
    _require(user)
    return BuilderChoices(
        teams=team_choices(user=user),
        agents=agent_choices(user=user),
        webhooks=list(WebhookSubscription.objects.order_by("name", "id").values_list("id", "name")),
    )


@dataclass(frozen=True, slots=True)
class NoticeItem:
    id: int
    ticket_id: int
    subject: str
    trigger: str
    text: str
    created_at: datetime
    read: bool


def notices_for(*, user: Any, unread_only: bool = False, limit: int = NOTICE_PAGE) -> list[NoticeItem]:
    """The trigger notices addressed to ``user``, newest first, about tickets they may still see."""
    if not getattr(user, "is_authenticated", False):
        return []
    qs = TriggerNotice.objects.filter(user_id=user.pk, ticket_id__in=ticket_visible_qs(user).values("pk"))
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    rows = qs.order_by("-created_at", "-id").values_list(
        "id", "ticket_id", "ticket__subject", "trigger_name", "text", "created_at", "read_at"
    )[:limit]
    return [
        NoticeItem(pk, ticket_id, subject, trigger, text, created_at, read_at is not None)
        for pk, ticket_id, subject, trigger, text, created_at, read_at in rows
    ]


def unread_notice_count(*, user: Any, cap: int = 99) -> int:
    """Unread trigger notices of ``user``, counted up to ``cap`` (shown beside the bell on every page)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return TriggerNotice.objects.filter(user_id=user.pk, read_at__isnull=True)[:cap].count()
