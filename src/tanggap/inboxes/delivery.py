"""What becomes of a queued ``OutboundMail``: the outbox handler that sends it over SMTP and records
the server's answer, the bounce that fails it later, and the delivery each reply shows on the timeline.

``outbound_mail_send`` (registered with the outbox by ``inboxes.outbound.register``) speaks SMTP:
2xx marks the reply sent; 4xx and network trouble are retried with back-off; 5xx fails it with the
server's answer on the timeline, where an agent can retry it (``inboxes.outbound.outbound_retry``).
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from tanggap.core import outbox
from tanggap.core.blobs import BlobStore, default_store
from tanggap.core.models import OutboxStatus
from tanggap.inboxes.email.bounces import Bounce
from tanggap.inboxes.email.compose import (
    ComposeError,
    Mailbox,
    OutgoingAttachment,
    OutgoingMail,
    ascii_address,
    compose,
)
from tanggap.inboxes.email.thread import message_id_key
from tanggap.inboxes.models import Inbox, OutboundMail
from tanggap.inboxes.smtp_client import SmtpRefused, by_code, one_line, smtp_server_for, transmit
from tanggap.tickets.models import DeliveryStatus, Message

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8  # about 2 hours of retries with the back-off below, then the reply is failed
OUTBOX_OPTIONS: dict[str, Any] = {
    "max_attempts": MAX_ATTEMPTS,
    "base_delay": 60.0,
    "max_delay": 3600.0,
    # Longer than the worst case of one attempt: connect, TLS, login and DATA, each under the timeout.
    "lease": timedelta(minutes=10),
}

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


_detail = one_line


def _mail_domain(inbox: Inbox | None) -> str:
    domain = str(getattr(settings, "TANGGAP_MAIL_DOMAIN", "") or "")
    if not domain and inbox is not None:
        domain = inbox.address.rpartition("@")[2]
    return domain or "tanggap.invalid"


def _set_delivery(message_id: int | None, status: str) -> None:
    # The adapter owns its replies' delivery status (``tickets.outbound``): one narrow update.
    if message_id is not None:
        Message.objects.filter(pk=message_id).update(delivery_status=status)


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


# ---------------------------------------------------------------- bounces


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
