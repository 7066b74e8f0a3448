"""Bulk-load a benchmark database: N tickets with ~3 timeline entries each, in Indonesian and English.

This bypasses the services on purpose: the one write path makes an audit row, events and a
transaction per message, which would take hours at a million tickets. Rows are written with
``executemany`` (SQLite) or ``COPY`` (PostgreSQL) in batches, the search index is dropped during
the load and rebuilt once at the end, and ``SearchEntry.stems`` is exactly what the services would
store (``core.text.search_text``), computed once per pool sentence (see ``corpus.py``).

Run through ``bench/web.py``; Django must be set up by the caller (settings read the environment).
"""

from __future__ import annotations

import importlib
import json
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, models, transaction
from tqdm import tqdm

from corpus import Corpus

BENCH_USER = "bench-agent"
BENCH_PASSWORD = "bench-password-42"  # noqa: S105 - a throwaway account in a throwaway database
BATCH = 5_000
SEED = 20261122

ACTIVE = ("new", "open", "pending", "on_hold")
MESSAGE_COUNTS = (1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 5, 6)  # non-event entries per ticket, mean ~3
TAGS = ("refund", "pengiriman", "garansi", "vip", "rusak", "pembayaran", "akun", "voucher", "tukar", "faktur")


@dataclass
class LoadResult:
    n_tickets: int
    n_messages: int
    n_search_entries: int
    n_customers: int
    n_agents: int
    n_teams: int
    seconds: float
    bench_user_teams: list[int]


def _migration() -> Any:
    return importlib.import_module("tanggap.tickets.migrations.0002_search_index")


def _columns(model: type[models.Model], values: dict[str, Any]) -> tuple[list[str], Callable[..., tuple]]:
    """Column names of ``model`` and a row builder: given keyword values for some fields, the row
    with every other field at its default, so the loader follows model changes it does not know."""
    fields = list(model._meta.concrete_fields)
    names = [f.column for f in fields]
    defaults: list[Any] = []
    for f in fields:
        default = None if f.attname in values else f.get_default()
        if isinstance(f, models.JSONField):
            default = json.dumps(default)
        elif default is None and not f.null and f.attname not in values:
            if not isinstance(f, models.DateTimeField):
                raise RuntimeError(f"bench loader: no value for {model.__name__}.{f.attname}")
            default = datetime.now(UTC)
        defaults.append(default)
    index = {f.attname: i for i, f in enumerate(fields)}
    order = [index[name] for name in values]

    def row(*given: Any) -> tuple:
        out = list(defaults)
        for position, value in zip(order, given, strict=True):
            out[position] = value
        return tuple(out)

    return names, row


