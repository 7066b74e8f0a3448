"""Reading tickets. Every selector takes the asking user and returns only what they may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from tanggap.accounts.permissions import can
from tanggap.core.errors import NotFound
from tanggap.tickets.models import Message, MessageKind, Ticket, TicketPresence
from tanggap.tickets.workflow import ACTIVE_VALUES


def ticket_visibility_q(user: Any) -> Q | None:
    """``None`` when the user sees every ticket; else the condition for what they see.

    Admins see all. Others see tickets of their teams, tickets with no team, and tickets assigned to them.
    """
    if not can(user, "ticket.view"):
        return Q(pk__in=[])
    if user.is_admin:
        return None
    team_ids = list(user.teams.values_list("id", flat=True))
    return Q(team__isnull=True) | Q(team_id__in=team_ids) | Q(assignee_id=user.pk)


def ticket_visible_qs(user: Any) -> QuerySet[Ticket]:
    qs = Ticket.objects.all()
    condition = ticket_visibility_q(user)
    return qs if condition is None else qs.filter(condition)


def ticket_get_for_agent(*, user: Any, ticket_id: int, for_update: bool = False) -> Ticket:
    """The ticket, or ``NotFound`` when it does not exist or the user may not see it (never 403:
    the existence of another team's ticket is itself private)."""
    qs = ticket_visible_qs(user).select_related("customer", "team", "assignee")
    if for_update:
        qs = qs.select_for_update(of=("self",))
    try:
        return qs.get(pk=ticket_id)
    except (Ticket.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(object="ticket") from None


@dataclass(frozen=True, slots=True)
class QueueFilter:
    view: str = "all"  # all, mine, unassigned, team
    team_id: int | None = None
    status: str = ""  # a status, "active" (default) or "any"
    priority: int | None = None
    assignee_id: int | None = None
    customer_id: int | None = None
    tag: str = ""
    channel: str = ""
    sort: str = "-updated_at"


SORTS = {
    "-updated_at": ("-updated_at", "-id"),
    "updated_at": ("updated_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "created_at": ("created_at", "id"),
    "-priority": ("-priority", "-updated_at", "-id"),
    "priority": ("priority", "-updated_at", "-id"),
}


def ticket_list_for_queue(*, user: Any, filters: QueueFilter) -> QuerySet[Ticket]:
    """The queue's tickets with what a list row shows, for any pagination."""
    qs = ticket_visible_qs(user).filter(merged_into__isnull=True)
    if filters.view == "mine":
        qs = qs.filter(assignee_id=user.pk)
    elif filters.view == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    if filters.team_id is not None:
        qs = qs.filter(team_id=filters.team_id)
    if filters.status in ("", "active"):
        qs = qs.filter(status__in=ACTIVE_VALUES)
    elif filters.status != "any":
        qs = qs.filter(status=filters.status)
    if filters.priority is not None:
        qs = qs.filter(priority=filters.priority)
    if filters.assignee_id is not None:
        qs = qs.filter(assignee_id=filters.assignee_id)
    if filters.customer_id is not None:
        qs = qs.filter(customer_id=filters.customer_id)
    if filters.tag:
        qs = qs.filter(tags__name=filters.tag)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    order = SORTS.get(filters.sort, SORTS["-updated_at"])
    return qs.select_related("customer", "team", "assignee").prefetch_related("tags").order_by(*order)


def ticket_timeline(*, user: Any, ticket: Ticket) -> QuerySet[Message]:
    """The ticket's timeline, oldest first, with authors and attachments. ``ticket`` came from
    ``ticket_get_for_agent``, so access is already checked."""
    return (
        Message.objects.filter(ticket=ticket)
        .select_related("author", "customer")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )


def customer_messages_count(*, ticket: Ticket) -> int:
    return Message.objects.filter(ticket=ticket, kind=MessageKind.CUSTOMER).count()


def tickets_for_customer(*, user: Any, customer_id: int, exclude_id: int | None = None) -> QuerySet[Ticket]:
    qs = ticket_visible_qs(user).filter(customer_id=customer_id).select_related("team", "assignee")
    if exclude_id is not None:
        qs = qs.exclude(pk=exclude_id)
    return qs.order_by("-created_at", "-id")


PRESENCE_WINDOW = timedelta(seconds=45)


def ticket_others_present(*, user: Any, ticket: Ticket) -> list[TicketPresence]:
    """Other agents who have this ticket open now, replying ones first."""
    since = timezone.now() - PRESENCE_WINDOW
    return list(
        TicketPresence.objects.filter(ticket=ticket, last_seen_at__gte=since)
        .exclude(user_id=user.pk)
        .select_related("user")
        .order_by("-is_replying", "user__username")
    )


__all__ = [
    "QueueFilter",
    "customer_messages_count",
    "ticket_get_for_agent",
    "ticket_list_for_queue",
    "ticket_others_present",
    "ticket_timeline",
    "ticket_visible_qs",
    "tickets_for_customer",
]
