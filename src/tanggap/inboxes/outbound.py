"""Replies leaving by e-mail: the outbound adapter of the ``email`` and ``web`` channels, up to the outbox.

``queue_reply`` runs inside ``reply_send``'s transaction (registered with ``tickets.outbound`` by
``register``, which ``apps.py`` calls): it picks the inbox to send from and the address to send to,
fixes the headers that thread the mail and writes an ``OutboundMail`` row plus our Message-ID
(``MailMessageId``, direction out), so the customer's answer threads back. What becomes of the row
(sending it over SMTP, retries, bounces, what the timeline shows) is ``inboxes.delivery``; an agent
queues a failed reply again with ``outbound_retry``.

Automatic mail (acknowledgements, notices) goes through ``mail_send_automatic``, which never answers
machine mail and caps what one address gets (``email.loops.AutoMailLimiter``), so two responders
cannot keep each other talking.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from tanggap.accounts.permissions import require
from tanggap.core import outbox
from tanggap.core.audit import audit_record
from tanggap.core.blobs import BlobStore, default_store
from tanggap.core.errors import ApplicationError, ErrorCode, NotFound
from tanggap.core.models import OutboxStatus
from tanggap.customers.identities import InvalidIdentity, normalise_email
from tanggap.customers.models import BounceSeverity, Identity, IdentityKind
from tanggap.inboxes.delivery import (
    OUTBOX_OPTIONS,
    _mail_domain,
    _set_delivery,
    outbound_mail_given_up,
    outbound_mail_send,
)
from tanggap.inboxes.email.compose import (
    AUTO_REPLIED,
    AUTO_SUBMITTED,
    bounded_references,
    clean_id,
    new_message_id,
    reply_subject,
)
from tanggap.inboxes.email.loops import AutoMailLimiter
from tanggap.inboxes.email.parse import ParsedMail, parse_mail
from tanggap.inboxes.models import (
    Inbox,
    MailDirection,
    MailMessageId,
    MailStatus,
    OutboundMail,
    RawMail,
)
from tanggap.inboxes.threading import message_id_record
from tanggap.tickets.models import DeliveryStatus, Message, MessageKind, Ticket

logger = logging.getLogger(__name__)

CHANNELS = ("email", "web")
HEADER_READ_LIMIT = 256 * 1024  # a customer's header block is read up to this much
AUTOMATIC_LIMITER = AutoMailLimiter()
# Addresses that are machines: automatic mail never goes there.
_MACHINE_LOCAL_PARTS = frozenset(
    {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply", "bounce", "bounces"}
)


def _label() -> str:
    return OutboundMail._meta.label_lower


# ---------------------------------------------------------------- where a reply goes


@dataclass(frozen=True, slots=True)
class _CustomerMail:
    """The customer's last mail on a ticket: what we answer."""

    raw_mail: RawMail
    parsed: ParsedMail  # headers only


@dataclass(frozen=True, slots=True)
class _Route:
    inbox: Inbox | None
    to_address: str
    to_name: str
    in_reply_to: str
    references: tuple[str, ...]


def _ticket_raw_mail(ticket: Ticket) -> Any:
    # Mail of a ticket merged into this one still names the old ticket; its message moved here.
    return RawMail.objects.filter(Q(ticket=ticket) | Q(message__ticket=ticket)).filter(
        status=MailStatus.PROCESSED
    )


def inbox_for_ticket(ticket: Ticket) -> Inbox | None:
    """The inbox a reply on ``ticket`` is sent from: the one its latest mail came to, else the one we
    last sent from, else its team's inbox, else the only active inbox. None when there is none."""
    latest = (
        _ticket_raw_mail(ticket)
        .filter(inbox__is_active=True)
        .select_related("inbox")
        .order_by("-received_at", "-id")
        .first()
    )
    if latest is not None:
        return latest.inbox
    known = (
        MailMessageId.objects.filter(ticket=ticket, inbox__is_active=True)
        .select_related("inbox")
        .order_by("-created_at", "-id")
        .first()
    )
    if known is not None:
        return known.inbox
    if ticket.team_id is not None:
        team_inbox = Inbox.objects.filter(team_id=ticket.team_id, is_active=True).order_by("name").first()
        if team_inbox is not None:
            return team_inbox
    active = list(Inbox.objects.filter(is_active=True)[:2])
    return active[0] if len(active) == 1 else None


def _header_block(raw: bytes) -> bytes:
    head = raw[:HEADER_READ_LIMIT]
    for separator in (b"\r\n\r\n", b"\n\n"):
        end = head.find(separator)
        if end >= 0:
            return head[: end + len(separator)]
    return head


def _last_customer_mail(ticket: Ticket, store: BlobStore) -> _CustomerMail | None:
    """The latest mail a person (not a machine) sent on the ticket, its headers read from the blob."""
    for row in _ticket_raw_mail(ticket).filter(automatic="").order_by("-received_at", "-id")[:3]:
        try:
            raw = store.get(row.sha256)
        except (OSError, ValueError):
            continue
        return _CustomerMail(row, parse_mail(_header_block(raw)))
    return None


