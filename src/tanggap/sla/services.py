"""Working out where tickets' response clocks stand, and storing it (``TicketClock``).

``clocks_refresh`` reads each ticket's history (customer messages, replies, status changes), chooses
its policy, runs ``targets.clocks`` on its team's calendar and writes the result. It is idempotent:
the same history and ``now`` give the same row, so the periodic sweep and the event subscribers may
both call it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from django.db import transaction
from django.utils import timezone

from tanggap.core.bulk import insert_rows, update_rows
from tanggap.customers.models import normalise_tier
from tanggap.inboxes.models import RawMail
from tanggap.sla import clock, targets
from tanggap.sla.alerting import alerts_send, highest_sent, pending_alerts
from tanggap.sla.models import (
    BusinessCalendar,
    Policy,
    TeamCalendar,
    TicketClock,
)
from tanggap.tickets.models import ACTIVE_CONDITION, Message, MessageKind, Ticket

# No calendar configured anywhere: every hour counts. An honest default never hides a breach.
ALWAYS_OPEN = clock.Calendar(zone="Asia/Jakarta", always_open=True)
PAUSED_WHILE_PENDING = frozenset({"pending"})


def calendar_of(row: BusinessCalendar, years: Iterable[int]) -> clock.Calendar:
    """The pure calendar of a stored one, with public holidays of ``years`` (every year the clock may
    reach). Raises ``ValueError`` for hours, a zone or a day off that make no sense."""
    if row.always_open:
        return clock.Calendar(zone=row.time_zone, always_open=True)
    weekly = clock.parse_hours({int(day): intervals for day, intervals in (row.hours or {}).items()})
    days_off = frozenset(date.fromisoformat(str(day)) for day in row.days_off or ())
    if row.public_holidays:
        return clock.Calendar.indonesian(
            years=years, zone=row.time_zone, weekly=weekly, extra_days_off=days_off
        )
    return clock.Calendar(zone=row.time_zone, weekly=weekly, holidays=days_off)


def _minutes(value: int | None) -> timedelta | None:
    return timedelta(minutes=value) if value else None


def rule_of(policy: Policy) -> targets.Rule:
    return targets.Rule(
        name=policy.name,
        targets=targets.Targets(
            first_response=_minutes(policy.first_response_minutes),
            next_response=_minutes(policy.next_response_minutes),
            resolution=_minutes(policy.resolution_minutes),
            warn_at=policy.warn_percent / 100,
            escalate_at=max(policy.escalate_percent, policy.warn_percent) / 100,
            pause_statuses=targets.PAUSED_BY_DEFAULT if policy.pause_on_hold else PAUSED_WHILE_PENDING,
        ),
        channels=frozenset(policy.channels or ()),
        priorities=frozenset(int(p) for p in policy.priorities or ()),
        inboxes=frozenset(int(i) for i in policy.inboxes or ()),
        tiers=frozenset(normalise_tier(tier) for tier in policy.tiers or ()),
        tags=frozenset(policy.tags or ()),
        intents=frozenset(policy.intents or ()),
        sentiments=frozenset(policy.sentiments or ()),
        min_anger=policy.min_anger,
    )


# Read for each ticket, in ``_TicketFacts``' order.
_FACT_COLUMNS = (
    "channel",
    "priority",
    "team_id",
    "created_at",
    "due_at",
    "customer__tier",
    "intents",
    "sentiment",
    "anger",
)


class _TicketFacts(NamedTuple):
    channel: str
    priority: int
    team_id: int | None
    created_at: datetime
    due_at: datetime | None
    tier: str  # the customer's
    intents: str  # what assist read: ",cancel,refund,"
    sentiment: str
    anger: float | None


def _event(
    kind: str, automatic: str, event_code: str, event_data: dict[str, Any] | None, at: datetime
) -> targets.Event | None:
    """The clock event of one timeline row, if it is one. An auto-reply is not the customer
    writing; internal notes start and stop nothing."""
    if kind == MessageKind.CUSTOMER and not automatic:
        return targets.Event(at, "customer")
    if kind == MessageKind.REPLY:
        return targets.Event(at, "reply")
    if kind == MessageKind.EVENT and event_code == "status_changed":
        return targets.Event(at, "status", str((event_data or {}).get("status", "")))
    return None


def history_of(rows: Iterable[tuple[str, str, str, dict[str, Any] | None, datetime]]) -> list[targets.Event]:
    """The clock events in a ticket's timeline rows ``(kind, automatic, event_code, event_data, at)``,
    in order."""
    return [event for row in rows if (event := _event(*row)) is not None]


def clocks_refresh(
    *, ticket_ids: Sequence[int], now: datetime | None = None, clear_flag: bool = False
) -> dict[int, TicketClock | None]:
    """Work out and store the clocks of ``ticket_ids`` as they stand at ``now`` (default: now). A
    ticket no active policy matches has no clock row (None in the result). With ``clear_flag`` (the
    sweep, which holds the tickets' rows) each ticket's ``derived_stale`` flag is cleared in the same
    statement that stores its due instant."""
    now = now or timezone.now()
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    # Plain values throughout: a sweep works out thousands of tickets a minute.
    tickets: dict[int, _TicketFacts] = {}
    for pk, channel, priority, team_id, created_at, due_at, tier, *signals in Ticket.objects.filter(
        pk__any_of=ids
    ).values_list("pk", *_FACT_COLUMNS):
        tickets[pk] = _TicketFacts(channel, priority, team_id, created_at, due_at, tier or "", *signals)
    tags: dict[int, set[str]] = {}
    for ticket_id, name in Ticket.tags.through.objects.filter(ticket_id__any_of=ids).values_list(
        "ticket_id", "tag__name"
    ):
        tags.setdefault(ticket_id, set()).add(name)
    policies = {policy.name: policy for policy in Policy.objects.filter(is_active=True)}  # names are unique
    rules = [rule_of(policy) for policy in policies.values()]
    inbox_of: dict[int, int] = {}
    for ticket_id, inbox_id in (
        RawMail.objects.filter(ticket_id__any_of=ids).order_by("-id").values_list("ticket_id", "inbox_id")
    ):
        inbox_of[ticket_id] = inbox_id  # the first mail of the ticket wins (read last)
    histories: dict[int, list[targets.Event]] = {pk: [] for pk in tickets}
    for ticket_id, kind, automatic, event_code, event_data, at in (
        Message.objects.filter(ticket_id__any_of=ids)
        .exclude(kind=MessageKind.NOTE)
        .order_by("ticket_id", "created_at", "id")
        .values_list("ticket_id", "kind", "automatic", "event_code", "event_data", "created_at")
    ):
        event = _event(kind, automatic, event_code, event_data, at)
        if event is not None:
            histories[ticket_id].append(event)
    years = range(min((t.created_at.year for t in tickets.values()), default=now.year), now.year + 3)
    calendars = _calendars({t.team_id for t in tickets.values() if t.team_id}, years)
    sent = highest_sent(ids)

    rows: list[TicketClock] = []
    result: dict[int, TicketClock | None] = dict.fromkeys(ids)
    for pk, ticket in tickets.items():
        facts = targets.Facts(
            channel=ticket.channel,
            priority=ticket.priority,
            inbox=inbox_of.get(pk),
            tier=ticket.tier,
            tags=frozenset(tags.get(pk, ())),
            intents=frozenset(intent for intent in ticket.intents.split(",") if intent),
            sentiment=ticket.sentiment,
            anger=ticket.anger,
        )
        rule = targets.choose(rules, facts)
        if rule is None:
            continue
        calendar = calendars.get(ticket.team_id, calendars[None])
        clocks = targets.clocks(calendar, rule.targets, ticket.created_at, histories[pk], now)
        row = _row(pk, policies[rule.name], clocks, now)
        row.alerts = pending_alerts(pk, clocks, sent)
        row.alert_at = datetime.fromisoformat(row.alerts[0][2]) if row.alerts else None
        rows.append(row)
        result[pk] = row
    # The queue's copy of each ticket's due instant (and, for the sweep, the flag cleared with it).
    ticket_fields = ["due_at", "derived_stale"] if clear_flag else ["due_at"]
    ticket_rows = []
    for pk, ticket in tickets.items():
        due = result[pk].due_at if result[pk] is not None else None  # type: ignore[union-attr]
        if clear_flag or ticket.due_at != due:
            ticket_rows.append([due, False, pk] if clear_flag else [due, pk])
    clock_rows = {row.ticket_id: [getattr(row, name) for name in _CLOCK_FIELDS] for row in rows}
    with transaction.atomic():
        # Written without ``save()``: the queue's copy of the due instant is not a change of the ticket.
        update_rows(Ticket, ticket_fields, ticket_rows)
        TicketClock.objects.filter(ticket_id__any_of=[pk for pk in ids if result[pk] is None]).delete()
        # Most tickets have their row already: one UPDATE statement (an executemany on SQLite), the
        # new ones one INSERT; no per-row conflict handling (the batch's tickets are locked).
        existing = set(
            TicketClock.objects.filter(ticket_id__any_of=list(clock_rows)).values_list("ticket_id", flat=True)
        )
        update_rows(
            TicketClock,
            _CLOCK_FIELDS,
            [[*values, pk] for pk, values in clock_rows.items() if pk in existing],
        )
        insert_rows(
            TicketClock,
            ["ticket_id", *_CLOCK_FIELDS],
            [[pk, *values] for pk, values in clock_rows.items() if pk not in existing],
        )
    return result


_CLOCK_FIELDS = [
    "policy_id",
    "first_response_due_at",
    "next_response_due_at",
    "resolution_due_at",
    "due_at",
    "warn_at",
    "alerts",
    "alert_at",
    "paused",
    "breached",
    "computed_at",
]


def _calendars(team_ids: set[int], years: Iterable[int]) -> dict[int | None, clock.Calendar]:
    """Each team's calendar (the default calendar for a team without one; 24/7 when there is none),
    with the public holidays of ``years`` (every year a ticket's clock may reach)."""
    default_row = BusinessCalendar.objects.filter(is_default=True).first()
    default = calendar_of(default_row, years) if default_row else ALWAYS_OPEN
    out: dict[int | None, clock.Calendar] = {None: default}
    built: dict[int, clock.Calendar] = {}
    for link in TeamCalendar.objects.filter(team_id__in=team_ids).select_related("calendar"):
        if link.calendar_id not in built:
            built[link.calendar_id] = calendar_of(link.calendar, years)
        out[link.team_id] = built[link.calendar_id]
    return out


def _row(ticket_id: int, policy: Policy, clocks: list[targets.Clock], now: datetime) -> TicketClock:
    due = {c.kind: c.due_at for c in clocks if c.running}
    running = [c for c in clocks if c.running]
    return TicketClock(
        ticket_id=ticket_id,
        policy=policy,
        first_response_due_at=due.get(targets.Kind.FIRST_RESPONSE),
        next_response_due_at=due.get(targets.Kind.NEXT_RESPONSE),
        resolution_due_at=due.get(targets.Kind.RESOLUTION),
        due_at=min((c.due_at for c in running if c.due_at), default=None),
        warn_at=min((c.warn_due_at for c in running if c.warn_due_at), default=None),
        paused=not running and any(c.paused for c in clocks),
        breached=[str(c.kind) for c in clocks if c.breached],
        computed_at=now,
    )


def on_customer_tier_changed(name: str, payload: dict[str, Any]) -> None:
    """``customer.tier_changed``: flag the customer's active tickets, so the next sweep chooses
    their policy again with the new tier."""
    Ticket.objects.filter(ACTIVE_CONDITION, customer_id=payload["customer_id"]).update(derived_stale=True)


SWEEP_BATCH = 2000

# Work derived from the same changes, run by the sweep for each batch of flagged tickets inside the
# transaction that stores their clocks (so it sees them and is never skipped): ``hook(ids, now)``.
# Apps above ``sla`` (the dashboards' figures) register here from their ``AppConfig.ready``.
_after_refresh: list[Callable[[list[int], datetime], None]] = []


def on_clocks_refreshed(hook: Callable[[list[int], datetime], None]) -> None:
    if hook not in _after_refresh:
        _after_refresh.append(hook)


@dataclass(slots=True)
class SweepReport:
    changed: int = 0  # tickets whose history changed since they were last worked out
    passed: int = 0  # tickets whose alert instant (warning, escalation, breach) had come
    clocks: int = 0  # clock rows written
    breached: int = 0  # of them, with a breach
    alerts: int = 0  # warnings, escalations and breaches sent


def clocks_sweep(
    *, now: datetime | None = None, batch: int = SWEEP_BATCH, progress: Callable[[int], None] | None = None
) -> SweepReport:
    """Bring every ticket's clocks up to date: the tickets a service wrote since they were last worked
    out (``Ticket.derived_stale``, cleared in the transaction that stores their clocks, so a crash
    loses nothing), then the tickets whose alert instants have come (``alerting.alerts_send``: a
    warning is due, or a running clock ran out and is a breach now, read from the stored row).
    Idempotent; safe to run from several processes (each batch locks its rows). ``progress(n)``
    after each batch of ``n`` tickets."""
    now = now or timezone.now()
    report = SweepReport()
    while True:
        with transaction.atomic():
            ids = list(
                Ticket.objects.select_for_update()
                .filter(derived_stale=True)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch]
            )
            if not ids:
                break
            rows = clocks_refresh(ticket_ids=ids, now=now, clear_flag=True)
            _run_hooks(ids, now)
            # (clocks_refresh cleared the batch's flags with their due instants.)
        report.changed += len(ids)
        _count(report, rows)
        if progress is not None:
            progress(len(ids))
    sent = alerts_send(now=now, batch=batch, on_breach=_run_hooks)
    report.passed += sent.tickets
    report.alerts += sent.alerts
    report.clocks += sent.breached
    report.breached += sent.breached
    if progress is not None and sent.tickets:
        progress(sent.tickets)
    return report


def _run_hooks(ids: list[int], now: datetime) -> None:
    for hook in _after_refresh:
        hook(ids, now)


def _count(report: SweepReport, rows: dict[int, TicketClock | None]) -> None:
    written = [row for row in rows.values() if row is not None]
    report.clocks += len(written)
    report.breached += sum(1 for row in written if row.breached)
