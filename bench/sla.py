"""Response-clock benchmark: the clock sweep at N open tickets.

    .venv/bin/python bench/sla.py --open-tickets 100000 --json
    .venv/bin/python bench/sla.py --open-tickets 100000 --json \\
        --database-url postgresql://postgres@127.0.0.1:5432/tanggap_bench_sla   # recreated

1. Loads N tickets with their timelines (``loader.py``, as ``web.py`` does), every one of them open
   (new, open, pending or on hold), a default office calendar (WIB, Indonesian holidays) and an
   e-mail policy (first response 1 h, next 2 h, resolution 8 h).
2. ``refresh``: works out the clocks of ``--sample`` tickets with ``clocks_refresh`` (what the
   sweep does for each changed ticket): tickets per second.
3. Gives every ticket a clock row, written directly as the loader writes tickets (a sweep over all N
   would only repeat step 2 N times): due instants spread over the next two days, warnings at 75 %.
   Each row holds its pending alerts (warning 15 minutes before due, escalation 6, the breach).
4. ``sweep``: the steady state of the per-minute job. ``--changed`` tickets were written since the
   last sweep (flagged), one minute passed; ``clocks_sweep`` works them out, then sends the alerts
   that came due in that minute (at 1,000,000 open tickets about 1,000 a minute: records, copies,
   breaches marked). Repeated ``--rounds`` times, each minute later.
5. ``due_soon`` and ``breached``: the two range scans the queue and the sweep stand on: tickets due
   in the next hour, and running clocks already past due.

6. ``dashboards``: ``tanggap analytics rebuild`` (every ticket's stored figures, timed), then each
   dashboard query (``analytics.selectors``) over the last 28 and 365 days, for an admin (everyone's
   figures) and for ``bench-agent`` (their own), median of ``--repeat`` runs after one warm-up.
   ``--active-share 0.03`` gives the realistic mix (most tickets solved or closed, as ``web.py``
   loads them); the default keeps every ticket open, as the sweep figures above need.

Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
ROOT = HERE.parent


def _prepare_postgres(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _timed(fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn()
    return time.perf_counter() - started, result


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--open-tickets", type=int, default=10_000)
    parser.add_argument(
        "--database-url", default="", help="PostgreSQL URL; default: SQLite in a temporary folder"
    )
    parser.add_argument("--sample", type=int, default=5000, help="tickets worked out one by one in step 2")
    parser.add_argument("--changed", type=int, default=1000, help="tickets written between two sweeps")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--active-share", type=float, default=1.0, help="share of tickets left open")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each dashboard query")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the loaded database ($TMPDIR/tanggap-bench-sla/… or the named PostgreSQL database) "
        "and reuse it when the same N and share are asked again (migrated, not reloaded)",
    )
    parser.add_argument("--load-only", action="store_true", help="load (for --reuse) and stop")
    parser.add_argument("--no-dashboards", action="store_true", help="measure the clocks only")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args()
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))

    key = f"{args.open_tickets}-{args.active_share}"
    if args.reuse:
        backend = "postgresql" if args.database_url else "sqlite"
        work = Path(tempfile.gettempdir()) / "tanggap-bench-sla" / f"{backend}-{key}"
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="tanggap-sla-"))
    loaded_marker = work / f"loaded-{key}"
    reused = args.reuse and loaded_marker.exists()
    os.environ.update(
        {
            "TANGGAP_ENV": "development",
            "TANGGAP_DEBUG": "false",
            "TANGGAP_DATA_DIR": str(work),
            "TANGGAP_SECRET_KEY": secrets.token_urlsafe(40),
            "TANGGAP_QUEUE": "immediate",
            "TANGGAP_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "tanggap.settings",
        }
    )
    if args.database_url:
        os.environ["TANGGAP_DATABASE_URL"] = args.database_url
        if not reused:
            _prepare_postgres(args.database_url)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.db import connection, transaction

    import loader
    from tanggap.accounts.models import User
    from tanggap.sla.alerting import alerts_send
    from tanggap.sla.models import BusinessCalendar, ClockAlert, Policy, TicketClock
    from tanggap.sla.services import SWEEP_BATCH, clocks_refresh, clocks_sweep
    from tanggap.tickets.models import Ticket
    from tanggap.tickets.selectors import QueueFilter, ticket_list_for_queue, ticket_rows

    n = args.open_tickets
    if reused:
        from django.core.management import call_command

        load_seconds = 0.0
        call_command("migrate", verbosity=0)
        log(f"reusing the {n} tickets loaded in {work}")
    else:
        load_seconds, _ = _timed(
            lambda: loader.load(n, progress=not args.json, active_share=args.active_share)
        )
        log(f"loaded {n} tickets in {load_seconds:.0f} s")
        if args.reuse:
            loaded_marker.write_text(str(load_seconds))
    if args.load_only:
        return 0
    BusinessCalendar.objects.get_or_create(name="Kantor", is_default=True, public_holidays=True)
    Policy.objects.filter(name="E-mail").delete()
    Policy.objects.create(
        name="E-mail",
        channels=[],
        first_response_minutes=60,
        next_response_minutes=120,
        resolution_minutes=480,
    )
    ids = list(Ticket.objects.order_by("pk").values_list("pk", flat=True))
    rng = random.Random(11)
    now = datetime.now(UTC).replace(second=0, microsecond=0)

    sample = rng.sample(ids, min(args.sample, len(ids)))
    refresh_seconds = 0.0
    for start in range(0, len(sample), 1000):
        seconds, _ = _timed(
            lambda start=start: clocks_refresh(ticket_ids=sample[start : start + 1000], now=now)
        )
        refresh_seconds += seconds
    log(f"refresh: {len(sample) / refresh_seconds:.0f} tickets/s")

    # Every ticket gets a clock row, as a sweep would leave them (written directly, in bulk).
    with transaction.atomic():
        TicketClock.objects.all().delete()
        ClockAlert.objects.all().delete()  # a reused database starts with no alert sent
        rows = []
        for pk in ids:
            due = now + timedelta(minutes=rng.randrange(1, 2 * 24 * 60))
            cycle = (due - timedelta(hours=1)).isoformat()
            alerts = [
                ["first_response", level, (due - before).isoformat(), cycle]
                for level, before in (
                    ("warning", timedelta(minutes=15)),
                    ("escalation", timedelta(minutes=6)),
                    ("breach", timedelta(0)),
                )
                if due - before > now
            ]
            rows.append(
                TicketClock(
                    ticket_id=pk,
                    first_response_due_at=due,
                    due_at=due,
                    warn_at=due - timedelta(minutes=15),
                    alerts=alerts,
                    alert_at=datetime.fromisoformat(alerts[0][2]) if alerts else None,
                    computed_at=now,
                )
            )
            if len(rows) == 10_000:
                TicketClock.objects.bulk_create(rows)
                rows = []
        TicketClock.objects.bulk_create(rows)
        Ticket.objects.filter(derived_stale=True).update(derived_stale=False)
        with connection.cursor() as cursor:  # the queue's copy, as clocks_refresh writes it (a join)
            cursor.execute(
                f"UPDATE {Ticket._meta.db_table} SET due_at = c.due_at FROM"  # noqa: S608
                f" {TicketClock._meta.db_table} c WHERE c.ticket_id = {Ticket._meta.db_table}.id"
            )
    with connection.cursor() as cursor:
        # Rewriting every clock row and ticket leaves a million dead rows on PostgreSQL, which its
        # autovacuum clears within minutes in service; here before anything is measured.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")

    # The tickets the rounds change, worked out first with their own history and their past alerts
    # sent, as the per-minute sweep did long before: in the steady state a ticket is worked out
    # again because something happened to it now (here: its customer wrote again), not because its
    # old breaches were never looked at. Not timed.
    pool = rng.sample(ids, min(args.changed * args.rounds, len(ids)))
    for start in range(0, len(pool), SWEEP_BATCH):
        clocks_refresh(ticket_ids=pool[start : start + SWEEP_BATCH], now=now)
    alerts_send(now=now, batch=SWEEP_BATCH)

    sweeps = []
    for round_ in range(args.rounds):
        at = now + timedelta(minutes=round_ + 1)
        changed = pool[round_ * args.changed : (round_ + 1) * args.changed]
        _customer_writes(changed, at - timedelta(seconds=30))
        seconds, report = _timed(lambda at=at: clocks_sweep(now=at))
        sweeps.append(
            {
                "seconds": round(seconds, 3),
                "changed": report.changed,
                "passed": report.passed,
                "alerts": report.alerts,
            }
        )
        log(
            f"sweep {round_ + 1}: {seconds:.3f} s ({report.changed} changed, {report.passed} passed,"
            f" {report.alerts} alerts)"
        )

    later = now + timedelta(minutes=args.rounds + 1)
    scans = {}
    for name, query in (
        (
            "due_soon",
            lambda: TicketClock.objects.filter(due_at__gt=later, due_at__lte=later + timedelta(hours=1)),
        ),
        ("breached", lambda: TicketClock.objects.filter(due_at__lte=later)),
        ("alerts_due", lambda: TicketClock.objects.filter(alert_at__lte=later)),
    ):
        times = []
        for _ in range(5):
            seconds, count = _timed(lambda query=query: query().count())
            times.append(seconds)
        scans[name] = {"ms": round(1000 * statistics.median(times), 2), "count": count}

    dashboards = {} if args.no_dashboards else _dashboards(args, log)
    # The queue's first page in its default order, due soonest first, as an admin sees it.
    admin = User.objects.filter(is_superuser=True).first() or User.objects.order_by("pk").first()
    due_order = QueueFilter(sort="due_at")
    times = []
    for _ in range(5):
        seconds, page = _timed(lambda: ticket_rows(ticket_list_for_queue(user=admin, filters=due_order)[:25]))
        times.append(seconds)
    scans["queue_due_page"] = {"ms": round(1000 * statistics.median(times), 2), "count": len(page)}

    result = {
        "open_tickets": n,
        "active_share": args.active_share,
        "backend": connection.vendor,
        "load_seconds": round(load_seconds, 1),
        "refresh_tickets_per_s": round(len(sample) / refresh_seconds, 1),
        "sweep": {
            "changed_per_minute": args.changed,
            "seconds_median": round(statistics.median(s["seconds"] for s in sweeps), 3),
            "seconds_max": max(s["seconds"] for s in sweeps),
            "rounds": sweeps,
        },
        "scans": scans,
        "dashboards": dashboards,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    connection.close()
    print(json.dumps(result))
    return 0


def _customer_writes(ticket_ids: list[int], at: datetime) -> None:
    """A new customer message on each ticket at ``at``, written as the intake writes it (the row, the
    ticket's last-message instant, the flag the sweep reads), without the intake's other work."""
    from django.db import transaction

    from tanggap.core.bulk import insert_rows
    from tanggap.tickets.models import Message, MessageKind, Ticket

    with transaction.atomic():
        names = ["ticket_id", "kind", "channel", "body_text", "body_html", "external_id", "automatic"]
        names += ["event_code", "event_data", "delivery_status", "created_at"]
        insert_rows(
            Message,
            names,
            [
                [pk, MessageKind.CUSTOMER, "email", "Ada kabar?", "", "", "", "", {}, "", at]
                for pk in ticket_ids
            ],
        )
        Ticket.objects.filter(pk__in=ticket_ids).update(
            last_customer_message_at=at, updated_at=at, derived_stale=True
        )


def _dashboards(args: Any, log: Any) -> dict[str, Any]:
    """Rebuild every ticket's figures, then time each dashboard query (milliseconds, median)."""
    from django.db import connection
    from django.utils import timezone

    import loader
    from tanggap.accounts.models import Role, User
    from tanggap.analytics import selectors as reports
    from tanggap.analytics.models import TicketFigure
    from tanggap.analytics.services import figures_rebuild, figures_refresh
    from tanggap.tickets.models import Ticket

    rebuild_seconds, written = _timed(figures_rebuild)
    # What the sweep's hook adds to each minute: the figures of --changed random tickets.
    ids = list(Ticket.objects.order_by("pk").values_list("pk", flat=True))
    rng = random.Random(13)
    hook = [
        _timed(lambda: figures_refresh(rng.sample(ids, min(args.changed, len(ids)))))[0] for _ in range(3)
    ]
    log(f"figures rebuilt: {written} tickets in {rebuild_seconds:.0f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    admin, _ = User.objects.get_or_create(username="bench-admin", defaults={"role": Role.ADMIN})
    agent = User.objects.get(username=loader.BENCH_USER)
    today = timezone.localdate()
    out: dict[str, Any] = {
        "rebuild_seconds": round(rebuild_seconds, 1),
        "rebuild_tickets_per_s": round(written / rebuild_seconds, 1),
        "figures": TicketFigure.objects.count(),
        "hook_seconds_per_changed_batch": round(statistics.median(hook), 3),
        "ms": {},
    }
    # The dashboards refuse ranges over ``MAX_DAYS`` (92); the year is measured to show why.
    reports.MAX_DAYS = 366
    for days in (28, 92, 365):
        filters = reports.ReportFilter(start=today - timedelta(days=days - 1), end=today)
        queries: dict[str, Any] = {
            f"{dimension}": (
                lambda d=dimension, f=filters: reports.response_times(user=admin, filters=f, dimension=d)
            )
            for dimension in ("total", "day", "week", "period", "agent", "team", "inbox", "channel")
        }
        queries["unanswered"] = lambda f=filters: reports.unanswered_by_age(user=admin, filters=f)
        queries["tickets_behind_total"] = lambda f=filters: reports.figure_ticket_ids(
            user=admin, filters=f, cell=reports.Cell(outcome="breached")
        )
        queries["agent_own_total"] = lambda f=filters: reports.response_times(user=agent, filters=f)
        queries["agent_own_day"] = lambda f=filters: reports.response_times(
            user=agent, filters=f, dimension="day"
        )
        figures = {}
        for name, query in queries.items():
            query()  # warm-up
            times = [_timed(query)[0] for _ in range(args.repeat)]
            figures[name] = round(1000 * statistics.median(times), 1)
        tickets = TicketFigure.objects.filter(day__gte=filters.start, day__lte=filters.end).count()
        # The admin's page runs every query above but the agent's own and the drill-down.
        page = sum(v for k, v in figures.items() if not k.startswith(("agent_own", "tickets_behind")))
        out["ms"][f"{days}d"] = {"tickets_in_range": tickets, **figures, "admin_page_sum": round(page, 1)}
        log(f"dashboards over {days} days ({tickets} tickets): {figures}")
    return out


if __name__ == "__main__":
    raise SystemExit(main())
