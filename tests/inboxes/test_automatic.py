"""Machine mail (auto-replies, bounces …): on its ticket, marked, changing no status, never answered."""

from __future__ import annotations

import pytest

from tanggap.inboxes.models import MailSource, MailStatus
from tanggap.inboxes.services import mail_receive
from tanggap.tickets.inbound import InboundMessage, Sender
from tanggap.tickets.models import Status, Ticket
from tanggap.tickets.services import message_receive, reply_send, ticket_transition
from tests.inboxes.conftest import make_mail

pytestmark = pytest.mark.django_db

AUTO_REPLY = {"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"}


def receive(inbox, raw):
    return mail_receive(inbox=inbox, raw=raw, source=MailSource.IMAP)


@pytest.fixture
def first(inbox):
    return receive(inbox, make_mail(message_id="<first@mail.example.com>"))


def out_of_office(**kwargs):
    return make_mail(
        "Saya sedang cuti sampai 10 November.",
        subject="Otomatis: Pesanan belum sampai",
        headers=AUTO_REPLY,
        **kwargs,
    )


def test_an_auto_reply_joins_its_ticket_without_reopening_it(inbox, first, agent):
    reply_send(actor=agent, ticket=first.ticket, text="Pesanan Anda sedang dikirim.")
    ticket = Ticket.objects.get(pk=first.ticket_id)
    assert ticket.status == Status.PENDING
    waiting_since = ticket.last_customer_message_at
    row = receive(inbox, out_of_office(in_reply_to="<first@mail.example.com>"))
    assert row.status == MailStatus.PROCESSED and row.automatic == "auto_reply"
    assert row.ticket_id == first.ticket_id
    assert row.message.automatic == "auto_reply"
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING  # a human reply would have reopened it
    assert ticket.last_customer_message_at == waiting_since


def test_an_auto_reply_to_a_closed_ticket_is_appended_to_it(inbox, first, admin):
    ticket_transition(actor=admin, ticket=first.ticket, status=Status.SOLVED)
    ticket_transition(actor=admin, ticket=first.ticket, status=Status.CLOSED)
    row = receive(inbox, out_of_office(in_reply_to="<first@mail.example.com>"))
    assert row.ticket_id == first.ticket_id
    assert Ticket.objects.count() == 1  # no follow-up ticket
    assert Ticket.objects.get(pk=first.ticket_id).status == Status.CLOSED


def test_an_unthreaded_auto_reply_still_becomes_a_ticket(inbox):
    row = receive(inbox, out_of_office())
    assert row.status == MailStatus.PROCESSED and row.ticket is not None
    assert row.message.automatic == "auto_reply"


def test_a_human_reply_still_reopens(inbox, first, agent):
    reply_send(actor=agent, ticket=first.ticket, text="Pesanan Anda sedang dikirim.")
    row = receive(inbox, make_mail("Belum sampai juga.", in_reply_to="<first@mail.example.com>"))
    assert row.automatic == "" and row.message.automatic == ""
    assert Ticket.objects.get(pk=first.ticket_id).status == Status.OPEN


def test_nothing_may_answer_machine_mail_automatically(db):
    # Pinned for the auto-answer to come: it must check this flag, or two autoresponders loop.
    def deliver(automatic: str, key: str):
        return message_receive(
            inbound=InboundMessage(
                channel="email",
                sender=Sender("email", "robot@example.com"),
                text="Saya sedang cuti.",
                idempotency_key=key,
                automatic=automatic,
            )
        )

    assert deliver("", "k-human").may_answer_automatically
    for kind in ("auto_reply", "bounce", "delay", "feedback_report", "list", "system"):
        result = deliver(kind, f"k-{kind}")
        assert not result.may_answer_automatically
        assert not deliver(kind, f"k-{kind}").may_answer_automatically  # the duplicate too
        assert result.message.automatic == kind