def _our_addresses() -> set[str]:
    return {a.lower() for a in Inbox.objects.values_list("address", flat=True)}


def _usable(address: str, ours: set[str]) -> str:
    try:
        value = normalise_email(address)
    except InvalidIdentity:
        return ""
    return "" if value in ours else value


def _identity_address(ticket: Ticket, ours: set[str]) -> str:
    identities = Identity.objects.filter(customer_id=ticket.customer_id, kind=IdentityKind.EMAIL).order_by(
        "-is_primary", "-created_at", "-id"
    )
    values = list(identities.values_list("value", "bounce_severity")[:20])
    # An address known to be dead comes last: any other of the customer's addresses is a better bet.
    values.sort(key=lambda item: item[1] == BounceSeverity.HARD)
    return next((v for v in (_usable(value, ours) for value, _ in values) if v), "")


def _previous_outbound(ticket: Ticket) -> OutboundMail | None:
    return OutboundMail.objects.filter(ticket=ticket).order_by("-created_at", "-id").first()


def _route(ticket: Ticket, store: BlobStore) -> _Route:
    """Inbox, recipient and threading headers of a mail on ``ticket``."""
    inbox = inbox_for_ticket(ticket)
    ours = _our_addresses()
    customer_mail = _last_customer_mail(ticket, store)
    to_address = to_name = ""
    if customer_mail is not None:
        parsed = customer_mail.parsed
        for name, address in [*parsed.reply_to, (parsed.from_name, parsed.from_address)]:
            to_address = _usable(address, ours)
            if to_address:
                to_name = name
                break
    if not to_address:
        to_address = _identity_address(ticket, ours)
    if to_address and not to_name:
        to_name = ticket.customer.name if ticket.customer_id else ""
    parent, ancestors = "", cast(tuple[str, ...], ())
    if customer_mail is not None and customer_mail.parsed.message_id:
        parent = customer_mail.parsed.message_id
        ancestors = customer_mail.parsed.references
    else:
        previous = _previous_outbound(ticket)
        if previous is not None:
            parent, ancestors = previous.mail_message_id, tuple(previous.references)
    parent = clean_id(parent)
    references = bounded_references(ancestors, parent) if parent else ()
    return _Route(inbox, to_address, to_name[:255], parent, references)


def _failure_of(route: _Route) -> str:
    if route.inbox is None:
        return "no_inbox"
    if not route.to_address:
        return "no_recipient"
    return ""


def _write_row(
    *,
    ticket: Ticket,
    route: _Route,
    message: Message | None,
    subject: str,
    body_text: str = "",
    auto_submitted: str = "",
) -> OutboundMail:
    now = timezone.now()
    reason = _failure_of(route)
    row = OutboundMail.objects.create(
        inbox=route.inbox,
        message=message,
        ticket=ticket,
        to_address=route.to_address,
        to_name=route.to_name,
        subject=subject,
        mail_message_id=new_message_id(_mail_domain(route.inbox)),
        in_reply_to=route.in_reply_to,
        references=list(route.references),
        body_text=body_text,
        auto_submitted=auto_submitted,
        status=OutboxStatus.FAILED if reason else OutboxStatus.PENDING,
        reason=reason,
        finished_at=now if reason else None,
        next_attempt_at=now,
    )
    if route.inbox is not None:
        message_id_record(
            inbox=route.inbox, message_id=row.mail_message_id, ticket=ticket, direction=MailDirection.OUTBOUND
        )
    if not reason:
        outbox.kick(_label())
    return row


def queue_reply(message: Message, store: BlobStore | None = None) -> None:
    """The ``tickets.outbound`` sender: queue ``message`` (a reply) as a mail, in the reply's
    transaction. The reply stays queued; a reply that cannot leave is failed with its reason."""
    ticket = message.ticket
    route = _route(ticket, store or default_store())
    subject = reply_subject(ticket.subject, ticket.pk, reply=bool(route.in_reply_to))
    row = _write_row(ticket=ticket, route=route, message=message, subject=subject)
    status = DeliveryStatus.FAILED if row.reason else DeliveryStatus.QUEUED
    _set_delivery(message.pk, status)
    message.delivery_status = status
    if row.reason:
        logger.info("reply %s on ticket %s cannot be sent: %s", message.pk, ticket.pk, row.reason)


# ---------------------------------------------------------------- automatic mail


@dataclass(frozen=True, slots=True)
class AutomaticResult:
    mail: OutboundMail | None
    refused: str = ""  # why nothing was sent: "answering_automatic", "rate_limited", "machine_address",
    # "no_inbox", "no_recipient"


