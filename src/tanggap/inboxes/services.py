"""Writing inboxes and the durable e-mail intake.

Every transport (IMAP, SMTP, the importers, the web form) hands its bytes to ``mail_store`` first:
the bytes become a content-addressed blob and a ``RawMail`` row before anything is parsed, so a crash
anywhere after that loses nothing. ``mail_process`` then parses, threads and calls
``tickets.services.message_receive`` — the one write path — and marks the row processed, or
quarantined with a stable reason. A row left ``received`` by a crash is processed again by
``mail_process_pending`` (the ``mail-pending`` job); the idempotency key makes that safe.
"""

from __future__ import annotations

import dataclasses
import email
import email.policy
import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tanggap.accounts.models import Team
from tanggap.accounts.permissions import require
from tanggap.core.audit import audit_record
from tanggap.core.blobs import BlobStore, default_store
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput
from tanggap.customers.identities import InvalidIdentity, normalise_email
from tanggap.customers.services import identity_mark_bounced
from tanggap.inboxes.email.bounces import Bounce, parse_bounce
from tanggap.inboxes.email.loops import classify_automatic
from tanggap.inboxes.email.parse import MAX_BYTES, ParsedMail, parse_mail, to_inbound
from tanggap.inboxes.email.trim import visible_prefix_length
from tanggap.inboxes.models import (
    MAX_REASON_DETAIL,
    Inbox,
    InboxLanguage,
    MailDirection,
    MailSource,
    MailStatus,
    RawMail,
)
from tanggap.inboxes.selectors import MANAGE_ACTION
from tanggap.inboxes.threading import message_id_record, thread_match
from tanggap.tickets.inbound import InboundMessage
from tanggap.tickets.services import message_receive

logger = logging.getLogger(__name__)

# Processing reads at most this much (parse.MAX_BYTES); bigger mail is kept and quarantined.
MAX_PROCESS_BYTES = MAX_BYTES
# Storing refuses beyond this: the transport then rejects the mail (SMTP 552, IMAP leaves it on the
# server), so the sender or the mailbox still has it. Nothing is dropped silently.
MAX_STORE_BYTES = 100 * 1024 * 1024
# A mail whose processing failed (or killed its worker) this often is quarantined, not tried for ever.
MAX_ATTEMPTS = 5
# The sweep leaves fresh rows to the transport that is processing them right now.
PENDING_GRACE = timedelta(minutes=1)
PENDING_BATCH = 500

# Stable reason codes (RawMail.reason). Parse problems that are fatal keep parse's own codes
# ("too_large", "not_mail"); a refusal by message_receive keeps its ErrorCode ("invalid_input" …).
REASON_DUPLICATE = "duplicate"  # processed: the same message was already on a ticket
REASON_BLOB_MISSING = "blob_missing"
REASON_TOO_MANY_ATTEMPTS = "too_many_attempts"
REASON_FAILED = "processing_failed"  # an unexpected error; kept received and retried until MAX_ATTEMPTS
REASON_NO_SENDER = "no_sender"  # no usable address in From, Sender, Reply-To or Return-Path
REASON_EMPTY = "empty"  # no text, no attachments and no subject


# ---------------------------------------------------------------- inboxes


def _clean_address(address: str) -> str:
    try:
        return normalise_email(address)
    except InvalidIdentity as exc:
        raise InvalidInput(str(exc), field="address") from exc


