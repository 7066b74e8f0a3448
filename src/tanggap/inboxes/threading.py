"""Finding the ticket an inbound mail belongs to, and remembering the Message-IDs that lead back to it.

The rules are the pure ones of ``email.thread``: the mail's headers first (In-Reply-To, then References
nearest first; for a bounce, the id of the mail that bounced), then the ticket token in the subject,
else a new ticket. The headers decide, not the sender: a customer answering from another address of
theirs still lands on the ticket.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from tanggap.core.bulk import insert_rows
from tanggap.inboxes.email.thread import message_id_key, reference_candidates, ticket_number_in_subject
from tanggap.inboxes.models import Inbox, MailDirection, MailMessageId
from tanggap.tickets.models import Ticket


@dataclass(frozen=True, slots=True)
class ThreadMatch:
    ticket_id: int
    by: str  # "bounce", "headers", "sent_headers" (our id, found through another inbox) or "subject_token"


def _first_known(rows: Iterable[tuple[str, int]], keys: tuple[str, ...]) -> int | None:
    found = dict(rows)
    return next((found[key] for key in keys if key in found), None)


@dataclass(frozen=True, slots=True)
class ThreadQuery:
    """What one inbound mail says about the conversation it continues."""

    inbox: Inbox
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    bounced_message_id: str | None = None


def _known(query: Any, keys: set[str]) -> dict[str, int]:
    """``message_id -> ticket_id`` of the rows of ``query`` whose id is one of ``keys``, 500 at a time."""
    ordered, found = sorted(keys), {}
    for start in range(0, len(ordered), 500):
        found.update(
            query.filter(message_id__in=ordered[start : start + 500]).values_list("message_id", "ticket_id")
        )
    return found


def thread_match_many(queries: Sequence[ThreadQuery]) -> list[ThreadMatch | None]:
    """The ticket each mail continues, and what said so (None: a new conversation), with a fixed
    number of reads whatever their count. A bounce counts only for a mail we sent: anyone can write
    a "bounce" naming any Message-ID."""
    bounced = {message_id_key(q.bounced_message_id) for q in queries if q.bounced_message_id} - {""}
    candidates = [reference_candidates(q.in_reply_to, q.references) for q in queries]
    by_inbox: dict[int, set[str]] = {}
    for query, keys in zip(queries, candidates, strict=True):
        by_inbox.setdefault(query.inbox.pk, set()).update(keys)
    every_key = set().union(*by_inbox.values()) if by_inbox else set()
    sent = _known(MailMessageId.objects.filter(direction=MailDirection.OUTBOUND), bounced | every_key)
    received = {
        inbox_id: _known(MailMessageId.objects.filter(inbox_id=inbox_id), keys)
        for inbox_id, keys in by_inbox.items()
        if keys
    }
    numbers = {n for q in queries if (n := ticket_number_in_subject(q.subject)) is not None}
    existing = (
        set(Ticket.objects.filter(pk__in=sorted(numbers)).values_list("pk", flat=True)) if numbers else set()
    )
    matches: list[ThreadMatch | None] = []
    for query, keys in zip(queries, candidates, strict=True):
        matches.append(_match(query, keys, sent, received.get(query.inbox.pk, {}), existing))
    return matches


def _match(
    query: ThreadQuery,
    keys: tuple[str, ...],
    sent: dict[str, int],
    received: dict[str, int],
    existing: set[int],
) -> ThreadMatch | None:
    if query.bounced_message_id:
        ticket_id = sent.get(message_id_key(query.bounced_message_id))
        if ticket_id is not None:
            return ThreadMatch(ticket_id, "bounce")
    ticket_id = _first_known(received.items(), keys)
    if ticket_id is not None:
        return ThreadMatch(ticket_id, "headers")
    # Our own ids are unique everywhere: a reply to a mail we sent from another inbox finds it.
    ticket_id = _first_known(sent.items(), keys)
    if ticket_id is not None:
        return ThreadMatch(ticket_id, "sent_headers")
    number = ticket_number_in_subject(query.subject)
    if number is not None and number in existing:
        return ThreadMatch(number, "subject_token")
    return None


def message_id_record(*, inbox: Inbox, message_id: str, ticket: Ticket, direction: str) -> None:
    """Remember that ``message_id`` belongs to ``ticket`` in ``inbox`` (received or sent). The first
    record wins: the same id seen again keeps pointing where it pointed."""
    message_ids_record([(inbox, message_id, ticket, direction)])


def message_ids_record(records: Iterable[tuple[Inbox, str, Ticket, str]]) -> None:
    """``message_id_record`` for many ``(inbox, message_id, ticket, direction)`` in one insert."""
    now = timezone.now()
    rows = [
        (inbox.pk, key, ticket.pk, direction, now)
        for inbox, message_id, ticket, direction in records
        if (key := message_id_key(message_id))
    ]
    insert_rows(
        MailMessageId,
        ("inbox_id", "message_id", "ticket_id", "direction", "created_at"),
        rows,
        ignore_conflicts=True,
    )
