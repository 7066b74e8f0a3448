"""What the workspace shows of the clocks: each ticket's time left and an agent's alerts (the bell).

Reads check access: an agent sees the alerts addressed to them, about tickets they may see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from tanggap.sla.models import AlertDelivery, TicketClock
from tanggap.tickets.selectors import ticket_visible_qs

ALERT_PAGE = 50


def warn_instants(ticket_ids: Sequence[int]) -> dict[int, datetime]:
    """Each ticket's warning instant (for the colour of its time left): one query for a page."""
    rows = TicketClock.objects.filter(ticket_id__in=ticket_ids, warn_at__isnull=False)
    return {ticket_id: warn_at for ticket_id, warn_at in rows.values_list("ticket_id", "warn_at") if warn_at}


@dataclass(frozen=True, slots=True)
class ClockView:
    kind: str  # targets.Kind
    due_at: datetime | None
    breached: bool


@dataclass(frozen=True, slots=True)
class TicketClocks:
    policy: str
    clocks: tuple[ClockView, ...]
    warn_at: datetime | None
    paused: bool
    computed_at: datetime


def ticket_clocks(*, ticket_id: int) -> TicketClocks | None:
    """Where a ticket's clocks stood at the last sweep; None when no policy applies. The caller has
    checked the ticket is visible."""
    row = TicketClock.objects.select_related("policy").filter(ticket_id=ticket_id).first()
    if row is None:
        return None
    views = []
    for kind in ("first_response", "next_response", "resolution"):
        due = getattr(row, f"{kind}_due_at")
        if due is not None or kind in row.breached:
            views.append(ClockView(kind=kind, due_at=due, breached=kind in row.breached))
    return TicketClocks(
        policy=row.policy.name if row.policy else "",
        clocks=tuple(views),
        warn_at=row.warn_at,
        paused=row.paused,
        computed_at=row.computed_at,
    )


@dataclass(frozen=True, slots=True)
class AlertItem:
    id: int  # the delivery's
    ticket_id: int
    subject: str
    kind: str
    level: str
    due_at: datetime
    sent_at: datetime
    actions: tuple[str, ...]
    unrouted: bool
    read: bool


def alerts_for(*, user: Any, unread_only: bool = False, limit: int = ALERT_PAGE) -> list[AlertItem]:
    """The alerts addressed to ``user``, newest first, about tickets they may still see."""
    visible = ticket_visible_qs(user).values("pk")
    qs = AlertDelivery.objects.filter(user_id=user.pk, alert__ticket_id__in=visible)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    rows = qs.order_by("-alert__sent_at", "-id").values_list(
        "id",
        "alert__ticket_id",
        "alert__ticket__subject",
        "alert__kind",
        "alert__level",
        "alert__due_at",
        "alert__sent_at",
        "alert__actions",
        "unrouted",
        "read_at",
    )[:limit]
    return [
        AlertItem(
            id=pk,
            ticket_id=ticket_id,
            subject=subject,
            kind=kind,
            level=level,
            due_at=due_at,
            sent_at=sent_at,
            actions=tuple(actions or ()),
            unrouted=unrouted,
            read=read_at is not None,
        )
        for pk, ticket_id, subject, kind, level, due_at, sent_at, actions, unrouted, read_at in rows
    ]


def unread_alert_count(*, user: Any, cap: int = 99) -> int:
    """Unread alerts of ``user``, counted up to ``cap`` (the bell is on every page)."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return AlertDelivery.objects.filter(user_id=user.pk, read_at__isnull=True)[:cap].count()


@transaction.atomic
def alerts_mark_read(*, user: Any, delivery_ids: Sequence[int] | None = None) -> int:
    """Mark ``user``'s alerts read (all of them when ``delivery_ids`` is None); how many changed.
    Another agent's alerts are not touched, whatever ids are given."""
    qs = AlertDelivery.objects.filter(user_id=user.pk, read_at__isnull=True)
    if delivery_ids is not None:
        qs = qs.filter(pk__in=list(delivery_ids))
    return qs.update(read_at=timezone.now())
