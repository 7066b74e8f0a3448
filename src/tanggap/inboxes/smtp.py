"""The inbound SMTP server behind ``tanggap smtp``: the MX (or a relay behind it) hands mail to Tanggap.

It accepts mail only for the addresses of active inboxes, so it cannot relay, and it needs no AUTH.
Each accepted message is stored durably for every inbox it was sent to (``mail_store``) before it is
answered with 250; a storage failure answers 451 so the sending server keeps the mail and retries.
Stored mail is then processed (``mail_process``); if that fails the mail stays stored and the
``mail-pending`` job finishes it. The database is used from a small thread pool, never from the
event loop.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import secrets
import socket
import threading
import weakref
from collections.abc import Callable
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import close_old_connections, transaction

from tanggap.core.blobs import BlobStore, default_store
from tanggap.core.errors import ApplicationError, ErrorCode
from tanggap.customers.identities import InvalidIdentity, normalise_email
from tanggap.inboxes.models import Inbox, MailSource, MailStatus, RawMail
from tanggap.inboxes.services import MAX_STORE_BYTES, mail_process, mail_store

logger = logging.getLogger(__name__)

# RFC 5321 4.5.3.1.8 asks servers to take at least 100 recipients; more are refused with 452, which
# tells the client to send them in another transaction.
MAX_RECIPIENTS = 100
# RFC 5321 4.5.3.2: a server waits at least 5 minutes for a command; a client waits 10 minutes for the
# answer to the end of DATA. The data timeout bounds the whole transfer, and again storing it.
COMMAND_TIMEOUT = 300.0
DATA_TIMEOUT = 600.0
# Commands that move no mail; a session that repeats them is only holding a connection open.
COMMAND_CALL_LIMIT = {"NOOP": 20, "HELP": 10, "VRFY": 10, "EXPN": 10, "*": 10_000}
# RFC 5322 limits lines to 998 octets, but real senders break it (unwrapped HTML); refusing such mail
# would bounce it. Memory stays bounded by the size limit.
MAX_LINE_BYTES = 1024 * 1024
DB_THREADS = 4
STOP_GRACE = 30.0

REPLY_OK = "250 2.0.0 OK: queued as {queue_id}"
REPLY_UNKNOWN_USER = "550 5.1.1 Recipient address rejected: no such inbox here"
REPLY_NO_RELAY = "550 5.7.1 Relay access denied: we accept mail only for our inboxes"
REPLY_BAD_ADDRESS = "553 5.1.3 Recipient address rejected: not an address"
REPLY_TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients in one message, send the rest separately"
REPLY_TOO_LARGE = "552 5.3.4 Message too big"
REPLY_TRY_LATER = "451 4.3.0 Temporary failure, please try again later"


# ---------------------------------------------------------------- database work (in threads)


def recipient_inbox_id(address: str) -> int | str:
    """The active inbox ``address`` belongs to; else the refusal to answer (a 5xx reply line).

    Only an inbox's exact address is accepted: a domain of our inboxes is not a catch-all, so mail to
    a mistyped or guessed address is refused at once instead of becoming a ticket nobody expects.
    """
    try:
        address = normalise_email(address)
    except InvalidIdentity:
        return REPLY_BAD_ADDRESS
    found = Inbox.objects.filter(address=address, is_active=True).values_list("pk", flat=True).first()
    if found is not None:
        return found
    domain = address.rpartition("@")[2]
    if Inbox.objects.filter(address__endswith=f"@{domain}", is_active=True).exists():
        return REPLY_UNKNOWN_USER
    return REPLY_NO_RELAY


def with_return_path(raw: bytes, mail_from: str) -> bytes:
    """The message as delivered: RFC 5321 4.4 has the final delivery add the envelope sender as
    Return-Path (empty for bounces and auto-replies, which the loop checks read). It is the same
    for a retry of the same message, so a retry still stores nothing twice."""
    sender = mail_from.replace("\r", "").replace("\n", "").strip()
    if sender.startswith("<") and sender.endswith(">"):  # aiosmtpd gives the null sender as "<>"
        sender = sender[1:-1]
    return f"Return-Path: <{sender}>\r\n".encode("utf-8", "surrogateescape") + raw


def smtp_deliver(*, inbox_ids: list[int], raw: bytes, queue_id: str, store: BlobStore) -> list[RawMail]:
    """Store ``raw`` once per inbox, all or nothing, then process what is new.

    Raises when storing failed (nothing of this message is then stored): the caller answers 4xx and
    the sending server retries. A processing failure does not raise: the mail is stored and the
    ``mail-pending`` job finishes it.
    """
    inboxes = Inbox.objects.in_bulk(inbox_ids)
    # The bytes first and outside the transaction: a large write must not hold the database's write
    # lock, and ``mail_store`` then finds them stored.
    store.put(raw)
    with transaction.atomic():
        rows = [
            mail_store(
                inbox=inboxes[pk], raw=raw, source=MailSource.SMTP, source_ref=f"smtp:{queue_id}", store=store
            )[0]
            for pk in inbox_ids
            if pk in inboxes  # an inbox deleted since RCPT: nobody is left to read its copy
        ]
    done = []
    for row in rows:
        if row.status == MailStatus.RECEIVED:
            try:
                row = mail_process(raw_mail=row, store=store)
            except Exception:
                logger.exception(
                    "smtp %s: mail %s stored, processing left to the mail-pending job", queue_id, row.pk
                )
        done.append(row)
    return done


def _in_thread[T](call: Callable[[], T]) -> T:
    # Each pool thread has its own connection: drop it when it is too old or broken, as a request would.
    close_old_connections()
    try:
        return call()
    finally:
        close_old_connections()


# ---------------------------------------------------------------- the SMTP conversation


class InboxEnvelope(Envelope):
    """aiosmtpd's envelope plus the inboxes its recipients resolved to, each once."""

    def __init__(self) -> None:
        super().__init__()
        self.inbox_ids: list[int] = []