class Writer:
    """Batched inserts: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self) -> None:
        self.pg = connection.vendor == "postgresql"

    def write(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        rows = list(rows)
        if not rows:
            return
        with connection.cursor() as cursor:
            if self.pg:
                sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                # Django stores SQLite datetimes as naive UTC text; convert only the columns holding them.
                positions = [i for i, v in enumerate(rows[0]) if isinstance(v, datetime)]
                for i in range(len(columns)):
                    if i not in positions and any(isinstance(r[i], datetime) for r in rows[:50]):
                        positions.append(i)
                if positions:
                    rows = [_sqlite_datetimes(row, positions) for row in rows]
                marks = ", ".join("?" for _ in columns)
                sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
                cursor.cursor.executemany(sql, rows)


def _sqlite_datetimes(row: tuple, positions: Sequence[int]) -> tuple:
    out = list(row)
    for i in positions:
        value = out[i]
        if value is not None:
            out[i] = value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    return tuple(out)


def _drop_search_index() -> None:
    m = _migration()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(m.PG_DROP_INDEX)
        else:
            for sql in m.SQLITE_DROP_TRIGGERS:
                cursor.execute(sql)


def _build_search_index() -> None:
    m = _migration()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET maintenance_work_mem = '1GB'")
            cursor.execute(m.PG_CREATE_INDEX)
        else:
            cursor.execute(m.SQLITE_REBUILD)
            # One merged b-tree per term, as a long-lived index converges to with automerge.
            cursor.execute("INSERT INTO tickets_searchentry_fts(tickets_searchentry_fts) VALUES ('optimize')")
            for sql in m.SQLITE_CREATE_TRIGGERS:
                cursor.execute(sql)


def _reset_sequences(model_list: Sequence[type[models.Model]]) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(model_list)):
            cursor.execute(sql)


def load(n_tickets: int, *, progress: bool = True, active_share: float = 0.03) -> LoadResult:
    from tanggap.accounts.models import Team, User
    from tanggap.core.text import stems
    from tanggap.customers.models import Customer, Identity
    from tanggap.tickets.models import Message, SearchEntry, Tag, Ticket

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    rng = random.Random(SEED)
    corpus = Corpus(SEED, stems)
    writer = Writer()
    if not writer.pg:
        with connection.cursor() as cursor:
            # A throwaway database: no journal while loading (WAL again at the end), a 1 GB page cache.
            cursor.execute("PRAGMA journal_mode=OFF")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-1000000")

    n_teams = max(3, n_tickets // 50_000)
    n_agents = max(8, n_tickets // 5_000)
    n_customers = max(50, n_tickets // 3)
    now = datetime.now(UTC).replace(microsecond=0)
    span = timedelta(days=730)
    password = make_password(BENCH_PASSWORD)

    with transaction.atomic():
        names, team_row = _columns(Team, {"id": 0, "name": "", "slug": "", "created_at": now})
        writer.write(
            Team._meta.db_table,
            names,
            [team_row(i, f"Team {i}", f"team-{i}", now) for i in range(1, n_teams + 1)],
        )
        user_values = {
            "id": 0,
            "username": "",
            "password": "",
            "role": "",
            "is_active": True,
            "date_joined": now,
        }
        names, user_row = _columns(User, user_values)
        users = [user_row(1, BENCH_USER, password, "agent", True, now)]
        users += [user_row(i, f"agent{i}", password, "agent", True, now) for i in range(2, n_agents + 1)]
        writer.write(User._meta.db_table, names, users)
        team_members: dict[int, list[int]] = {t: [] for t in range(1, n_teams + 1)}
        membership = []
        bench_teams = [1, 2] if n_teams > 2 else [1]
        for agent_id in range(1, n_agents + 1):
            own = bench_teams if agent_id == 1 else [(agent_id % n_teams) + 1]
            for team_id in own:
                team_members[team_id].append(agent_id)
                membership.append((agent_id, team_id))
        writer.write(User.teams.through._meta.db_table, ["user_id", "team_id"], membership)
        names, tag_row = _columns(Tag, {"id": 0, "name": ""})
        writer.write(Tag._meta.db_table, names, [tag_row(i + 1, name) for i, name in enumerate(TAGS)])

    c_names, customer_row = _columns(
        Customer, {"id": 0, "name": "", "language": "", "created_at": now, "updated_at": now}
    )
    i_names, identity_row = _columns(
        Identity, {"id": 0, "customer_id": 0, "kind": "", "value": "", "is_primary": True, "created_at": now}
    )
    bar = tqdm(total=n_customers, desc="customers", unit="row", disable=not progress, mininterval=2)
    for start in range(1, n_customers + 1, BATCH * 4):
        stop = min(start + BATCH * 4, n_customers + 1)
        with transaction.atomic():
            writer.write(
                Customer._meta.db_table,
                c_names,
                [
                    customer_row(i, f"Pelanggan {i}", rng.choice(("id", "en")), now, now)
                    for i in range(start, stop)
                ],
            )
            writer.write(
                Identity._meta.db_table,
                i_names,
                [
                    identity_row(i, i, "email", f"pelanggan{i}@example.com", True, now)
                    for i in range(start, stop)
                ],
            )
        bar.update(stop - start)
    bar.close()

    _drop_search_index()
    t_values = {
        "id": 0,
        "subject": "",
        "status": "",
        "priority": 2,
        "channel": "",
        "language": "",
        "customer_id": 0,
        "team_id": None,
        "assignee_id": None,
        "created_at": now,
        "updated_at": now,
        "last_customer_message_at": None,
        "last_agent_reply_at": None,
        "first_response_at": None,
        "solved_at": None,
        "closed_at": None,
        "message_count": 0,
    }
    t_names, ticket_row = _columns(Ticket, t_values)
    m_values = {
        "id": 0,
        "ticket_id": 0,
        "kind": "",
        "author_id": None,
        "customer_id": None,
        "channel": "",
        "body_text": "",
        "event_code": "",
        "event_data": "{}",
        "delivery_status": "",
        "created_at": now,
    }
    m_names, message_row = _columns(Message, m_values)
    s_names, entry_row = _columns(SearchEntry, {"id": 0, "ticket_id": 0, "message_id": None, "stems": ""})
    tag_table = Ticket.tags.through._meta.db_table

    message_id = entry_id = 0
    channels = ("email", "email", "email", "web", "chat", "whatsapp", "phone")
    bar = tqdm(total=n_tickets, desc="tickets", unit="ticket", disable=not progress, mininterval=2)
    for start in range(1, n_tickets + 1, BATCH):
        stop = min(start + BATCH, n_tickets + 1)
        tickets, messages, entries, tags = [], [], [], []
        for ticket_id in range(start, stop):
            created = now - span + span * (ticket_id / (n_tickets + 1))
            age_share = 1 - ticket_id / n_tickets
            lang = "id" if rng.random() < 0.7 else "en"
            customer_id = rng.randint(1, n_customers)
            team_id = rng.randint(1, n_teams) if rng.random() > 0.02 else None
            if age_share < active_share or rng.random() < 0.005:
                status = rng.choice(ACTIVE)
            else:
                status = "closed" if rng.random() < 0.85 else "solved"
            assignee = None
            if team_id is not None and (status not in ACTIVE or rng.random() < 0.7):
                assignee = rng.choice(team_members[team_id]) if team_members[team_id] else None
            order_no = f"INV{2024 + ticket_id % 3}{ticket_id:08d}"
            subject_text, subject_stems = corpus.compose(rng, f"{lang}_subject", 1)
            entry_id += 1
            entries.append(entry_row(entry_id, ticket_id, None, " ".join(subject_stems)))
            at = created
            count = rng.choice(MESSAGE_COUNTS)
            first_response = last_customer = last_reply = None
            for position in range(count):
                message_id += 1
                if position == 0 or position % 2 == 0:
                    kind, author, customer = "customer", None, customer_id
                    extra = (
                        (f"Nomor pesanan {order_no}." if lang == "id" else f"Order number {order_no}.")
                        if (position == 0)
                        else ""
                    )
                    text, stem_list = corpus.compose(
                        rng, lang, rng.randint(2, 12), extra=extra, quoted=rng.random() < 0.08
                    )
                    last_customer = at
                elif rng.random() < 0.15:
                    kind, author, customer = "note", assignee or 2, None
                    text, stem_list = corpus.compose(rng, "note", rng.randint(1, 3))
                else:
                    kind, author, customer = "reply", assignee or 2, None
                    text, stem_list = corpus.compose(rng, f"{lang}_reply", rng.randint(2, 6))
                    first_response = first_response or at
                    last_reply = at
                messages.append(
                    message_row(
                        message_id,
                        ticket_id,
                        kind,
                        author,
                        customer,
                        channels[ticket_id % 7] if kind != "note" else "",
                        text,
                        "",
                        "{}",
                        "sent" if kind == "reply" else "",
                        at,
                    )
                )
                entry_id += 1
                entries.append(entry_row(entry_id, ticket_id, message_id, " ".join(stem_list)))
                # The newest conversations would otherwise run into the future.
                at = min(at + timedelta(minutes=rng.randint(5, 3000)), now)
            if status in ("solved", "closed") or rng.random() < 0.3:
                message_id += 1
                messages.append(
                    message_row(
                        message_id,
                        ticket_id,
                        "event",
                        assignee,
                        None,
                        "",
                        "",
                        "status_changed",
                        json.dumps({"previous": "open", "status": status}),
                        "",
                        at,
                    )
                )
            solved_at = at if status in ("solved", "closed") else None
            closed_at = at if status == "closed" else None
            tickets.append(
                ticket_row(
                    ticket_id,
                    subject_text,
                    status,
                    rng.choice((1, 2, 2, 2, 3, 4)),
                    channels[ticket_id % 7],
                    lang,
                    customer_id,
                    team_id,
                    assignee,
                    created,
                    at,
                    last_customer,
                    last_reply,
                    first_response,
                    solved_at,
                    closed_at,
                    count,
                )
            )
            if rng.random() < 0.3:
                tags.append((ticket_id, rng.randint(1, len(TAGS))))
        with transaction.atomic():
            writer.write(Ticket._meta.db_table, t_names, tickets)
            writer.write(Message._meta.db_table, m_names, messages)
            writer.write(SearchEntry._meta.db_table, s_names, entries)
            writer.write(tag_table, ["ticket_id", "tag_id"], tags)
        bar.update(stop - start)
    bar.close()

    t0 = time.perf_counter()
    if progress:
        print("building the search index…", file=sys.stderr, flush=True)
    with transaction.atomic():
        _build_search_index()
    if progress:
        print(
            f"search index built in {time.perf_counter() - t0:.0f} s; analysing…", file=sys.stderr, flush=True
        )
    _reset_sequences([Team, User, Tag, Customer, Identity, Ticket, Message, SearchEntry])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        if not writer.pg:
            cursor.execute("PRAGMA journal_mode=WAL")
    return LoadResult(
        n_tickets=n_tickets,
        n_messages=message_id,
        n_search_entries=entry_id,
        n_customers=n_customers,
        n_agents=n_agents,
        n_teams=n_teams,
        seconds=time.perf_counter() - started,
        bench_user_teams=bench_teams,
    )


def api_token() -> str:
    """A fresh API token for the benchmark agent, through the real service."""
    from tanggap.accounts.models import User
    from tanggap.accounts.services import api_token_create

    user = User.objects.get(username=BENCH_USER)
    _, raw = api_token_create(actor=user, user=user, name="bench")
    return raw
