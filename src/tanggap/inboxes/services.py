"""The durable e-mail intake: each received mail is stored, then processed (inboxes are set up in ``setup``).

Every transport (IMAP, SMTP, the importers, the web form) hands its bytes to ``mail_store`` first:
the bytes become a content-addressed blob and a ``RawMail`` row before anything is parsed, so a crash
anywhere after that loses nothing. ``mail_process`` then parses, threads and calls
``tickets.services.message_receive`` — the one write path — and marks the row processed, or
quarantined with a stable reason. A row left ``received`` by a crash is processed again by
``mail_process_pending`` (the ``mail-pending`` job); the idempotency key makes that safe.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
from collections.abc import Iterator, Mapping, Sequence
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from tanggap.accounts.permissions import require
from tanggap.core.audit import audit_record
from tanggap.core.blobs import BlobStore, default_store
from tanggap.core.bulk import insert_many, update_many
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput
from tanggap.customers.identities import InvalidIdentity, normalise_email
from tanggap.customers.services import identity_mark_bounced
from tanggap.inboxes.delivery import outbound_mark_bounced
from tanggap.inboxes.email.parse import MAX_BYTES
from tanggap.inboxes.email.reading import Reading, inbound_of, read_mail
from tanggap.inboxes.email.thread import message_id_key, reference_candidates
from tanggap.inboxes.models import MAX_REASON_DETAIL, Inbox, MailDirection, MailSource, MailStatus, RawMail
from tanggap.inboxes.selectors import MANAGE_ACTION
from tanggap.inboxes.threading import ThreadQuery, message_ids_record, thread_match_many
from tanggap.tickets.inbound import InboundMessage
from tanggap.tickets.services import messages_receive

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

# Mail stored by the web form (source "form") becomes a ticket of this channel; replies go by e-mail.
CHANNEL_WEB = "web"  # tickets.models.Channel.WEB


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
    if len(raw) > MAX_STORE_BYTES:
        raise ApplicationError(ErrorCode.TOO_LARGE, field="raw", limit=MAX_STORE_BYTES)
    return _store(inbox=inbox, raw=raw, source=source, source_ref=source_ref, store=store, size=len(raw))


def mail_store_too_large(
    *, inbox: Inbox, head: bytes, size: int, source: str, source_ref: str, store: BlobStore | None = None
) -> tuple[RawMail, bool]:
    """Keep the trace of a mail over ``MAX_STORE_BYTES`` that a transport left where it was (an IMAP
    mailbox): its header as the blob and its real ``size``, quarantined as ``too_large`` at once, so
    an admin sees that it came and where it is. Stored once, like ``mail_store``."""
    if len(head) > MAX_STORE_BYTES:
        raise ApplicationError(ErrorCode.TOO_LARGE, field="head", limit=MAX_STORE_BYTES)
    row, new = _store(
        inbox=inbox,
        raw=head,
        source=source,
        source_ref=source_ref,
        store=store,
        size=max(size, len(head)),
        status=MailStatus.QUARANTINED,
        reason="too_large",
        reason_detail=_detail(f"{size} bytes; only the header was kept, the mail is still in the mailbox"),
        processed_at=timezone.now(),
    )
    if new:
        audit_record(actor=None, action="mail.quarantined", target=row, data={"reason": row.reason})
    return row, new


def _store(
    *, inbox: Inbox, raw: bytes, source: str, source_ref: str, store: BlobStore | None, **fields: Any
) -> tuple[RawMail, bool]:
    if source not in MailSource.values:
        raise InvalidInput(field="source")
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
                source=source,
                source_ref=source_ref,
                received_at=timezone.now(),
                **fields,
            )
    except IntegrityError:
        # Another worker stored the same mail between our check and our insert: theirs wins.
        existing = _existing(inbox, sha256, source_ref)
        if existing is None:
            raise
        return existing, False
    return row, True


# ---------------------------------------------------------------- processing


# A mail ready to deliver: its claimed row, what reading it said, the value for ``messages_receive``.
_Ready = tuple[RawMail, Reading, InboundMessage]


def _read(raw: bytes) -> Reading:
    return read_mail(raw, max_bytes=MAX_PROCESS_BYTES)


def _detail(text: Any) -> str:
    return " ".join(str(text).split())[:MAX_REASON_DETAIL]


def mail_quarantine(*, raw_mail: RawMail, reason: str, detail: Any = "") -> RawMail:
    """Keep a stored mail back from processing with a stable ``reason`` (a web form's spam trap); an
    admin sees it in the quarantine and may retry it."""
    return _quarantine(raw_mail, reason, detail)


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
    store = store or default_store()
    return _processed(_prepare(row, store), store)


def _processed(prepared: RawMail | _Ready, store: BlobStore) -> RawMail:
    if isinstance(prepared, RawMail):
        return prepared
    row = prepared[0]
    try:
        return _deliver(*prepared, store)
    except ApplicationError as exc:
        detail = f"{exc.message} {exc.details}" if exc.details else exc.message
        return _quarantine(row, str(exc.code), detail)
    except Exception as exc:
        return _failed(row, exc)


def _failed(row: RawMail, exc: Exception) -> RawMail:
    # A bug or a passing failure (the database went away): the row stays received and the
    # sweep tries again; MAX_ATTEMPTS turns a mail that always fails into a quarantined one.
    logger.exception("mail %s: processing failed (attempt %s)", row.pk, row.attempts)
    RawMail.objects.filter(pk=row.pk, status=MailStatus.RECEIVED).update(
        reason=REASON_FAILED, reason_detail=_detail(f"{type(exc).__name__}: {exc}")
    )
    return RawMail.objects.get(pk=row.pk)


def _prepare(row: RawMail, store: BlobStore, reading: Reading | None = None) -> RawMail | _Ready:
    """Read and parse one claimed mail (or take the ``reading`` a worker made of its bytes): what
    ``_deliver`` needs, or the row as it ends (quarantined with its reason, or left received after
    an unexpected error)."""
    if row.size > MAX_PROCESS_BYTES:
        return _quarantine(row, "too_large", f"{row.size} bytes")
    try:
        if reading is None:
            try:
                raw = store.get(row.sha256)
            except (OSError, ValueError) as exc:
                return _quarantine(row, REASON_BLOB_MISSING, type(exc).__name__)
            reading = _read(raw)
        parsed = reading.parsed
        if parsed.quarantine_reason is not None:
            return _quarantine(row, parsed.quarantine_reason, ", ".join(parsed.problems))
        inbound = reading.inbound or inbound_of(parsed)
        if not _usable_address(inbound.sender.value):
            return _quarantine(row, REASON_NO_SENDER, inbound.sender.value)
        if not inbound.text.strip() and not inbound.attachments:  # neither text nor subject
            return _quarantine(row, REASON_EMPTY)
    except ApplicationError as exc:
        detail = f"{exc.message} {exc.details}" if exc.details else exc.message
        return _quarantine(row, str(exc.code), detail)
    except Exception as exc:
        return _failed(row, exc)
    return row, reading, inbound


def _usable_address(address: str) -> bool:
    try:
        normalise_email(address)
    except InvalidIdentity:
        return False
    return True


def _deliver(row: RawMail, reading: Reading, inbound: InboundMessage, store: BlobStore) -> RawMail:
    return _deliver_many([(row, reading, inbound)], store)[0]


def _deliver_many(entries: Sequence[_Ready], store: BlobStore) -> list[RawMail]:
    """Thread and receive parsed mails in one transaction (``messages_receive``), record their
    Message-IDs and mark them processed. A mail ``messages_receive`` refuses is quarantined with its
    reason; the others are received. Mails of one call must not answer each other (``_waves``)."""
    refused: list[tuple[RawMail, ApplicationError]] = []
    with transaction.atomic():
        # Lock the rows and check that no one else processed them meanwhile; the row objects the
        # caller holds (with their inbox) are the ones written back.
        statuses = dict(
            RawMail.objects.select_for_update()
            .filter(pk__in=[row.pk for row, _, _ in entries])
            .values_list("pk", "status")
        )
        live = [entry for entry in entries if statuses.get(entry[0].pk) == MailStatus.RECEIVED]
        locked = {row.pk: row for row, _, _ in live}
        # A web form submission names no earlier mail, and anyone can type "[#1234]" into its
        # subject: it never threads, each submission is a new ticket (channel "web").
        queries = [
            None
            if row.source == MailSource.FORM
            else ThreadQuery(
                inbox=row.inbox,
                in_reply_to=reading.parsed.in_reply_to,
                references=tuple(reading.parsed.references),
                subject=reading.parsed.subject,
                bounced_message_id=reading.bounce.original_message_id if reading.bounce else None,
            )
            for row, reading, _ in live
        ]
        asked = [query for query in queries if query is not None]
        answers = iter(thread_match_many(asked) if asked else [])
        matches = [None if query is None else next(answers) for query in queries]
        inbounds = [
            dataclasses.replace(
                inbound,
                # Scoped to the inbox: the same mail sent to two of our addresses is a ticket in each.
                idempotency_key=f"mail:{row.inbox.pk}:{reading.parsed.idempotency_key}",
                ticket_id=match.ticket_id if match else None,
                team_id=row.inbox.team_id,
                automatic=reading.automatic,
                channel=CHANNEL_WEB if row.source == MailSource.FORM else inbound.channel,
            )
            for (row, reading, inbound), match in zip(live, matches, strict=True)
        ]
        results = messages_receive(inbounds=inbounds, store=store)
        ids, done, now = [], [], timezone.now()
        for (row, reading, _), match, result in zip(live, matches, results, strict=True):
            if isinstance(result, ApplicationError):
                refused.append((row, result))
                continue
            parsed, bounce = reading.parsed, reading.bounce
            if parsed.message_id:
                ids.append((row.inbox, parsed.message_id, result.ticket, MailDirection.INBOUND))
            # Only a bounce of a mail we really sent marks addresses: a forged one must not mark a
            # customer's address as dead.
            if (
                bounce is not None
                and bounce.final
                and match
                and match.by == "bounce"
                and not result.duplicate
            ):
                for recipient in bounce.recipients:
                    identity_mark_bounced(
                        address=recipient.address,
                        hard=recipient.hard,
                        reason=recipient.reason,
                        detail=recipient.diagnostic,
                    )
                # The reply in that mail did not arrive: its delivery shows failed, with the reason.
                outbound_mark_bounced(bounce=bounce)
            row.status = MailStatus.PROCESSED
            row.reason = REASON_DUPLICATE if result.duplicate else ""
            row.reason_detail = match.by if match else ""
            row.mail_message_id = (parsed.message_id or "")[:998]
            row.automatic = reading.automatic
            row.ticket = result.ticket
            row.message = result.message
            row.processed_at = now
            done.append(row)
        message_ids_record(ids)
        update_many(
            done,
            [
                "status",
                "reason",
                "reason_detail",
                "mail_message_id",
                "automatic",
                "ticket",
                "message",
                "processed_at",
            ],
        )
    for row, exc in refused:
        detail = f"{exc.message} {exc.details}" if exc.details else exc.message
        locked[row.pk] = _quarantine(row, str(exc.code), detail)
    others = [row.pk for row, _, _ in entries if row.pk not in locked]
    locked.update(RawMail.objects.in_bulk(others) if others else {})
    return [locked[row.pk] for row, _, _ in entries]


def mail_store_many(
    *,
    inbox: Inbox,
    mails: Sequence[tuple[bytes, str]],
    source: str,
    store: BlobStore | None = None,
    blobs_stored: bool = False,
) -> list[tuple[RawMail, bool] | ApplicationError]:
    """``mail_store`` for many ``(raw, source_ref)`` at once, in order: two reads, the blobs, one
    insert and one commit, whatever the count. A mail over the store bound gets its error.
    ``blobs_stored``: the caller has already put every mail's bytes into ``store`` and flushed
    them to disk (the importer's worker process does), so only the rows are written here."""
    if source not in MailSource.values:
        raise InvalidInput(field="source")
    store = store or default_store()
    results: list[tuple[RawMail, bool] | ApplicationError | None] = [None] * len(mails)
    wanted: list[tuple[int, bytes, str, str]] = []
    for index, (raw, source_ref) in enumerate(mails):
        if len(raw) > MAX_STORE_BYTES:
            results[index] = ApplicationError(ErrorCode.TOO_LARGE, field="raw", limit=MAX_STORE_BYTES)
        else:
            wanted.append((index, raw, hashlib.sha256(raw).hexdigest(), _clean_source_ref(source_ref)))
    hashes = sorted({sha for _, _, sha, _ in wanted})
    refs = sorted({ref for _, _, _, ref in wanted if ref})
    by_hash: dict[str, RawMail] = {}
    by_ref: dict[str, RawMail] = {}
    for start in range(0, max(len(hashes), len(refs)), 500):
        if hashes[start : start + 500]:
            by_hash.update(
                (r.sha256, r) for r in inbox.raw_mails.filter(sha256__in=hashes[start : start + 500])
            )
        if refs[start : start + 500]:
            by_ref.update(
                (r.source_ref, r) for r in inbox.raw_mails.filter(source_ref__in=refs[start : start + 500])
            )
    new: list[tuple[int, RawMail]] = []
    for index, raw, sha256, ref in wanted:
        existing = by_hash.get(sha256) or (by_ref.get(ref) if ref else None)
        if existing is not None:
            results[index] = (existing, False)
            continue
        row = RawMail(
            inbox=inbox,
            sha256=sha256,
            size=len(raw),
            source=source,
            source_ref=ref,
            received_at=timezone.now(),
        )
        by_hash[sha256] = row  # the same bytes twice in one batch are one mail
        if ref:
            by_ref[ref] = row
        new.append((index, row))
    # The blobs first: a crash between the two leaves unreferenced blobs, never a row without bytes.
    if not blobs_stored:
        store.put_many([mails[index][0] for index, _ in new])
    try:
        with transaction.atomic():
            insert_many([row for _, row in new])
    except IntegrityError:
        # Another transport stored one of them first: one by one, each finds the winner.
        for index, row in new:
            results[index] = mail_store(
                inbox=inbox, raw=mails[index][0], source=source, source_ref=row.source_ref, store=store
            )
    else:
        for index, row in new:
            results[index] = (row, True)
    for index, result in enumerate(results):
        if isinstance(result, tuple) and result[0].pk is None:  # a repeat of a mail of this batch
            twin = result[0]
            results[index] = (RawMail.objects.get(inbox=inbox, sha256=twin.sha256), False)
    return [result for result in results if result is not None]


def mail_process_many(
    *,
    raw_mails: Sequence[RawMail],
    store: BlobStore | None = None,
    readings: Mapping[str, Reading | None] | None = None,
) -> list[RawMail]:
    """``mail_process`` for many stored mails: parsed one by one, received in a few transactions
    (``messages_receive``). A mail tried before and not finished (its worker died) goes on alone
    through ``mail_process``, so one mail that kills its worker cannot hold back the others.
    ``readings`` (by content hash) are what a ``ReadingPool`` already made of some of them."""
    store = store or default_store()
    pks = [row.pk for row in raw_mails]
    with transaction.atomic():
        # Lock and claim the rows no one has tried yet; the caller's row objects are the ones used
        # (what is read of them, inbox, hash, size and source, never changes).
        fresh_ids = set(
            RawMail.objects.select_for_update()
            .filter(pk__in=pks, status=MailStatus.RECEIVED, attempts=0)
            .values_list("pk", flat=True)
        )
        RawMail.objects.filter(pk__in=fresh_ids).update(attempts=1)
    fresh = [row for row in {row.pk: row for row in raw_mails}.values() if row.pk in fresh_ids]
    done: dict[int, RawMail] = {}
    ready: list[_Ready] = []
    inboxes = Inbox.objects.in_bulk({row.inbox_id for row in fresh})
    for row in fresh:  # in the caller's order
        row.attempts = 1
        row.inbox = inboxes[row.inbox_id]
        prepared = _prepare(row, store, (readings or {}).get(row.sha256))
        if isinstance(prepared, RawMail):
            done[row.pk] = prepared
        else:
            ready.append(prepared)
    for wave in _waves(ready):
        try:
            for row in _deliver_many(wave, store):
                done[row.pk] = row
        except Exception:
            # One mail broke the batch: each goes on alone, with its own error and attempts.
            logger.exception("a batch of %s mails failed; processing them one by one", len(wave))
            for row, _, _ in wave:
                done[row.pk] = mail_process(raw_mail=row, store=store)
    for row in raw_mails:
        if row.pk not in done and row.pk not in fresh_ids:
            done[row.pk] = mail_process(raw_mail=row, store=store)
    return [done[row.pk] for row in raw_mails]


def _waves(
    ready: list[_Ready],
) -> Iterator[list[_Ready]]:
    """Mails in delivery order: a reply to a mail of the same batch waits for a later wave, so it
    threads to the ticket its original opened, as if they had come one by one."""
    pending = ready
    while pending:
        own = {message_id_key(r.parsed.message_id) for _, r, _ in pending if r.parsed.message_id} - {""}
        wave: list[_Ready] = []
        later: list[_Ready] = []
        for entry in pending:
            reading = entry[1]
            mine = message_id_key(reading.parsed.message_id) if reading.parsed.message_id else ""
            asks = set(reference_candidates(reading.parsed.in_reply_to, reading.parsed.references))
            if reading.bounce and reading.bounce.original_message_id:
                asks.add(message_id_key(reading.bounce.original_message_id))
            (later if (asks - {mine}) & own else wave).append(entry)
        if not wave:  # mails that name each other: deliver them as they come
            wave, later = later, []
        yield wave
        pending = later


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
