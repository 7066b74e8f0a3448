"""Routing's reactions: to ticket and presence events (route a new ticket, count an agent's work
again, give waiting tickets to whoever got room), and the minute's sweep that catches what an event
missed. The decisions themselves are ``services.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from tanggap.accounts.models import Availability, Presence, User
from tanggap.core import events
from tanggap.routing.models import AgentLoad
from tanggap.routing.services import (
    ROUTING_REASONS,
    WORKING,
    enqueue_drain,
    enqueue_route,
    loads_refresh,
    queue_drain,
    routed_team_ids,
    tickets_rebalance,
)
from tanggap.tickets.models import Ticket

# ---------------------------------------------------------------- reacting to events


def on_ticket_arrived(name: str, payload: dict[str, Any]) -> None:
    """A new ticket, or a customer's message on one: route it when its team does and nobody has it."""
    teams = routed_team_ids()
    if not teams:
        return
    row = Ticket.objects.filter(pk=payload["ticket_id"]).values_list("team_id", "assignee_id").first()
    if row and row[0] in teams and row[1] is None:
        enqueue_route(payload["ticket_id"])


def on_work_changed(name: str, payload: dict[str, Any]) -> None:
    """A ticket was solved, reassigned or merged: count its agents' work again, and when someone got
    room and the team routes, give waiting tickets to whoever now has it."""
    if name == events.TICKET_ASSIGNED and payload.get("reason") in ROUTING_REASONS:
        return  # routing's own assignment: it stored the counts itself
    row = Ticket.objects.filter(pk=payload["ticket_id"]).values_list("team_id", "assignee_id").first()
    if row is None:
        return
    team_id, assignee_id = row
    previous_id = payload.get("previous_assignee_id")
    loads_refresh([pk for pk in (assignee_id, previous_id) if pk])
    if name == events.TICKET_STATUS_CHANGED:
        room = (
            assignee_id is not None
            and payload.get("previous") in WORKING
            and payload.get("status") not in WORKING
        )
    elif name == events.TICKET_ASSIGNED:
        room = previous_id is not None
    else:
        room = True
    if room and team_id in routed_team_ids():
        enqueue_drain(team_id)


def on_presence_changed(name: str, payload: dict[str, Any]) -> None:
    """An agent's presence or capacity changed: copy it for the decision, and when they are online,
    give them waiting tickets of their teams."""
    loads_refresh([int(payload["user_id"])])
    if payload.get("status") != Presence.ONLINE:
        return
    teams = routed_team_ids()
    user_teams = User.teams.through.objects.filter(user_id=int(payload["user_id"]), team_id__in=teams)
    for team_id in user_teams.values_list("team_id", flat=True):
        enqueue_drain(team_id)


# ---------------------------------------------------------------- the minute's sweep


@dataclass(frozen=True, slots=True)
class SweepReport:
    idle: int
    counted: int
    assigned: int
    rebalanced: int


def routing_sweep(*, now: datetime | None = None) -> SweepReport:
    """Every minute: idle agents away, loads counted again, waiting tickets given out (what an event
    missed, e.g. a worker that died) and unanswered tickets rebalanced."""
    from tanggap.accounts.presence import presence_idle_sweep

    now = now or timezone.now()
    idle = presence_idle_sweep(now=now)
    # Online agents, and those routing still takes for online (an event that did not arrive).
    online = set(Availability.objects.filter(status=Presence.ONLINE).values_list("user_id", flat=True))
    online |= set(AgentLoad.objects.filter(online=True).values_list("user_id", flat=True))
    counted = loads_refresh(online, at=now)
    assigned = 0
    for team_id in sorted(routed_team_ids()):
        assigned += sum(1 for r in queue_drain(team_id=team_id, cause="queue") if r.agent_id)
    rebalanced = len(tickets_rebalance(now=now))
    return SweepReport(idle=idle, counted=counted, assigned=assigned, rebalanced=rebalanced)
