"""The batched intake (an import, a poll): the same tickets, threads and refusals as one mail at a time."""

from __future__ import annotations

import hashlib
import random

import pytest

from tanggap.inboxes import services
from tanggap.inboxes.importers import mail_import
from tanggap.inboxes.models import MailStatus, RawMail
from tanggap.inboxes.services import mail_process_many, mail_store_many
from tanggap.tickets.models import Message, MessageKind, Ticket
from tests.inboxes.conftest import make_mail


def _conversations(seed: int, threads: int) -> list[tuple[str, bytes]]:
    """Threads of three mails (original, reply naming it in In-Reply-To, reply naming both only in
    References), interleaved at random like a real mailbox; plus an auto-reply, a repeat of one
    Message-ID in other bytes, and a mail with nothing in it."""
    rng = random.Random(seed)
    mails: list[tuple[str, bytes]] = []
    queues = []
    for n in range(threads):
        sender = f"Pelanggan {n} <p{n}@example.com>"
        first, second = f"<t{n}-1@mail.example>", f"<t{n}-2@mail.example>"
        queues.append(
            [
                (f"t{n}-1", make_mail(f"Pesanan {n} belum sampai.", message_id=first, sender=sender)),
                (
                    f"t{n}-2",
                    make_mail(
                        f"Sudah seminggu, pesanan {n}.",
                        message_id=second,
                        in_reply_to=first,
                        sender=sender,
                        subject=f"Re: Pesanan {n}",
                    ),
                ),
                (
                    f"t{n}-3",
                    make_mail(
                        f"Dari alamat kantor saya: pesanan {n}?",
                        message_id=f"<t{n}-3@mail.example>",
                        references=f"{first} {second}",
                        sender=f"Pelanggan {n} <kantor{n}@example.com>",
                        subject=f"Re: Pesanan {n}",
                    ),
                ),
            ]
        )
    while any(queues):
        queue = rng.choice([q for q in queues if q])
        mails.append(queue.pop(0))
    mails.insert(
        rng.randrange(len(mails)),
        (
            "auto",
            make_mail(
                "Saya sedang cuti.",
                in_reply_to="<t0-1@mail.example>",
                headers={"Auto-Submitted": "auto-replied"},
            ),
        ),
    )
    mails.append(("repeat", make_mail("Pesanan 1 (dikirim ulang).", message_id="<t1-1@mail.example>")))
    mails.append(("empty", make_mail("", subject="")))
    return mails


def _outcome(inbox) -> dict[str, tuple]:
    """Per mail: which of the inbox's tickets it joined (numbered by first appearance), its status."""
    rows = RawMail.objects.filter(inbox=inbox).order_by("source_ref")
    order: dict[int | None, int] = {}
    outcome = {}
    for row in sorted(rows, key=lambda r: int(r.source_ref.split(":")[1])):
        ticket = order.setdefault(row.ticket_id, len(order)) if row.ticket_id else None
        outcome[row.source_ref.split(":")[2]] = (row.status, row.reason, ticket, row.automatic)
    return outcome


def _receive(inbox, mails, batch: int) -> None:
    for start in range(0, len(mails), batch):
        chunk = mails[start : start + batch]
        stored = mail_store_many(
            inbox=inbox,
            mails=[(raw, f"test:{start + i}:{name}") for i, (name, raw) in enumerate(chunk)],
            source="import",
        )
        mail_process_many(raw_mails=[row for row, _created in stored if row.status == MailStatus.RECEIVED])


@pytest.mark.parametrize("seed", [1, 2])
def test_a_batch_threads_like_one_mail_at_a_time(inbox, other_inbox, seed):
    mails = _conversations(seed, threads=12)
    _receive(inbox, mails, batch=1)
    _receive(other_inbox, mails, batch=len(mails))
    one_by_one, batched = _outcome(inbox), _outcome(other_inbox)
    assert batched == one_by_one
    # And what that is: one ticket per thread, the reply from the office address on it too.
    assert Ticket.objects.filter(customer__identities__value="p3@example.com").count() == 2  # one per inbox
    for n in range(12):
        assert len({batched[f"t{n}-{i}"][2] for i in (1, 2, 3)}) == 1
    assert batched["repeat"][:2] == (MailStatus.PROCESSED, services.REASON_DUPLICATE)
    assert batched["empty"][0] == MailStatus.QUARANTINED
    assert batched["auto"][2] == batched["t0-1"][2] and batched["auto"][3] == "auto_reply"
    for box in (inbox, other_inbox):
        tickets = Ticket.objects.filter(pk__in=RawMail.objects.filter(inbox=box).values("ticket_id"))
        for ticket in tickets:
            counted = Message.objects.filter(ticket=ticket).exclude(kind=MessageKind.EVENT).count()
            assert ticket.message_count == counted


