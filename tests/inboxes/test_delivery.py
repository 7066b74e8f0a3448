"""Queued replies delivered: sent by the outbox to a loopback SMTP server, retried or failed by the
server's answer, and failed by a bounce."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tanggap.config import SmtpConfig
from tanggap.core.crypto import encrypt
from tanggap.core.models import OutboxStatus
from tanggap.inboxes import delivery
from tanggap.inboxes.delivery import outbound_mail_send
from tanggap.inboxes.models import Inbox, MailSource, OutboundMail, Security
from tanggap.inboxes.services import mail_receive
from tanggap.tickets.inbound import InboundAttachment
from tanggap.tickets.models import DeliveryStatus
from tanggap.tickets.services import reply_send
from tests.inboxes.conftest import drain, make_mail, row_of, status_of
from tests.inboxes.smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db


# ---------------------------------------------------------------- sending


def test_the_outbox_sends_the_reply(conversation, agent, inbox, smtp_sink):
    Inbox.objects.filter(pk=inbox.pk).update(signature="Salam,\nTim Dukungan")
    message = reply_send(actor=agent, ticket=conversation, text="Baik Kak, kami cek.")
    assert drain() == 1
    [mail] = smtp_sink.received
    row = row_of(message)
    assert mail.mail_from == "support@tanggap.test" and mail.rcpt_tos == ("siti@example.com",)
    parsed = mail.parsed
    assert (parsed.from_name, parsed.from_address) == ("Support", "support@tanggap.test")
    assert parsed.to == (("Siti", "siti@example.com"),)
    assert parsed.message_id == row.mail_message_id
    assert parsed.in_reply_to == "c1@mail.example.com"
    assert parsed.references == ("r0@mail.example.com", "c1@mail.example.com")
    assert parsed.subject == f"Re: [#{conversation.pk}] Pesanan belum sampai"
    assert parsed.text == "Baik Kak, kami cek.\n\n-- \nSalam,\nTim Dukungan"
    assert mail.header("Auto-Submitted") == ""
    row.refresh_from_db()
    assert row.status == OutboxStatus.DONE and row.sent_at is not None
    assert row.smtp_response == "250 2.0.0 Ok: queued as SINK1"
    assert status_of(message) == DeliveryStatus.SENT
    # Handled again (a worker that died after sending): not sent twice.
    outbound_mail_send(row)
    assert len(smtp_sink.received) == 1


def test_html_and_attachments_go_out(conversation, agent, smtp_sink):
    reply_send(
        actor=agent,
        ticket=conversation,
        text="",
        html="<p>Resi <b>JNE123</b></p><script>alert(1)</script>",
        attachments=[InboundAttachment(filename="resi.pdf", content_type="application/pdf", data=b"%PDF-1")],
    )
    drain()
    parsed = smtp_sink.received[0].parsed
    assert "<b>JNE123</b>" in parsed.html and "script" not in parsed.html
    assert "Resi JNE123" in parsed.text
    assert [(a.filename, a.data) for a in parsed.attachments] == [("resi.pdf", b"%PDF-1")]


def test_the_customer_s_answer_to_our_mail_threads_back(conversation, agent, inbox, smtp_sink):
    reply_send(actor=agent, ticket=conversation, text="Mohon kirim nomor pesanan.")
    drain()
    ours = smtp_sink.received[0].parsed
    answer = mail_receive(
        inbox=inbox,
        raw=make_mail(
            "Nomornya 1182.",
            sender="Siti di HP <siti.hp@example.net>",  # another address of hers
            subject=ours.subject.replace("Re: ", "Re: Re: "),
            in_reply_to=f"<{ours.message_id}>",
            references=" ".join(f"<{r}>" for r in (*ours.references, ours.message_id)),
        ),
        source=MailSource.IMAP,
    )
    assert answer.ticket_id == conversation.pk and answer.reason_detail == "headers"


def test_a_permanent_refusal_fails_the_reply_with_the_server_s_answer(conversation, agent, smtp_sink):
    smtp_sink.refuse["siti@example.com"] = "550 5.1.1 <siti@example.com>: Recipient address rejected"
    message = reply_send(actor=agent, ticket=conversation, text="Halo")
    drain()
    row = row_of(message)
    assert row.status == OutboxStatus.FAILED and row.reason == "rejected"
    assert row.smtp_response == "550 5.1.1 <siti@example.com>: Recipient address rejected"
    assert status_of(message) == DeliveryStatus.FAILED
    assert smtp_sink.received == []


def test_a_refused_data_phase_fails_too(conversation, agent, smtp_sink):
    smtp_sink.data_reply = "554 5.7.1 Message rejected as spam"
    message = reply_send(actor=agent, ticket=conversation, text="Halo")
    drain()
    assert row_of(message).smtp_response == "554 5.7.1 Message rejected as spam"
    assert status_of(message) == DeliveryStatus.FAILED


def test_a_temporary_refusal_is_retried_later_and_then_sent(conversation, agent, smtp_sink):
    smtp_sink.refuse["siti@example.com"] = "451 4.7.1 Greylisted, try again later"
    message = reply_send(actor=agent, ticket=conversation, text="Halo")
    drain()
    row = row_of(message)
    assert row.status == OutboxStatus.PENDING and row.attempts == 1
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=30)
    assert row.smtp_response.startswith("451 4.7.1")
    assert status_of(message) == DeliveryStatus.QUEUED
    assert drain() == 0  # not due yet
    smtp_sink.refuse.clear()
    OutboundMail.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    assert drain() == 1
    assert status_of(message) == DeliveryStatus.SENT and len(smtp_sink.received) == 1


def test_a_server_that_cannot_be_reached_is_retried_then_given_up(conversation, agent, settings, closed_port):
    settings.TANGGAP_SMTP = SmtpConfig(host="127.0.0.1", port=closed_port, security="none", timeout=5)
    message = reply_send(actor=agent, ticket=conversation, text="Halo")
    drain()
    row = row_of(message)
    assert row.status == OutboxStatus.PENDING and "ConnectionRefusedError" in row.smtp_response
    assert status_of(message) == DeliveryStatus.QUEUED
    OutboundMail.objects.filter(pk=row.pk).update(
        attempts=delivery.MAX_ATTEMPTS - 1, next_attempt_at=timezone.now()
    )
    drain()
    row.refresh_from_db()
    assert row.status == OutboxStatus.FAILED and row.reason == "gave_up"
    assert status_of(message) == DeliveryStatus.FAILED


def test_a_mail_whose_worker_died_on_its_last_attempt_fails_the_reply(conversation, agent):
    message = reply_send(actor=agent, ticket=conversation, text="Halo")
    # The worker claimed the last attempt and was killed: the lease ran out, the handler never said.
    OutboundMail.objects.filter(message=message).update(
        status=OutboxStatus.IN_PROGRESS,
        attempts=delivery.MAX_ATTEMPTS,
        locked_until=timezone.now() - timedelta(seconds=1),
    )
    assert status_of(message) == DeliveryStatus.QUEUED
    assert drain() == 0
    row = row_of(message)
    assert row.status == OutboxStatus.FAILED and row.reason == "worker_died"
    assert status_of(message) == DeliveryStatus.FAILED


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_inbox_s_own_smtp_server_with_its_login(conversation, agent, inbox):
    sink = SmtpSink(credentials={"support": "s3cret-pass"}).start()
    try:
        Inbox.objects.filter(pk=inbox.pk).update(
            smtp_host="127.0.0.1",
            smtp_port=sink.port,
            smtp_security=Security.NONE,
            smtp_username="support",
            smtp_password=encrypt("s3cret-pass", purpose="inbox.smtp"),
        )
        message = reply_send(actor=agent, ticket=conversation, text="Halo")
        drain()
        assert status_of(message) == DeliveryStatus.SENT
        assert [m.login for m in sink.received] == ["support"]
        # A wrong password: the server's refusal fails the reply, and no secret is shown.
        Inbox.objects.filter(pk=inbox.pk).update(smtp_password=encrypt("wrong", purpose="inbox.smtp"))
        second = reply_send(actor=agent, ticket=conversation, text="Lagi")
        drain()
        row = row_of(second)
        assert row.reason == "login_failed" and row.smtp_response.startswith("535")
        assert "wrong" not in row.smtp_response and "wrong" not in row.last_error
    finally:
        sink.stop()


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"smtp_host": "smtp.example.com", "smtp_security": Security.NONE}, "insecure_server"),
        (
            {"smtp_host": "127.0.0.1", "smtp_security": Security.NONE, "smtp_password": "garbage"},
            "bad_password",
        ),
        (
            {
                "smtp_host": "127.0.0.1",
                "smtp_security": Security.NONE,
                "smtp_password": encrypt("x", purpose="inbox.imap"),
            },
            "bad_password",
        ),
    ],
)
def test_unusable_inbox_settings_fail_without_connecting(conversation, agent, inbox, changes, reason):
    Inbox.objects.filter(pk=inbox.pk).update(**changes)
    message = reply_send(actor=agent, ticket=conversation, text="Halo")
    drain()
    assert row_of(message).reason == reason
    assert status_of(message) == DeliveryStatus.FAILED


def test_starttls_is_required_when_asked_for(conversation, agent, inbox, smtp_sink):
    Inbox.objects.filter(pk=inbox.pk).update(
        smtp_host="127.0.0.1", smtp_port=smtp_sink.port, smtp_security=Security.STARTTLS
    )
    message = reply_send(actor=agent, ticket=conversation, text="Halo")
    drain()
    row = row_of(message)
    assert row.reason == "insecure_server" and "STARTTLS" in row.smtp_response
    assert smtp_sink.received == []  # never sent in the clear


# ---------------------------------------------------------------- bounces


BOUNCE = """From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r
To: support@tanggap.test\r
Subject: Undelivered Mail Returned to Sender\r
Message-ID: <dsn-1@mx.example.net>\r
Auto-Submitted: auto-replied\r
MIME-Version: 1.0\r
Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r
\r
--B\r
Content-Type: text/plain\r
\r
Your message could not be delivered.\r
--B\r
Content-Type: message/delivery-status\r
\r
Reporting-MTA: dns; mx.example.net\r
\r
Final-Recipient: rfc822; {recipient}\r
Action: failed\r
Status: 5.1.1\r
Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: user unknown\r
--B\r
Content-Type: text/rfc822-headers\r
\r
From: Support <support@tanggap.test>\r
To: {recipient}\r
Message-ID: <{message_id}>\r
--B--\r
"""


def test_a_bounce_of_our_mail_fails_the_reply_with_its_reason(conversation, agent, inbox, smtp_sink):
    message = reply_send(actor=agent, ticket=conversation, text="Halo")
    drain()
    row = row_of(message)
    assert status_of(message) == DeliveryStatus.SENT
    bounce = mail_receive(
        inbox=inbox,
        raw=BOUNCE.format(recipient="siti@example.com", message_id=row.mail_message_id).encode(),
        source=MailSource.IMAP,
    )
    assert bounce.ticket_id == conversation.pk and bounce.automatic == "bounce"
    row.refresh_from_db()
    assert row.reason == "bounced" and "user unknown" in row.smtp_response
    assert status_of(message) == DeliveryStatus.FAILED


def test_a_bounce_for_someone_else_leaves_the_reply_alone(conversation, agent, inbox, smtp_sink):
    message = reply_send(actor=agent, ticket=conversation, text="Halo")
    drain()
    row = row_of(message)
    mail_receive(
        inbox=inbox,
        raw=BOUNCE.format(recipient="other@example.com", message_id=row.mail_message_id).encode(),
        source=MailSource.IMAP,
    )
    assert status_of(message) == DeliveryStatus.SENT
