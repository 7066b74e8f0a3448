"""The acknowledgement end to end: a mail arrives through the normal intake, the ticket's creation is
delivered after commit, and an automatic mail row with the ticket number and the estimate is
queued, or nothing is, for machine mail, lists, our own addresses, switched-off inboxes, agents'
tickets, imports, and a second delivery."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tanggap.automations.acknowledge import SENT, WITHHELD, Outcome, acknowledgement_send
from tanggap.inboxes.email.compose import AUTO_REPLIED
from tanggap.inboxes.models import MailSource, OutboundMail, RawMail
from tanggap.inboxes.services import mail_receive
from tanggap.inboxes.setup import inbox_create
from tanggap.tickets.models import Message, MessageKind, Ticket
from tanggap.tickets.services import ticket_create
from tests.inboxes.conftest import make_mail

pytestmark = pytest.mark.django_db

WIB = ZoneInfo("Asia/Jakarta")
ENGLISH = (
    "Hello, I ordered a blue jacket last week and it has not arrived yet. Could you please check where "
    "my order is and when it will be delivered?"
)
INDONESIAN = (
    "Halo, saya memesan jaket biru minggu lalu dan sampai sekarang belum sampai. Mohon dicek pesanan "
    "saya ada di mana dan kapan akan dikirim?"
)


@pytest.fixture
def arrive(inbox, django_capture_on_commit_callbacks):
    """A mail through the intake, with what is published after commit delivered (the subscriber)."""

    def deliver(raw: bytes, source: str = MailSource.SMTP, to_inbox=None) -> Ticket:
        with django_capture_on_commit_callbacks(execute=True):
            row = mail_receive(inbox=to_inbox or inbox, raw=raw, source=source)
        return Ticket.objects.get(pk=row.ticket_id)

    return deliver


def acknowledgements(ticket: Ticket) -> list[OutboundMail]:
    return list(OutboundMail.objects.filter(ticket=ticket, message__isnull=True))


def events(ticket: Ticket, code: str) -> list[Message]:
    return list(Message.objects.filter(ticket=ticket, kind=MessageKind.EVENT, event_code=code))


def test_a_customer_mail_gets_one_acknowledgement_with_number_and_estimate(
    arrive, always_open, history, team
) -> None:
    history(20, 32, team=team)  # the team's 90th percentile: 32 minutes, promised as 45
    ticket = arrive(make_mail(ENGLISH, subject="Where is my order?"))
    assert ticket.language == "en"
    (mail,) = acknowledgements(ticket)
    assert mail.auto_submitted == AUTO_REPLIED
    assert mail.to_address == "siti@example.com"
    assert f"[#{ticket.pk}]" in mail.subject
    assert f"#{ticket.pk}" in mail.body_text
    assert "We have received your message." in mail.body_text
    assert "Our first answer usually comes within 45 minutes." in mail.body_text
    assert mail.in_reply_to  # threads under the customer's mail
    (event,) = events(ticket, SENT)
    assert event.event_data["kind"] == "within"
    assert event.event_data["minutes"] == 45
    assert event.event_data["language"] == "en"
    assert event.event_data["scope"] == "team_channel"
    assert event.event_data["samples"] == 20


def test_the_indonesian_ticket_gets_the_inboxs_indonesian_text(
    arrive, always_open, history, team, inbox
) -> None:
    inbox.ack_how_id = "Tim kami membaca setiap pesan. Balas e-mail ini bila ada tambahan."
    inbox.ack_how_en = "Our team reads every message. Reply to this e-mail to add something."
    inbox.save()
    history(20, 32, team=team)
    ticket = arrive(make_mail(INDONESIAN))
    assert ticket.language == "id"
    (mail,) = acknowledgements(ticket)
    assert "Tim kami membaca setiap pesan." in mail.body_text
    assert "Our team reads every message." not in mail.body_text
    assert events(ticket, SENT)[0].event_data["language"] == "id"


def test_too_little_history_promises_no_number(arrive, always_open) -> None:
    ticket = arrive(make_mail(ENGLISH))
    (mail,) = acknowledgements(ticket)
    assert "We answer as soon as possible during our working hours." in mail.body_text
    assert events(ticket, SENT)[0].event_data["kind"] == "unknown"


def test_a_second_message_and_a_second_delivery_send_nothing_more(arrive, always_open, inbox) -> None:
    ticket = arrive(make_mail(ENGLISH, message_id="<first@mail.example.com>"))
    again = arrive(
        make_mail("One more thing: the size is L.", in_reply_to="<first@mail.example.com>", subject="Re: x")
    )
    assert again.pk == ticket.pk
    assert acknowledgement_send(ticket_id=ticket.pk).reason == "already"
    assert len(acknowledgements(ticket)) == 1
    assert len(events(ticket, SENT)) == 1


@pytest.mark.parametrize(
    ("headers", "sender", "reason"),
    [
        ({"Auto-Submitted": "auto-replied", "X-Autoreply": "yes"}, "Siti <siti@example.com>", "auto_reply"),
        ({"List-Id": "<news.shop.example>", "Precedence": "list"}, "News <news@shop.example>", "list"),
        (
            {"Precedence": "bulk", "List-Unsubscribe": "<mailto:u@shop.example>"},
            "Promo <p@shop.example>",
            "list",
        ),
        ({}, "No Reply <no-reply@shop.example>", "system"),
        ({"Reply-To": "noreply@shop.example"}, "Shop <orders@shop.example>", "machine_address"),
    ],
)
def test_machine_mail_and_lists_get_no_acknowledgement(arrive, always_open, headers, sender, reason) -> None:
    ticket = arrive(make_mail(ENGLISH, sender=sender, headers=headers))
    assert acknowledgements(ticket) == []
    (event,) = events(ticket, WITHHELD)
    assert event.event_data["reason"] == reason


def test_a_bounce_gets_no_acknowledgement(arrive, always_open) -> None:
    raw = (
        b"From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        b"To: support@tanggap.test\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\n"
        b"Date: Mon, 3 Nov 2025 10:05:00 +0700\r\n"
        b"Message-ID: <dsn-1@mx.example.net>\r\n"
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        b"\r\n--B\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
        b"Final-Recipient: rfc822; someone@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        b"--B--\r\n"
    )
    ticket = arrive(raw)
    assert acknowledgements(ticket) == []
    assert events(ticket, WITHHELD)[0].event_data["reason"] == "bounce"


def test_mail_from_one_of_our_own_addresses_gets_none(arrive, always_open) -> None:
    inbox_create(actor=None, name="Billing", address="billing@tanggap.test")
    ticket = arrive(make_mail(ENGLISH, sender="Billing <billing@tanggap.test>"))
    assert acknowledgements(ticket) == []
    assert events(ticket, WITHHELD)[0].event_data["reason"] == "no_recipient"


def test_a_switched_off_inbox_sends_none(arrive, always_open, inbox) -> None:
    inbox.ack_enabled = False
    inbox.save()
    ticket = arrive(make_mail(ENGLISH))
    assert acknowledgements(ticket) == []
    assert events(ticket, SENT) == [] and events(ticket, WITHHELD) == []


def test_imported_old_mail_is_not_acknowledged(arrive, always_open) -> None:
    ticket = arrive(make_mail(ENGLISH), source=MailSource.IMPORT)
    assert acknowledgements(ticket) == []


def test_a_receipt_is_not_sent_late_nor_after_the_answer(inbox, always_open) -> None:
    """A task that waited for hours (workers down), or history loaded as tickets, sends no receipt;
    nor does a ticket that was answered before its receipt went out."""
    row = mail_receive(inbox=inbox, raw=make_mail(ENGLISH), source=MailSource.SMTP)
    RawMail.objects.filter(pk=row.pk).update(received_at=row.received_at - timedelta(hours=2))
    assert acknowledgement_send(ticket_id=row.ticket_id) == Outcome(False, "late")
    answered = mail_receive(
        inbox=inbox, raw=make_mail(INDONESIAN, sender="rina@example.com"), source=MailSource.SMTP
    )
    Ticket.objects.filter(pk=answered.ticket_id).update(first_response_at=answered.received_at)
    assert acknowledgement_send(ticket_id=answered.ticket_id) == Outcome(False, "answered")
    assert acknowledgements(Ticket.objects.get(pk=row.ticket_id)) == []


def test_a_ticket_an_agent_opened_is_not_acknowledged(
    always_open, inbox, agent, customer_for_agent, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(
            actor=agent,
            customer=customer_for_agent,
            subject="About your order",
            text="The customer asked by e-mail elsewhere.",
            channel="email",
            team=agent.teams.first(),
        )
    assert acknowledgement_send(ticket_id=ticket.pk).reason == "agent"
    assert OutboundMail.objects.filter(ticket=ticket).count() == 0


@pytest.fixture
def customer_for_agent(admin):
    from tanggap.customers.services import customer_create

    return customer_create(actor=admin, name="Budi", identities=[("email", "budi@example.com")])


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("en", "You can expect our first answer by Monday 08:45 WIB."),
        ("id", "Senin"),  # the weekday in Indonesian (Django's own catalogue); the time is checked below
    ],
)
def test_closed_now_promises_an_instant_from_the_calendar(
    office, history, team, inbox, receive, language, expected
) -> None:
    # Friday 2026-06-05 at 20:00 in Jakarta: closed until Monday 08:00; 45 minutes of work after that.
    now = datetime(2026, 6, 5, 20, 0, tzinfo=WIB)
    history(20, 32, team=team, first=datetime(2026, 6, 2, 9, 0, tzinfo=WIB))
    text = ENGLISH if language == "en" else INDONESIAN
    ticket = receive(text).ticket
    Ticket.objects.filter(pk=ticket.pk).update(team=team)
    outcome = acknowledgement_send(ticket_id=ticket.pk, now=now)
    assert outcome.sent
    (mail,) = acknowledgements(ticket)
    assert expected in mail.body_text and "08:45 WIB" in mail.body_text
    (event,) = events(ticket, SENT)
    assert event.event_data["kind"] == "by"
    assert event.event_data["due_at"] == "2026-06-08T01:45:00+00:00"


def test_a_web_form_ticket_gets_the_acknowledgement_by_mail(
    inbox, always_open, history, team, django_capture_on_commit_callbacks
) -> None:
    from tanggap.inboxes.setup import inbox_form_enable
    from tanggap.inboxes.webform import Submission, form_submit

    history(20, 32, team=team, channel="web")
    form_inbox = inbox_form_enable(actor=None, inbox=inbox)
    with django_capture_on_commit_callbacks(execute=True):
        result = form_submit(
            inbox=form_inbox,
            submission=Submission(
                name="Siti Rahma", email="siti@example.com", subject="Order", message=ENGLISH
            ),
            nonce="nonce-ack-1",
        )
    ticket = Ticket.objects.get(pk=result.ticket_id)
    assert ticket.channel == "web"
    (mail,) = acknowledgements(ticket)
    assert mail.to_address == "siti@example.com"
    assert f"#{ticket.pk}" in mail.body_text
    assert "within 45 minutes" in mail.body_text
    assert events(ticket, SENT)[0].event_data["scope"] == "team_channel"


def test_the_history_widens_from_the_channel_to_the_team_to_the_workspace(
    always_open, history, team, make_team
) -> None:
    from tanggap.automations.acknowledge import estimate_for

    history(20, 50, team=team, channel="web")
    result = estimate_for(team_id=team.pk, channel="email")
    assert (result.scope, result.duration, result.samples) == ("team", timedelta(hours=1), 20)
    other = make_team("Billing")
    result = estimate_for(team_id=other.pk, channel="email")
    assert result.scope == "workspace" and result.samples == 20


def test_tickets_still_waiting_long_raise_the_promise(always_open, history, team) -> None:
    from tanggap.automations.acknowledge import estimate_for

    history(20, 10, team=team)
    assert estimate_for(team_id=team.pk, channel="email").duration == timedelta(minutes=10)
    history(5, None, team=team)  # five customers have been waiting for a day already
    result = estimate_for(team_id=team.pk, channel="email")
    assert result.samples == 20  # still 20 answered…
    assert result.duration is not None and result.duration >= timedelta(days=1)  # …but no promise below a day


def test_tickets_an_agent_opened_are_not_history(always_open, history, team, agent, admin) -> None:
    from tanggap.automations.acknowledge import estimate_for
    from tanggap.customers.services import customer_create

    history(19, 30, team=team)
    customer = customer_create(actor=admin, name="Budi", identities=[("email", "budi@example.com")])
    ticket = ticket_create(
        actor=agent, customer=customer, subject="Call", text="Notes.", channel="email", team=team
    )
    Ticket.objects.filter(pk=ticket.pk).update(first_response_at=ticket.created_at)
    assert estimate_for(team_id=team.pk, channel="email").kind == "unknown"  # 19 answered, not 20


def test_the_mail_greets_by_first_name_and_ends_with_the_signature() -> None:
    from tanggap.automations.acknowledge import acknowledgement_compose
    from tanggap.automations.estimate import Estimate, Kind
    from tanggap.inboxes.models import Inbox

    inbox = Inbox(name="Support", address="cs@toko.test", language="id", signature="Salam,\nTim Toko")
    unknown = Estimate(Kind.UNKNOWN)
    ack = acknowledgement_compose(
        inbox=inbox, number=77, subject="", customer_name="Siti Rahma", language="en", estimate=unknown
    )
    lines = ack.text.split("\n\n")
    assert lines[0] == "Hello Siti,"
    assert lines[1].startswith("We have received your message. Its ticket number is #77;")
    assert lines[-1] == "Salam,\nTim Toko\n"
    assert ack.subject == "Your message"
    by_address = acknowledgement_compose(
        inbox=inbox, number=77, subject="x", customer_name="siti@example.com", language="fr", estimate=unknown
    )
    assert by_address.language == "id"  # not a language we write: the inbox's
    assert "siti@example.com" not in by_address.text
