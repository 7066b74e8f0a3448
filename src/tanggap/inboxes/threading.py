"""Finding the ticket an inbound mail belongs to, and remembering the Message-IDs that lead back to it.

The rules are the pure ones of ``email.thread``: the mail's headers first (In-Reply-To, then References
nearest first; for a bounce, the id of the mail that bounced), then the ticket token in the subject,
else a new ticket. The headers decide, not the sender: a customer answering from another address of
theirs still lands on the ticket.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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


def thread_match(
    *,
    inbox: Inbox,
    in_reply_to: str | None,
    references: Iterable[str],
    subject: str,
    bounced_message_id: str | None = None,
) -> ThreadMatch | None:
    """The ticket the mail continues, and what said so; None for a new conversation.

    A bounce counts only for a mail we sent: anyone can write a "bounce" naming any Message-ID.
    """
    if bounced_message_id:
        key = message_id_key(bounced_message_id)
        ticket_id = _first_known(
            MailMessageId.objects.filter(message_id=key, direction=MailDirection.OUTBOUND).values_list(
                "message_id", "ticket_id"
            )[:1],
            (key,),
        )
        if ticket_id is not None:
            return ThreadMatch(ticket_id, "bounce")
    keys = reference_candidates(in_reply_to, references)
    if keys:
        rows = MailMessageId.objects.filter(inbox=inbox, message_id__in=keys).values_list(
            "message_id", "ticket_id"
        )
        ticket_id = _first_known(rows, keys)
        if ticket_id is not None:
            return ThreadMatch(ticket_id, "headers")
        # Our own ids are unique everywhere: a reply to a mail we sent from another inbox finds it.
        rows = MailMessageId.objects.filter(
            direction=MailDirection.OUTBOUND, message_id__in=keys
        ).values_list("message_id", "ticket_id")
        ticket_id = _first_known(rows, keys)
        if ticket_id is not None:
            return ThreadMatch(ticket_id, "sent_headers")
    number = ticket_number_in_subject(subject)
    if number is not None and Ticket.objects.filter(pk=number).exists():
        return ThreadMatch(number, "subject_token")
    return None


def message_id_record(*, inbox: Inbox, message_id: str, ticket: Ticket, direction: str) -> None:
    """Remember that ``message_id`` belongs to ``ticket`` in ``inbox`` (received or sent). The first
    record wins: the same id seen again keeps pointing where it pointed."""
    key = message_id_key(message_id)
    if not key:
        return
    MailMessageId.objects.bulk_create(
        [MailMessageId(inbox=inbox, message_id=key, ticket=ticket, direction=direction)],
        ignore_conflicts=True,
    )