def _ours(envelope: Envelope) -> InboxEnvelope:
    if not isinstance(envelope, InboxEnvelope):  # aiosmtpd answers 500 and logs it
        raise TypeError("InboxMailHandler runs under SmtpServer's protocol")
    return envelope


class _Protocol(SMTP):
    line_length_limit = MAX_LINE_BYTES

    def __init__(self, handler: InboxMailHandler, *, data_timeout: float, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self.data_timeout = data_timeout

    def _create_envelope(self) -> Envelope:
        return InboxEnvelope()

    async def smtp_DATA(self, arg: str) -> None:
        # aiosmtpd resets its idle timer only between commands: give the transfer its own allowance.
        self._reset_timeout(self.data_timeout)
        await super().smtp_DATA(arg)


class InboxMailHandler:
    """The aiosmtpd handler: which recipients are ours, and storing what was accepted."""

    def __init__(
        self,
        *,
        store: BlobStore | None = None,
        max_recipients: int = MAX_RECIPIENTS,
        executor: concurrent.futures.Executor | None = None,
    ) -> None:
        self.store = store
        self.max_recipients = max_recipients
        self.executor = executor
        self.busy = 0  # messages being stored right now

    async def _db[T](self, call: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, _in_thread, call)

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        envelope = _ours(envelope)
        if len(envelope.rcpt_tos) >= self.max_recipients:
            return REPLY_TOO_MANY_RECIPIENTS
        try:
            found = await self._db(lambda: recipient_inbox_id(address))
        except Exception:
            logger.exception("smtp: looking up a recipient failed")
            return REPLY_TRY_LATER
        if isinstance(found, str):
            logger.info("smtp %s: refused recipient %r", session.peer, address)
            return found
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        if found not in envelope.inbox_ids:  # two addresses of one inbox: one copy
            envelope.inbox_ids.append(found)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        envelope = _ours(envelope)
        if isinstance(server, _Protocol):
            server._reset_timeout(server.data_timeout)  # storing and processing get their own allowance
        queue_id = secrets.token_hex(8)
        raw = with_return_path(bytes(envelope.original_content or b""), envelope.mail_from or "")
        store = self.store or default_store()
        inbox_ids = list(envelope.inbox_ids)
        self.busy += 1
        try:
            rows = await self._db(
                lambda: smtp_deliver(inbox_ids=inbox_ids, raw=raw, queue_id=queue_id, store=store)
            )
        except ApplicationError as exc:
            if exc.code == ErrorCode.TOO_LARGE:
                return REPLY_TOO_LARGE
            logger.warning("smtp %s: not stored: %s", queue_id, exc.code)
            return REPLY_TRY_LATER
        except Exception:
            # Nothing was stored (one transaction): 4xx makes the sending server keep it and retry.
            logger.exception("smtp %s: storing failed", queue_id)
            return REPLY_TRY_LATER
        finally:
            self.busy -= 1
        logger.info(
            "smtp %s: %d bytes from %s stored as %s",
            queue_id,
            len(raw),
            session.peer,
            ", ".join(f"mail {row.pk} ({row.status})" for row in rows),
        )
        return REPLY_OK.format(queue_id=queue_id)


# ---------------------------------------------------------------- the server


class SmtpServer:
    """The listening server on an event loop of its own thread: ``start()`` returns where it listens
    (port 0 picks a free port), ``stop()`` stops taking connections, lets messages being stored
    finish, and closes the rest."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 2525,
        hostname: str | None = None,
        store: BlobStore | None = None,
        max_bytes: int = MAX_STORE_BYTES,
        max_recipients: int = MAX_RECIPIENTS,
        command_timeout: float = COMMAND_TIMEOUT,
        data_timeout: float = DATA_TIMEOUT,
    ) -> None:
        self.host, self.port = host, port
        self.hostname = hostname
        self.max_bytes = min(max_bytes, MAX_STORE_BYTES)
        self.command_timeout, self.data_timeout = command_timeout, data_timeout
        self._executor = concurrent.futures.ThreadPoolExecutor(DB_THREADS, thread_name_prefix="smtp-db")
        self.handler = InboxMailHandler(store=store, max_recipients=max_recipients, executor=self._executor)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._sessions: weakref.WeakSet[_Protocol] = weakref.WeakSet()
        self.address: tuple[str, int] | None = None
        # aiosmtpd logs every command line (addresses included) at INFO; our handler logs what matters.
        wire_log = logging.getLogger("mail.log")
        if wire_log.level == logging.NOTSET:
            wire_log.setLevel(logging.WARNING)

    def _protocol(self) -> _Protocol:
        session = _Protocol(
            self.handler,
            data_timeout=self.data_timeout,
            data_size_limit=self.max_bytes,  # advertised as SIZE; more is refused with 552
            enable_SMTPUTF8=True,
            decode_data=False,
            hostname=self.hostname,
            ident="Tanggap ESMTP",
            timeout=self.command_timeout,
            command_call_limit=COMMAND_CALL_LIMIT,
            loop=self._loop,
        )
        self._sessions.add(session)
        return session

    def start(self) -> tuple[str, int]:
        if self.hostname is None:
            self.hostname = socket.getfqdn()  # once: aiosmtpd would look it up on every connection
        loop = self._loop = asyncio.new_event_loop()
        started: concurrent.futures.Future[tuple[str, int]] = concurrent.futures.Future()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                self._server = loop.run_until_complete(
                    loop.create_server(self._protocol, self.host, self.port, reuse_address=True)
                )
            except BaseException as exc:
                started.set_exception(exc)
                loop.close()
                return
            sockname = self._server.sockets[0].getsockname()
            started.set_result((sockname[0], sockname[1]))
            try:
                loop.run_forever()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="smtp-server", daemon=True)
        self._thread.start()
        self.address = started.result(timeout=30)
        return self.address

    async def _shutdown(self, grace: float) -> None:
        if self._server is not None:
            self._server.close()  # no new connections
        deadline = asyncio.get_running_loop().time() + grace
        while self.handler.busy and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.05)
        for session in list(self._sessions):
            if session.transport is not None:
                session.transport.close()
        await asyncio.sleep(0)  # let the closed sessions see connection_lost
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)

    def stop(self, grace: float = STOP_GRACE) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            self._executor.shutdown(wait=True)
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(grace), loop).result(timeout=grace + 10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=10)
            # A message still being stored finishes (its client, not answered, sends it again and
            # it is found stored).
            self._executor.shutdown(wait=True)
        self._loop = self._thread = None

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
