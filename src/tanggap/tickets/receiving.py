"""Receiving customer messages and threading them to tickets: the machinery behind
``tickets.services.message_receive`` / ``messages_receive``, its only callers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from tanggap.accounts.models import Team, User
from tanggap.core import events
from tanggap.core.audit import audit_entry, audit_record_many
from tanggap.core.blobs import BlobStore
from tanggap.core.bulk import insert_many, insert_rows, update_many
from tanggap.core.errors import ApplicationError, InvalidInput
from tanggap.core.text import guess_language, search_text
from tanggap.customers.models import Customer
from tanggap.customers.services import customers_find_or_create
from tanggap.tickets import workflow
from tanggap.tickets.inbound import InboundMessage
from tanggap.tickets.models import (
    Channel,
    Message,
    MessageKind,
    SearchEntry,
    Status,
    Ticket,
)
from tanggap.tickets.timeline import (
    _check_attachments,
    _check_body,
    _clean_subject,
    _event,
    _idempotency_key,
    _in_team,
    _search_stems,
    _store_attachments_many,
    _thread_target,
    _transition,
    _visible_length,
)


@dataclass(frozen=True, slots=True)
class ReceiveResult:
    ticket: Ticket
    message: Message
    ticket_created: bool
    duplicate: bool
    # False for machine mail (auto-replies, bounces …): nothing may answer it automatically, or two
    # autoresponders would write to each other for ever. Every automatic sender checks this.
    may_answer_automatically: bool = True


def receive(
    *, inbounds: Sequence[InboundMessage], store: BlobStore | None
) -> list[ReceiveResult | ApplicationError]:
    """``tickets.services.messages_receive``'s work: its docstring says what a batch promises."""
    prepared = [_prepared(inbound) for inbound in inbounds]
    try:
        with transaction.atomic():
            return _receive_all(prepared, store)
    except IntegrityError:
        # Another worker stored one of these messages (or created one of these customers) between
        # our reads and our inserts. One by one, each finds what the other worker wrote.
        if len(prepared) > 1:
            return [_receive_one(item, store) for item in prepared]
        only = prepared[0]
        if isinstance(only, _Prepared) and only.key:
            existing = _already_received(only.key)
            if existing is not None:
                return [existing]
        raise


def _receive_one(
    item: _Prepared | ApplicationError, store: BlobStore | None
) -> ReceiveResult | ApplicationError:
    try:
        with transaction.atomic():
            return _receive_all([item], store)[0]
    except IntegrityError:
        if isinstance(item, _Prepared) and item.key:
            existing = _already_received(item.key)
            if existing is not None:
                return existing
        raise


@dataclass(slots=True)
class _Prepared:
    inbound: InboundMessage
    key: str | None
    text: str
    html: str


def _prepared(inbound: InboundMessage) -> _Prepared | ApplicationError:
    """Checks that need no database: a refused message is refused before anything is written."""
    try:
        if inbound.channel not in Channel.values:
            raise InvalidInput(field="channel")
        text, html = _check_body(inbound.text or "", inbound.html or "")
        if not text.strip() and not inbound.attachments:
            raise InvalidInput("the message is empty", field="text")
        _check_attachments(inbound.attachments)
    except ApplicationError as exc:
        return exc
    return _Prepared(inbound, _idempotency_key(inbound.idempotency_key), text, html)


def _already_received(key: str) -> ReceiveResult | None:
    return _received_before([key]).get(key)


def _received_before(keys: Sequence[str]) -> dict[str, ReceiveResult]:
    found: dict[str, ReceiveResult] = {}
    for start in range(0, len(keys), 500):
        for existing in Message.objects.select_related("ticket").filter(
            idempotency_key__in=keys[start : start + 500]
        ):
            found[str(existing.idempotency_key)] = _duplicate(existing)
    return found


def _duplicate(existing: Message) -> ReceiveResult:
    return ReceiveResult(
        existing.ticket,
        existing,
        ticket_created=False,
        duplicate=True,
        may_answer_automatically=not existing.automatic,
    )


