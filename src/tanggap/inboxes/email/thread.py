"""Threading rules for e-mail as plain functions: which Message-IDs a mail points at, in which order to
try them, and the ticket token we put in subjects. Pure: no Django.

A mail threads by its headers first (In-Reply-To, then References from the newest ancestor back to the
root), then by the ticket token in its subject, else it opens a new ticket. Subject text alone never
threads: two customers who both write "Pesanan belum sampai" are two conversations.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

# The one format of the ticket token in the subject of every mail we send: "[#1234] Pesanan belum sampai".
TICKET_TOKEN = "[#{number}]"  # noqa: S105  (a subject marker, not a secret)
_TOKEN = re.compile(r"\[#(\d{1,12})\]")

MAX_KEY = 255  # MailMessageId.message_id's column width
MAX_CANDIDATES = 50  # a thread deeper than this is found through its nearest ancestors


def ticket_token(number: int) -> str:
    return TICKET_TOKEN.format(number=number)


def subject_with_token(subject: str, number: int) -> str:
    """The subject of a mail we send about ticket ``number``, with its token once."""
    token = ticket_token(number)
    subject = " ".join((subject or "").split())
    return subject if token in subject else f"{token} {subject}".strip()


def ticket_number_in_subject(subject: str) -> int | None:
    """The ticket number a subject's token names (the first token), or None."""
    match = _TOKEN.search(subject or "")
    if match is None:
        return None
    number = int(match.group(1))
    return number if number > 0 else None


def message_id_key(message_id: str) -> str:
    """A Message-ID as stored and looked up: without angle brackets, and as its hash when longer than
    the column (Message-IDs may reach 998 characters), so the same long id still finds the same row."""
    value = (message_id or "").strip().strip("<>").strip()
    if len(value) <= MAX_KEY:
        return value
    return "sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def reference_candidates(in_reply_to: str | None, references: Iterable[str]) -> tuple[str, ...]:
    """The ids a mail answers, nearest first: In-Reply-To, then References newest to oldest (each once,
    as lookup keys). The nearest known ancestor decides, so a thread split by a merge or a follow-up
    follows its latest ticket."""
    seen: dict[str, None] = {}
    for value in [in_reply_to or "", *reversed(tuple(references))]:
        key = message_id_key(value)
        if key and key not in seen:
            seen[key] = None
        if len(seen) >= MAX_CANDIDATES:
            break
    return tuple(seen)
