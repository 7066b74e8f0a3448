"""Full-text search over ticket subjects and messages: one selector over SQLite FTS5 and PostgreSQL.

Each subject and message has a ``SearchEntry`` row whose ``stems`` hold both languages' stems
(``core.text.search_text``). SQLite indexes them with an FTS5 external-content table, PostgreSQL
with a GIN index on a stored ``to_tsvector('simple', stems)`` column (migration ``0002_search_index``,
which says why it is a column and not an expression index). A query
matches an entry when every query word matches one of its stem alternatives
(``core.text.query_terms``).

Order and cost. Results are tickets ordered by their newest matching entry (subject or message),
newest first: entry ids grow with time, so this is "most recent matching activity first", and it
is the one order both engines can produce without collecting every match. A relevance rank would
have to score every match of a common word ("pesanan" is in a third of all messages: a million
rows at 3,000,000 messages) before returning the first page, which no index makes fast.

So the search walks the matches newest-first in growing chunks (FTS5 reads its doclists in rowid
order; PostgreSQL reads the newest entries by id windows, then the GIN index for older, rarer
matches, see ``_pg_matching_entries``), keeps the tickets the user may see that are
not merged, and stops as soon as it has ``offset + limit`` of them. A common word is answered from
the newest few hundred entries; a rare word reads its few matches from the index. The trade-off:
after ``MAX_SCANNED`` matching entries the walk stops, so a user who may see only a small share of
the tickets can miss old matches of a very common word. Narrowing the query finds them.

User input never reaches either query language unescaped: query words are runs of letters and
digits (``core.text``), and each one is still quoted (FTS5 ``"..."``, tsquery ``'...'``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.db import connection

from tanggap.accounts.permissions import can
from tanggap.core.text import query_terms
from tanggap.tickets.models import Ticket
from tanggap.tickets.selectors import TicketRow, ticket_rows, ticket_visibility_sql

FIRST_CHUNK = 100
CHUNK_GROWTH = 4
MAX_CHUNK = 10_000
MAX_SCANNED = 10_000
MAX_LIMIT = 100
MAX_OFFSET = 1_000


def _fts5_query(terms: Sequence[Sequence[str]]) -> str:
    """FTS5 MATCH text: every term, any of its alternatives; each alternative a quoted string, so
    operators (AND, OR, NOT, NEAR), column filters, ``*`` and ``^`` in the input stay words."""

    def quote(word: str) -> str:
        return '"' + word.replace('"', '""') + '"'

    return " AND ".join("(" + " OR ".join(quote(alt) for alt in alts) + ")" for alts in terms)


def _tsquery(terms: Sequence[Sequence[str]]) -> str:
    """``to_tsquery('simple', ...)`` text built from quoted lexemes, parsed by the same parser as the
    stored ``to_tsvector('simple', stems)``, so a lexeme matches exactly what it matched there."""

    def quote(word: str) -> str:
        return "'" + word.replace("\\", "\\\\").replace("'", "''") + "'"

    return " & ".join("(" + " | ".join(quote(alt) for alt in alts) + ")" for alts in terms)


def _matching_entries(
    terms: Sequence[Sequence[str]], below: int | None, count: int, *, rare: bool = False
) -> list[tuple[int, int]]:
    """(entry id, ticket id) of the ``count`` newest entries matching ``terms`` with id < ``below``."""
    if connection.vendor == "postgresql":
        return _pg_matching_entries(_tsquery(terms), below, count, rare=rare)
    bound = below if below is not None else 2**63 - 1
    with connection.cursor() as cursor:
        # The sub-select lets FTS5 walk its doclists backwards and stop at ``count``; the join to
        # the entry is then one primary-key lookup per match.
        cursor.execute(
            "SELECT e.id, e.ticket_id FROM tickets_searchentry e WHERE e.id IN ("
            " SELECT rowid FROM tickets_searchentry_fts WHERE tickets_searchentry_fts MATCH %s"
            "  AND rowid < %s"
            "  ORDER BY rowid DESC LIMIT %s)"
            " ORDER BY e.id DESC",
            [_fts5_query(terms), bound, count],
        )
        return [(int(entry_id), int(ticket_id)) for entry_id, ticket_id in cursor.fetchall()]


# PostgreSQL: newest entries are read by id windows first, then the GIN index for what is left.
PG_FIRST_WINDOW = 4_000
PG_WINDOWS_UP_TO = 300_000
# At most this many estimated matches and the GIN index is read at once, with no windows first.
PG_RARE_MATCHES = 20_000


def _is_rare(terms: Sequence[Sequence[str]]) -> bool:
    """Whether the planner expects few enough matches to read them all from the index (PostgreSQL).

    An order number or a three-word phrase matches a few thousand entries at most: reading them
    from the GIN index costs a few ms, while the newest-first windows would read hundreds of
    thousands of entries before finding enough (measured at 1,000,000 tickets: 18-130 ms). The
    estimate only chooses between two correct plans.
    """
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM tickets_searchentry"
            " WHERE search_vector @@ to_tsquery('simple'::regconfig, %s)",
            [_tsquery(terms)],
        )
        plan = cursor.fetchone()[0]
    if isinstance(plan, str | bytes):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"]) <= PG_RARE_MATCHES


def _pg_matching_entries(
    tsquery: str, below: int | None, count: int, *, rare: bool = False
) -> list[tuple[int, int]]:
    """The same as ``_matching_entries`` on PostgreSQL, with a plan chosen here and not by estimates.

    Left to itself, the planner reads the primary key backwards and checks each entry whenever it
    believes a word common; for a word it has no statistics on (an order number) it can believe so
    wrongly and read all 4,000,000 entries (measured: 4.6 s). So: first the newest entries in
    growing id windows (a bounded primary-key range, a few µs per entry: fast for any word common
    enough to fill the page there), then, for a rarer word, the GIN index for everything older,
    sorted (``id + 0`` keeps the planner off the backwards primary-key walk); few rows match there.
    """
    rows: list[tuple[int, int]] = []
    with connection.cursor() as cursor:
        if below is None:
            cursor.execute("SELECT max(id) FROM tickets_searchentry")
            newest = cursor.fetchone()[0]
            if newest is None:
                return []
            below = int(newest) + 1
        high, window, read = below, PG_FIRST_WINDOW, 0
        while not rare and read < PG_WINDOWS_UP_TO and high > 1 and len(rows) < count:
            low = max(1, high - window)
            # ``ts_match_vq`` is ``@@`` that the planner cannot answer from the GIN index: a window
            # must be a backwards primary-key walk, not a bitmap of every match of a common word
            # ANDed with the range (measured: 80 ms instead of 2 ms for a 16,000-entry window).
            cursor.execute(
                "SELECT id, ticket_id FROM tickets_searchentry"
                " WHERE id >= %s AND id < %s"
                " AND ts_match_vq(search_vector, to_tsquery('simple'::regconfig, %s))"
                " ORDER BY id DESC LIMIT %s",
                [low, high, tsquery, count - len(rows)],
            )
            rows += cursor.fetchall()
            read += high - low
            high, window = low, window * 4
        if len(rows) < count and high > 1:
            cursor.execute(
                "SELECT id, ticket_id FROM tickets_searchentry"
                " WHERE search_vector @@ to_tsquery('simple'::regconfig, %s) AND id < %s"
                " ORDER BY id + 0 DESC LIMIT %s",
                [tsquery, high, count - len(rows)],
            )
            rows += cursor.fetchall()
    return [(int(entry_id), int(ticket_id)) for entry_id, ticket_id in rows]


def _visible(user: Any, ticket_ids: set[int]) -> set[int]:
    """Which of ``ticket_ids`` the user may see and are not merged into another ticket."""
    condition, params = ticket_visibility_sql(user)
    ids = sorted(ticket_ids)
    ids_params: list[Any]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One array parameter: an IN list of thousands of parameters costs more to plan than to run.
            ids_sql, ids_params = "id = ANY(%s)", [ids]
        else:
            ids_sql, ids_params = f"id IN ({', '.join(['%s'] * len(ids))})", list(ids)
        cursor.execute(
            f"SELECT id FROM tickets_ticket WHERE {ids_sql} AND merged_into_id IS NULL AND {condition}",  # noqa: S608
            [*ids_params, *params],
        )
        return {int(row[0]) for row in cursor.fetchall()}


def ticket_search(*, user: Any, query: str, limit: int = 25, offset: int = 0) -> list[Ticket]:
    """Tickets the user may see whose subject or a message matches every word of ``query``
    (stemmed, Indonesian and English), the one with the newest matching entry first."""
    page = ticket_search_ids(user=user, query=query, limit=limit, offset=offset)
    tickets = Ticket.objects.select_related("customer", "team", "assignee").in_bulk(page)
    return [tickets[pk] for pk in page if pk in tickets]


def ticket_search_rows(*, user: Any, query: str, limit: int = 25, offset: int = 0) -> list[TicketRow]:
    """``ticket_search`` as list rows (plain values, as the queue shows them)."""
    page = ticket_search_ids(user=user, query=query, limit=limit, offset=offset)
    rows = {row.id: row for row in ticket_rows(Ticket.objects.filter(pk__in=page))} if page else {}
    return [rows[pk] for pk in page if pk in rows]


def ticket_search_ids(*, user: Any, query: str, limit: int = 25, offset: int = 0) -> list[int]:
    """The ids of ``ticket_search``'s tickets, in its order."""
    terms = query_terms(query or "")
    limit = max(0, min(int(limit), MAX_LIMIT))
    offset = max(0, min(int(offset), MAX_OFFSET))
    if not terms or limit == 0 or not can(user, "ticket.view"):
        return []
    wanted = offset + limit
    found: list[int] = []
    seen: set[int] = set()
    below: int | None = None
    chunk = max(FIRST_CHUNK, 16 * wanted)
    rare = _is_rare(terms)
    if rare:  # every match in one read: the index is read whole whatever the limit
        chunk = MAX_CHUNK
    scanned = 0
    while len(found) < wanted and scanned < MAX_SCANNED:
        size = min(chunk, MAX_CHUNK, MAX_SCANNED - scanned)
        rows = _matching_entries(terms, below, size, rare=rare)
        scanned += len(rows)
        # New tickets in order, checked for visibility a growing slice at a time: a rare word's
        # whole read can hold thousands, and the first few hundred usually fill the page.
        fresh = list(dict.fromkeys(ticket_id for _, ticket_id in rows if ticket_id not in seen))
        seen.update(fresh)
        step = max(FIRST_CHUNK, 4 * wanted)
        while fresh and len(found) < wanted:
            batch, fresh = fresh[:step], fresh[step:]
            visible = _visible(user, set(batch))
            found += [ticket_id for ticket_id in batch if ticket_id in visible]
            step *= CHUNK_GROWTH
        if len(rows) < size:
            break
        below = rows[-1][0]
        chunk *= CHUNK_GROWTH
    return found[offset:wanted]