def test_importing_in_batches_twice_imports_nothing_twice(inbox, tmp_path):
    folder = tmp_path / "mails"
    folder.mkdir()
    for index, (_name, raw) in enumerate(_conversations(3, threads=5)):
        (folder / f"{index:03}.eml").write_bytes(raw)
    first = mail_import(inbox=inbox, path=folder, batch=4)
    assert (first.new, first.processed, first.quarantined) == (18, 17, 1)
    messages = Message.objects.filter(kind=MessageKind.CUSTOMER).count()
    second = mail_import(inbox=inbox, path=folder, batch=7)
    assert (second.new, second.already) == (0, 18)
    assert Message.objects.filter(kind=MessageKind.CUSTOMER).count() == messages == 16  # the repeat is one


def test_a_mail_that_breaks_its_batch_goes_on_alone_and_the_others_are_received(inbox, monkeypatch):
    mails = [make_mail(f"Pesan {n}", sender=f"s{n}@example.com") for n in range(6)]
    stored = [row for row, _ in mail_store_many(inbox=inbox, mails=[(m, "") for m in mails], source="imap")]
    real = services.messages_receive
    calls = []

    def fail_batches(*, inbounds, store=None):
        calls.append(len(inbounds))
        if len(inbounds) > 1 or "Pesan 3" in inbounds[0].text:
            raise RuntimeError("the database went away")
        return real(inbounds=inbounds, store=store)

    monkeypatch.setattr(services, "messages_receive", fail_batches)
    rows = mail_process_many(raw_mails=stored)
    assert calls[0] == 6  # tried together first
    assert [r.status for r in rows] == [MailStatus.PROCESSED] * 3 + [MailStatus.RECEIVED] + [
        MailStatus.PROCESSED
    ] * 2
    assert rows[3].reason == services.REASON_FAILED
    monkeypatch.undo()
    # The next try takes the mail tried before on its own path.
    (again,) = mail_process_many(raw_mails=[rows[3]])
    assert again.status == MailStatus.PROCESSED and again.attempts == 3


def test_the_same_bytes_twice_in_one_batch_are_stored_once(inbox):
    raw = make_mail("Sekali saja")
    (first, created), (second, again) = mail_store_many(
        inbox=inbox, mails=[(raw, ""), (raw, "")], source="imap"
    )
    assert created and not again and first.pk == second.pk
    assert RawMail.objects.count() == 1


def test_a_reading_worker_gives_the_same_import(inbox, other_inbox, tmp_path):
    folder = tmp_path / "mails"
    folder.mkdir()
    for index, (_name, raw) in enumerate(_conversations(4, threads=8)):
        (folder / f"{index:03}.eml").write_bytes(raw)
    alone = mail_import(inbox=inbox, path=folder, batch=5, workers=0)
    helped = mail_import(inbox=other_inbox, path=folder, batch=5, workers=1)
    assert (helped.new, helped.processed, helped.quarantined) == (
        alone.new,
        alone.processed,
        alone.quarantined,
    )

    def tickets_by_file(box):
        return [r.ticket_id is not None for r in RawMail.objects.filter(inbox=box).order_by("source_ref")]

    assert tickets_by_file(other_inbox) == tickets_by_file(inbox)
    threads = {
        box.pk: len(
            set(RawMail.objects.filter(inbox=box).exclude(ticket=None).values_list("ticket_id", flat=True))
        )
        for box in (inbox, other_inbox)
    }
    assert threads[inbox.pk] == threads[other_inbox.pk] >= 8  # the auto-reply may come before its thread


