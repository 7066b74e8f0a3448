"""Reading one mail: what the pure cores say about it (parsed content, automatic or not, the bounce).

``read_mail`` is what every transport's processing calls. ``ReadingPool`` runs it in a worker process
so a batch's reading overlaps with the writing of the batch before it (the mail importer): the pure
part of the intake moves to the second core. No Django here: the worker imports only these cores.
"""

from __future__ import annotations

import email
import email.policy
import logging
import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from typing import Protocol, TypeVar

from tanggap.core.text import search_text_and_language
from tanggap.inboxes.email.bounces import Bounce, parse_bounce
from tanggap.inboxes.email.loops import classify_automatic
from tanggap.inboxes.email.parse import ParsedMail, parse_mail, to_inbound
from tanggap.inboxes.email.trim import visible_prefix_length
from tanggap.tickets.inbound import InboundMessage

logger = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Reading:
    """What the pure cores say about one mail."""

    parsed: ParsedMail
    automatic: str  # "" when a person wrote it
    bounce: Bounce | None
    # The mail as a channel's message, with what is worked out from its text (``inbound_of``);
    # None when the mail is not readable (``parsed.quarantine_reason``) or that step failed.
    inbound: InboundMessage | None = None


def inbound_of(parsed: ParsedMail) -> InboundMessage:
    """The message ``message_receive`` takes for a readable mail, with the text's visible cut, its
    language and its search stems: the pure work of receiving, done where the mail is read (a
    worker process, when there is one) instead of in the process that writes."""
    inbound = to_inbound(parsed, received_at=parsed.date)
    if not inbound.text.strip() and not inbound.attachments:
        # A mail that is only a subject ("Tolong batalkan pesanan 1234") still says something.
        inbound = replace(inbound, text=parsed.subject)
    stems, language = search_text_and_language(inbound.subject, inbound.text)
    return replace(
        inbound, visible_length=visible_prefix_length(inbound.text), language=language, stems=stems
    )


def read_mail(raw: bytes, *, max_bytes: int) -> Reading:
    """Parse ``raw`` and tell machine mail apart. Never raises for bad mail: ``parsed`` says what
    was wrong (``quarantine_reason``), and a mail that cannot be classified counts as a person's."""
    parsed = parse_mail(raw, max_bytes=max_bytes)
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
        try:
            inbound = inbound_of(parsed)
        except Exception:  # the writing process works it out again and reports the error there
            logger.warning("mail could not be turned into a message", exc_info=True)
            inbound = None
        return Reading(parsed, automatic, bounce, inbound)
    return Reading(parsed, automatic, bounce)


def read_many(raws: Sequence[bytes], max_bytes: int) -> list[Reading | None]:
    """``read_mail`` for each; None where reading raised (the caller reads that one again itself,
    where the error is logged and counted against the mail's attempts)."""
    out: list[Reading | None] = []
    for raw in raws:
        try:
            out.append(read_mail(raw, max_bytes=max_bytes))
        except Exception:
            out.append(None)
    return out


class BlobStore(Protocol):  # core.blobs.BlobStore's writing half, without importing its Django part
    def put_many(self, items: Sequence[bytes]) -> list[str]: ...


def _started() -> None:
    """The first task a worker runs: it makes the process start."""


def _put_many(store: BlobStore, raws: list[bytes]) -> list[str]:
    return store.put_many(raws)


class ReadingPool:
    """One worker process reading batches of mail while the caller writes the previous batch.

    ``submit`` returns a future of ``read_many``; ``close`` stops the worker. A worker that dies
    (killed, out of memory) fails its futures, and the caller reads those mails itself.
    """

    def __init__(self, workers: int = 1) -> None:
        # forkserver: the worker starts from a clean process, never from a fork of one holding
        # database connections or threads' locks.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload([__name__])
        self._executor = ProcessPoolExecutor(max_workers=max(1, workers), mp_context=context)
        self._broken = False
        # Start the worker now (a process start and the cores' imports take a few hundred ms): the
        # caller does its first, small piece of work itself meanwhile.
        self._submit(_started)

    def submit(self, raws: Sequence[bytes], max_bytes: int) -> Future[list[Reading | None]] | None:
        """The future reading of ``raws``; None when the worker cannot take it (it died, or could not
        start): the caller then reads them itself."""
        return self._submit(read_many, list(raws), max_bytes)

    def submit_store(self, store: BlobStore, raws: Sequence[bytes]) -> Future[list[str]] | None:
        """The future of ``store.put_many(raws)`` in the worker (writing and flushing the files is
        work the writing process need not do); None when the worker cannot take it. A store that
        cannot be sent to the worker fails the future: the caller then stores the bytes itself."""
        return self._submit(_put_many, store, list(raws))

    def _submit(self, fn: Callable[..., T], *args: object) -> Future[T] | None:
        if self._broken:
            return None
        try:
            return self._executor.submit(fn, *args)
        except (BrokenProcessPool, OSError, RuntimeError):  # the worker died or could not start
            logger.warning("the mail reading worker is not available; working in this process", exc_info=True)
            self._broken = True
            return None

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ReadingPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
