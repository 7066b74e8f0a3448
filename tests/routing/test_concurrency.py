"""Routing under real concurrency: four workers, each with its own connection, give out the same
tickets to the same agents at once. No ticket is given twice, no agent goes over capacity.

The long version (``bench/routing.py --workers 4 --arrivals 10000``) runs the same check in four
processes; this one keeps the suite quick."""

from __future__ import annotations

import random
import threading
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from tanggap.accounts.models import Availability, Presence
from tanggap.routing.models import TeamRouting
from tanggap.routing.services import forget_routed_teams, loads_refresh, queue_drain, ticket_route
from tanggap.tickets.models import Message, Ticket

pytestmark = pytest.mark.django_db(transaction=True)

WORKERS = 4
AGENTS = 8
CAPACITY = 6
TICKETS = 80


def _run_workers(work) -> None:
    barrier = threading.Barrier(WORKERS)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            barrier.wait(10)
            work(index)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    if errors:
        raise errors[0]


def test_four_workers_never_double_assign_nor_overfill(make_agent, make_team, receive):
    team = make_team("Race")
    agents = [make_agent(f"race{i}", teams=[team]) for i in range(AGENTS)]
    for agent in agents:
        Availability.objects.update_or_create(
            user=agent,
            defaults={
                "status": Presence.ONLINE,
                "capacity": {"email": CAPACITY},
                "last_activity_at": timezone.now(),
            },
        )
    ticket_ids = []
    for i in range(TICKETS):
        ticket = receive(f"Pesan {i}", sender=f"race{i}@example.com").ticket
        Ticket.objects.filter(pk=ticket.pk).update(team=team)
        ticket_ids.append(ticket.pk)
    loads_refresh([a.pk for a in agents])
    TeamRouting.objects.create(team=team, enabled=True)
    forget_routed_teams()

    def work(index: int) -> None:
        order = list(ticket_ids)
        random.Random(index).shuffle(order)
        for position, ticket_id in enumerate(order):
            ticket_route(ticket_id=ticket_id)
            if position % 20 == index:
                queue_drain(team_id=team.pk, limit=5)

    _run_workers(work)

    given = Counter(
        Message.objects.filter(ticket_id__in=ticket_ids, event_code="assigned").values_list(
            "ticket_id", flat=True
        )
    )
    assert given and max(given.values()) == 1, "a ticket was given twice"
    per_agent = Counter(
        Ticket.objects.filter(pk__in=ticket_ids, assignee__isnull=False).values_list("assignee_id", flat=True)
    )
    assert max(per_agent.values()) <= CAPACITY
    # Every agent filled up, and exactly that many tickets were given out.
    assert sum(per_agent.values()) == AGENTS * CAPACITY == len(given)
    assert (
        Ticket.objects.filter(pk__in=ticket_ids, assignee__isnull=True).count() == TICKETS - AGENTS * CAPACITY
    )