@transaction.atomic
def inbox_create(
    *,
    actor: Any,
    name: str,
    address: str,
    team: Team | None = None,
    language: str = InboxLanguage.INDONESIAN,
    signature: str = "",
) -> Inbox:
    """A new inbox for an advertised address. ``actor`` is None only from the command line."""
    if actor is not None:
        require(actor, MANAGE_ACTION)
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise InvalidInput(field="name")
    address = _clean_address(address)
    if language not in InboxLanguage.values:
        raise InvalidInput(field="language")
    if Inbox.objects.filter(name__iexact=name).exists():
        raise ApplicationError(ErrorCode.CONFLICT, "an inbox with that name exists", field="name")
    if Inbox.objects.filter(address=address).exists():
        raise ApplicationError(ErrorCode.CONFLICT, "an inbox with that address exists", field="address")
    try:
        with transaction.atomic():
            inbox = Inbox.objects.create(
                name=name, address=address, team=team, language=language, signature=signature
            )
    except IntegrityError:
        raise ApplicationError(ErrorCode.CONFLICT, "that inbox exists", field="address") from None
    audit_record(actor=actor, action="inbox.created", target=inbox, data={"address": address})
    return inbox


# ---------------------------------------------------------------- storing


def _existing(inbox: Inbox, sha256: str, source_ref: str) -> RawMail | None:
    found = RawMail.objects.filter(inbox=inbox, sha256=sha256).first()
    if found is None and source_ref:
        found = RawMail.objects.filter(inbox=inbox, source_ref=source_ref).first()
    return found


def _clean_source_ref(source_ref: str) -> str:
    source_ref = (source_ref or "").strip()
    if len(source_ref) > 255:  # a deep path: its hash is just as stable
        source_ref = "sha256:" + hashlib.sha256(source_ref.encode("utf-8", "surrogatepass")).hexdigest()
    return source_ref


def mail_store(
    *, inbox: Inbox, raw: bytes, source: str, source_ref: str = "", store: BlobStore | None = None
) -> tuple[RawMail, bool]:
    """Keep the bytes of one received mail before anything reads them. Returns the row and whether
    it is new: the same bytes, or the same ``source_ref`` (an IMAP UID, a Maildir key), in the same
    inbox are stored once, whoever stores them and however often."""
    if source not in MailSource.values:
        raise InvalidInput(field="source")
    if len(raw) > MAX_STORE_BYTES:
        raise ApplicationError(ErrorCode.TOO_LARGE, field="raw", limit=MAX_STORE_BYTES)
    source_ref = _clean_source_ref(source_ref)
    sha256 = hashlib.sha256(raw).hexdigest()
    existing = _existing(inbox, sha256, source_ref)
    if existing is not None:
        return existing, False
    # The blob first: a crash between the two leaves an unreferenced blob, never a row without bytes.
    (store or default_store()).put(raw)
    try:
        with transaction.atomic():
            row = RawMail.objects.create(
                inbox=inbox,
                sha256=sha256,
                size=len(raw),
                source=source,
                source_ref=source_ref,
                received_at=timezone.now(),
            )
    except IntegrityError:
        # Another worker stored the same mail between our check and our insert: theirs wins.
        existing = _existing(inbox, sha256, source_ref)
        if existing is None:
            raise
        return existing, False
    return row, True


# ---------------------------------------------------------------- processing


@dataclass(frozen=True, slots=True)
class _Reading:
    """What the pure cores say about one mail."""

    parsed: ParsedMail
    automatic: str  # "" when a person wrote it
    bounce: Bounce | None


def _read(raw: bytes) -> _Reading:
    parsed = parse_mail(raw, max_bytes=MAX_PROCESS_BYTES)
    automatic, bounce = "", None
    if parsed.quarantine_reason is None:
        # compat32, as parse_mail: policy.default's header parser raises on some hostile parameters
        # (an IndexError inside the stdlib), which would leave a readable mail stuck unprocessed.
        try:
            message = email.message_from_bytes(raw, policy=email.policy.compat32)
            kind = classify_automatic(message)
            if kind.is_automatic:
                automatic = kind.kind
                if kind.kind in ("bounce", "delay"):
                    bounce = parse_bounce(message)
        except Exception:
            # Telling machine mail apart is advice; the mail itself still goes to its ticket.
            logger.warning("mail could not be classified as automatic or not", exc_info=True)
    return _Reading(parsed, automatic, bounce)


