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
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from tanggap.inboxes.email.bounces import Bounce, parse_bounce
from tanggap.inboxes.email.loops import classify_automatic
from tanggap.inboxes.email.parse import ParsedMail, parse_mail

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Reading:
    """What the pure cores say about one mail."""

    parsed: ParsedMail
    automatic: str  # "" when a person wrote it
    bounce: Bounce | None


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

    def submit(self, raws: Sequence[bytes], max_bytes: int) -> Future[list[Reading | None]] | None:
        """The future reading of ``raws``; None when the worker cannot take it (it died, or could not
        start): the caller then reads them itself."""
        if self._broken:
            return None
        try:
            return self._executor.submit(read_many, list(raws), max_bytes)
        except (BrokenProcessPool, OSError, RuntimeError):  # the worker died or could not start
            logger.warning("the mail reading worker is not available; reading in this process", exc_info=True)
            self._broken = True
            return None

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ReadingPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
