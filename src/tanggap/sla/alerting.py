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
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q

from tanggap.accounts.models import Role, User
from tanggap.core.bulk import insert_rows, insert_rows_returning_keys, update_rows
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
    for ticket_id, kind, level, cycle in ClockAlert.objects.filter(ticket_id__any_of=ticket_ids).values_list(
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


@dataclass(slots=True)
class _Due:
    """A stored clock row whose alert instant has come, as plain values (a batch holds hundreds)."""

    ticket_id: int
    team_id: int | None  # the ticket's, read with the row
    assignee_id: int | None
    policy_id: int | None
    alerts: list[list[str]]
    alert_at: datetime | None
    breached: list[str]
    due: dict[str, datetime | None]  # each kind's due instant on the row


@dataclass(slots=True)
class _Alert:
    """An alert to record and deliver: one level of one clock cycle of a due row."""

    row: _Due
    kind: str
    level: str
    cycle: datetime
    due_at: datetime
    actions: list[str] = field(default_factory=list)  # breach actions taken (codes)


_DUE_FIELDS = ("first_response_due_at", "next_response_due_at", "resolution_due_at")
_KINDS = tuple(field.removesuffix("_due_at") for field in _DUE_FIELDS)


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
            # The ticket's team and assignee come with the row (one statement; the ticket is read,
            # not locked: the batch's clock rows are what this pass writes).
            found = (
                TicketClock.objects.select_for_update(of=("self",))
                .filter(alert_at__lte=now)
                .order_by("alert_at", "ticket_id")
                .values_list(
                    "ticket_id",
                    "ticket__team_id",
                    "ticket__assignee_id",
                    "policy_id",
                    "alerts",
                    "alert_at",
                    "breached",
                    *_DUE_FIELDS,
                )
            )
            rows = [
                _Due(
                    pk,
                    team,
                    assignee,
                    policy,
                    alerts or [],
                    at,
                    breached or [],
                    dict(zip(_KINDS, due, strict=True)),
                )
                for pk, team, assignee, policy, alerts, at, breached, *due in found[:batch]
            ]
            if not rows:
                break
            recorded, newly = _send(rows, now)
            update_rows(
                TicketClock,
                ["alerts", "alert_at", "breached"],
                [[row.alerts, row.alert_at, row.breached, row.ticket_id] for row in rows],
            )
            sent.tickets += len(rows)
            sent.alerts += recorded
            sent.breached += len(newly)
            if newly and on_breach is not None:
                on_breach(newly, now)
    return sent


def _send(rows: Sequence[_Due], now: datetime) -> tuple[int, list[int]]:
    """Record and deliver the alerts of ``rows`` due by ``now`` and take them off the rows' pending
    list; the number delivered, and the tickets with a clock newly breached."""
    # Plain values: a batch may hold hundreds of tickets, and only a breach with actions needs more.
    teams = {row.team_id for row in rows if row.team_id}
    supervisors = _supervisors(teams)
    on_shift = on_shift_by_team(teams, now)
    admins = list(
        User.objects.filter(Q(role=Role.ADMIN) | Q(is_superuser=True), is_active=True).values_list(
            "pk", flat=True
        )
    )
    active = set(
        User.objects.filter(
            pk__in={row.assignee_id for row in rows if row.assignee_id}, is_active=True
        ).values_list("pk", flat=True)
    )
    newly: list[int] = []
    due_of_row: list[tuple[_Due, list[list[str]]]] = []
    for row in rows:
        due = [alert for alert in row.alerts if datetime.fromisoformat(alert[2]) <= now]
        row.alerts = [alert for alert in row.alerts if datetime.fromisoformat(alert[2]) > now]
        row.alert_at = datetime.fromisoformat(row.alerts[0][2]) if row.alerts else None
        ran_out = [kind for kind, level, _at, _cycle in due if level == AlertLevel.BREACH]
        new = [kind for kind in dict.fromkeys(ran_out) if kind not in row.breached]
        if new:
            row.breached = [*row.breached, *new]
            newly.append(row.ticket_id)
        if due:
            due_of_row.append((row, due))
    # One statement for what was sent before (a sweep that died after sending, run again), one for
    # the new records and one for the copies, whatever the batch holds.
    before = highest_sent([row.ticket_id for row, _ in due_of_row])
    alerts: list[_Alert] = []
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
            due_at = row.due.get(kind) or datetime.fromisoformat(at)
            alerts.append(_Alert(row, kind, level, datetime.fromisoformat(cycle), due_at))
    breaches = [alert for alert in alerts if alert.level == AlertLevel.BREACH and alert.row.policy_id]
    policies = Policy.objects.select_related("breach_team", "breach_assignee").in_bulk(
        {alert.row.policy_id for alert in breaches}
    )
    # The actions first: the record says what they did.
    for alert in breaches:
        policy = policies.get(alert.row.policy_id or 0)
        if policy is not None and _has_actions(policy):
            alert.actions = _breach_actions(Ticket.objects.get(pk=alert.row.ticket_id), policy)
    keys = insert_rows_returning_keys(
        ClockAlert,
        ["ticket_id", "kind", "level", "cycle", "due_at", "sent_at", "actions"],
        [[a.row.ticket_id, a.kind, a.level, a.cycle, a.due_at, now, a.actions] for a in alerts],
    )
    copies = []
    for alert_id, alert in zip(keys, alerts, strict=True):
        row = alert.row
        assignee = row.assignee_id if row.assignee_id in active else None
        team = row.team_id or 0
        team_supervisors = supervisors.get(team, [])
        if alert.level == AlertLevel.WARNING:
            told = [assignee] if assignee else on_shift.get(team, []) or team_supervisors
        elif alert.level == AlertLevel.ESCALATION:
            told = team_supervisors
        else:
            told = [assignee, *team_supervisors] if assignee else team_supervisors
        users = [pk for pk in dict.fromkeys(told) if pk]
        if users:
            copies += [(alert_id, pk, False) for pk in users]
        else:  # nobody to tell: every admin, marked so
            copies += [(alert_id, admin, True) for admin in admins]
    insert_rows(AlertDelivery, ["alert_id", "user_id", "unrouted"], copies)
    return len(alerts), newly


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
