"""Writing the dashboards' figures: ``figures_refresh`` for the tickets the clock sweep just worked
out (registered with ``sla.services.on_clocks_refreshed``), ``figures_rebuild`` for every ticket.

A ticket's figures depend only on its own row, its stored clocks and its first mail's inbox, so the
same ticket gives the same row whenever it is worked out: the sweep and a rebuild may run at once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tanggap.analytics.models import TicketFigure
from tanggap.analytics.stats import bucket_of
from tanggap.core.bulk import insert_rows
from tanggap.inboxes.models import RawMail
from tanggap.sla import clock
from tanggap.sla.models import BusinessCalendar, TeamCalendar, TicketClock
from tanggap.sla.services import calendar_of
from tanggap.tickets.models import Ticket

REBUILD_BATCH = 5000
MAX_SECONDS = 2**31 - 1  # a PositiveIntegerField holds 68 years

_FIGURE_COLUMNS = (
    "ticket_id",
    "created_at",
    "day",
    "weekend",
    "in_hours",
    "agent_id",
    "team_id",
    "inbox_id",
    "channel",
    "first_response_seconds",
    "first_response_bucket",
    "first_response_met",
    "resolution_seconds",
    "resolution_bucket",
    "resolution_met",
    "computed_at",
)
_TICKET_COLUMNS = (
    "pk",
    "created_at",
    "first_response_at",
    "solved_at",
    "closed_at",
    "assignee_id",
    "team_id",
    "channel",
    "merged_into_id",
)


def _office_hours(zone: str, years: Iterable[int]) -> clock.Calendar:
    """Monday to Friday 08:00-17:00 and Indonesia's public holidays: what "business hours" means for
    a team with no calendar or a 24/7 one (open all the time, it would put every ticket in hours)."""
    return clock.Calendar.indonesian(years=years, zone=zone, weekly=clock.OFFICE_HOURS)


def _calendars(team_ids: set[int], years: Iterable[int]) -> dict[int | None, clock.Calendar]:
    years = sorted(set(years))

    def pure(row: BusinessCalendar | None) -> clock.Calendar:
        if row is None or row.always_open:
            return _office_hours(row.time_zone if row else settings.TIME_ZONE, years)
        return calendar_of(row, years)

    default = pure(BusinessCalendar.objects.filter(is_default=True).first())
    out: dict[int | None, clock.Calendar] = {None: default}
    built: dict[int, clock.Calendar] = {}
    for link in TeamCalendar.objects.filter(team_id__in=team_ids).select_related("calendar"):
        if link.calendar_id not in built:
            built[link.calendar_id] = pure(link.calendar)
        out[link.team_id] = built[link.calendar_id]
    return out


def _seconds(start: datetime, end: datetime | None) -> int | None:
    if end is None:
        return None
    return max(0, min(MAX_SECONDS, round((end - start).total_seconds())))


def _met(seconds: int | None, target: int | None, breached: bool) -> bool | None:
    """Whether a target was met: None with no target, or while it is still running in time; False
    as soon as it breached, answered or not (a breach waiting for its answer is on the dashboard)."""
    if not target:
        return None
    if breached:
        return False
    return None if seconds is None else True


def figures_refresh(ticket_ids: Sequence[int], now: datetime | None = None) -> int:
    """Work out and store the figures of ``ticket_ids``; a ticket merged into another (or gone) has
    none. Returns the number of rows written. Runs in the caller's transaction when there is one."""
    now = now or timezone.now()
    ids = sorted(set(ticket_ids))
    if not ids:
        return 0
    tickets = list(Ticket.objects.filter(pk__any_of=ids).values_list(*_TICKET_COLUMNS))
    clocks = {
        ticket_id: (breached or [], first_minutes, resolution_minutes)
        for ticket_id, breached, first_minutes, resolution_minutes in TicketClock.objects.filter(
            ticket_id__any_of=ids, policy__isnull=False
        ).values_list("ticket_id", "breached", "policy__first_response_minutes", "policy__resolution_minutes")
    }
    inbox_of: dict[int, int] = {}
    for ticket_id, inbox_id in (
        RawMail.objects.filter(ticket_id__any_of=ids).order_by("-id").values_list("ticket_id", "inbox_id")
    ):
        inbox_of[ticket_id] = inbox_id  # the ticket's first mail wins (read last)
    years = {row[1].year for row in tickets} | {now.year}
    calendars = _calendars({row[6] for row in tickets if row[6]}, years)
    local_zone = ZoneInfo(settings.TIME_ZONE)

    rows: list[tuple[object, ...]] = []
    for (
        pk,
        created_at,
        first_response_at,
        solved_at,
        closed_at,
        agent_id,
        team_id,
        channel,
        merged,
    ) in tickets:
        if merged is not None:
            continue
        local = created_at.astimezone(local_zone)
        first = _seconds(created_at, first_response_at)
        resolution = _seconds(created_at, solved_at or closed_at)
        breached, first_target, resolution_target = clocks.get(pk, ([], None, None))
        rows.append(
            (
                pk,
                created_at,
                local.date(),
                local.weekday() >= 5,
                clock.is_open(calendars.get(team_id, calendars[None]), created_at),
                agent_id,
                team_id,
                inbox_of.get(pk),
                channel,
                first,
                None if first is None else bucket_of(first),
                _met(first, first_target, "first_response" in breached),
                resolution,
                None if resolution is None else bucket_of(resolution),
                _met(resolution, resolution_target, "resolution" in breached),
                now,
            )
        )
    # Replaced rather than upserted: plain rows, no model object each (``core.bulk``), in one
    # transaction, so a reader sees the old rows or the new ones.
    with transaction.atomic():
        TicketFigure.objects.filter(ticket_id__any_of=ids).delete()
        insert_rows(TicketFigure, _FIGURE_COLUMNS, rows)
    return len(rows)


def figures_refresh_hook(ticket_ids: list[int], now: datetime) -> None:
    """``figures_refresh`` as the clock sweep calls it (``sla.services.on_clocks_refreshed``)."""
    figures_refresh(ticket_ids, now)


def figures_rebuild(
    *,
    batch: int = REBUILD_BATCH,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Work out every ticket's figures from scratch, ``batch`` tickets per transaction, in key order
    (``progress(n)`` after each). Figures of tickets that no longer exist went with them (cascade);
    the few rows of merged tickets are removed as their batch passes. Returns the rows written."""
    now = now or timezone.now()
    written = 0
    last = 0
    while True:
        ids = list(Ticket.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
        if not ids:
            break
        with transaction.atomic():
            written += figures_refresh(ids, now)
        last = ids[-1]
        if progress is not None:
            progress(len(ids))
    return written


__all__ = ["figures_rebuild", "figures_refresh"]
