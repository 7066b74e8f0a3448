"""Zammad's mail corpus through the whole intake: stored, then processed or quarantined with a reason —
never an exception, never lost — and its bounces on the tickets of the mails that bounced."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tanggap.customers.models import BounceSeverity, Identity
from tanggap.inboxes.importers import mail_import
from tanggap.inboxes.models import MailDirection, MailSource, MailStatus, RawMail
from tanggap.inboxes.services import mail_receive
from tanggap.inboxes.setup import inbox_create
from tanggap.inboxes.threading import message_id_record
from tanggap.tickets.models import Message, MessageKind
from tests.inboxes.conftest import make_mail

pytestmark = pytest.mark.django_db

# Mails the intake quarantines, with why. Everything else must reach a ticket.
EXPECTED_QUARANTINE = {
    # No usable sender address anywhere (From, Sender, Reply-To, Return-Path): there is no one to file
    # the ticket under, so an admin decides. A bounce from a bare "MAILER-DAEMON" ...
    "mail053.box": "no_sender",
    # ... and a mail whose address upstream redacted to "redacted@redacted".
    "mail081.box": "no_sender",
}


def _zammad_files(corpus_dir: Path) -> list[Path]:
    root = corpus_dir / "zammad"
    return sorted(root.glob("mail/*.box")) + sorted(root.glob("upstream-extra/*.box"))


@pytest.fixture
def inbox(db):
    return inbox_create(actor=None, name="Support", address="support@tanggap.test")


def test_every_zammad_mail_is_processed_or_quarantined_with_a_reason(corpus_dir, inbox):
    files = _zammad_files(corpus_dir)
    assert len(files) >= 100
    outcome: dict[str, tuple[str, str]] = {}
    for path in files:
        row = mail_receive(inbox=inbox, raw=path.read_bytes(), source=MailSource.IMPORT, source_ref=path.name)
        outcome[path.name] = (row.status, row.reason)
    statuses = Counter(status for status, _ in outcome.values())
    print(f"\nzammad intake: {dict(statuses)} of {len(files)}")
    assert statuses[MailStatus.RECEIVED] == 0
    quarantined = {
        name: reason for name, (status, reason) in outcome.items() if status == MailStatus.QUARANTINED
    }
    assert quarantined == EXPECTED_QUARANTINE
    for name, (status, reason) in outcome.items():
        if status == MailStatus.PROCESSED:
            assert reason in ("", "duplicate"), name
    # Every processed mail is on a ticket; the same Message-ID in two files is delivered once.
    processed = RawMail.objects.filter(status=MailStatus.PROCESSED)
    assert not processed.filter(message__isnull=True).exists()
    delivered = Message.objects.filter(kind=MessageKind.CUSTOMER).count()
    assert delivered == processed.exclude(reason="duplicate").count()


def test_importing_the_corpus_twice_imports_nothing_twice(corpus_dir, inbox):
    folder = corpus_dir / "zammad" / "mail"
    first = mail_import(inbox=inbox, path=folder)
    messages = Message.objects.count()
    second = mail_import(inbox=inbox, path=folder)
    assert first.new == first.total > 100 and not first.refused
    assert (second.new, second.already) == (0, first.total)
    assert Message.objects.count() == messages


@pytest.mark.parametrize(
    ("name", "original", "recipient"),
    [
        (
            "mail033-undelivered-mail-returned-to-sender.box",
            "<20150830145601.30.608881@edenhofer.zammad.com>",
            "not_existing@znuny.com",
        ),
        (
            "mail055.box",
            "<20170526150141.232.13312@example.zammad.loc>",
            "ticket-bounce-trigger2@example.com",
        ),
    ],
)
def test_zammad_bounces_land_on_the_original_ticket_and_mark_the_address(
    corpus_dir, inbox, name, original, recipient
):
    # The customer wrote to us; our answer (the mail that later bounced) had the original's Message-ID.
    first = mail_receive(inbox=inbox, raw=make_mail(sender=recipient), source=MailSource.SMTP)
    message_id_record(inbox=inbox, message_id=original, ticket=first.ticket, direction=MailDirection.OUTBOUND)
    raw = (corpus_dir / "zammad" / "mail" / name).read_bytes()
    row = mail_receive(inbox=inbox, raw=raw, source=MailSource.IMPORT)
    assert row.status == MailStatus.PROCESSED and row.automatic == "bounce"
    assert row.ticket_id == first.ticket_id and row.reason_detail == "bounce"
    assert row.message.automatic == "bounce"
    identity = Identity.objects.get(value=recipient)
    assert identity.bounce_severity == BounceSeverity.HARD and identity.bounce_reason == "user_unknown"