def _detail(text: Any) -> str:
    return " ".join(str(text).split())[:MAX_REASON_DETAIL]


def _quarantine(raw_mail: RawMail, reason: str, detail: Any = "") -> RawMail:
    with transaction.atomic():
        row = RawMail.objects.select_for_update().get(pk=raw_mail.pk)
        if row.status != MailStatus.RECEIVED:
            return row
        row.status = MailStatus.QUARANTINED
        row.reason = reason[:64]
        row.reason_detail = _detail(detail)
        row.processed_at = timezone.now()
        row.save(update_fields=["status", "reason", "reason_detail", "processed_at"])
        audit_record(actor=None, action="mail.quarantined", target=row, data={"reason": row.reason})
    logger.info("mail %s quarantined: %s", row.pk, row.reason)
    return row


def _claim_attempt(raw_mail: RawMail) -> RawMail | None:
    """Count the attempt before trying, in its own commit: a mail that kills its worker every time
    still reaches MAX_ATTEMPTS and is quarantined instead of crashing the intake for ever."""
    with transaction.atomic():
        row = RawMail.objects.select_for_update().select_related("inbox").filter(pk=raw_mail.pk).first()
        if row is None or row.status != MailStatus.RECEIVED:
            return None
        row.attempts += 1
        row.save(update_fields=["attempts"])
        return row


def mail_process(*, raw_mail: RawMail, store: BlobStore | None = None) -> RawMail:
    """Parse one stored mail and deliver it through ``message_receive``; mark it processed or
    quarantined. Safe to call again on the same row, at the same time or after a crash."""
    row = _claim_attempt(raw_mail)
    if row is None:
        return RawMail.objects.get(pk=raw_mail.pk)
    if row.attempts > MAX_ATTEMPTS:
        return _quarantine(row, REASON_TOO_MANY_ATTEMPTS, row.reason_detail)
    if row.size > MAX_PROCESS_BYTES:
        return _quarantine(row, "too_large", f"{row.size} bytes")
    store = store or default_store()
    try:
        raw = store.get(row.sha256)
    except (OSError, ValueError) as exc:
        return _quarantine(row, REASON_BLOB_MISSING, type(exc).__name__)
    try:
        reading = _read(raw)
        parsed = reading.parsed
        if parsed.quarantine_reason is not None:
            return _quarantine(row, parsed.quarantine_reason, ", ".join(parsed.problems))
        inbound = to_inbound(parsed, received_at=parsed.date)
        if not _usable_address(inbound.sender.value):
            return _quarantine(row, REASON_NO_SENDER, inbound.sender.value)
        if not inbound.text.strip() and not inbound.attachments:
            # A mail that is only a subject ("Tolong batalkan pesanan 1234") still says something.
            if not parsed.subject.strip():
                return _quarantine(row, REASON_EMPTY)
            inbound = dataclasses.replace(inbound, text=parsed.subject)
        inbound = dataclasses.replace(inbound, visible_length=visible_prefix_length(inbound.text))
        return _deliver(row, reading, inbound, store)
    except ApplicationError as exc:
        detail = f"{exc.message} {exc.details}" if exc.details else exc.message
        return _quarantine(row, str(exc.code), detail)
    except Exception as exc:
        # A bug or a passing failure (the database went away): the row stays received and the
        # sweep tries again; MAX_ATTEMPTS turns a mail that always fails into a quarantined one.
        logger.exception("mail %s: processing failed (attempt %s)", row.pk, row.attempts)
        RawMail.objects.filter(pk=row.pk, status=MailStatus.RECEIVED).update(
            reason=REASON_FAILED, reason_detail=_detail(f"{type(exc).__name__}: {exc}")
        )
        return RawMail.objects.get(pk=row.pk)


def _usable_address(address: str) -> bool:
    try:
        normalise_email(address)
    except InvalidIdentity:
        return False
    return True


