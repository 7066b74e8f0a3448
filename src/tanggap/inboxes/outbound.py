"""Replies leaving by e-mail: the outbound adapter of the ``email`` and ``web`` channels.

``queue_reply`` runs inside ``reply_send``'s transaction (registered with ``tickets.outbound`` in
``apps.py``): it picks the inbox to send from and the address to send to, fixes the headers that
thread the mail and writes an ``OutboundMail`` row plus our Message-ID (``MailMessageId``, direction
out), so the customer's answer threads back. The outbox then calls ``outbound_mail_send``, which
speaks SMTP: 2xx marks the reply sent; 4xx and network trouble are retried with back-off; 5xx
fails it with the server's answer on the timeline, where an agent can retry it (``outbound_retry``).

Automatic mail (acknowledgements, notices) goes through ``mail_send_automatic``, which never answers
machine mail and caps what one address gets (``email.loops.AutoMailLimiter``), so two responders
cannot keep each other talking.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tanggap.accounts.permissions import require
from tanggap.core import outbox
from tanggap.core.audit import audit_record
from tanggap.core.blobs import BlobStore, default_store
from tanggap.core.errors import ApplicationError, ErrorCode, NotFound
from tanggap.core.models import OutboxStatus
from tanggap.customers.identities import InvalidIdentity, normalise_email
from tanggap.customers.models import BounceSeverity, Identity, IdentityKind
from tanggap.inboxes.email.bounces import Bounce
from tanggap.inboxes.email.compose import (
    AUTO_REPLIED,
    AUTO_SUBMITTED,
    ComposeError,
    Mailbox,
    OutgoingAttachment,
    OutgoingMail,
    ascii_address,
    bounded_references,
    clean_id,
    compose,
    new_message_id,
    reply_subject,
)
from tanggap.inboxes.email.loops import AutoMailLimiter
from tanggap.inboxes.email.parse import ParsedMail, parse_mail
from tanggap.inboxes.email.thread import message_id_key
from tanggap.inboxes.models import (
    Inbox,
    MailDirection,
    MailMessageId,
    MailStatus,
    OutboundMail,
    RawMail,
)
from tanggap.inboxes.smtp_client import SmtpRefused, by_code, one_line, smtp_server_for, transmit
from tanggap.inboxes.threading import message_id_record
from tanggap.tickets.models import DeliveryStatus, Message, MessageKind, Ticket

logger = logging.getLogger(__name__)

CHANNELS = ("email", "web")
MAX_ATTEMPTS = 8  # about 2 hours of retries with the back-off below, then the reply is failed
OUTBOX_OPTIONS: dict[str, Any] = {
    "max_attempts": MAX_ATTEMPTS,
    "base_delay": 60.0,
    "max_delay": 3600.0,
    # Longer than the worst case of one attempt: connect, TLS, login and DATA, each under the timeout.
    "lease": timedelta(minutes=10),
}
HEADER_READ_LIMIT = 256 * 1024  # a customer's header block is read up to this much
AUTOMATIC_LIMITER = AutoMailLimiter()
# Addresses that are machines: automatic mail never goes there.
_MACHINE_LOCAL_PARTS = frozenset(
    {"mailer-daemon", "postmaster", "noreply", "no-reply", "donotreply", "do-not-reply", "bounce", "bounces"}
)

# Why a mail did not go: stable codes on ``OutboundMail.reason``, shown translated on the timeline.
FAILURE_REASONS: dict[str, Promise] = {
    "no_inbox": _("There is no inbox to send from. Add an inbox, then retry."),
    "no_recipient": _("The customer has no e-mail address to send to."),
    "rejected": _("The mail server refused the mail."),
    "bounced": _("The mail came back undelivered."),
    "gave_up": _("The mail server could not be reached; we stopped trying."),
    "worker_died": _("Sending stopped every time it was tried; we stopped trying."),
    "insecure_server": _("The inbox's SMTP server offers no encryption and is not on this machine."),
    "login_failed": _("The mail server refused the inbox's login."),
    "bad_password": _("The inbox's SMTP password cannot be read any more. Enter it again."),
    "unusable_address": _("An address of this mail cannot be used."),
    "smtputf8": _("The mail server cannot send to an international address."),
}


def _label() -> str:
    return OutboundMail._meta.label_lower


_detail = one_line


def _mail_domain(inbox: Inbox | None) -> str:
    domain = str(getattr(settings, "TANGGAP_MAIL_DOMAIN", "") or "")
    if not domain and inbox is not None:
        domain = inbox.address.rpartition("@")[2]
    return domain or "tanggap.invalid"


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


def _set_delivery(message_id: int | None, status: str) -> None:
    # The adapter owns its replies' delivery status (``tickets.outbound``): one narrow update.
    if message_id is not None:
        Message.objects.filter(pk=message_id).update(delivery_status=status)


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


# ---------------------------------------------------------------- sending (the outbox handler)
# The SMTP conversation itself is ``inboxes.smtp_client``; here: what to send and what the outcome means.


def _outgoing(row: OutboundMail, inbox: Inbox, store: BlobStore) -> OutgoingMail:
    message = row.message
    text, html = row.body_text, ""
    attachments: tuple[OutgoingAttachment, ...] = ()
    if message is not None:
        text, html = message.body_text, message.body_html
        attachments = tuple(
            OutgoingAttachment(
                filename=item.filename,
                content_type=item.content_type,
                data=store.get(item.sha256),
                content_id=item.content_id,
            )
            for item in message.attachments.all()
        )
    return OutgoingMail(
        sender=Mailbox(inbox.address, inbox.name),
        to=(Mailbox(row.to_address, row.to_name),),
        cc=tuple(Mailbox(str(item)) for item in row.cc if isinstance(item, str)),
        subject=row.subject,
        message_id=row.mail_message_id,
        date=timezone.now(),
        text=text,
        html=html,
        in_reply_to=row.in_reply_to,
        references=tuple(row.references),
        signature=inbox.signature,
        attachments=attachments,
        auto_submitted=row.auto_submitted,
    )


def _fail(row: OutboundMail, reason: str, detail: str) -> None:
    with transaction.atomic():
        OutboundMail.objects.filter(pk=row.pk).update(reason=reason, smtp_response=_detail(detail))
        _set_delivery(row.message_id, DeliveryStatus.FAILED)
    logger.info("mail %s failed: %s %s", row.pk, reason, _detail(detail))


def outbound_mail_given_up(row: OutboundMail) -> None:
    """The outbox failed this mail without the handler deciding (its worker died on the last try)."""
    if row.sent_at is None:
        _fail(row, "worker_died", row.last_error)


def outbound_mail_send(row: OutboundMail, store: BlobStore | None = None) -> None:
    """The outbox handler for one claimed mail. Idempotent: a mail already sent is not sent again."""
    row = (
        OutboundMail.objects.select_related("inbox", "message")
        .prefetch_related("message__attachments")
        .get(pk=row.pk)
    )
    if row.sent_at is not None:
        return
    last_attempt = row.attempts >= MAX_ATTEMPTS
    try:
        inbox = row.inbox
        if inbox is None or not row.to_address:
            raise SmtpRefused("no_inbox" if inbox is None else "no_recipient")
        server = smtp_server_for(inbox)
        try:
            raw = compose(_outgoing(row, inbox, store or default_store()))
        except ComposeError as exc:
            raise SmtpRefused("unusable_address", str(exc)) from None
        answer = transmit(
            server,
            sender=ascii_address(inbox.address),
            recipients=[ascii_address(row.to_address), *(ascii_address(str(a)) for a in row.cc)],
            raw=raw,
            helo=_mail_domain(inbox),
        )
    except SmtpRefused as exc:
        _fail(row, exc.reason, exc.detail)
        raise outbox.GiveUp(f"{exc.reason}: {exc.detail}" if exc.detail else exc.reason) from None
    except smtplib.SMTPResponseException as exc:  # a refused greeting, a failed STARTTLS or DATA
        error = by_code(exc.smtp_code, exc.smtp_error)
        if isinstance(error, SmtpRefused):
            _fail(row, error.reason, error.detail)
            raise outbox.GiveUp(error.detail) from None
        _retry_or_fail(row, str(error), last_attempt)
        raise error from None
    except (smtplib.SMTPException, OSError) as exc:  # refused or dropped connections, timeouts, TLS
        detail = _detail(f"{type(exc).__name__}: {exc}")
        _retry_or_fail(row, detail, last_attempt)
        raise outbox.RetryLater(detail) from None
    except outbox.RetryLater as exc:
        _retry_or_fail(row, str(exc), last_attempt)
        raise
    except Exception as exc:
        _retry_or_fail(row, f"{type(exc).__name__}: {exc}", last_attempt)
        raise
    with transaction.atomic():
        OutboundMail.objects.filter(pk=row.pk).update(sent_at=timezone.now(), smtp_response=answer, reason="")
        _set_delivery(row.message_id, DeliveryStatus.SENT)


def _retry_or_fail(row: OutboundMail, detail: str, last_attempt: bool) -> None:
    if last_attempt:
        _fail(row, "gave_up", detail)
    else:
        OutboundMail.objects.filter(pk=row.pk).update(smtp_response=_detail(detail))


# ---------------------------------------------------------------- bounces and retries


def outbound_mark_bounced(*, bounce: Bounce) -> OutboundMail | None:
    """A final bounce of a mail we sent came back: fail that mail's reply with the bounce's reason,
    when the customer's address (not only a Cc) failed. Called by the intake in its transaction."""
    if not bounce.final or not bounce.original_message_id:
        return None
    key = message_id_key(bounce.original_message_id)
    row = OutboundMail.objects.filter(mail_message_id=key).first()
    if row is None:
        return None
    failed = {r.address.lower(): r for r in bounce.recipients}
    recipient = failed.get(row.to_address.lower())
    if recipient is None and bounce.recipients:
        return None
    detail = (recipient.diagnostic if recipient else "") or bounce.diagnostic or bounce.status or ""
    OutboundMail.objects.filter(pk=row.pk).update(reason="bounced", smtp_response=_detail(detail))
    _set_delivery(row.message_id, DeliveryStatus.FAILED)
    return row


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


