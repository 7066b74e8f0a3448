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
4. ``sweep``: the steady state of the per-minute job. ``--changed`` tickets were written since the
   last sweep (flagged), one minute passed; ``clocks_sweep`` works them out and the tickets whose
   warning or due instant passed in that minute. Repeated ``--rounds`` times, each minute later.
5. ``due_soon`` and ``breached``: the two range scans the queue and the sweep stand on: tickets due
   in the next hour, and running clocks already past due.

Prints one JSON object. The dashboards' queries are not built yet, so they are not measured.
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
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args()
    log = (lambda *a: None) if args.json else (lambda *a: print(*a, file=sys.stderr, flush=True))

    work = Path(tempfile.mkdtemp(prefix="tanggap-sla-"))
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
        _prepare_postgres(args.database_url)
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.db import connection, transaction

    import loader
    from tanggap.sla.models import BusinessCalendar, Policy, SweepState, TicketClock
    from tanggap.sla.services import clocks_refresh, clocks_sweep
    from tanggap.tickets.models import Ticket

    n = args.open_tickets
    load_seconds, _ = _timed(lambda: loader.load(n, progress=not args.json, active_share=1.0))
    log(f"loaded {n} open tickets in {load_seconds:.0f} s")
    BusinessCalendar.objects.create(name="Kantor", is_default=True, public_holidays=True)
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
        rows = []
        for pk in ids:
            due = now + timedelta(minutes=rng.randrange(1, 2 * 24 * 60))
            rows.append(
                TicketClock(
                    ticket_id=pk,
                    first_response_due_at=due,
                    due_at=due,
                    warn_at=due - timedelta(minutes=15),
                    computed_at=now,
                )
            )
            if len(rows) == 10_000:
                TicketClock.objects.bulk_create(rows)
                rows = []
        TicketClock.objects.bulk_create(rows)
        Ticket.objects.update(derived_stale=False)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    SweepState.objects.update_or_create(name="clocks", defaults={"swept_at": now})

    sweeps = []
    for round_ in range(args.rounds):
        at = now + timedelta(minutes=round_ + 1)
        changed = rng.sample(ids, min(args.changed, len(ids)))
        Ticket.objects.filter(pk__in=changed).update(derived_stale=True)
        seconds, report = _timed(lambda at=at: clocks_sweep(now=at))
        sweeps.append({"seconds": round(seconds, 3), "changed": report.changed, "passed": report.passed})
        log(f"sweep {round_ + 1}: {seconds:.3f} s ({report.changed} changed, {report.passed} passed)")

    later = now + timedelta(minutes=args.rounds + 1)
    scans = {}
    for name, query in (
        (
            "due_soon",
            lambda: TicketClock.objects.filter(due_at__gt=later, due_at__lte=later + timedelta(hours=1)),
        ),
        ("breached", lambda: TicketClock.objects.filter(due_at__lte=later)),
    ):
        times = []
        for _ in range(5):
            seconds, count = _timed(lambda query=query: query().count())
            times.append(seconds)
        scans[name] = {"ms": round(1000 * statistics.median(times), 2), "count": count}

    result = {
        "open_tickets": n,
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
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    connection.close()
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
