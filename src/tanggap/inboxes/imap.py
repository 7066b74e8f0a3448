"""Polling an inbox's IMAP folder (imap-tools): every new mail is stored before the server is told.

One poll: log in (SSL, STARTTLS, or plain only to this machine), select the folder, read its
UIDVALIDITY, list the UIDs above ``ImapState.last_uid`` and fetch them with PEEK (the mail stays
unseen) in batches bounded by count and bytes. Each batch is stored (``mail_store_many``, one commit;
``source_ref`` ``imap:<uidvalidity>:<uid>``); only then is it moved to the done folder (or flagged
\\Seen where it is) and ``last_uid`` advanced; then the mail is processed into tickets. A
crash anywhere repeats at most the last batch, and the stored rows (unique per inbox by content hash
and by ``source_ref``; ``message_receive`` by Message-ID) keep the repeat from storing twice. A new
UIDVALIDITY reads the folder again from UID 1, with the same guarantees.

A mail over ``MAX_FETCH_BYTES`` is not downloaded: its header is kept, quarantined as ``too_large``,
and the mail is left in the folder, flagged for a person. A poll ends after ``max_messages`` mails or
``deadline`` (the next poll goes on); every network read and write has a timeout; two polls of one
inbox never run at once (``InboxPollLock``). Passwords never reach ``last_error`` or the logs.

This module is the poll's order of things and its bookkeeping (``ImapState``, locks, many inboxes);
speaking IMAP (connecting, error codes, fetching, moving and flagging) is ``inboxes.imap_client``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from django.db import close_old_connections, connection
from django.db.models import F
from django.utils import timezone
from huey.contrib.djhuey import HUEY
from imap_tools import BaseMailBox

from tanggap.core.blobs import BlobStore, default_store
from tanggap.core.errors import ApplicationError
from tanggap.core.tasks import JobLock, process_gone, process_marker
from tanggap.inboxes.imap_client import (
    ERROR_PROTOCOL,
    ERROR_STORE,
    GONE,
    ImapError,
    classify_error,
    close_mailbox,
    ensure_folder,
    fetch,
    finish_on_server,
    message_sizes,
    new_uids,
    open_mailbox,
    scrub,
    select_folder,
    still_there,
    store_flags,
)
from tanggap.inboxes.models import ImapState, Inbox, MailSource, MailStatus, RawMail
from tanggap.inboxes.services import MAX_STORE_BYTES, mail_process_many, mail_store_many, mail_store_too_large

logger = logging.getLogger(__name__)

TIMEOUT = 30.0  # seconds for the connection and for every read or write after it
BATCH_SIZE = 50  # mails per FETCH command
BATCH_BYTES = 32 * 1024 * 1024  # bytes per FETCH command (a bigger mail is fetched alone)
MAX_MESSAGES = 500  # mails one poll stores at most; the next poll goes on
DEADLINE = timedelta(minutes=2)  # no new batch starts after this
MAX_FETCH_BYTES = MAX_STORE_BYTES  # above this only the header is read (and the mail quarantined)
LOCK_TTL = timedelta(minutes=15)  # longer than any poll: DEADLINE plus one batch's timeouts


@dataclass(slots=True)
class PollResult:
    inbox: str
    ok: bool = True
    skipped: bool = False  # another process was polling this inbox
    fetched: int = 0
    stored: int = 0  # new rows
    already: int = 0  # found stored (a repeat after a crash, a renumbered folder, a duplicate)
    too_large: int = 0  # left in the mailbox, header kept and quarantined
    processed: int = 0
    quarantined: int = 0
    pending: int = 0  # stored, processing failed: the mail-pending job retries
    more: bool = False  # the poll stopped at its bound with mail left
    error: str = ""
    uids: list[int] = field(default_factory=list)  # stored or found stored, in this poll

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("uids")
        return data


# ---------------------------------------------------------------- batches


def _batches(uids: Sequence[int], sizes: dict[int, int], batch_size: int) -> Iterator[list[int]]:
    """UIDs in order, in batches of at most ``batch_size`` mails and about ``BATCH_BYTES``."""
    batch: list[int] = []
    total = 0
    for uid in uids:
        size = min(sizes.get(uid, 0), MAX_FETCH_BYTES)
        if batch and (len(batch) >= batch_size or total + size > BATCH_BYTES):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += size
    if batch:
        yield batch


def _header(raw: bytes) -> bytes:
    """The header block of a mail, at most 64 KB of it."""
    end = raw.find(b"\r\n\r\n")
    if end < 0:
        end = raw.find(b"\n\n")
    head = raw if end < 0 else raw[: end + 2]
    return head[:65536]


# ---------------------------------------------------------------- state


def _state(inbox: Inbox) -> ImapState:
    state, _ = ImapState.objects.get_or_create(inbox=inbox, defaults={"folder": inbox.imap_folder or "INBOX"})
    return state


def _follow_uidvalidity(state: ImapState, folder: str, uidvalidity: int) -> ImapState:
    if state.uidvalidity == uidvalidity and state.folder == folder:
        return state
    if state.uidvalidity is not None:
        logger.warning(
            "imap %s: folder %r has UIDVALIDITY %s (was %r in %r): reading it again from the start",
            state.inbox_id,
            folder,
            uidvalidity,
            state.uidvalidity,
            state.folder,
        )
    ImapState.objects.filter(pk=state.pk).update(uidvalidity=uidvalidity, folder=folder, last_uid=0)
    state.uidvalidity, state.folder, state.last_uid = uidvalidity, folder, 0
    return state


def _advance(state: ImapState, uid: int, stored: int) -> None:
    ImapState.objects.filter(pk=state.pk, uidvalidity=state.uidvalidity, last_uid__lt=uid).update(
        last_uid=uid
    )
    if stored:
        ImapState.objects.filter(pk=state.pk).update(stored_total=F("stored_total") + stored)
    state.last_uid = max(state.last_uid, uid)


def _record(state: ImapState, error: ImapError | None) -> None:
    now = timezone.now()
    if error is None:
        ImapState.objects.filter(pk=state.pk).update(
            last_poll_at=now, last_success_at=now, last_error="", consecutive_failures=0
        )
        return
    ImapState.objects.filter(pk=state.pk).update(
        last_poll_at=now,
        last_error=scrub(f"{error.code}: {error.detail}" if error.detail else error.code),
        last_error_at=now,
        consecutive_failures=F("consecutive_failures") + 1,
    )


# ---------------------------------------------------------------- polling


def _process(rows: Iterable[RawMail], result: PollResult, store: BlobStore) -> None:
    rows = list(rows)
    waiting = [row for row in rows if row.status == MailStatus.RECEIVED]
    if waiting:
        try:
            finished = {row.pk: row for row in mail_process_many(raw_mails=waiting, store=store)}
        except Exception:
            logger.exception("imap: %s mails stored, processing left to the mail-pending job", len(waiting))
            finished = {}
        rows = [finished.get(row.pk, row) for row in rows]
    for row in rows:
        if row.status == MailStatus.PROCESSED:
            result.processed += 1
        elif row.status == MailStatus.QUARANTINED:
            result.quarantined += 1
        else:
            result.pending += 1


def _leftovers(inbox: Inbox, limit: int) -> list[RawMail]:
    """Mail of this inbox a killed poll stored but did not process."""
    return list(
        RawMail.objects.filter(inbox=inbox, source=MailSource.IMAP, status=MailStatus.RECEIVED).order_by(
            "id"
        )[:limit]
    )


def imap_poll(
    *,
    inbox: Inbox,
    max_messages: int = MAX_MESSAGES,
    batch_size: int = BATCH_SIZE,
    deadline: timedelta = DEADLINE,
    timeout: float = TIMEOUT,
    store: BlobStore | None = None,
) -> PollResult:
    """Fetch, store and process the new mail of ``inbox``'s IMAP folder (see the module's doc).

    Never raises for a mailbox problem: the result and ``ImapState`` say what went wrong. Call it
    under ``InboxPollLock`` (``imap_poll_locked``) so two processes do not poll one inbox at once.
    """
    store = store or default_store()
    result = PollResult(inbox=inbox.name)
    state = _state(inbox)
    ImapState.objects.filter(pk=state.pk).update(last_poll_at=timezone.now())
    _process(_leftovers(inbox, max_messages), result, store)
    ends_at = time.monotonic() + deadline.total_seconds()
    password = ""
    error: ImapError | None = None
    mailbox: BaseMailBox | None = None
    try:
        mailbox, password = open_mailbox(inbox, timeout)
        folder = inbox.imap_folder.strip() or "INBOX"
        state = _follow_uidvalidity(state, folder, select_folder(mailbox, folder))
        if inbox.imap_done_folder.strip():
            ensure_folder(mailbox, inbox.imap_done_folder)
        uids = new_uids(mailbox, state.last_uid)
        result.more = len(uids) > max_messages
        uids = uids[:max_messages]
        sizes = message_sizes(mailbox, uids)
        for batch in _batches(uids, sizes, batch_size):
            if time.monotonic() > ends_at:
                result.more = True
                break
            rows = _take_batch(mailbox, inbox, state, batch, sizes, result, store)
            _process(rows, result, store)
    except BaseException as exc:
        error = classify_error(exc, password)
    finally:
        if mailbox is not None:
            close_mailbox(mailbox, logout=error is None or error.code not in GONE)
    if error is not None:
        result.ok = False
        result.error = scrub(f"{error.code}: {error.detail}" if error.detail else error.code, password)
        logger.warning("imap %s (%s): poll failed: %s", inbox.pk, inbox.name, result.error)
    _record(state, error)
    return result


def _take_batch(
    mailbox: BaseMailBox,
    inbox: Inbox,
    state: ImapState,
    batch: list[int],
    sizes: dict[int, int],
    result: PollResult,
    store: BlobStore,
) -> list[RawMail]:
    """Store one batch, tell the server, advance ``last_uid``: in that order."""
    big = [uid for uid in batch if sizes.get(uid, 0) > MAX_FETCH_BYTES]
    normal = [uid for uid in batch if uid not in big]
    fetched = fetch(mailbox, normal)
    heads = fetch(mailbox, big, headers_only=True)
    result.fetched += len(fetched) + len(heads)
    ref = f"imap:{state.uidvalidity}:{{}}".format
    # One insert and one commit for the batch (a row already stored is found, not stored again).
    outcomes = mail_store_many(
        inbox=inbox, mails=[(m.raw, ref(m.uid)) for m in fetched], source=MailSource.IMAP, store=store
    )
    rows: list[RawMail] = []
    done: list[int] = []
    new = 0
    for message, outcome in zip(fetched, outcomes, strict=True):
        if isinstance(outcome, ApplicationError):  # bigger than the server said: treated as too large
            heads.append(message)
            continue
        row, is_new = outcome
        new += is_new
        result.stored += is_new
        result.already += not is_new
        result.uids.append(message.uid)
        rows.append(row)
        done.append(message.uid)
    for message in heads:
        size = max(sizes.get(message.uid, 0), len(message.raw))
        try:
            row, is_new = mail_store_too_large(
                inbox=inbox,
                head=_header(message.raw),
                size=size,
                source=MailSource.IMAP,
                source_ref=ref(message.uid),
                store=store,
            )
        except ApplicationError as exc:
            raise ImapError(ERROR_STORE, scrub(f"uid {message.uid}: {exc.code}")) from None
        if message.uid not in big:
            big.append(message.uid)
        new += is_new
        result.too_large += 1
        result.stored += is_new
        result.already += not is_new
        result.uids.append(message.uid)
        rows.append(row)
        logger.warning(
            "imap %s: mail uid %s has %s bytes, over the limit: left in the mailbox, header kept",
            inbox.pk,
            message.uid,
            size,
        )
    # Every row above is committed: only now may the server forget the mail.
    finish_on_server(mailbox, inbox, done)
    if big:  # left where it is, unseen, flagged for the person who reads the mailbox
        store_flags(mailbox, big, r"(\Flagged)")
    unread = still_there(mailbox, sorted(set(batch) - set(result.uids)))
    if unread:
        # Never advance past a mail the server did not hand over: the next poll asks again.
        _advance(state, min(unread) - 1, new)
        raise ImapError(ERROR_PROTOCOL, f"the server did not return uid {min(unread)}")
    _advance(state, max(batch), new)
    return rows


# ---------------------------------------------------------------- locks and many inboxes


class InboxPollLock(JobLock):
    """``JobLock`` per inbox that a later poll on this host may also take over at once when the
    process holding it is gone (killed), instead of waiting for the lock to expire."""

    def __init__(self, inbox_id: int, ttl: timedelta = LOCK_TTL) -> None:
        super().__init__(f"imap-poll.{inbox_id}", ttl)

    def _value(self, now: float) -> dict[str, Any]:
        return super()._value(now) | process_marker()

    def acquire(self, now: float | None = None) -> bool:
        if super().acquire(now):
            return True
        current = HUEY.get(self.key, peek=True)
        if not isinstance(current, dict) or not process_gone(current):
            return False
        value = self._value(time.time() if now is None else now)
        if not HUEY.put_if_empty(f"{self.key}.takeover.{current.get('token')}", value["token"]):
            return False
        HUEY.put(self.key, value)
        self.token = value["token"]
        logger.warning(
            "imap poll lock of inbox %s: its holder %s is gone; taken over", self.name, current.get("pid")
        )
        return True


def imap_poll_locked(*, inbox: Inbox, **options: Any) -> PollResult:
    """``imap_poll`` under the inbox's lock; a result with ``skipped`` when another poll holds it."""
    lock = InboxPollLock(inbox.pk)
    if not lock.acquire():
        return PollResult(inbox=inbox.name, skipped=True)
    try:
        return imap_poll(inbox=inbox, **options)
    finally:
        lock.release()


def imap_inboxes() -> list[Inbox]:
    """Active inboxes with an IMAP server to poll."""
    return list(Inbox.objects.filter(is_active=True).exclude(imap_host="").order_by("name"))


def imap_poll_many(inboxes: Sequence[Inbox], *, workers: int = 8, **options: Any) -> list[PollResult]:
    """Poll ``inboxes`` at once, each in a thread of its own (with its own database connection), so a
    slow or dead mailbox only holds up itself. Results in the order given."""

    def poll(inbox: Inbox) -> PollResult:
        close_old_connections()
        try:
            return imap_poll_locked(inbox=inbox, **options)
        finally:
            connection.close()

    if not inboxes:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(inboxes)))) as pool:
        return list(pool.map(poll, inboxes))


def imap_states(inbox_ids: Iterable[int]) -> dict[int, ImapState]:
    """Polling health of these inboxes, in one query (for the inboxes page)."""
    return {state.inbox_id: state for state in ImapState.objects.filter(inbox_id__in=list(inbox_ids))}