# ---------------------------------------------------------------- what the timeline shows


@dataclass(frozen=True, slots=True)
class DeliveryDetail:
    status: str  # the outbox row's status
    to_address: str
    reason: str  # stable code, "" while all is well
    reason_label: str  # translated
    server_answer: str  # the SMTP server's (or the bounce's) answer
    sent_at: datetime | None
    attempts: int

    @property
    def retrying(self) -> bool:
        return self.status in (OutboxStatus.PENDING, OutboxStatus.IN_PROGRESS) and bool(self.server_answer)


def _detail_of(row: OutboundMail) -> DeliveryDetail:
    return DeliveryDetail(
        status=row.status,
        to_address=row.to_address,
        reason=row.reason,
        reason_label=str(FAILURE_REASONS.get(row.reason, "")) if row.reason else "",
        server_answer=row.smtp_response,
        sent_at=row.sent_at,
        attempts=row.attempts,
    )


def delivery_details(messages: Iterable[Message]) -> dict[int, DeliveryDetail]:
    """The delivery of each reply (by message id) that has a mail. Free for messages read with
    ``select_related("outbound_mail")``; one query for all the others."""
    cache = getattr(Message, "outbound_mail").related  # noqa: B009  (a reverse relation: no stub)
    found: dict[int, DeliveryDetail] = {}
    missing: list[int] = []
    for message in messages:
        if cache.is_cached(message):
            row = cache.get_cached_value(message)
            if row is not None:
                found[message.pk] = _detail_of(row)
        else:
            missing.append(message.pk)
    if missing:
        for row in OutboundMail.objects.filter(message_id__in=missing).defer("body_text", "references", "cc"):
            if row.message_id is not None:
                found[row.message_id] = _detail_of(row)
    return found


def register() -> None:
    """Wire the adapter (``apps.py``): the sender for its channels and the outbox handler."""
    from tanggap.tickets import outbound as ticket_outbound

    for channel in CHANNELS:
        ticket_outbound.register(channel, queue_reply)
    outbox.register(OutboundMail, outbound_mail_send, on_failed=outbound_mail_given_up, **OUTBOX_OPTIONS)
