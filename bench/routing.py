"""Routing benchmark: decision latency and load fairness, and the concurrency check.

    .venv/bin/python bench/routing.py --agents 500 --open-tickets 100000 --arrivals 2000 --json
    .venv/bin/python bench/routing.py --agents 50 --open-tickets 0 --arrivals 10000 --json
    .venv/bin/python bench/routing.py --agents 50 --arrivals 10000 --workers 4 --json
    ... --database-url postgresql://postgres@127.0.0.1:5432/tanggap_bench_routing   # recreated

1. One team routes automatically (least-loaded, sticky off so every agent is equal) with
   ``--agents`` agents online, each with the same e-mail capacity. ``--open-tickets`` tickets are
   open and spread evenly over the agents (written in bulk; routing's counts taken once).
2. ``--arrivals`` customer messages arrive one after another through ``message_receive``; each new
   ticket is routed with ``ticket_route`` (what the arrival task runs), and one random open ticket of
   the team is solved, so the team stays at the same load (``ticket_transition``: routing hears of it
   and counts the agent again). Timed:
   - ``decision_ms``: the decision itself: the team's shortlist of agents who can take the ticket
     (one query, best first by the decision's own order) and ``choose`` over it;
   - ``assign_ms``: the whole ``ticket_route`` transaction: ticket lock, decision, the agent's lock
     and re-count, the assignment with its timeline entry and audit row, the counts stored.
   ``fairness``: the most tickets given to one agent during the arrivals over the fewest.
   ``sweep_seconds``: the minute's routing sweep afterwards (every online agent counted again,
   the queue drained).
3. With ``--workers W`` the arrivals are split over W processes working at once instead (no
   timing): afterwards no ticket may have been given twice and no agent may be over capacity.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BATCH = 5_000


def _prepare_postgres(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _setup(work: Path, database_url: str) -> None:
    os.environ.update(
        {
            "TANGGAP_ENV": "development",
            "TANGGAP_DEBUG": "false",
            "TANGGAP_DATA_DIR": str(work),
            "TANGGAP_SECRET_KEY": os.environ.get("TANGGAP_SECRET_KEY") or secrets.token_urlsafe(40),
            "TANGGAP_QUEUE": "immediate",
            "TANGGAP_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "tanggap.settings",
        }
    )
    if database_url:
        os.environ["TANGGAP_DATABASE_URL"] = database_url
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _load(agents: int, open_tickets: int, capacity: int, log: Any) -> int:
    """The team, its agents online, and the open tickets spread evenly over them; returns the team id."""
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from tanggap.accounts.models import Availability, Presence, Team, User
    from tanggap.customers.models import Customer
    from tanggap.routing.models import TeamRouting
    from tanggap.routing.services import loads_refresh
    from tanggap.tickets.models import Ticket

    call_command("migrate", verbosity=0)
    now = timezone.now()
    password = make_password(None)
    with transaction.atomic():
        team = Team.objects.create(name="Bench", slug="bench")
        users = User.objects.bulk_create(
            [
                User(username=f"bench-agent-{i}", password=password, display_name=f"Agent {i}")
                for i in range(agents)
            ]
        )
        ids = list(
            User.objects.filter(username__startswith="bench-agent-")
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        User.teams.through.objects.bulk_create(
            [User.teams.through(user_id=pk, team_id=team.pk) for pk in ids]
        )
        Availability.objects.bulk_create(
            [
                Availability(
                    user_id=pk,
                    status=Presence.ONLINE,
                    capacity={"email": capacity},
                    languages=["id", "en"],
                    last_activity_at=now,
                )
                for pk in ids
            ]
        )
        TeamRouting.objects.create(team=team, enabled=True, strategy="least_loaded", sticky=False)
    del users
    rng = random.Random(7)
    made = 0
    while made < open_tickets:
        size = min(BATCH, open_tickets - made)
        with transaction.atomic():
            customers = Customer.objects.bulk_create(
                [Customer(name=f"Customer {made + i}") for i in range(size)]
            )
            if not all(c.pk for c in customers):
                first = Customer.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
                for offset, customer in enumerate(customers):
                    customer.pk = first - size + 1 + offset
            Ticket.objects.bulk_create(
                [
                    Ticket(
                        subject=f"Bench {made + i}",
                        status=rng.choice(("new", "open")),
                        priority=rng.choice((1, 2, 2, 2, 3, 4)),
                        channel="email",
                        customer_id=customer.pk,
                        team_id=team.pk,
                        assignee_id=ids[(made + i) % agents],
                        created_at=now,
                        updated_at=now,
                        assigned_at=now,
                        derived_stale=False,
                    )
                    for i, customer in enumerate(customers)
                ]
            )
        made += size
        log(f"loaded {made}/{open_tickets} open tickets")
    loads_refresh(ids)
    return team.pk


def _arrive(index: int, team_id: int) -> int:
    from tanggap.tickets.inbound import InboundMessage, Sender
    from tanggap.tickets.services import message_receive

    result = message_receive(
        inbound=InboundMessage(
            channel="email",
            sender=Sender("email", f"arrival{index}@example.com", f"Pelanggan {index}"),
            subject=f"Pertanyaan {index}",
            text="Halo, pesanan saya belum sampai. Mohon dibantu dicek ya.",
            idempotency_key=f"bench-arrival-{index}",
            team_id=team_id,
        )
    )
    return result.ticket.pk


def _solve_one(team_id: int, rng: random.Random, actor: Any) -> None:
    """Solve one random working ticket of the team (the team's steady state: one out per one in)."""
    from tanggap.tickets.models import Ticket
    from tanggap.tickets.services import ticket_transition

    total = Ticket.objects.filter(team_id=team_id, status__in=("new", "open"), assignee__isnull=False).count()
    if not total:
        return
    ticket = (
        Ticket.objects.filter(team_id=team_id, status__in=("new", "open"), assignee__isnull=False)
        .order_by("pk")[rng.randrange(total) :][:1]
        .first()
    )
    if ticket is not None:
        ticket_transition(actor=actor, ticket=ticket, status="solved")


def _arrivals(team_id: int, indices: range, timed: bool, seed: int) -> dict[str, Any]:
    from tanggap.accounts.models import User
    from tanggap.core import events
    from tanggap.routing.choose import Strategy, Work
    from tanggap.routing.services import _decide, on_ticket_arrived, ticket_route

    # The arrival event would route the ticket itself (the task runs at once here); the benchmark
    # routes each arrival explicitly, to time it.
    events.unsubscribe(on_ticket_arrived)
    rng = random.Random(seed)
    actor = User.objects.filter(username="bench-agent-0").first()
    decision: list[float] = []
    assign: list[float] = []
    given: Counter[int] = Counter()
    for index in indices:
        ticket_id = _arrive(index, team_id)
        if timed:
            started = time.perf_counter()
            _decide(team_id, Work(channel="email", language="id"), Strategy.LEAST_LOADED, False, set())
            decision.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        routed = ticket_route(ticket_id=ticket_id)
        assign.append((time.perf_counter() - started) * 1000)
        if routed.agent_id:
            given[routed.agent_id] += 1
        _solve_one(team_id, rng, actor)
    return {"decision": decision, "assign": assign, "given": dict(given)}


def _worker(args: tuple[str, str, int, int, int, int]) -> dict[str, Any]:
    work, database_url, team_id, start, stop, seed = args
    _setup(Path(work), database_url)
    return _arrivals(team_id, range(start, stop), timed=False, seed=seed)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agents", type=int, default=500)
    parser.add_argument("--open-tickets", type=int, default=100_000)
    parser.add_argument("--arrivals", type=int, default=2_000)
    parser.add_argument("--workers", type=int, default=1, help="processes giving out the arrivals at once")
    parser.add_argument("--database-url", default="", help="PostgreSQL URL (recreated); default: SQLite")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args()
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))

    work = Path(tempfile.mkdtemp(prefix="tanggap-routing-"))
    if args.database_url:
        _prepare_postgres(args.database_url)
    os.environ["TANGGAP_SECRET_KEY"] = secrets.token_urlsafe(40)
    _setup(work, args.database_url)
    per_agent = -(-args.open_tickets // max(1, args.agents))
    # Room for the open tickets and a margin, so arrivals always find someone (a full team would
    # measure the queue, not the decision).
    capacity = per_agent + 10
    started = time.perf_counter()
    team_id = _load(args.agents, args.open_tickets, capacity, log)
    load_seconds = time.perf_counter() - started

    from django.db import connection
    from django.db.models import Count

    from tanggap.routing.models import AgentLoad
    from tanggap.tickets.models import Message, Ticket

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    result: dict[str, Any] = {
        "backend": connection.vendor,
        "agents": args.agents,
        "open_tickets": args.open_tickets,
        "arrivals": args.arrivals,
        "workers": args.workers,
        "capacity": capacity,
        "load_seconds": round(load_seconds, 1),
    }
    if args.workers <= 1:
        started = time.perf_counter()
        figures = _arrivals(team_id, range(args.arrivals), timed=True, seed=1)
        result["seconds"] = round(time.perf_counter() - started, 1)
        for name in ("decision", "assign"):
            values = figures[name]
            result[f"{name}_ms"] = {
                "p50": round(statistics.median(values), 3),
                "p99": round(_percentile(values, 0.99), 3),
                "max": round(max(values), 3),
            }
        given = Counter(figures["given"])
        from tanggap.routing.services import routing_sweep

        started = time.perf_counter()
        routing_sweep()
        result["sweep_seconds"] = round(time.perf_counter() - started, 3)
    else:
        connection.close()
        chunk = -(-args.arrivals // args.workers)
        jobs = [
            (str(work), args.database_url, team_id, i * chunk, min(args.arrivals, (i + 1) * chunk), i + 1)
            for i in range(args.workers)
        ]
        started = time.perf_counter()
        with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
            outputs = pool.map(_worker, jobs)
        result["seconds"] = round(time.perf_counter() - started, 1)
        given = Counter()
        for output in outputs:
            given.update(output["given"])
    counts = [given.get(pk, 0) for pk in AgentLoad.objects.values_list("user_id", flat=True)]
    result["given"] = sum(counts)
    result["fairness"] = {
        "max": max(counts),
        "min": min(counts),
        "max_over_min": round(max(counts) / min(counts), 3) if min(counts) else None,
    }
    assigned_twice = (
        Message.objects.filter(event_code="assigned", author__isnull=True)
        .values("ticket_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    working = Counter(
        Ticket.objects.filter(status__in=("new", "open"), assignee__isnull=False).values_list(
            "assignee_id", flat=True
        )
    )
    result["double_assignments"] = assigned_twice
    result["over_capacity"] = sum(1 for n in working.values() if n > capacity)
    print(json.dumps(result, indent=None if args.json else 2))
    return 0 if assigned_twice == 0 and result["over_capacity"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
