"""Mail loops: a customer's autoresponder answers every mail we send, over many rounds.

The loopback SMTP sink plays the customer's mail system: every mail we send it is answered at once
by an auto-reply, injected back into Tanggap through ``mail_receive`` (as our SMTP intake would).
Tanggap acknowledges every customer message (the acknowledgement future features will send, through
``mail_send_automatic``). A well-marked responder gets no automatic mail from us at all; one that
hides what it is gets no more than the per-address cap; the agent's own replies always go out.
"""

from __future__ import annotations

import itertools

import pytest

from tanggap.core import events
from tanggap.inboxes.email.compose import AUTO_REPLIED
from tanggap.inboxes.models import MailSource, OutboundMail
from tanggap.inboxes.outbound import (
    AUTOMATIC_LIMITER,
    AutomaticResult,
    automatic_mail_refusal,
    mail_send_automatic,
)
from tanggap.inboxes.services import mail_receive
from tanggap.inboxes.setup import inbox_create
from tanggap.tickets.models import DeliveryStatus, Message, MessageKind, Ticket
from tanggap.tickets.services import reply_send
from tests.inboxes.conftest import make_mail
from tests.inboxes.smtp_sink import Received, SmtpSink

pytestmark = pytest.mark.django_db(transaction=True)


ROUNDS = 12
CUSTOMER = "siti@example.com"
FIRST_ID = "first@mail.example.com"
_ids = itertools.count(1)


@pytest.fixture
def inbox(transactional_db, team):
    return inbox_create(actor=None, name="Support", address="support@tanggap.test", team=team)


@pytest.fixture
def acknowledgements():
    """Every customer message on an e-mail ticket gets a receipt, if the loop guards allow it. This
    stand-in answers more often than the real acknowledgement (``automations.acknowledge``, once per
    new ticket), to press the loop guards harder; the real one is switched off meanwhile."""
    from tanggap.automations.acknowledge import on_ticket_created

    events.unsubscribe(on_ticket_created, events.TICKET_CREATED)
    results: list[AutomaticResult] = []

    def acknowledge(name: str, payload: dict) -> None:
        message = Message.objects.select_related("ticket").get(pk=payload["message_id"])
        if message.kind != MessageKind.CUSTOMER or message.ticket.channel != "email":
            return
        results.append(
            mail_send_automatic(
                ticket=message.ticket,
                answering=message,
                subject=message.ticket.subject,
                text="Terima kasih, pesan Anda sudah kami terima. Kami akan membalas dalam 1 jam.",
            )
        )

    events.subscribe(events.MESSAGE_RECEIVED)(acknowledge)
    yield results
    events.unsubscribe(acknowledge, events.MESSAGE_RECEIVED)
    events.subscribe(events.TICKET_CREATED)(on_ticket_created)


def autoresponder(sink: SmtpSink, inbox, *, marked: bool) -> None:
    """The customer's mail system: it answers every mail it gets, forever."""

    def answer(mail: Received) -> None:
        if CUSTOMER not in mail.rcpt_tos or len(sink.received) > 200:  # a runaway loop still ends
            return
        ours = mail.parsed
        headers = {"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"} if marked else {}
        subject = f"Automatic reply: {ours.subject}" if marked else f"Re: {ours.subject}"
        raw = make_mail(
            "Terima kasih atas email Anda. Saya sedang cuti sampai 10 November.",
            message_id=f"<ooo-{next(_ids)}@example.com>",
            sender=f"Siti <{CUSTOMER}>",
            to="support@tanggap.test",
            subject=subject,
            in_reply_to=f"<{ours.message_id}>",
            references=" ".join(f"<{r}>" for r in (*ours.references, ours.message_id)),
            headers=headers,
        )
        mail_receive(inbox=inbox, raw=raw, source=MailSource.SMTP)

    sink.on_mail = answer


def run_rounds(inbox, agent) -> Ticket:
    first = mail_receive(
        inbox=inbox,
        raw=make_mail("Pesanan saya belum sampai.", message_id=f"<{FIRST_ID}>"),
        source=MailSource.SMTP,
    )
    for n in range(ROUNDS):
        reply_send(
            actor=agent, ticket=Ticket.objects.get(pk=first.ticket_id), text=f"Balasan agen nomor {n + 1}."
        )
    return Ticket.objects.get(pk=first.ticket_id)


def automatic_mails(sink: SmtpSink) -> list[Received]:
    return [m for m in sink.mails_to(CUSTOMER) if m.header("Auto-Submitted")]


def manual_mails(sink: SmtpSink) -> list[Received]:
    return [m for m in sink.mails_to(CUSTOMER) if not m.header("Auto-Submitted")]


def test_a_marked_autoresponder_never_gets_an_automatic_answer(inbox, agent, smtp_sink, acknowledgements):
    autoresponder(smtp_sink, inbox, marked=True)
    ticket = run_rounds(inbox, agent)
    assert smtp_sink.errors == []
    # One receipt: for the customer's own mail. None for any of the auto-replies.
    [receipt] = automatic_mails(smtp_sink)
    assert receipt.parsed.in_reply_to == FIRST_ID
    assert receipt.header("Auto-Submitted") == AUTO_REPLIED
    # Every agent reply went out, each answered by the responder, each answer kept on the ticket.
    assert [m.parsed.text.split("\n")[0] for m in manual_mails(smtp_sink)] == [
        f"Balasan agen nomor {n + 1}." for n in range(ROUNDS)
    ]
    assert set(
        Message.objects.filter(ticket=ticket, kind=MessageKind.REPLY).values_list(
            "delivery_status", flat=True
        )
    ) == {DeliveryStatus.SENT}
    auto_replies = Message.objects.filter(ticket=ticket, kind=MessageKind.CUSTOMER).exclude(automatic="")
    assert auto_replies.count() == ROUNDS + 1
    refusals = [r.refused for r in acknowledgements if r.mail is None]
    assert refusals == ["answering_automatic"] * (ROUNDS + 1)


def test_a_responder_that_hides_what_it_is_is_capped_per_address(inbox, agent, smtp_sink, acknowledgements):
    autoresponder(smtp_sink, inbox, marked=False)
    run_rounds(inbox, agent)
    assert smtp_sink.errors == []
    # Its answers look like a person's, so they are acknowledged, until the limiter says enough.
    assert len(automatic_mails(smtp_sink)) == AUTOMATIC_LIMITER.per_hour
    assert len(manual_mails(smtp_sink)) == ROUNDS
    assert "rate_limited" in [r.refused for r in acknowledgements]
    assert OutboundMail.objects.exclude(auto_submitted="").count() == AUTOMATIC_LIMITER.per_hour


def test_the_guard_itself(inbox, receive):
    person = receive(sender=CUSTOMER).message
    assert automatic_mail_refusal(answering=person, to_address=CUSTOMER) == ""
    person.automatic = "auto_reply"
    assert automatic_mail_refusal(answering=person, to_address=CUSTOMER) == "answering_automatic"
    assert (
        automatic_mail_refusal(answering=None, to_address="MAILER-DAEMON@mx.example.net") == "machine_address"
    )
    assert automatic_mail_refusal(answering=None, to_address="no-reply@shop.example") == "machine_address"
