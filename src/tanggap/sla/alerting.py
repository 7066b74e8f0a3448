"""Sending the clocks' alerts: warnings before a target runs out, and the breach with its actions.

``clocks_refresh`` stores, with each ticket's clocks, the alerts not sent yet (``TicketClock.alerts``)
and the first one's instant (``alert_at``, indexed). ``alerts_send`` takes the rows whose instant
has come, records each alert once (``ClockAlert``: one per clock cycle and level, so running it twice
sends nothing twice), gives each recipient a copy (``AlertDelivery``: the bell in the workspace) and,
on a breach, runs the policy's breach actions through the ticket services, as Tanggap itself.

Who is told:

- **warning** (``Policy.warn_percent`` of the target used): the assignee; for an unassigned ticket,
  the agents on shift in the team's roster, else the team's supervisor;
- **escalation** (``escalate_percent``): the team's supervisor;
- **breach**: the assignee and the supervisor.

The supervisor is the one named in the team's calendar settings, else the team's members with the
supervisor role. An alert nobody could be told about goes to every admin, marked *unrouted*: an
alert is never dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q

from tanggap.accounts.models import Role, User
from tanggap.core.bulk import insert_many, insert_rows, update_many
from tanggap.core.errors import ApplicationError
from tanggap.sla.models import (
    AlertDelivery,
    AlertLevel,
    ClockAlert,
    Policy,
    RosterShift,
    TeamCalendar,
    TicketClock,
)
from tanggap.sla.targets import Clock
from tanggap.tickets.models import Ticket
from tanggap.tickets.services import ticket_assign, ticket_update
from tanggap.tickets.timeline import UNSET

ALERT_BATCH = 500

# The alerts of a running clock, in the order they come: (level, the Clock attribute with its instant).
_ALERT_MARKS = (
    (AlertLevel.WARNING, "warn_due_at"),
    (AlertLevel.ESCALATION, "escalate_due_at"),
    (AlertLevel.BREACH, "due_at"),
)
ALERT_RANK = {str(level): rank for rank, (level, _attribute) in enumerate(_ALERT_MARKS)}


def highest_sent(ticket_ids: Sequence[int]) -> dict[tuple[int, str, str], int]:
    """The highest alert level sent for each clock cycle of ``ticket_ids``, as its rank."""
    out: dict[tuple[int, str, str], int] = {}
    for ticket_id, kind, level, cycle in ClockAlert.objects.filter(ticket_id__in=ticket_ids).values_list(
        "ticket_id", "kind", "level", "cycle"
    ):
        key = (ticket_id, kind, cycle.isoformat())
        out[key] = max(out.get(key, -1), ALERT_RANK[level])
    return out


def pending_alerts(
    ticket_id: int, clocks: Iterable[Clock], sent: dict[tuple[int, str, str], int]
) -> list[list[str]]:
    """The alerts of the running clocks not sent yet, ``[kind, level, at, cycle]`` (ISO instants) in
    time order. A clock's cycle is its start: each next-response clock has its own alerts; a clock
    paused and resumed keeps its cycle, so nothing is sent twice. ``sent``: the highest level sent
    for each ``(ticket, kind, cycle)``, as its rank; a level at or below it is never due again
    (after the breach, a warning would say nothing new)."""
    out = []
    for c in clocks:
        if not c.running:
            continue
        cycle = c.started_at.isoformat()
        done = sent.get((ticket_id, str(c.kind), cycle), -1)
        for rank, (level, attribute) in enumerate(_ALERT_MARKS):
            at = getattr(c, attribute)
            if at is not None and rank > done:
                out.append([str(c.kind), str(level), at.isoformat(), cycle])
    out.sort(key=lambda alert: (alert[2], alert[0]))
    return out


@dataclass(slots=True)
class Sent:
    tickets: int = 0  # rows whose alert instant had come
    alerts: int = 0  # alerts recorded and delivered
    breached: int = 0  # rows with a clock newly breached


def alerts_send(
    *,
    now: datetime,
    batch: int = ALERT_BATCH,
    on_breach: Callable[[list[int], datetime], None] | None = None,
) -> Sent:
    """Send every alert whose instant has come by ``now``. A breach alert coming due also marks the
    clock breached on the stored row (its history did not change, or the ticket would have been
    worked out anew: a running clock reaching its due instant has breached); ``on_breach(ids, now)``
    then runs in the same transaction, for what is derived from the stored clocks. Each batch is one
    transaction: the record, the copies, the breach and its actions land together or not at all."""
    sent = Sent()
    while True:
        with transaction.atomic():
            rows = list(
                TicketClock.objects.select_for_update()
                .filter(alert_at__lte=now)
                .only("ticket_id", "policy_id", "alerts", "alert_at", "breached", *_DUE_FIELDS)
                .order_by("alert_at", "ticket_id")[:batch]
            )
            if not rows:
                break
            recorded, newly = _send(rows, now)
            update_many(list(rows), ["alerts", "alert_at", "breached"])
            sent.tickets += len(rows)
            sent.alerts += recorded
            sent.breached += len(newly)
            if newly and on_breach is not None:
                on_breach(newly, now)
    return sent


def _send(rows: Sequence[TicketClock], now: datetime) -> tuple[int, list[int]]:
    """Record and deliver the alerts of ``rows`` due by ``now`` and take them off the rows' pending
    list; the number delivered, and the tickets with a clock newly breached."""
    # Plain values: a batch may hold hundreds of tickets, and only a breach with actions needs more.
    tickets: dict[int, tuple[int | None, int | None]] = {
        pk: (team_id, assignee_id)
        for pk, team_id, assignee_id in Ticket.objects.filter(
            pk__in=[row.ticket_id for row in rows]
        ).values_list("pk", "team_id", "assignee_id")
    }
    teams = {team_id for team_id, _assignee in tickets.values() if team_id}
    supervisors = _supervisors(teams)
    on_shift = on_shift_by_team(teams, now)
    admins = list(
        User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True).values_list(
            "pk", flat=True
        )
    )
    active = set(
        User.objects.filter(pk__in={a for _team, a in tickets.values() if a}, is_active=True).values_list(
            "pk", flat=True
        )
    )
    newly: list[int] = []
    due_of_row: list[tuple[TicketClock, list[list[str]]]] = []
    for row in rows:
        due = [alert for alert in row.alerts if datetime.fromisoformat(alert[2]) <= now]
        row.alerts = [alert for alert in row.alerts if datetime.fromisoformat(alert[2]) > now]
        row.alert_at = datetime.fromisoformat(row.alerts[0][2]) if row.alerts else None
        ran_out = [kind for kind, level, _at, _cycle in due if level == AlertLevel.BREACH]
        new = [kind for kind in dict.fromkeys(ran_out) if kind not in row.breached]
        if new:
            row.breached = [*row.breached, *new]
            newly.append(row.ticket_id)
        if row.ticket_id in tickets and due:
            due_of_row.append((row, due))
    # One statement for what was sent before (a sweep that died after sending, run again), one for
    # the new records and one for the copies, whatever the batch holds.
    before = highest_sent([row.ticket_id for row, _ in due_of_row])
    records: list[ClockAlert] = []
    delivered: list[tuple[ClockAlert, TicketClock]] = []
    for row, due in due_of_row:
        # Alerts of one clock that came due together (a sweep that did not run for a while, a target
        # shorter than a sweep's interval): only the highest is sent; the lower ones are past.
        highest: dict[tuple[str, str], list[str]] = {}
        for item in due:
            kind, level, _at, cycle = item
            current = highest.get((kind, cycle))
            if current is None or ALERT_RANK[level] > ALERT_RANK[current[1]]:
                highest[(kind, cycle)] = item
        for kind, level, at, cycle in highest.values():
            key = (row.ticket_id, kind, cycle)
            if ALERT_RANK[level] <= before.get(key, -1):
                continue
            before[key] = ALERT_RANK[level]
            alert = ClockAlert(
                ticket_id=row.ticket_id,
                kind=kind,
                level=level,
                cycle=datetime.fromisoformat(cycle),
                due_at=_due_of(row, kind, at),
                sent_at=now,
            )
            records.append(alert)
            delivered.append((alert, row))
    policies = Policy.objects.select_related("breach_team", "breach_assignee").in_bulk(
        {row.policy_id for _alert, row in delivered if row.policy_id and _alert.level == AlertLevel.BREACH}
    )
    for alert, row in delivered:  # the actions first: the record says what they did
        policy = policies.get(row.policy_id) if row.policy_id else None
        if alert.level == AlertLevel.BREACH and policy is not None and _has_actions(policy):
            alert.actions = _breach_actions(Ticket.objects.get(pk=row.ticket_id), policy)
    insert_many(records)
    copies = []
    for alert, row in delivered:
        team_id, assignee_id = tickets[row.ticket_id]
        assignee = assignee_id if assignee_id in active else None
        team = team_id or 0
        team_supervisors = supervisors.get(team, [])
        if alert.level == AlertLevel.WARNING:
            told = [assignee] if assignee else on_shift.get(team, []) or team_supervisors
        elif alert.level == AlertLevel.ESCALATION:
            told = team_supervisors
        else:
            told = [assignee, *team_supervisors] if assignee else team_supervisors
        users = [pk for pk in dict.fromkeys(told) if pk]
        if users:
            copies += [(alert.pk, pk, False) for pk in users]
        else:  # nobody to tell: every admin, marked so
            copies += [(alert.pk, admin, True) for admin in admins]
    insert_rows(AlertDelivery, ["alert_id", "user_id", "unrouted"], copies)
    return len(delivered), newly


_DUE_FIELDS = ("first_response_due_at", "next_response_due_at", "resolution_due_at")


def _due_of(row: TicketClock, kind: str, at: str) -> datetime:
    due = getattr(row, f"{kind}_due_at", None)
    return due or datetime.fromisoformat(at)


def _supervisors(teams: set[int]) -> dict[int, list[int]]:
    named = {
        link.team_id: [link.supervisor_id]
        for link in TeamCalendar.objects.filter(team_id__in=teams, supervisor__is_active=True)
    }
    out: dict[int, list[int]] = {}
    for team_id, user_id in User.objects.filter(
        teams__in=teams, role=Role.SUPERVISOR, is_active=True
    ).values_list("teams", "pk"):
        out.setdefault(team_id, []).append(user_id)
    return {team: named.get(team) or out.get(team, []) for team in teams}  # type: ignore[misc]


def on_shift_by_team(team_ids: Iterable[int], at: datetime) -> dict[int, list[int]]:
    """For each team, its active members on a roster shift at ``at`` (start included, end not), in
    the order their shifts began: whom to warn about the team's unassigned tickets out of hours.
    One query for any number of teams (the sweep asks for a batch's)."""
    out: dict[int, list[int]] = {}
    rows = (
        RosterShift.objects.filter(
            team_id__in=list(team_ids),
            starts_at__lte=at,
            ends_at__gt=at,
            agent__is_active=True,
            agent__teams=F("team_id"),
        )
        .order_by("starts_at", "id")
        .values_list("team_id", "agent_id")
    )
    for team_id, agent_id in rows:
        agents = out.setdefault(team_id, [])
        if agent_id not in agents:
            agents.append(agent_id)
    return out


def _has_actions(policy: Policy) -> bool:
    return bool(policy.breach_priority or policy.breach_team_id or policy.breach_assignee_id)


def _breach_actions(ticket: Ticket, policy: Policy) -> list[str]:
    """Run the policy's breach actions through the ticket services, as Tanggap itself; the codes of
    the actions that changed something."""
    done = []
    if policy.breach_priority and ticket.priority < policy.breach_priority:
        ticket_update(actor=None, ticket=ticket, priority=policy.breach_priority)
        done.append(f"priority:{policy.breach_priority}")
    team = policy.breach_team if policy.breach_team_id and policy.breach_team_id != ticket.team_id else UNSET
    assignee = policy.breach_assignee if policy.breach_assignee_id else None
    if team is not UNSET or (
        assignee is not None and assignee.pk != ticket.assignee_id and assignee.is_active
    ):
        keep = ticket.assignee if ticket.assignee_id else None
        try:
            ticket_assign(actor=None, ticket=ticket, assignee=assignee or keep, team=team)
        except ApplicationError as error:  # e.g. the agent is not in the team: said on the alert
            return [*done, f"failed:{error.code}"]
        ticket.refresh_from_db(fields=["team", "assignee"])
        if team is not UNSET:
            done.append(f"team:{policy.breach_team_id}")
        if assignee is not None and ticket.assignee_id == assignee.pk:
            done.append(f"assignee:{assignee.pk}")
    return done
