"""Replies leaving by e-mail: queued with the reply and the headers that thread it, addressed to the
right person from the right inbox, and sent again by an agent after a failure."""

from __future__ import annotations

import pytest

from tanggap.core.errors import ApplicationError, ErrorCode, NotFound, PermissionDenied
from tanggap.core.models import OutboxStatus
from tanggap.customers.services import customer_create
from tanggap.inboxes.models import Inbox, MailDirection, MailMessageId, MailSource
from tanggap.inboxes.outbound import inbox_for_ticket, outbound_retry
from tanggap.inboxes.services import mail_receive
from tanggap.inboxes.setup import inbox_create
from tanggap.tickets.models import DeliveryStatus, Message, Ticket
from tanggap.tickets.services import reply_send, ticket_create
from tests.inboxes.conftest import CUSTOMER_ID, drain, make_mail, row_of, status_of

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- queueing


def test_a_reply_is_queued_with_the_headers_that_thread_it(conversation, agent, inbox):
    message = reply_send(actor=agent, ticket=conversation, text="Baik Kak, kami cek.")
    assert message.delivery_status == DeliveryStatus.QUEUED
    row = row_of(message)
    assert row.status == OutboxStatus.PENDING and row.reason == ""
    assert row.inbox == inbox and row.ticket == conversation
    assert row.to_address == "siti@example.com" and row.to_name == "Siti"
    assert row.subject == f"Re: [#{conversation.pk}] Pesanan belum sampai"
    assert row.in_reply_to == "c1@mail.example.com"
    assert row.references == ["r0@mail.example.com", "c1@mail.example.com"]
    assert row.mail_message_id.endswith("@tanggap.test")
    sent = MailMessageId.objects.get(message_id=row.mail_message_id)
    assert sent.direction == MailDirection.OUTBOUND and sent.ticket == conversation and sent.inbox == inbox


def test_the_reply_goes_to_reply_to_unless_it_is_one_of_our_inboxes(inbox, other_inbox, agent):
    to_office = mail_receive(
        inbox=inbox,
        raw=make_mail(headers={"Reply-To": "Siti Kantor <Siti.Kantor@Example.com>"}),
        source=MailSource.IMAP,
    ).ticket
    to_us = mail_receive(
        inbox=inbox,
        raw=make_mail(subject="Lain", headers={"Reply-To": "billing@tanggap.test"}),
        source=MailSource.IMAP,
    ).ticket
    first = row_of(reply_send(actor=agent, ticket=to_office, text="Ok"))
    second = row_of(reply_send(actor=agent, ticket=to_us, text="Ok"))
    assert (first.to_address, first.to_name) == ("siti.kantor@example.com", "Siti Kantor")
    assert second.to_address == "siti@example.com"  # never to ourselves: that is a loop


def test_an_agent_made_email_ticket_goes_to_the_customer_s_address(inbox, agent, admin):
    customer = customer_create(actor=admin, name="Budi", identities=[("email", "budi@example.com")])
    ticket = ticket_create(
        actor=agent, customer=customer, subject="Info pengiriman", text="Budi menelepon.", channel="email"
    )
    row = row_of(reply_send(actor=agent, ticket=ticket, text="Paket dikirim."))
    assert row.to_address == "budi@example.com" and row.inbox == inbox
    assert row.subject == f"[#{ticket.pk}] Info pengiriman" and row.in_reply_to == ""
    # The next reply continues our own thread.
    follow = row_of(reply_send(actor=agent, ticket=ticket, text="Sudah sampai?"))
    assert follow.in_reply_to == row.mail_message_id
    assert follow.references == [row.mail_message_id]
    assert follow.subject == f"Re: [#{ticket.pk}] Info pengiriman"


