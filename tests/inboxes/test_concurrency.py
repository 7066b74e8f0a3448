"""The intake under real concurrency: two workers, two connections, one mail."""

from __future__ import annotations

import pytest

from tanggap.inboxes.models import MailSource, MailStatus, RawMail
from tanggap.inboxes.services import mail_process, mail_receive, mail_store
from tanggap.inboxes.setup import inbox_create
from tanggap.tickets.models import Message, MessageKind, Ticket
from tests.conftest import race, together
from tests.inboxes.conftest import make_mail

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def inbox():
    return inbox_create(actor=None, name="Support", address="support@tanggap.test")


def test_two_workers_receiving_the_same_mail_store_and_deliver_it_once(inbox):
    for round_ in range(3):
        raw = make_mail(f"pesan {round_}", sender=f"r{round_}@example.com")
        rows = together(
            *(lambda raw=raw: mail_receive(inbox=inbox, raw=raw, source=MailSource.IMAP) for _ in range(3))
        )
        assert len({row.pk for row in rows}) == 1
    assert RawMail.objects.count() == 3
    assert set(RawMail.objects.values_list("status", flat=True)) == {MailStatus.PROCESSED}
    assert Message.objects.filter(kind=MessageKind.CUSTOMER).count() == 3
    assert Ticket.objects.count() == 3


def test_the_same_mail_stored_in_the_check_then_insert_window_is_stored_once(inbox):
    raw = make_mail()
    first, second = race(
        lambda: mail_store(inbox=inbox, raw=raw, source=MailSource.IMAP, source_ref="imap:1:1"),
        lambda: mail_store(inbox=inbox, raw=raw, source=MailSource.IMAP, source_ref="imap:1:1"),
    )
    assert first[1] is True and second[1] is False
    assert first[0].pk == second[0].pk
    assert RawMail.objects.count() == 1


def test_two_workers_processing_one_row_deliver_it_once(inbox):
    row, _ = mail_store(inbox=inbox, raw=make_mail(), source=MailSource.IMAP)
    results = together(lambda: mail_process(raw_mail=row), lambda: mail_process(raw_mail=row))
    assert {r.status for r in results} == {MailStatus.PROCESSED}
    assert Message.objects.filter(kind=MessageKind.CUSTOMER).count() == 1
