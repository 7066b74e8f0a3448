"""Reading tickets. Every selector takes the asking user and returns only what they may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from tanggap.accounts.models import User
from tanggap.accounts.permissions import can
from tanggap.accounts.selectors import user_team_ids
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
    return Q(team__isnull=True) | Q(team_id__in=user_team_ids(user)) | Q(assignee_id=user.pk)


def ticket_visibility_sql(user: Any) -> tuple[str, list[Any]]:
    """``ticket_visibility_q`` as a SQL condition on ``tickets_ticket``'s columns, for the few
    hand-written statements on hot paths (a test holds the two together)."""
    if not can(user, "ticket.view"):
        return "1 = 0", []
    if user.is_admin:
        return "1 = 1", []
    team_ids = user_team_ids(user)
    teams = f" OR team_id IN ({', '.join(['%s'] * len(team_ids))})" if team_ids else ""
    return f"(team_id IS NULL{teams} OR assignee_id = %s)", [*team_ids, user.pk]


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
    # Exactly these tickets (a report's figure links to the tickets behind it); empty: no such filter.
    ticket_ids: tuple[int, ...] = ()
    # What assist read in the customer's messages: a sentiment, one intent, anger at least this (0..1).
    sentiment: str = ""
    intent: str = ""
    min_anger: float | None = None


SORTS: dict[str, tuple[Any, ...]] = {
    # Due soonest first (overdue ones at the top); tickets with no running clock after them. Served
    # by the partial index ticket_active_due_idx.
    "due_at": (F("due_at").asc(nulls_last=True), "id"),
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
        # Written as the partial index ticket_active_recent_idx is, so SQLite uses it.
        qs = qs.filter(status__literal_in=ACTIVE_VALUES)
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
    if filters.ticket_ids:
        qs = qs.filter(pk__in=filters.ticket_ids)
    if filters.sentiment:
        qs = qs.filter(sentiment=filters.sentiment)
    if filters.intent:
        qs = qs.filter(intents__contains=f",{filters.intent},")
    if filters.min_anger is not None:
        qs = qs.filter(anger__gte=filters.min_anger)
    order = SORTS.get(filters.sort, SORTS["-updated_at"])
    return qs.select_related("customer", "team", "assignee").prefetch_related("tags").order_by(*order)


@dataclass(frozen=True, slots=True)
class TicketRow:
    """What a list row shows of a ticket, as plain values (a page of rows costs no model objects)."""

    id: int
    subject: str
    status: str
    priority: int
    updated_at: datetime
    customer_name: str
    team_name: str
    assignee_name: str
    tags: tuple[str, ...]
    due_at: datetime | None = None  # the earliest instant a running response clock runs out
    sentiment: str = ""
    anger: float | None = None
    intents: tuple[str, ...] = ()


_ROW_COLUMNS = (
    "id",
    "subject",
    "status",
    "priority",
    "updated_at",
    "customer_id",
    "customer__name",
    "team__name",
    "assignee__display_name",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__username",
    "due_at",
    "sentiment",
    "anger",
    "intents",
)


def ticket_rows(tickets: QuerySet[Ticket]) -> list[TicketRow]:
    """List rows for the (already filtered, ordered and sliced) ``tickets``: two queries for any page."""
    values = list(tickets.prefetch_related(None).values_list(*_ROW_COLUMNS))
    tags: dict[int, list[str]] = {}
    if values:
        through = Ticket.tags.through.objects.filter(ticket_id__in=[v[0] for v in values])
        for ticket_id, name in through.order_by("tag__name").values_list("ticket_id", "tag__name"):
            tags.setdefault(ticket_id, []).append(name)
    return [
        TicketRow(
            id=pk,
            subject=subject,
            status=status,
            priority=priority,
            updated_at=updated_at,
            customer_name=customer_name or f"#{customer_id}",
            team_name=team_name or "",
            assignee_name=User.label_of(display, first, last, username) if username else "",
            tags=tuple(tags.get(pk, ())),
            due_at=due_at,
            sentiment=sentiment,
            anger=anger,
            intents=tuple(i for i in intents.split(",") if i),
        )
        for (
            pk,
            subject,
            status,
            priority,
            updated_at,
            customer_id,
            customer_name,
            team_name,
            display,
            first,
            last,
            username,
            due_at,
            sentiment,
            anger,
            intents,
        ) in values
    ]


QUEUE_COUNT_VIEWS = ("mine", "unassigned", "all")


def ticket_queue_counts(*, user: Any, cap: int) -> dict[str, int]:
    """Active tickets in the views every page's navigation shows, each counted up to ``cap``.

    One statement for the three counts: the navigation is on every page, so it must cost the same at
    a thousand tickets as at a million. Equal, view by view, to counting ``ticket_list_for_queue``
    (a test holds the two together).
    """
    if not can(user, "ticket.view"):
        return dict.fromkeys(QUEUE_COUNT_VIEWS, 0)
    table = Ticket._meta.db_table
    # The statuses are written into the SQL, as in the partial index the counts walk (see LiteralIn).
    statuses = ", ".join(f"'{status}'" for status in ACTIVE_VALUES)
    visible, params = ticket_visibility_sql(user)
    active = f"merged_into_id IS NULL AND status IN ({statuses}) AND {visible}"

    def capped(extra: str, extra_params: list[Any]) -> tuple[str, list[Any]]:
        # The order is the queue's: it steers the planner to the partial index that holds the visibility
        # columns (ticket_active_updated_idx), which it reads alone until it has counted ``cap`` rows.
        # Only our own constants are written into the SQL; every value is a parameter.
        sql = (
            f"(SELECT COUNT(*) FROM (SELECT 1 FROM {table} WHERE {active}{extra}"  # noqa: S608
            " ORDER BY updated_at DESC, id DESC LIMIT %s) AS capped)"
        )
        return sql, [*params, *extra_params, cap]

    # PostgreSQL reads every unassigned active ticket through ticket_assignee_status_idx for
    # ``assignee_id IS NULL``; the same test as an expression keeps it on the partial index (7-10 ms
    # down to 2-3 ms at 1,000,000 tickets). SQLite is fastest with the plain test.
    postgres = connection.vendor == "postgresql"
    unassigned = " AND COALESCE(assignee_id, 0) = 0" if postgres else " AND assignee_id IS NULL"
    parts = [capped(" AND assignee_id = %s", [user.pk]), capped(unassigned, []), capped("", [])]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(sql for sql, _ in parts), [p for _, ps in parts for p in ps])
        row = cursor.fetchone()
    return dict(zip(QUEUE_COUNT_VIEWS, row, strict=True))


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
    "TicketRow",
    "customer_messages_count",
    "ticket_get_for_agent",
    "ticket_list_for_queue",
    "ticket_others_present",
    "ticket_queue_counts",
    "ticket_rows",
    "ticket_timeline",
    "ticket_visibility_sql",
    "ticket_visible_qs",
    "tickets_for_customer",
]