def automatic_mail_refusal(*, answering: Message | None, to_address: str, at: datetime | None = None) -> str:
    """Why an automatic mail to ``to_address`` must not go (a stable code), "" when it may.

    Never in answer to machine mail (an auto-reply, a bounce): that is how mail loops start. And at
    most ``AUTOMATIC_LIMITER`` per address per hour and per day, for the responders we fail to
    recognise. Concurrent senders may each see the same history, so the cap can be passed by one.
    """
    if answering is not None and answering.automatic:
        return "answering_automatic"
    local = to_address.rpartition("@")[0].lower()
    if local in _MACHINE_LOCAL_PARTS or local.startswith(("mailer-daemon", "noreply", "no-reply")):
        return "machine_address"
    now = at or timezone.now()
    history = list(
        OutboundMail.objects.filter(
            ~Q(auto_submitted=""), to_address=to_address, created_at__gt=now - timedelta(days=1)
        ).values_list("created_at", flat=True)
    )
    if not AUTOMATIC_LIMITER.allows(history, now):
        return "rate_limited"
    return ""


@transaction.atomic
def mail_send_automatic(
    *,
    ticket: Ticket,
    answering: Message | None,
    subject: str,
    text: str,
    auto_submitted: str = AUTO_REPLIED,
    store: BlobStore | None = None,
) -> AutomaticResult:
    """Queue an automatic mail (an acknowledgement, a notice) to the customer of ``ticket``, unless
    the loop guards refuse it. It carries ``Auto-Submitted`` and threads like a reply; it is not a
    timeline message. Returns the queued row, or None with the reason it was refused."""
    if auto_submitted not in AUTO_SUBMITTED:
        raise ValueError(f"unknown Auto-Submitted value {auto_submitted!r}")
    if answering is not None and answering.automatic:
        return AutomaticResult(None, "answering_automatic")
    route = _route(ticket, store or default_store())
    failure = _failure_of(route)
    if failure:
        return AutomaticResult(None, failure)
    refused = automatic_mail_refusal(answering=answering, to_address=route.to_address)
    if refused:
        logger.info("automatic mail on ticket %s to %s refused: %s", ticket.pk, route.to_address, refused)
        return AutomaticResult(None, refused)
    row = _write_row(
        ticket=ticket,
        route=route,
        message=None,
        subject=reply_subject(subject or ticket.subject, ticket.pk, reply=bool(route.in_reply_to)),
        body_text=text,
        auto_submitted=auto_submitted,
    )
    return AutomaticResult(row)


# ---------------------------------------------------------------- retries


@transaction.atomic
def outbound_retry(*, actor: Any, ticket: Ticket, message_id: int, store: BlobStore | None = None) -> Message:
    """An agent sends a failed reply again (after the inbox or the address was fixed). ``ticket`` came
    from ``ticket_get_for_agent``; the reply must be on it."""
    require(actor, "ticket.reply")
    message = (
        Message.objects.select_for_update(of=("self",))
        .select_related("ticket", "ticket__customer")
        .filter(pk=message_id, ticket_id=ticket.pk, kind=MessageKind.REPLY)
        .first()
    )
    if message is None:
        raise NotFound(object="message")
    if message.delivery_status != DeliveryStatus.FAILED:
        raise ApplicationError(ErrorCode.CONFLICT, "only a reply that failed can be sent again")
    row = OutboundMail.objects.select_for_update().filter(message=message).first()
    if row is None:
        queue_reply(message, store)
    else:
        if row.inbox is None or not row.to_address:
            route = _route(message.ticket, store or default_store())
            row.inbox = row.inbox or route.inbox
            row.to_address = row.to_address or route.to_address
            row.to_name = row.to_name or route.to_name
            if row.inbox is not None:
                message_id_record(
                    inbox=row.inbox,
                    message_id=row.mail_message_id,
                    ticket=message.ticket,
                    direction=MailDirection.OUTBOUND,
                )
        reason = _failure_of(_Route(row.inbox, row.to_address, row.to_name, "", ()))
        row.status = OutboxStatus.FAILED if reason else OutboxStatus.PENDING
        row.reason = reason
        row.attempts = 0
        row.next_attempt_at = timezone.now()
        row.locked_until = None
        row.finished_at = timezone.now() if reason else None
        row.sent_at = None
        row.smtp_response = ""
        row.last_error = ""
        row.save()
        _set_delivery(message.pk, DeliveryStatus.FAILED if reason else DeliveryStatus.QUEUED)
        if not reason:
            outbox.kick(_label())
    message.refresh_from_db(fields=["delivery_status"])
    audit_record(
        actor=actor,
        action="reply.delivery_retried",
        target=message.ticket,
        data={"message_id": message.pk, "delivery_status": message.delivery_status},
    )
    return message


def register() -> None:
    """Wire the adapter (``apps.py``): the sender for its channels and the outbox handler."""
    from tanggap.tickets import outbound as ticket_outbound

    for channel in CHANNELS:
        ticket_outbound.register(channel, queue_reply)
    outbox.register(OutboundMail, outbound_mail_send, on_failed=outbound_mail_given_up, **OUTBOX_OPTIONS)
