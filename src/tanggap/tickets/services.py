"""Writing tickets: the one write path for every channel and every agent action.

Every service is keyword-only, runs in one transaction, leaves an audit row with the acting user
and publishes its events after commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from tanggap.accounts.models import Team, User
from tanggap.accounts.permissions import require
from tanggap.core import events
from tanggap.core.audit import audit_record
from tanggap.core.blobs import BlobStore
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput, NotFound
from tanggap.core.text import guess_language, search_text
from tanggap.customers.models import Customer
from tanggap.customers.selectors import customer_survivor
from tanggap.tickets import outbound, receiving, workflow
from tanggap.tickets.inbound import (
    InboundAttachment,
    InboundMessage,
)
from tanggap.tickets.models import (
    Channel,
    DeliveryStatus,
    Message,
    MessageKind,
    Priority,
    SearchEntry,
    Status,
    Ticket,
    TicketPresence,
)

# Re-exported: ReceiveResult is built by the receiving machinery, but callers take it from here, beside
# message_receive / messages_receive that return it (the one write path, docs/architecture.md).
from tanggap.tickets.receiving import ReceiveResult
from tanggap.tickets.timeline import (
    BULK_ACTIONS,
    UNSET,
    _announce_assignment,
    _append,
    _check_assignee,
    _check_attachments,
    _check_body,
    _clean_subject,
    _event,
    _in_team,
    _index_subject,
    _locked,
    _new_ticket,
    _set_tags,
    _store_attachments,
    _transition,
)

# ---------------------------------------------------------------- inbound


def message_receive(*, inbound: InboundMessage, store: BlobStore | None = None) -> ReceiveResult:
    """The single entry point for every inbound channel.

    Finds or creates the customer through the sender's identity, threads the message to the ticket
    the channel named (a closed ticket gets a follow-up) or opens a new one, appends the message and
    reopens a ticket that was waiting. Receiving the same ``idempotency_key`` twice stores it once.

    An automatic message (``inbound.automatic``: an auto-reply, a bounce …) joins the ticket it
    threads to as it is, closed or not, and changes no status; unthreaded, it still opens a ticket.
    """
    result = messages_receive(inbounds=[inbound], store=store)[0]
    if isinstance(result, ApplicationError):
        raise result
    return result


def messages_receive(
    *, inbounds: Sequence[InboundMessage], store: BlobStore | None = None
) -> list[ReceiveResult | ApplicationError]:
    """``message_receive`` for many messages, in order, in one transaction: the same rules, with a
    fixed number of statements per batch instead of per message (a mail import, an IMAP poll).

    Each entry of the result is the message's ``ReceiveResult``, or the ``ApplicationError`` that
    refused it (an empty text, an attachment over the limit …); a refused message writes nothing and
    the others are still received. Messages of one batch never thread to tickets the same batch
    opens (``ticket_id`` names tickets that exist); a channel that threads replies to messages of the
    same batch sends them in a later batch.
    """
    return receiving.receive(inbounds=inbounds, store=store)


# ---------------------------------------------------------------- agent actions


@transaction.atomic
def ticket_create(
    *,
    actor: User,
    customer: Customer,
    subject: str,
    text: str,
    html: str = "",
    channel: str = Channel.PHONE,
    team: Team | None = None,
    priority: int = Priority.NORMAL,
    assignee: User | None = None,
    tags: Sequence[str] = (),
    as_reply: bool = False,
    attachments: Sequence[InboundAttachment] = (),
) -> Ticket:
    """An agent opens a ticket: for a customer who called or wrote elsewhere (the first message is
    the customer's, recorded by the agent) or, with ``as_reply``, an outbound conversation."""
    require(actor, "ticket.create")
    if assignee is not None and assignee.pk != actor.pk:
        require(actor, "ticket.assign")
    if channel not in Channel.values:
        raise InvalidInput(field="channel")
    if priority not in Priority.values:
        raise InvalidInput(field="priority")
    customer = customer_survivor(customer)
    text, html = _check_body(text, html)
    if not text.strip():
        raise InvalidInput("the message is empty", field="text")
    _check_attachments(attachments)
    _check_assignee(assignee, team)
    at = timezone.now()
    ticket = _new_ticket(
        customer=customer,
        subject=_clean_subject(subject, text),
        channel=channel,
        at=at,
        language=guess_language(f"{subject}\n{text}"),
        team=team,
        priority=priority,
    )
    if as_reply:
        message = _append(
            ticket=ticket,
            kind=MessageKind.REPLY,
            at=at,
            author=actor,
            text=text,
            html=html,
            channel=channel,
            delivery_status=DeliveryStatus.QUEUED,
        )
        ticket.last_agent_reply_at = at
    else:
        message = _append(
            ticket=ticket,
            kind=MessageKind.CUSTOMER,
            at=at,
            customer=customer,
            text=text,
            html=html,
            channel=channel,
        )
        ticket.last_customer_message_at = at
        _event(ticket, "created_by_agent", actor, at)
    _store_attachments(message, attachments)
    if as_reply:
        _queue_delivery(message)
    if assignee is not None:
        ticket.assignee, ticket.assigned_at = assignee, at
        _event(ticket, "assigned", actor, at, assignee_id=assignee.pk, assignee=assignee.label)
    if tags:
        _set_tags(ticket, tags)
    ticket.save()
    audit_record(actor=actor, action="ticket.created", target=ticket, data={"channel": channel})
    events.publish(events.TICKET_CREATED, {"ticket_id": ticket.pk, "actor_id": actor.pk})
    if assignee is not None:
        _announce_assignment(ticket, actor)
    if as_reply:
        events.publish(
            events.REPLY_SENT, {"ticket_id": ticket.pk, "message_id": message.pk, "actor_id": actor.pk}
        )
    return ticket


@transaction.atomic
def reply_send(
    *,
    actor: User,
    ticket: Ticket,
    text: str,
    html: str = "",
    status_after: str | None = None,
    attachments: Sequence[InboundAttachment] = (),
) -> Message:
    """An agent answers the customer. The reply is queued for the ticket's channel (the channel's
    outbound adapter delivers it and records the delivery status on the timeline)."""
    require(actor, "ticket.reply")
    if status_after is not None and status_after not in Status.values:
        raise InvalidInput(field="status")
    text, html = _check_body(text, html)
    if not text.strip():
        raise InvalidInput("the reply is empty", field="text")
    _check_attachments(attachments)
    ticket = _locked(ticket)
    if ticket.status == Status.CLOSED:
        raise ApplicationError(ErrorCode.INVALID_TRANSITION, "a closed ticket cannot be answered")
    at = timezone.now()
    message = _append(
        ticket=ticket,
        kind=MessageKind.REPLY,
        at=at,
        author=actor,
        text=text,
        html=html,
        channel=ticket.channel,
        delivery_status=DeliveryStatus.QUEUED,
    )
    _store_attachments(message, attachments)
    _queue_delivery(message)
    if ticket.first_response_at is None:
        ticket.first_response_at = at
    ticket.last_agent_reply_at = at
    ticket.updated_at = at
    auto_assigned = False
    if ticket.assignee_id is None and actor.is_active:
        ticket.assignee, ticket.assigned_at = actor, at
        auto_assigned = True
        _event(ticket, "assigned", actor, at, assignee_id=actor.pk, assignee=actor.label, reason="replied")
    target = status_after or (Status.PENDING if ticket.status in (Status.NEW, Status.OPEN) else ticket.status)
    if target == Status.NEW:
        target = Status.OPEN
    _transition(ticket, target, actor, at)
    ticket.save()
    audit_record(actor=actor, action="reply.sent", target=ticket, data={"message_id": message.pk})
    events.publish(
        events.REPLY_SENT, {"ticket_id": ticket.pk, "message_id": message.pk, "actor_id": actor.pk}
    )
    if auto_assigned:
        _announce_assignment(ticket, actor, reason="replied")
    return message


def _queue_delivery(message: Message) -> None:
    """Hand the reply to its channel's adapter, which queues it in this transaction. A channel with
    no adapter (phone, API) has nothing to deliver: the reply is a record of what was said."""
    sender = outbound.sender_for(message.channel)
    if sender is None:
        Message.objects.filter(pk=message.pk).update(delivery_status=DeliveryStatus.NONE)
        message.delivery_status = DeliveryStatus.NONE
        return
    sender(message)


@transaction.atomic
def note_add(*, actor: User, ticket: Ticket, text: str) -> Message:
    """An internal note: seen by agents only, never sent to the customer."""
    require(actor, "ticket.note")
    ticket = _locked(ticket)
    text, _ = _check_body(text, "")
    if not text.strip():
        raise InvalidInput("the note is empty", field="text")
    at = timezone.now()
    message = _append(ticket=ticket, kind=MessageKind.NOTE, at=at, author=actor, text=text)
    ticket.updated_at = at
    ticket.save()
    audit_record(actor=actor, action="note.added", target=ticket, data={"message_id": message.pk})
    events.publish(
        events.NOTE_ADDED, {"ticket_id": ticket.pk, "message_id": message.pk, "actor_id": actor.pk}
    )
    return message


@transaction.atomic
def ticket_assign(
    *,
    actor: User | None,
    ticket: Ticket,
    assignee: User | None,
    team: Team | None = UNSET,
    reason: str = "",
    details: dict[str, Any] | None = None,
) -> Ticket:
    """Give the ticket to an agent (or nobody), and optionally move it to another team.

    Anyone who may work a ticket may take an unassigned one for themselves; giving it to someone
    else, taking it from someone, unassigning or moving team needs ``ticket.assign``. ``actor`` None
    is Tanggap itself (routing, a breach action of the response clocks); entry points always pass the
    user. ``reason`` (a stable code) and ``details`` go on the timeline event: why it went to them.
    """
    taking = actor is not None and assignee is not None and assignee.pk == actor.pk and team is UNSET
    if actor is not None and not taking:
        require(actor, "ticket.assign")
    ticket = _locked(ticket)
    if taking and actor is not None and ticket.assignee_id not in (None, actor.pk):
        require(actor, "ticket.assign")
    at = timezone.now()
    new_team = ticket.team if team is UNSET else team
    moving_with_assignee = team is not UNSET and assignee is not None and ticket.assignee_id == assignee.pk
    if moving_with_assignee and assignee is not None and not _in_team(assignee, new_team):
        # Moving team keeps the assignee only when they belong to the new team.
        assignee = None
    _check_assignee(assignee, new_team)
    changed = False
    previous_assignee: int | None = None
    if team is not UNSET and ticket.team_id != (team.pk if team else None):
        previous = ticket.team.name if ticket.team else ""
        ticket.team = team
        _event(
            ticket,
            "team_changed",
            actor,
            at,
            team_id=team.pk if team else None,
            team=team.name if team else "",
            previous=previous,
        )
        changed = True
    if ticket.assignee_id != (assignee.pk if assignee else None):
        extra: dict[str, Any] = {**(details or {}), **({"reason": reason} if reason else {})}
        previous_id = previous_assignee = ticket.assignee_id
        ticket.assignee = assignee
        ticket.assigned_at = at if assignee is not None else None
        if assignee is None:
            _event(ticket, "unassigned", actor, at, **extra)
        else:
            if previous_id is not None:
                extra["previous_id"] = previous_id
            _event(ticket, "assigned", actor, at, assignee_id=assignee.pk, assignee=assignee.label, **extra)
        changed = True
    if changed:
        ticket.updated_at = at
        ticket.save()
        _announce_assignment(ticket, actor, reason, previous_assignee)
    return ticket


@transaction.atomic
def ticket_update(
    *,
    actor: User | None,
    ticket: Ticket,
    subject: str | None = None,
    priority: int | None = None,
    tags: Sequence[str] | None = None,
    language: str | None = None,
) -> Ticket:
    """Change the subject, priority, tags or language. ``actor`` None is Tanggap itself (a breach
    action of the response clocks); entry points always pass the user."""
    if actor is not None:
        require(actor, "ticket.update")
    ticket = _locked(ticket)
    at = timezone.now()
    changed: dict[str, Any] = {}
    if priority is not None and priority not in Priority.values:
        raise InvalidInput(field="priority")
    if subject is not None:
        clean = _clean_subject(subject, ticket.subject)
        if clean != ticket.subject:
            _event(ticket, "subject_changed", actor, at, previous=ticket.subject, subject=clean)
            ticket.subject = changed["subject"] = clean
            _index_subject(ticket)
    if priority is not None and priority != ticket.priority:
        _event(ticket, "priority_changed", actor, at, previous=ticket.priority, priority=priority)
        ticket.priority = changed["priority"] = priority
    if language is not None and language.strip().lower()[:8] != ticket.language:
        ticket.language = changed["language"] = language.strip().lower()[:8]
    if tags is not None:
        before = sorted(ticket.tags.values_list("name", flat=True))
        after = _set_tags(ticket, tags)
        if after != before:
            changed["tags"] = after
            _event(
                ticket,
                "tags_changed",
                actor,
                at,
                added=sorted(set(after) - set(before)),
                removed=sorted(set(before) - set(after)),
            )
    if changed:
        ticket.updated_at = at
        ticket.save()
        audit_record(actor=actor, action="ticket.updated", target=ticket, data=changed)
        events.publish(
            events.TICKET_UPDATED,
            {"ticket_id": ticket.pk, "changed": sorted(changed), "actor_id": getattr(actor, "pk", None)},
        )
    return ticket


@transaction.atomic
def ticket_transition(*, actor: User | None, ticket: Ticket, status: str) -> Ticket:
    """Move the ticket through the workflow (the table in ``tickets.workflow``). ``actor`` None is
    Tanggap itself (a trigger's action); entry points always pass the user."""
    if actor is not None:
        require(actor, "ticket.transition")
    if status not in Status.values:
        raise InvalidInput(field="status")
    ticket = _locked(ticket)
    at = timezone.now()
    if _transition(ticket, status, actor, at):
        ticket.updated_at = at
        ticket.save()
    return ticket


@transaction.atomic
def ticket_event_add(
    *, ticket: Ticket, code: str, data: dict[str, Any], actor: User | None = None, at: datetime | None = None
) -> Message:
    """A system entry on the timeline written for another context (a trigger's firing, a macro
    applied, an acknowledgement): a stable ``code`` and plain ``data``; the ticket page translates
    it. ``actor`` None is Tanggap itself. The caller runs in its own transaction."""
    if not code or len(code) > 64:
        raise InvalidInput(field="code")
    return _event(ticket, code, actor, at or timezone.now(), **data)


def ticket_signals_set(
    *,
    ticket_id: int,
    intents: Sequence[str],
    sentiment: str | None = None,
    emotion: str | None = None,
    anger: float | None = None,
) -> None:
    """Store what assist read in the customer's messages: ``intents`` are those of the whole
    conversation (they replace the stored ones); sentiment, emotion and anger, when given, are the
    customer's latest message's. Derived data, not an agent's change: no timeline entry or audit row,
    but the ticket is flagged so its response-target policy is chosen again (policies may ask for an
    intent or a sentiment)."""
    found = sorted(set(intents))
    changes: dict[str, Any] = {"intents": f",{','.join(found)}," if found else "", "derived_stale": True}
    if sentiment is not None:
        changes |= {"sentiment": sentiment, "emotion": emotion or "", "anger": anger}
    Ticket.objects.filter(pk=ticket_id).update(**changes)


@transaction.atomic
def ticket_merge(*, actor: User, source: Ticket, target: Ticket) -> Ticket:
    """Fold ``source`` into ``target``: its messages move over, and ``source`` is closed with a
    pointer so links and replies to it land on ``target``."""
    require(actor, "ticket.merge")
    if source.pk == target.pk:
        raise InvalidInput("a ticket cannot be merged into itself")
    # Lock both rows in a fixed order (by id) so two merges of the same pair cannot deadlock.
    locked = {
        t.pk: t
        for t in Ticket.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")
    }
    if source.pk not in locked or target.pk not in locked:
        raise NotFound(object="ticket")
    source, target = locked[source.pk], locked[target.pk]
    if source.merged_into_id or target.merged_into_id:
        raise ApplicationError(ErrorCode.CONFLICT, "one of these tickets was already merged")
    if target.status == Status.CLOSED:
        raise ApplicationError(ErrorCode.INVALID_TRANSITION, "cannot merge into a closed ticket")
    at = timezone.now()
    source_was_active = source.status in workflow.ACTIVE
    moved = Message.objects.filter(ticket=source).exclude(kind=MessageKind.EVENT)
    SearchEntry.objects.filter(ticket=source, message__isnull=False).update(ticket=target)
    moved_count = moved.update(ticket=target)
    # Counted from the rows, not added up in memory: the two tickets' counters stay exact.
    target.message_count = Message.objects.filter(ticket=target).exclude(kind=MessageKind.EVENT).count()
    source.message_count = 0
    for ts in ("last_customer_message_at", "last_agent_reply_at"):
        values = [v for v in (getattr(source, ts), getattr(target, ts)) if v]
        setattr(target, ts, max(values) if values else None)
    if source.first_response_at and (
        not target.first_response_at or source.first_response_at < target.first_response_at
    ):
        target.first_response_at = source.first_response_at
    target.tags.add(*source.tags.all())
    merged_in = _event(
        target, "merged_in", actor, at, source_id=source.pk, subject=source.subject, messages=moved_count
    )
    # The source's subject stays findable, and finds the ticket it now lives in. It is indexed on the
    # merge event, so the target keeps exactly one subject entry of its own.
    SearchEntry.objects.filter(ticket=source, message__isnull=True).delete()
    SearchEntry.objects.create(ticket=target, message=merged_in, stems=search_text(source.subject))
    _event(source, "merged_into", actor, at, target_id=target.pk)
    source.merged_into = target
    # Merging is its own step outside the workflow table: the source is done, whatever it was. The
    # change is still recorded and published like any other, so clocks on the source stop.
    _transition(source, Status.CLOSED, actor, at, reason="merged", force=True)
    if source_was_active and target.status == Status.SOLVED:
        # Unanswered customer messages arrived with the source: the target is work again.
        _transition(target, Status.OPEN, actor, at, reason="merged")
    source.updated_at = target.updated_at = at
    source.save()
    target.save()
    audit_record(actor=actor, action="ticket.merged", target=target, data={"source_id": source.pk})
    audit_record(actor=actor, action="ticket.merged_into", target=source, data={"target_id": target.pk})
    events.publish(
        events.TICKET_MERGED, {"source_id": source.pk, "ticket_id": target.pk, "actor_id": actor.pk}
    )
    return target


@dataclass(frozen=True, slots=True)
class BulkResult:
    done: list[int]
    failed: dict[int, str]


def ticket_bulk(
    *, actor: User, tickets: Sequence[Ticket], action: str, assignee: User | None = None, status: str = ""
) -> BulkResult:
    """Apply one action to many tickets through the same services as one ticket; each ticket in its
    own transaction so one refusal does not undo the rest."""
    require(actor, "ticket.bulk")
    if action not in BULK_ACTIONS:
        raise InvalidInput(field="action")
    if action == "status" and status not in Status.values:
        raise InvalidInput(field="status")
    done: list[int] = []
    failed: dict[int, str] = {}
    for ticket in tickets:
        try:
            if action == "assign":
                ticket_assign(actor=actor, ticket=ticket, assignee=assignee)
            elif action == "close":
                # "Close" in a queue means solved: the customer can still reopen by writing back.
                ticket_transition(actor=actor, ticket=ticket, status=Status.SOLVED)
            else:
                ticket_transition(actor=actor, ticket=ticket, status=status)
            done.append(ticket.pk)
        except ApplicationError as exc:
            failed[ticket.pk] = str(exc.code)
    return BulkResult(done=done, failed=failed)


def ticket_presence_ping(*, actor: User, ticket: Ticket, replying: bool = False) -> None:
    """Record that ``actor`` has ``ticket`` open (and whether they are writing a reply)."""
    TicketPresence.objects.update_or_create(
        ticket=ticket, user=actor, defaults={"last_seen_at": timezone.now(), "is_replying": replying}
    )


def ticket_presence_leave(*, actor: User, ticket: Ticket) -> None:
    TicketPresence.objects.filter(ticket=ticket, user=actor).delete()


# ---------------------------------------------------------------- deleting a ticket


@transaction.atomic
def ticket_delete(*, actor: User | None, ticket: Ticket, reason: str) -> int:
    """Delete ``ticket`` with its messages, attachments' rows, search entries and everything other
    contexts hold about it (their rows cascade: response clocks, Message-ID records, outgoing mail),
    so it leaves every count. Returns the ticket's number. ``reason`` is a stable code kept in the
    audit row (``"canary_probe"``: the dead-zone canary's own test ticket).

    ``actor`` None is the system (the canary); a person must be an admin. Nothing else deletes a
    ticket: a customer's message is never dropped, so this is not an agent's action."""
    from tanggap.core.errors import PermissionDenied  # kept inside: this block is self-contained

    if actor is not None and not actor.is_admin:
        raise PermissionDenied(action="ticket.delete")
    if not reason or len(reason) > 64:
        raise InvalidInput(field="reason")
    locked = Ticket.objects.select_for_update().filter(pk=ticket.pk).first()
    if locked is None:
        raise NotFound(object="ticket")
    number = locked.pk
    audit_record(
        actor=actor,
        action="ticket.deleted",
        target=locked,
        data={"reason": reason, "channel": locked.channel, "messages": locked.message_count},
    )
    locked.delete()
    return number
