"""The plain value every channel builds from what it received. Pure: no Django."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

MAX_TEXT = 512 * 1024
MAX_SUBJECT = 250
MAX_ATTACHMENT = 25 * 1024 * 1024
MAX_ATTACHMENTS = 50


@dataclass(frozen=True, slots=True)
class InboundAttachment:
    filename: str
    content_type: str
    data: bytes = field(repr=False)
    content_id: str = ""


@dataclass(frozen=True, slots=True)
class Sender:
    kind: str  # "email", "phone" or "handle" (customers.IdentityKind)
    value: str
    name: str = ""


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A customer's message from any channel.

    ``idempotency_key`` is the channel's stable identity of the message (e-mail Message-ID, a form
    submission id, a provider's message id): receiving the same key twice stores it once.
    ``ticket_id`` is set by the channel when it has already threaded the message to a ticket;
    ``team_id`` is the team a new ticket goes to (the inbox's team). ``automatic`` names machine mail
    (``"auto_reply"``, ``"bounce"`` … from ``inboxes.email.loops``): it joins its thread without
    changing the ticket's status and is never answered automatically.
    ``visible_length`` is how much of ``text`` is the sender's own reply when the channel found quoted
    history or a signature after it (``text[:visible_length]``); ``None`` shows the whole text. It is
    worked out once, here at intake, so showing a message never runs the trimmer.
    ``stems`` is ``core.text.search_text(text)`` when the channel already worked it out (a mail's
    reading worker does, off the writing process); ``None`` leaves it to ``message_receive``.
    """

    channel: str
    sender: Sender
    text: str
    idempotency_key: str | None = None
    subject: str = ""
    html: str = ""
    received_at: datetime | None = None
    ticket_id: int | None = None
    external_id: str = ""
    language: str = ""
    attachments: tuple[InboundAttachment, ...] = ()
    team_id: int | None = None
    automatic: str = ""
    visible_length: int | None = None
    stems: str | None = None