def _deliver(row: RawMail, reading: _Reading, inbound: InboundMessage, store: BlobStore) -> RawMail:
    parsed, inbox = reading.parsed, row.inbox
    with transaction.atomic():
        locked = RawMail.objects.select_for_update().get(pk=row.pk)
        if locked.status != MailStatus.RECEIVED:
            return locked
        bounce = reading.bounce
        match = thread_match(
            inbox=inbox,
            in_reply_to=parsed.in_reply_to,
            references=parsed.references,
            subject=parsed.subject,
            bounced_message_id=bounce.original_message_id if bounce else None,
        )
        inbound = dataclasses.replace(
            inbound,
            # Scoped to the inbox: the same mail sent to two of our addresses is a ticket in each.
            idempotency_key=f"mail:{inbox.pk}:{parsed.idempotency_key}",
            ticket_id=match.ticket_id if match else None,
            team_id=inbox.team_id,
            automatic=reading.automatic,
        )
        result = message_receive(inbound=inbound, store=store)
        if parsed.message_id:
            message_id_record(
                inbox=inbox,
                message_id=parsed.message_id,
                ticket=result.ticket,
                direction=MailDirection.INBOUND,
            )
        # Only a bounce of a mail we really sent marks addresses: a forged one must not mark a
        # customer's address as dead.
        if bounce is not None and bounce.final and match and match.by == "bounce" and not result.duplicate:
            for recipient in bounce.recipients:
                identity_mark_bounced(
                    address=recipient.address,
                    hard=recipient.hard,
                    reason=recipient.reason,
                    detail=recipient.diagnostic,
                )
        locked.status = MailStatus.PROCESSED
        locked.reason = REASON_DUPLICATE if result.duplicate else ""
        locked.reason_detail = match.by if match else ""
        locked.mail_message_id = (parsed.message_id or "")[:998]
        locked.automatic = reading.automatic
        locked.ticket = result.ticket
        locked.message = result.message
        locked.processed_at = timezone.now()
        locked.save()
    return locked


def mail_receive(
    *, inbox: Inbox, raw: bytes, source: str, source_ref: str = "", store: BlobStore | None = None
) -> RawMail:
    """Store, then process: what a transport calls for each mail it received."""
    store = store or default_store()
    row, _ = mail_store(inbox=inbox, raw=raw, source=source, source_ref=source_ref, store=store)
    if row.status != MailStatus.RECEIVED:
        return row
    return mail_process(raw_mail=row, store=store)


def mail_process_pending(*, grace: timedelta = PENDING_GRACE, limit: int = PENDING_BATCH) -> dict[str, int]:
    """Process mail a crash left stored but not processed (older than ``grace``, oldest first)."""
    cutoff = timezone.now() - grace
    pending = list(
        RawMail.objects.filter(Q(status=MailStatus.RECEIVED) & Q(received_at__lte=cutoff))
        .order_by("received_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    counts = {MailStatus.PROCESSED.value: 0, MailStatus.QUARANTINED.value: 0, MailStatus.RECEIVED.value: 0}
    for pk in pending:
        row = mail_process(raw_mail=RawMail(pk=pk))
        counts[row.status] += 1
    return counts


def mail_retry(*, actor: Any, raw_mail: RawMail) -> RawMail:
    """An admin tries a quarantined mail again (after a fix or a raised limit)."""
    require(actor, MANAGE_ACTION)
    with transaction.atomic():
        row = RawMail.objects.select_for_update().get(pk=raw_mail.pk)
        if row.status == MailStatus.PROCESSED:
            raise ApplicationError(ErrorCode.CONFLICT, "this mail was processed already")
        previous = row.reason
        row.status = MailStatus.RECEIVED
        row.reason = row.reason_detail = ""
        row.attempts = 0
        row.processed_at = None
        row.save(update_fields=["status", "reason", "reason_detail", "attempts", "processed_at"])
        audit_record(actor=actor, action="mail.retried", target=row, data={"previous_reason": previous})
    return mail_process(raw_mail=row)