def test_an_unavailable_reading_worker_leaves_the_reading_to_the_importer(inbox, tmp_path, monkeypatch):
    from tanggap.inboxes.email import reading

    def broken(self, fn, *args):
        raise reading.BrokenProcessPool("the worker could not start")

    monkeypatch.setattr(reading.ProcessPoolExecutor, "submit", broken)
    folder = tmp_path / "mails"
    folder.mkdir()
    for index, (_name, raw) in enumerate(_conversations(5, threads=3)):
        (folder / f"{index:03}.eml").write_bytes(raw)
    report = mail_import(inbox=inbox, path=folder, batch=3, workers=1)
    assert (report.processed, report.quarantined, report.pending) == (11, 1, 0)


def test_the_reading_worker_stores_the_bytes_and_works_out_the_search_text(inbox, other_inbox, tmp_path):
    from tanggap.core.blobs import default_store
    from tanggap.tickets.models import SearchEntry

    folder = tmp_path / "mails"
    folder.mkdir()
    for index, (_name, raw) in enumerate(_conversations(6, threads=4)):
        (folder / f"{index:03}.eml").write_bytes(raw)
    mail_import(inbox=inbox, path=folder, batch=4, workers=0)
    store = default_store()
    # Only the rows are shared between the inboxes: the second import's bytes come from the worker.
    import sqlite3

    from tanggap.core.blobs import DATABASE

    with sqlite3.connect(store.root / DATABASE) as db:
        db.execute("DELETE FROM blob")
    mail_import(inbox=other_inbox, path=folder, batch=4, workers=1)
    rows = RawMail.objects.filter(inbox=other_inbox)
    assert rows.count() == len(list(folder.iterdir()))
    assert all(hashlib.sha256(store.get(row.sha256)).hexdigest() == row.sha256 for row in rows)

    def stems(box):
        messages = RawMail.objects.filter(inbox=box).exclude(message=None).order_by("source_ref")
        by_message = dict(SearchEntry.objects.exclude(message=None).values_list("message_id", "stems"))
        return [by_message[row.message_id] for row in messages]

    assert stems(other_inbox) == stems(inbox)
    from tanggap.core.text import search_text

    for message in Message.objects.filter(pk__in=rows.exclude(message=None).values("message_id")):
        assert SearchEntry.objects.get(message=message).stems == search_text(message.body_text)


def test_a_store_the_worker_cannot_take_is_written_by_the_importer(inbox, tmp_path):
    from tanggap.core.blobs import LocalBlobStore

    class LocalOnly(LocalBlobStore):  # a lock inside: cannot be sent to another process
        def __init__(self, root):
            super().__init__(root)
            import threading

            self.lock = threading.Lock()

    store = LocalOnly(tmp_path / "blobs")
    folder = tmp_path / "mails"
    folder.mkdir()
    for index, (_name, raw) in enumerate(_conversations(7, threads=3)):
        (folder / f"{index:03}.eml").write_bytes(raw)
    report = mail_import(inbox=inbox, path=folder, batch=3, store=store, workers=1)
    files = len(list(folder.iterdir()))
    assert (report.new, report.processed, report.quarantined, report.pending) == (files, files - 1, 1, 0)
    assert all(store.exists(sha) for sha in RawMail.objects.values_list("sha256", flat=True))


@pytest.mark.parametrize(
    ("total", "size", "pipelined"),
    [
        (2000, 200, True),
        (2000, 200, False),
        (401, 200, True),
        (400, 200, True),
        (10, 3, True),
        (7, 1, True),
        (0, 5, True),
    ],
)
def test_batches_cover_every_mail_once_in_order_and_are_small_at_the_ends_of_a_pipeline(
    total, size, pipelined
):
    from tanggap.inboxes.importers import _batches

    got = list(_batches(total, size, pipelined=pipelined))
    assert [i for start, end in got for i in range(start, end)] == list(range(total))
    assert all(0 < end - start <= size for start, end in got)
    if pipelined and total > 2 * size:
        assert got[0][1] - got[0][0] == got[-1][1] - got[-1][0] == max(1, size // 8)
