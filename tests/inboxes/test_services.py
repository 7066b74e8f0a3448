"""The durable intake: store first, process once, quarantine what cannot be processed, lose nothing."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from tanggap.core import tasks
from tanggap.core.blobs import default_store
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput, PermissionDenied
from tanggap.core.models import AuditEntry
from tanggap.inboxes import services
from tanggap.inboxes.models import Inbox, MailSource, MailStatus, RawMail
from tanggap.inboxes.selectors import mail_quarantine_list, raw_mail_get
from tanggap.inboxes.services import mail_process, mail_process_pending, mail_receive, mail_retry, mail_store
from tanggap.tickets.models import Message, MessageKind, Ticket
from tests.inboxes.conftest import make_mail

pytestmark = pytest.mark.django_db


def customer_messages():
    return Message.objects.filter(kind=MessageKind.CUSTOMER)


# ---------------------------------------------------------------- store, then process


def test_receive_stores_the_bytes_then_opens_a_ticket_in_the_inboxes_team(inbox, team):
    raw = make_mail()
    row = mail_receive(inbox=inbox, raw=raw, source=MailSource.IMAP, source_ref="imap:7:1")
    assert row.status == MailStatus.PROCESSED and row.reason == ""
    assert row.sha256 == hashlib.sha256(raw).hexdigest() and row.size == len(raw)
    assert default_store().get(row.sha256) == raw
    assert row.attempts == 1 and row.processed_at is not None
    assert row.ticket.team == team
    assert row.message.body_text.strip() == "Halo, pesanan saya belum sampai."
    assert row.message.idempotency_key.startswith(f"mail:{inbox.pk}:<")
    assert row.mail_message_id.endswith("@mail.example.com")


def test_a_content_type_the_stdlib_header_parser_chokes_on_still_reaches_its_ticket(inbox):
    # policy.default raises IndexError on this parameter list; the mail is readable and must not stay stuck.
    raw = (
        b"From: Siti <siti@example.com>\r\nTo: support@tanggap.test\r\nSubject: Paket\r\n"
        b"Message-ID: <odd-params@example.com>\r\nContent-Type: text/plain;0*\r\n\r\n"
        b"Halo, pesanan saya belum sampai.\r\n"
    )
    row = mail_receive(inbox=inbox, raw=raw, source=MailSource.IMPORT, source_ref="file:odd.eml")
    assert row.status == MailStatus.PROCESSED, row.reason
    assert "pesanan saya belum sampai" in row.message.body_text


def test_store_writes_nothing_parsed_and_is_idempotent(inbox):
    raw = make_mail()
    first, created = mail_store(inbox=inbox, raw=raw, source=MailSource.IMPORT)
    again, created_again = mail_store(inbox=inbox, raw=raw, source=MailSource.IMPORT)
    assert created and not created_again and again.pk == first.pk
    assert first.status == MailStatus.RECEIVED
    assert not Ticket.objects.exists()


def test_the_same_source_ref_is_stored_once(inbox):
    first, _ = mail_store(inbox=inbox, raw=make_mail(), source=MailSource.IMAP, source_ref="imap:7:42")
    again, created = mail_store(inbox=inbox, raw=make_mail(), source=MailSource.IMAP, source_ref="imap:7:42")
    assert not created and again.pk == first.pk
    assert RawMail.objects.count() == 1


def test_receiving_the_same_bytes_twice_gives_one_message(inbox):
    raw = make_mail()
    first = mail_receive(inbox=inbox, raw=raw, source=MailSource.SMTP)
    second = mail_receive(inbox=inbox, raw=raw, source=MailSource.SMTP)
    assert first.pk == second.pk
    assert customer_messages().count() == 1


def test_the_same_message_id_in_other_bytes_is_stored_but_not_delivered_twice(inbox):
    # A relay re-sends the mail with one more Received header: other bytes, the same message.
    raw = make_mail(message_id="<resent@mail.example.com>")
    first = mail_receive(inbox=inbox, raw=raw, source=MailSource.IMAP)
    second = mail_receive(inbox=inbox, raw=b"Received: from relay\r\n" + raw, source=MailSource.IMAP)
    assert first.pk != second.pk
    assert second.status == MailStatus.PROCESSED and second.reason == services.REASON_DUPLICATE
    assert second.message_id == first.message_id
    assert customer_messages().count() == 1


def test_one_mail_to_two_inboxes_is_a_ticket_in_each(inbox, other_inbox):
    raw = make_mail(to="support@tanggap.test, billing@tanggap.test")
    one = mail_receive(inbox=inbox, raw=raw, source=MailSource.IMAP)
    two = mail_receive(inbox=other_inbox, raw=raw, source=MailSource.IMAP)
    assert one.ticket_id != two.ticket_id
    assert Ticket.objects.count() == 2


def test_mail_without_message_id_is_keyed_by_its_content(inbox):
    raw = make_mail(message_id=None)
    row = mail_receive(inbox=inbox, raw=raw, source=MailSource.IMPORT)
    assert row.status == MailStatus.PROCESSED
    assert row.message.idempotency_key == f"mail:{inbox.pk}:sha256:{hashlib.sha256(raw).hexdigest()}"


def test_unknown_source_is_refused(inbox):
    with pytest.raises(ApplicationError):
        mail_store(inbox=inbox, raw=make_mail(), source="pigeon")


# ---------------------------------------------------------------- crashes


def test_a_crash_between_store_and_process_is_recovered_by_the_sweep(inbox):
    row, _ = mail_store(inbox=inbox, raw=make_mail(), source=MailSource.IMAP, source_ref="imap:1:5")
    # The worker died here. Fresh rows are left to the transport for a minute ...
    assert mail_process_pending() == {"processed": 0, "quarantined": 0, "received": 0}
    RawMail.objects.filter(pk=row.pk).update(received_at=timezone.now() - timedelta(minutes=2))
    # ... then the periodic job finishes them.
    assert tasks.run_job("mail-pending") == {"processed": 1, "quarantined": 0, "received": 0}
    row.refresh_from_db()
    assert row.status == MailStatus.PROCESSED
    # The transport, restarted, delivers the same mail again: nothing new.
    again = mail_receive(inbox=inbox, raw=make_mail(), source=MailSource.IMAP, source_ref="imap:1:5")
    assert again.pk == row.pk
    assert customer_messages().count() == 1


def test_processing_the_same_row_twice_delivers_once(inbox):
    row, _ = mail_store(inbox=inbox, raw=make_mail(), source=MailSource.IMAP)
    first = mail_process(raw_mail=row)
    second = mail_process(raw_mail=row)
    assert first.status == second.status == MailStatus.PROCESSED
    assert second.attempts == 1
    assert customer_messages().count() == 1


def test_a_failure_mid_processing_leaves_the_mail_for_the_next_try(inbox, monkeypatch):
    row, _ = mail_store(inbox=inbox, raw=make_mail(), source=MailSource.IMAP)

    def crash(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "messages_receive", crash)
    failed = mail_process(raw_mail=row)
    assert failed.status == MailStatus.RECEIVED
    assert failed.reason == services.REASON_FAILED and "database went away" in failed.reason_detail
    assert not Ticket.objects.exists()
    monkeypatch.undo()
    done = mail_process_pending(grace=timedelta(0))
    assert done["processed"] == 1
    row.refresh_from_db()
    assert row.status == MailStatus.PROCESSED and row.attempts == 2
    assert customer_messages().count() == 1


def test_a_mail_that_always_fails_is_quarantined_after_the_last_attempt(inbox, monkeypatch):
    row, _ = mail_store(inbox=inbox, raw=make_mail(), source=MailSource.IMAP)
    monkeypatch.setattr(services, "_read", lambda raw: 1 / 0)
    for _ in range(services.MAX_ATTEMPTS):
        assert mail_process(raw_mail=row).status == MailStatus.RECEIVED
    row = mail_process(raw_mail=row)
    assert row.status == MailStatus.QUARANTINED and row.reason == services.REASON_TOO_MANY_ATTEMPTS
    assert "ZeroDivisionError" in row.reason_detail


# ---------------------------------------------------------------- quarantine


def test_not_mail_is_quarantined_with_its_reason_and_kept(inbox):
    raw = b"\x00\x01 this is no mail at all \xff"
    row = mail_receive(inbox=inbox, raw=raw, source=MailSource.SMTP)
    assert row.status == MailStatus.QUARANTINED and row.reason == "not_mail"
    assert default_store().get(row.sha256) == raw
    assert AuditEntry.objects.filter(action="mail.quarantined", object_id=str(row.pk)).exists()
    assert not Ticket.objects.exists()


def test_mail_over_the_size_bound_is_quarantined_unread(inbox, monkeypatch):
    monkeypatch.setattr(services, "MAX_PROCESS_BYTES", 100)
    row = mail_receive(inbox=inbox, raw=make_mail("x" * 200), source=MailSource.IMAP)
    assert row.status == MailStatus.QUARANTINED and row.reason == "too_large"
    assert default_store().exists(row.sha256)


def test_mail_over_the_store_bound_is_refused_so_the_transport_keeps_it(inbox, monkeypatch):
    monkeypatch.setattr(services, "MAX_STORE_BYTES", 100)
    with pytest.raises(ApplicationError) as exc:
        mail_receive(inbox=inbox, raw=make_mail("x" * 200), source=MailSource.SMTP)
    assert exc.value.code == ErrorCode.TOO_LARGE
    assert not RawMail.objects.exists()


def test_a_refusal_of_the_write_path_quarantines_with_its_code(inbox, monkeypatch):
    def refuse(*, inbounds, **kwargs):
        return [InvalidInput("the message is empty", field="text") for _ in inbounds]

    monkeypatch.setattr(services, "messages_receive", refuse)
    row = mail_receive(inbox=inbox, raw=make_mail(), source=MailSource.IMAP)
    assert row.status == MailStatus.QUARANTINED and row.reason == "invalid_input"
    assert "the message is empty" in row.reason_detail
    assert not Ticket.objects.exists()


def test_mail_without_a_usable_sender_is_quarantined(inbox):
    row = mail_receive(inbox=inbox, raw=make_mail(sender="MAILER-DAEMON"), source=MailSource.IMAP)
    assert row.status == MailStatus.QUARANTINED and row.reason == services.REASON_NO_SENDER
    assert row.reason_detail == "MAILER-DAEMON"


def test_a_mail_that_is_only_a_subject_keeps_the_subject_as_its_text(inbox):
    row = mail_receive(inbox=inbox, raw=make_mail("", subject="Tolong batalkan pesanan 1234"), source="imap")
    assert row.status == MailStatus.PROCESSED
    assert row.message.body_text == "Tolong batalkan pesanan 1234"
    empty = mail_receive(inbox=inbox, raw=make_mail("", subject=""), source=MailSource.IMAP)
    assert empty.status == MailStatus.QUARANTINED and empty.reason == services.REASON_EMPTY


def test_a_lost_blob_quarantines_instead_of_crashing(inbox, settings, tmp_path):
    row, _ = mail_store(inbox=inbox, raw=make_mail(), source=MailSource.IMAP)
    settings.TANGGAP_BLOB_DIR = tmp_path / "elsewhere"
    row = mail_process(raw_mail=row)
    assert row.status == MailStatus.QUARANTINED and row.reason == services.REASON_BLOB_MISSING


def test_admins_see_the_quarantine_and_retry_after_a_fix(inbox, admin, agent, monkeypatch):
    mail_receive(inbox=inbox, raw=make_mail(), source=MailSource.IMAP)  # processed: not listed
    monkeypatch.setattr(services, "MAX_PROCESS_BYTES", 100)
    row = mail_receive(inbox=inbox, raw=make_mail("x" * 200), source=MailSource.IMAP)
    assert [r.pk for r in mail_quarantine_list(user=admin)] == [row.pk]
    assert [r.pk for r in mail_quarantine_list(user=admin, reason="not_mail")] == []
    assert raw_mail_get(user=admin, raw_mail_id=row.pk).pk == row.pk
    with pytest.raises(PermissionDenied):
        mail_quarantine_list(user=agent)
    with pytest.raises(PermissionDenied):
        mail_retry(actor=agent, raw_mail=row)
    monkeypatch.undo()  # the fix: the bound is back
    retried = mail_retry(actor=admin, raw_mail=row)
    assert retried.status == MailStatus.PROCESSED and retried.message is not None
    assert AuditEntry.objects.filter(action="mail.retried", actor=admin).exists()
    with pytest.raises(ApplicationError) as exc:
        mail_retry(actor=admin, raw_mail=retried)
    assert exc.value.code == ErrorCode.CONFLICT


def test_inbox_with_received_mail_cannot_be_deleted(inbox):
    from django.db.models import ProtectedError

    mail_store(inbox=inbox, raw=make_mail(), source=MailSource.IMAP)
    with pytest.raises(ProtectedError):
        Inbox.objects.filter(pk=inbox.pk).delete()
