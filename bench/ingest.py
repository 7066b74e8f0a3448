"""Ingest benchmark: N generated mails from a Maildir, end to end into SQLite or PostgreSQL.

    .venv/bin/python bench/ingest.py --messages 2000 --json
    .venv/bin/python bench/ingest.py --messages 2000 --json \\
        --database-url postgresql://postgres@127.0.0.1:5432/tanggap_bench_ingest   # recreated

Generates ``--messages`` realistic mails (``mailgen.py``: Indonesian and English, replies quoting
earlier mail and threading by In-Reply-To/References, HTML, attachments, ISO-8859-1/Windows-1252 in
raw 8 bit, a few auto-replies), writes them into a Maildir, then in one process and one run:

1. ``parse_only``: the stdlib parser (``compat32``) over every mail, decoding every part's payload:
   the floor any ingest pays;
2. ``tanggap_parse``: ``inboxes.email.parse.parse_mail`` alone;
3. ``ingest``: ``inboxes.importers.mail_import`` into a fresh database: raw bytes stored, parsed,
   threaded, customers found or created, tickets opened or appended to, search entries, audit rows.

Prints one JSON object: messages/s of each, the counts the import reports (processed, quarantined,
tickets, messages), and the process's peak RSS. Tests never assert these figures.
"""

from __future__ import annotations

import argparse
import contextlib
import email
import json
import os
import resource
import secrets
import sys
import tempfile
import time
from email import policy
from pathlib import Path
from typing import Any

import mailgen

ROOT = Path(__file__).resolve().parents[1]


def _parse_only(raws: list[bytes]) -> float:
    started = time.perf_counter()
    for raw in raws:
        message = email.message_from_bytes(raw, policy=policy.compat32)
        for part in message.walk():
            if not part.is_multipart():
                part.get_payload(decode=True)
    return time.perf_counter() - started


def _tanggap_parse(raws: list[bytes]) -> float:
    from tanggap.inboxes.email.parse import parse_mail

    started = time.perf_counter()
    for raw in raws:
        parse_mail(raw)
    return time.perf_counter() - started


def _prepare_postgres(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument(
        "--database-url", default="", help="PostgreSQL URL; default: SQLite in a temporary folder"
    )
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument(
        "--workers", type=int, default=1, help="reading processes beside the writer (0: all in one process)"
    )
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args()

    def log(text: str) -> None:
        if not args.json:
            print(text, file=sys.stderr)

    work = Path(tempfile.mkdtemp(prefix="tanggap-ingest-"))
    maildir = work / "Maildir"
    raws = [m.raw for m in mailgen.generate(args.messages, seed=args.seed)]
    mailgen.write_maildir(maildir, (mailgen.Generated("", raw) for raw in raws))
    log(f"generated {len(raws)} mails ({sum(map(len, raws)) // 1024} KiB) in {maildir}")

    os.environ.update(
        {
            "TANGGAP_ENV": "development",
            "TANGGAP_DEBUG": "false",
            "TANGGAP_DATA_DIR": str(work / "data"),
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
    from django.core.management import call_command
    from django.db import connection

    from tanggap.inboxes.importers import mail_import
    from tanggap.inboxes.setup import inbox_create
    from tanggap.tickets.models import Message, Ticket

    call_command("migrate", verbosity=0)
    inbox = inbox_create(actor=None, name="Support", address=mailgen.SUPPORT)

    parse_only = _parse_only(raws)
    tanggap_parse = _tanggap_parse(raws)
    log(f"parse only: {len(raws) / parse_only:.0f}/s; parse_mail: {len(raws) / tanggap_parse:.0f}/s")

    started, cpu_started = time.perf_counter(), time.process_time()
    report = mail_import(inbox=inbox, path=maildir, workers=args.workers)
    ingest, ingest_cpu = time.perf_counter() - started, time.process_time() - cpu_started
    log(f"ingest: {len(raws) / ingest:.0f}/s")

    result: dict[str, Any] = {
        "messages": len(raws),
        "backend": connection.vendor,
        "parse_only_per_s": round(len(raws) / parse_only, 1),
        "tanggap_parse_per_s": round(len(raws) / tanggap_parse, 1),
        "ingest_per_s": round(len(raws) / ingest, 1),
        "workers": args.workers,
        "ingest_seconds": round(ingest, 2),
        # CPU time of this process per message: steadier than wall time on a shared machine (the
        # database server's own work on PostgreSQL is not in it).
        "ingest_cpu_ms_per_message": round(1000 * ingest_cpu / len(raws), 3),
        "processed": report.processed,
        "quarantined": report.quarantined,
        "pending": report.pending,
        "refused": len(report.refused),
        "tickets": Ticket.objects.count(),
        "customer_messages": Message.objects.filter(kind="customer").count(),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    connection.close()
    with contextlib.suppress(OSError):
        import shutil

        shutil.rmtree(work)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
