"""Routing's background work: one ticket on arrival, a team's queue when an agent has room, and the
minute's sweep (idle agents, loads, missed arrivals, rebalancing)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.tasks import task
from huey import crontab

from tanggap.core.tasks import periodic, requeue_when_lost


@task()
def route_ticket_task(ticket_id: int) -> dict[str, Any]:
    from tanggap.routing.services import ticket_route

    return asdict(ticket_route(ticket_id=ticket_id, cause="arrival"))


@task()
def drain_team_task(team_id: int) -> int:
    from tanggap.routing.services import queue_drain

    return sum(1 for routed in queue_drain(team_id=team_id) if routed.agent_id)


# Both are safe to run again: a ticket someone already has is left alone.
requeue_when_lost(route_ticket_task)
requeue_when_lost(drain_team_task)


@periodic("routing-sweep", crontab(minute="*"))
def routing_sweep_job() -> dict[str, int]:
    """Idle agents away, loads counted again, waiting tickets given out, unanswered ones rebalanced."""
    from tanggap.routing.reactions import routing_sweep

    return asdict(routing_sweep())