def _thread_targets(ticket_ids: set[int]) -> dict[int, Ticket]:
    """The locked tickets messages name, by the id they named: merged tickets forward to the ticket
    they were merged into."""
    found = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=sorted(ticket_ids))}
    targets: dict[int, Ticket] = {}
    for ticket_id in ticket_ids:
        ticket = found.get(ticket_id)
        if ticket is not None and ticket.merged_into_id:
            ticket = _thread_target(ticket_id)
        if ticket is not None:
            targets[ticket_id] = found.setdefault(ticket.pk, ticket)
    return targets


def _ticket_id(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if 0 < number < 2**63 else None  # no row has another id


@dataclass(slots=True)
class _Arrival:
    """One message on its way in: what was decided for it before the batch's writes."""

    index: int
    item: _Prepared
    customer: Customer
    at: Any
    language: str
    automatic: str
    ticket: Ticket
    created: bool
    follow_up_of: Ticket | None = None


def _receive_all(
    prepared: Sequence[_Prepared | ApplicationError], store: BlobStore | None
) -> list[ReceiveResult | ApplicationError]:
    results: list[ReceiveResult | ApplicationError | None] = [
        item if isinstance(item, ApplicationError) else None for item in prepared
    ]
    keys = [item.key for item in prepared if isinstance(item, _Prepared) and item.key]
    before = _received_before(keys) if keys else {}
    todo: list[tuple[int, _Prepared]] = []
    first_with_key: dict[str, int] = {}
    repeats: list[tuple[int, int]] = []  # (index, index of the same key earlier in this batch)
    for index, item in enumerate(prepared):
        if not isinstance(item, _Prepared):
            continue
        if item.key and item.key in before:
            results[index] = before[item.key]
        elif item.key and item.key in first_with_key:
            repeats.append((index, first_with_key[item.key]))
        else:
            if item.key:
                first_with_key[item.key] = index
            todo.append((index, item))

    now = timezone.now()
    found = customers_find_or_create(
        senders=[(i.inbound.sender.kind, i.inbound.sender.value, i.inbound.sender.name) for _, i in todo]
    )
    targets = _thread_targets({tid for _, i in todo if (tid := _ticket_id(i.inbound.ticket_id)) is not None})
    team_ids = {i.inbound.team_id for _, i in todo if i.inbound.team_id is not None}
    teams = {team.pk: team for team in Team.objects.filter(pk__in=team_ids)} if team_ids else {}

    arrivals: list[_Arrival] = []
    for (index, item), customer_or_error in zip(todo, found, strict=True):
        if isinstance(customer_or_error, ApplicationError):
            results[index] = customer_or_error
            continue
        inbound = item.inbound
        # The channel's date is the sender's claim: a date in the future would pin the ticket to the
        # top of every queue, so it is capped at the time we received it.
        at = min(inbound.received_at, now) if inbound.received_at else now
        language = (inbound.language or guess_language(f"{inbound.subject}\n{item.text}"))[:8]
        automatic = (inbound.automatic or "")[:32]
        ticket_id = _ticket_id(inbound.ticket_id)
        ticket = targets.get(ticket_id) if ticket_id is not None else None
        follow_up_of = None
        if ticket is not None and ticket.status == Status.CLOSED and not automatic:
            follow_up_of, ticket = ticket, None
        customer = customer_or_error[0]
        if ticket is not None:
            arrivals.append(_Arrival(index, item, customer, at, language, automatic, ticket, created=False))
            continue
        assignee = None
        if follow_up_of is not None and follow_up_of.assignee_id:
            # The same agent keeps the relationship where they still can.
            previous = User.objects.filter(pk=follow_up_of.assignee_id, is_active=True).first()
            if previous is not None and _in_team(previous, follow_up_of.team):
                assignee = previous
        team = follow_up_of.team if follow_up_of else teams.get(inbound.team_id) if inbound.team_id else None
        new = Ticket(
            subject=_clean_subject(inbound.subject, item.text),
            channel=inbound.channel,
            customer=customer,
            language=language[:8],
            team=team,
            assignee=assignee,
            follow_up_of=follow_up_of,
            created_at=at,
            updated_at=at,
            last_customer_message_at=at,
            message_count=1,
        )
        arrivals.append(_Arrival(index, item, customer, at, language, automatic, new, True, follow_up_of))

    opened = [a.ticket for a in arrivals if a.created]
    insert_many(opened)
    for arrival in arrivals:
        if arrival.follow_up_of is not None:
            _event(
                arrival.ticket, "follow_up_created", None, arrival.at, follow_up_of=arrival.follow_up_of.pk
            )
    messages = [
        Message(
            ticket=a.ticket,
            kind=MessageKind.CUSTOMER,
            customer=a.customer,
            channel=a.item.inbound.channel,
            body_text=a.item.text,
            body_html=a.item.html,
            idempotency_key=a.item.key,
            external_id=a.item.inbound.external_id[:998],
            automatic=a.automatic,
            visible_length=_visible_length(a.item.inbound, a.item.text),
            created_at=a.at,
        )
        for a in arrivals
    ]
    insert_many(messages)
    _store_attachments_many(
        [
            (message, arrival.item.inbound.attachments)
            for arrival, message in zip(arrivals, messages, strict=True)
        ],
        store,
    )

    # Existing tickets change in arrival order, as if the messages had come one by one.
    changed: dict[int, Ticket] = {}
    for arrival in arrivals:
        if arrival.created:
            continue
        ticket, at = arrival.ticket, arrival.at
        ticket.message_count += 1
        if not arrival.automatic:
            target = workflow.status_after_customer_message(ticket.status)
            if target != ticket.status:
                _transition(ticket, target, None, at, reason="customer_replied")
            # An auto-reply is not the customer writing: it starts no clock on an existing ticket.
            if ticket.last_customer_message_at is None or at > ticket.last_customer_message_at:
                ticket.last_customer_message_at = at
        ticket.updated_at = max(ticket.updated_at, now)
        ticket.derived_stale = True
        if not ticket.language and arrival.language:
            ticket.language = arrival.language
        changed[ticket.pk] = ticket
    if changed:
        update_many(
            list(changed.values()),
            [
                "status",
                "solved_at",
                "closed_at",
                "updated_at",
                "last_customer_message_at",
                "language",
                "message_count",
                "derived_stale",
            ],
        )
    insert_rows(
        SearchEntry,
        ("ticket_id", "message_id", "stems"),
        [(t.pk, None, search_text(t.subject)) for t in opened]
        + [
            (m.ticket_id, m.pk, _search_stems(a.item.inbound, m.body_text))
            for a, m in zip(arrivals, messages, strict=True)
        ],
    )
    entries = []
    for arrival, message in zip(arrivals, messages, strict=True):
        ticket, channel = arrival.ticket, arrival.item.inbound.channel
        if arrival.created:
            follow_up = {"follow_up_of": arrival.follow_up_of.pk} if arrival.follow_up_of else {}
            entries.append(
                audit_entry(
                    actor=None, action="ticket.created", target=ticket, data={"channel": channel, **follow_up}
                )
            )
        extra = {"automatic": arrival.automatic} if arrival.automatic else {}
        entries.append(
            audit_entry(
                actor=None,
                action="message.received",
                target=ticket,
                data={"message_id": message.pk, **extra},
            )
        )
        if arrival.created:
            events.publish(events.TICKET_CREATED, {"ticket_id": ticket.pk, "actor_id": None})
        events.publish(events.MESSAGE_RECEIVED, {"ticket_id": ticket.pk, "message_id": message.pk, **extra})
        results[arrival.index] = ReceiveResult(
            ticket,
            message,
            ticket_created=arrival.created,
            duplicate=False,
            may_answer_automatically=not arrival.automatic,
        )
    audit_record_many(entries)
    for index, earlier in repeats:
        first = results[earlier]
        results[index] = _duplicate(first.message) if isinstance(first, ReceiveResult) else first
    done = [result for result in results if result is not None]
    if len(done) != len(results):
        raise RuntimeError("a received message was left without a result")
    return done
