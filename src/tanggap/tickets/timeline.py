"""Writing a ticket's timeline: the building blocks the ticket services share (appending messages
and events, the search entry, attachments, tags, status changes through the workflow table).

Only ``tickets.services`` (and ``tickets.receiving`` for it) calls these, inside its transactions;
other contexts use the services.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from tanggap.accounts.models import Team, User
from tanggap.core import events
from tanggap.core.audit import audit_record
from tanggap.core.blobs import BlobStore, default_store
from tanggap.core.bulk import insert_many
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput, NotFound
from tanggap.core.html import sanitise, text_from_html
from tanggap.core.slugs import normalise_tag
from tanggap.core.text import search_text
from tanggap.customers.models import Customer
from tanggap.tickets import workflow
from tanggap.tickets.inbound import (
    MAX_ATTACHMENT,
    MAX_ATTACHMENTS,
    MAX_SUBJECT,
    MAX_TEXT,
    InboundAttachment,
    InboundMessage,
)
from tanggap.tickets.models import (
    Attachment,
    DeliveryStatus,
    Message,
    MessageKind,
    Priority,
    SearchEntry,
    Status,
    Tag,
    Ticket,
)

UNSET: Any = object()
MAX_TAGS = 30
MAX_IDEMPOTENCY_KEY = 255  # Message.idempotency_key's column width
BULK_ACTIONS = frozenset({"assign", "close", "status"})


SUBJECT_FROM_TEXT = 80


def _clean_subject(subject: str, fallback: str) -> str:
    """The subject, or for channels without one (SMS, chat) the start of the text, cut at a word."""
    subject = " ".join((subject or "").split())
    if not subject:
        words = " ".join(fallback.split())
        if len(words) > SUBJECT_FROM_TEXT:
            cut = words[: SUBJECT_FROM_TEXT + 1].rsplit(" ", 1)[0].rstrip(",;:.-")
            words = (cut or words[:SUBJECT_FROM_TEXT]) + "…"
        subject = words or "(no subject)"
    return subject[:MAX_SUBJECT]


def _check_body(text: str, html: str) -> tuple[str, str]:
    if len(text) > MAX_TEXT or len(html) > 4 * MAX_TEXT:
        raise ApplicationError(ErrorCode.TOO_LARGE, field="text", limit=MAX_TEXT)
    safe_html = sanitise(html) if html else ""
    if not text.strip() and safe_html:
        # Bounded like typed text: markup-light HTML can render to more text than the limit.
        text = text_from_html(safe_html)[:MAX_TEXT]
    return text, safe_html


def _check_attachments(attachments: Sequence[InboundAttachment]) -> None:
    """Refuse before anything is written (blobs land on disk outside the transaction)."""
    if len(attachments) > MAX_ATTACHMENTS:
        raise ApplicationError(ErrorCode.TOO_LARGE, field="attachments", limit=MAX_ATTACHMENTS)
    for item in attachments:
        if len(item.data) > MAX_ATTACHMENT:
            raise ApplicationError(ErrorCode.TOO_LARGE, field="attachments", limit=MAX_ATTACHMENT)


def _idempotency_key(key: str | None) -> str | None:
    """Keys longer than the column (e-mail Message-IDs may reach 998 characters) are stored as their
    hash, so the same long key still maps to the same row."""
    if not key:
        return None
    if len(key) <= MAX_IDEMPOTENCY_KEY:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def _locked(ticket: Ticket) -> Ticket:
    """The ticket re-read under a row lock: every counter and field written from it is current."""
    found = (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("customer", "team", "assignee")
        .filter(pk=ticket.pk)
        .first()
    )
    if found is None:
        raise NotFound(object="ticket")
    return found


def _append(
    *,
    ticket: Ticket,
    kind: str,
    at: datetime,
    author: Any = None,
    customer: Customer | None = None,
    text: str = "",
    html: str = "",
    channel: str = "",
    event_code: str = "",
    event_data: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
    external_id: str = "",
    delivery_status: str = DeliveryStatus.NONE,
    automatic: str = "",
    visible_length: int | None = None,
) -> Message:
    message = Message.objects.create(
        ticket=ticket,
        kind=kind,
        author=author if getattr(author, "pk", None) else None,
        customer=customer,
        channel=channel,
        body_text=text,
        body_html=html,
        event_code=event_code,
        event_data=event_data or {},
        idempotency_key=idempotency_key,
        external_id=external_id[:998],
        delivery_status=delivery_status,
        automatic=automatic,
        visible_length=visible_length,
        created_at=at,
    )
    if kind != MessageKind.EVENT:
        ticket.message_count += 1
        SearchEntry.objects.create(ticket=ticket, message=message, stems=search_text(text))
    return message


def _event(ticket: Ticket, code: str, actor: Any, at: datetime, **data: Any) -> Message:
    return _append(
        ticket=ticket, kind=MessageKind.EVENT, at=at, author=actor, event_code=code, event_data=data
    )


def _index_subject(ticket: Ticket) -> None:
    SearchEntry.objects.update_or_create(
        ticket=ticket, message=None, defaults={"stems": search_text(ticket.subject)}
    )


def _store_attachments(
    message: Message, attachments: Sequence[InboundAttachment], store: BlobStore | None = None
) -> None:
    _store_attachments_many([(message, attachments)], store)


def _store_attachments_many(
    pairs: Sequence[tuple[Message, Sequence[InboundAttachment]]], store: BlobStore | None = None
) -> None:
    """The attachments of many messages: their blobs flushed to disk together, one insert of rows."""
    for _message, attachments in pairs:
        _check_attachments(attachments)
    items = [(message, item) for message, attachments in pairs for item in attachments]
    if not items:
        return
    names = (store or default_store()).put_many([item.data for _, item in items])
    insert_many(
        [
            Attachment(
                message=message,
                sha256=sha256,
                filename=(item.filename or "attachment")[:255],
                content_type=(item.content_type or "application/octet-stream")[:255],
                size=len(item.data),
                content_id=item.content_id[:255],
            )
            for (message, item), sha256 in zip(items, names, strict=True)
        ]
    )


def _set_tags(ticket: Ticket, names: Iterable[str]) -> list[str]:
    if isinstance(names, str):
        names = [names]
    clean = sorted({tag for tag in (normalise_tag(n) for n in names) if tag})
    if len(clean) > MAX_TAGS:
        raise InvalidInput(field="tags", limit=MAX_TAGS)
    tags = []
    for name in clean:
        tag, _ = Tag.objects.get_or_create(name=name)
        tags.append(tag)
    ticket.tags.set(tags)
    return clean


def _in_team(user: User, team: Team | None) -> bool:
    return team is None or user.is_admin or user.teams.filter(pk=team.pk).exists()


def _check_assignee(assignee: User | None, team: Team | None) -> None:
    if assignee is None:
        return
    if not assignee.is_active:
        raise InvalidInput("the agent is not active", field="assignee")
    if not _in_team(assignee, team):
        raise InvalidInput("the agent is not a member of the ticket's team", field="assignee")


def _announce_assignment(
    ticket: Ticket, actor: Any, reason: str = "", previous_assignee_id: int | None = None
) -> None:
    data: dict[str, Any] = {"assignee_id": ticket.assignee_id, "team_id": ticket.team_id}
    if reason:
        data["reason"] = reason
    audit_record(actor=actor, action="ticket.assigned", target=ticket, data=data)
    events.publish(
        events.TICKET_ASSIGNED,
        {
            "ticket_id": ticket.pk,
            "assignee_id": ticket.assignee_id,
            "team_id": ticket.team_id,
            "actor_id": getattr(actor, "pk", None),
            "previous_assignee_id": previous_assignee_id,
            "reason": reason,
        },
    )


def _new_ticket(
    *,
    customer: Customer,
    subject: str,
    channel: str,
    at: datetime,
    language: str = "",
    team: Team | None = None,
    priority: int = Priority.NORMAL,
    follow_up_of: Ticket | None = None,
    assignee: User | None = None,
) -> Ticket:
    ticket = Ticket.objects.create(
        subject=subject,
        channel=channel,
        customer=customer,
        language=language[:8],
        team=team,
        assignee=assignee,
        assigned_at=at if assignee is not None else None,
        priority=priority,
        follow_up_of=follow_up_of,
        created_at=at,
        updated_at=at,
    )
    _index_subject(ticket)
    return ticket


def _transition(
    ticket: Ticket, target: str, actor: Any, at: datetime, reason: str = "", *, force: bool = False
) -> bool:
    """Change the status through the workflow table. Returns whether it changed.

    ``force`` is for merging only: the source is closed whatever its status, but the change is still
    recorded, audited and published like any other so clocks and subscribers see it.
    """
    if target not in Status.values:
        raise InvalidInput(field="status")
    if ticket.status == target:
        return False
    if not force and not workflow.can_transition(ticket.status, target):
        raise ApplicationError(ErrorCode.INVALID_TRANSITION, current=ticket.status, target=target)
    previous = ticket.status
    ticket.status = target
    if target == Status.SOLVED:
        ticket.solved_at = at
    elif target == Status.CLOSED:
        ticket.closed_at = at
    elif previous == Status.SOLVED:
        ticket.solved_at = None
    ticket.updated_at = max(ticket.updated_at, at)
    _event(ticket, "status_changed", actor, at, previous=previous, status=target, reason=reason)
    audit_record(
        actor=actor,
        action="ticket.status_changed",
        target=ticket,
        data={"from": previous, "to": target, **({"reason": reason} if reason else {})},
    )
    events.publish(
        events.TICKET_STATUS_CHANGED,
        {
            "ticket_id": ticket.pk,
            "previous": previous,
            "status": target,
            "actor_id": getattr(actor, "pk", None),
        },
    )
    return True


# ---------------------------------------------------------------- receiving


def _thread_target(ticket_id: int) -> Ticket | None:
    """The locked ticket a message for ``ticket_id`` belongs to: merged tickets forward to the
    ticket they were merged into."""
    try:
        ticket = Ticket.objects.select_for_update().filter(pk=int(ticket_id)).first()
    except (TypeError, ValueError, OverflowError):
        return None
    seen: set[int] = set()
    while ticket is not None and ticket.merged_into_id and ticket.pk not in seen:
        seen.add(ticket.pk)
        ticket = Ticket.objects.select_for_update().filter(pk=ticket.merged_into_id).first()
    return ticket


def _search_stems(inbound: InboundMessage, text: str) -> str:
    """What the search index stores for ``text``: the channel's stems when they describe exactly
    the text stored, else worked out here."""
    if inbound.stems is not None and text == inbound.text:
        return inbound.stems
    return search_text(text)


def _visible_length(inbound: InboundMessage, text: str) -> int | None:
    """The channel's cut, kept only when it falls inside the text actually stored (an HTML-only
    message stores text made from its HTML, which the cut does not describe)."""
    length = inbound.visible_length
    if length is None or text != inbound.text or not 0 < length < len(text):
        return None
    return length