def test_machine_mail_on_the_ticket_is_not_answered(conversation, inbox, agent):
    mail_receive(
        inbox=inbox,
        raw=make_mail(
            "I am out of office.",
            sender="Siti Autoreply <mailer@autoreply.example>",
            headers={"Auto-Submitted": "auto-replied"},
            in_reply_to=CUSTOMER_ID,
        ),
        source=MailSource.IMAP,
    )
    row = row_of(reply_send(actor=agent, ticket=conversation, text="Ok"))
    assert row.to_address == "siti@example.com" and row.in_reply_to == "c1@mail.example.com"


def test_the_inbox_is_the_one_the_mail_came_to(inbox, other_inbox, agent, make_team):
    to_billing = mail_receive(inbox=other_inbox, raw=make_mail(), source=MailSource.IMAP).ticket
    assert inbox_for_ticket(to_billing) == other_inbox
    # Without mail: the team's inbox, else the only active inbox, else none.
    team = make_team("Billing")
    other_inbox.team = team
    other_inbox.save()
    ticket = Ticket.objects.get(pk=to_billing.pk)
    Message.objects.filter(ticket=ticket).delete()
    from tanggap.inboxes.models import RawMail

    RawMail.objects.all().update(ticket=None, message=None)
    MailMessageId.objects.all().delete()
    ticket.team = team
    assert inbox_for_ticket(ticket) == other_inbox
    ticket.team = None
    assert inbox_for_ticket(ticket) is None  # two active inboxes: which one is a guess
    Inbox.objects.filter(pk=other_inbox.pk).update(is_active=False)
    assert inbox_for_ticket(ticket) == inbox


# ---------------------------------------------------------------- retrying


def test_an_agent_sends_a_failed_reply_again(conversation, agent, smtp_sink):
    smtp_sink.refuse["siti@example.com"] = "550 5.7.1 blocked"
    message = reply_send(actor=agent, ticket=conversation, text="Halo")
    drain()
    assert status_of(message) == DeliveryStatus.FAILED
    smtp_sink.refuse.clear()
    again = outbound_retry(actor=agent, ticket=conversation, message_id=message.pk)
    assert again.delivery_status == DeliveryStatus.QUEUED
    row = row_of(message)
    assert row.status == OutboxStatus.PENDING and row.attempts == 0 and row.reason == ""
    drain()
    assert status_of(message) == DeliveryStatus.SENT
    [mail] = smtp_sink.received
    assert mail.parsed.message_id == row.mail_message_id  # the same mail, the same thread


def test_a_reply_with_no_inbox_is_sent_once_an_inbox_exists(agent, team, receive, smtp_sink):
    ticket = receive().ticket
    message = reply_send(actor=agent, ticket=ticket, text="Halo")
    assert message.delivery_status == DeliveryStatus.FAILED and row_of(message).reason == "no_inbox"
    inbox = inbox_create(actor=None, name="Support", address="support@tanggap.test", team=team)
    assert outbound_retry(actor=agent, ticket=ticket, message_id=message.pk).delivery_status == "queued"
    row = row_of(message)
    assert row.inbox == inbox and row.to_address == "siti@example.com"
    assert MailMessageId.objects.filter(message_id=row.mail_message_id, inbox=inbox).exists()
    drain()
    assert status_of(message) == DeliveryStatus.SENT


def test_retry_is_only_for_a_failed_reply_of_this_ticket(conversation, agent, make_agent, smtp_sink, receive):
    message = reply_send(actor=agent, ticket=conversation, text="Halo")
    with pytest.raises(ApplicationError) as caught:
        outbound_retry(actor=agent, ticket=conversation, message_id=message.pk)
    assert caught.value.code == ErrorCode.CONFLICT
    other = receive(sender="ani@example.com").ticket
    with pytest.raises(NotFound):
        outbound_retry(actor=agent, ticket=other, message_id=message.pk)
    Message.objects.filter(pk=message.pk).update(delivery_status=DeliveryStatus.FAILED)
    gone = make_agent()
    gone.is_active = False
    with pytest.raises(PermissionDenied):
        outbound_retry(actor=gone, ticket=conversation, message_id=message.pk)
