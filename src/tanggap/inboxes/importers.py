"""Importing mail from files: an mbox, a Maildir, a folder of ``.eml`` files or one ``.eml`` file.

Each message goes through ``mail_receive`` like any other received mail, with a source reference that
stays the same from run to run (and its content hash), so importing the same files again imports
nothing twice, and an import interrupted half-way is finished by running it again.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
import mailbox
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from tanggap.core.blobs import BlobStore, default_store
from tanggap.core.errors import ApplicationError, InvalidInput
from tanggap.inboxes.email.reading import Reading, ReadingPool
from tanggap.inboxes.models import Inbox, MailSource, MailStatus, RawMail
from tanggap.inboxes.services import MAX_PROCESS_BYTES, MAX_STORE_BYTES, mail_process_many, mail_store_many

# A folder of single messages: these suffixes are read, anything else is left alone.
MESSAGE_SUFFIXES = frozenset({".eml", ".box", ".msg.txt", ".mail"})
MAX_REF = 255
logger = logging.getLogger(__name__)

# Messages stored and received together: large enough to share the statements, small enough to
# show progress often and to hold the write lock briefly.
IMPORT_BATCH = 200

Progress = Callable[[int, int, RawMail | None], None]


@dataclass(slots=True)
class ImportReport:
    total: int = 0
    new: int = 0  # stored by this run
    already: int = 0  # stored by an earlier run (or by another transport)
    processed: int = 0
    quarantined: int = 0
    pending: int = 0  # stored, processing failed for now: the mail-pending job retries it
    refused: list[tuple[str, str]] = field(default_factory=list)  # (source ref, error code): not stored


@dataclass(frozen=True, slots=True)
class _Item:
    source_ref: str
    read: Callable[[], bytes]
    # Positions in an mbox shift when a mail client compacts it, and a file may be overwritten by a
    # later export: such references also carry the content's hash, so other bytes are never taken
    # for a message imported before. A Maildir key names one message for ever.
    with_hash: bool = True


def _ref(prefix: str, value: str) -> str:
    ref = f"{prefix}:{value}"
    if len(ref) <= MAX_REF - 17:  # room for the content hash some references carry
        return ref
    return f"{prefix}:sha256:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def _source_ref(item: _Item, raw: bytes) -> str:
    if not item.with_hash:
        return item.source_ref
    return f"{item.source_ref}@{hashlib.sha256(raw).hexdigest()[:16]}"


def _is_maildir(path: Path) -> bool:
    return path.is_dir() and (path / "cur").is_dir() and (path / "new").is_dir()


def _looks_like_mbox(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(5) == b"From "


def _mbox_items(path: Path) -> list[_Item]:
    box = mailbox.mbox(path, create=False)
    where = str(path.resolve())
    return [_Item(_ref("mbox", f"{where}#{key}"), partial(box.get_bytes, key)) for key in box.iterkeys()]


def _maildir_items(path: Path) -> list[_Item]:
    box = mailbox.Maildir(path, factory=None, create=False)
    # A Maildir key is unique by construction and survives the move from new/ to cur/ and flag changes.
    return [
        _Item(_ref("maildir", key), partial(box.get_bytes, key), with_hash=False)
        for key in sorted(box.iterkeys())
    ]


def _file_items(files: list[Path]) -> list[_Item]:
    return [_Item(_ref("file", str(f.resolve())), f.read_bytes) for f in files]


def _message_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and any(p.name.endswith(s) for s in MESSAGE_SUFFIXES)
    )


def mail_sources(path: Path) -> list[_Item]:
    """The messages at ``path``, whichever of the supported layouts it is."""
    if _is_maildir(path):
        return _maildir_items(path)
    if path.is_dir():
        return _file_items(_message_files(path))
    if path.is_file():
        return _mbox_items(path) if _looks_like_mbox(path) else _file_items([path])
    raise InvalidInput("no mbox, Maildir, folder or file at that path", field="path")


def _each(items: list[_Item]) -> Iterator[tuple[_Item, bytes | None, str]]:
    for item in items:
        try:
            yield item, item.read(), ""
        except (OSError, KeyError) as exc:  # a file removed or unreadable since it was listed
            yield item, None, type(exc).__name__


@dataclass(slots=True)
class _Stored:
    """One batch: its items, the rows they were stored as, and what the worker was given of it."""

    chunk: list[tuple[_Item, bytes | None, str]]
    rows: dict[str, RawMail]
    work: _HandedOver


def mail_import(
    *,
    inbox: Inbox,
    path: Path,
    progress: Progress | None = None,
    store: BlobStore | None = None,
    batch: int = IMPORT_BATCH,
    workers: int = 0,
) -> ImportReport:
    """Import every message at ``path`` into ``inbox``; ``progress(done, total, row)`` after each.

    Messages go ``batch`` at a time: stored together (one commit), then received together
    (``mail_process_many``). A crash between the two leaves stored rows the next run, or the
    ``mail-pending`` job, processes; nothing is imported twice. With ``workers``, that many worker
    processes read (parse, classify) each batch while the batch before it is being written."""
    items = mail_sources(Path(path))
    store = store or default_store()
    report = ImportReport(total=len(items))
    size = max(1, batch)
    pool = ReadingPool(workers) if workers > 0 and len(items) > size else None
    state = {"done": 0}
    try:
        previous: _Stored | None = None
        for start, end in _batches(len(items), size, pipelined=pool is not None):
            chunk = list(_each(items[start:end]))
            # The worker is still starting while the first (small) batch is stored and read here.
            work = _hand_over(chunk, store, pool if start > 0 else None)
            if previous is not None:
                _receive_batch(previous, store, report, progress, state)
            previous = _store_batch(inbox, chunk, store, report, work)
        if previous is not None:
            _receive_batch(previous, store, report, progress, state)
    finally:
        if pool is not None:
            pool.close()
    return report


@dataclass(slots=True)
class _HandedOver:
    """What the worker was given of one batch: its bytes to store, and to read."""

    stored: Future[list[str]] | None = None
    readings: Future[list[Reading | None]] | None = None
    raws: dict[str, bytes] = field(default_factory=dict)  # content hash -> bytes, in reading order


def _batches(total: int, size: int, *, pipelined: bool) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each batch. With a worker the first and the last batch are small: nothing
    overlaps them (the worker stores and reads the first while this process waits; this process
    writes the last while the worker has nothing left), so the pipeline fills and drains sooner."""
    if not pipelined or total <= 2 * size:
        cuts = [*range(0, total, size), total]
    else:
        edge = max(1, size // 8)
        cuts = [0, *range(edge, total - edge, size), total - edge, total]
    yield from itertools.pairwise(cuts)


def _hand_over(
    chunk: list[tuple[_Item, bytes | None, str]], store: BlobStore, pool: ReadingPool | None
) -> _HandedOver:
    """Give the worker the batch's bytes to write to the blob store and to read, before this process
    writes the batch before it: both run beside that writing. Mails stored by an earlier run are
    read too and their reading is not used; storing them again is a no-op (content-addressed)."""
    if pool is None:
        return _HandedOver()
    raws = [raw for _, raw, _ in chunk if raw is not None and len(raw) <= MAX_STORE_BYTES]
    readable = {hashlib.sha256(raw).hexdigest(): raw for raw in raws if len(raw) <= MAX_PROCESS_BYTES}
    return _HandedOver(
        stored=pool.submit_store(store, raws) if raws else None,
        readings=pool.submit(list(readable.values()), MAX_PROCESS_BYTES) if readable else None,
        raws=readable,
    )


def _store_batch(
    inbox: Inbox,
    chunk: list[tuple[_Item, bytes | None, str]],
    store: BlobStore,
    report: ImportReport,
    work: _HandedOver,
) -> _Stored:
    blobs_stored = False
    if work.stored is not None:
        try:
            work.stored.result()
            blobs_stored = True
        except Exception:  # the worker died, or the store cannot go to it: this process stores
            logger.warning("the worker did not store a batch; storing it here", exc_info=True)
    readable = [(item, raw) for item, raw, _ in chunk if raw is not None]
    stored = mail_store_many(
        inbox=inbox,
        mails=[(raw, _source_ref(item, raw)) for item, raw in readable],
        source=MailSource.IMPORT,
        store=store,
        blobs_stored=blobs_stored,
    )
    batch = _Stored(chunk, {}, work)
    for (item, _), result in zip(readable, stored, strict=True):
        if isinstance(result, ApplicationError):  # over the store bound: reported, the file stays
            report.refused.append((item.source_ref, str(result.code)))
            continue
        row, created = result
        report.new += created
        report.already += not created
        batch.rows[item.source_ref] = row
    return batch


def _receive_batch(
    batch: _Stored, store: BlobStore, report: ImportReport, progress: Progress | None, state: dict[str, int]
) -> None:
    readings: dict[str, Reading | None] = {}
    waiting = [row for row in batch.rows.values() if row.status == MailStatus.RECEIVED]
    work = batch.work
    if work.readings is not None and waiting:
        try:
            readings = dict(zip(work.raws, work.readings.result(), strict=True))
        except Exception:  # the worker died: this process reads the batch itself
            logger.warning("the reading worker failed; reading %s mails here", len(work.raws), exc_info=True)
    processed = (
        {row.pk: row for row in mail_process_many(raw_mails=waiting, store=store, readings=readings)}
        if waiting
        else {}
    )
    for item, raw, error in batch.chunk:
        state["done"] += 1
        row: RawMail | None = batch.rows.get(item.source_ref)
        if raw is None:
            report.refused.append((item.source_ref, error))
        elif row is not None:
            row = processed.get(row.pk, row)
            if row.status == MailStatus.PROCESSED:
                report.processed += 1
            elif row.status == MailStatus.QUARANTINED:
                report.quarantined += 1
            else:
                report.pending += 1
        if progress is not None:
            progress(state["done"], report.total, row)
