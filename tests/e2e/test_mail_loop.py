"""A whole e-mail conversation in a real browser: a customer's mail arrives over SMTP (``tanggap smtp``'s
server on a loopback port), the agent answers it in the reply box, the outbox delivers the answer to a
loopback SMTP sink (the customer's mail system), and the customer's answer to it, from another
address of hers, threads back into the same ticket."""

from __future__ import annotations

import re
import smtplib
from email.utils import formatdate

import pytest

from tanggap.inboxes.models import MailStatus, OutboundMail, RawMail
from tanggap.inboxes.setup import inbox_create
from tanggap.inboxes.smtp import SmtpServer
from tanggap.tickets.models import DeliveryStatus, Message, MessageKind

pytestmark = pytest.mark.e2e


FIRST_ID = "e2e-first@mail.example.com"


@pytest.fixture
def intake(transactional_db):
    """Tanggap's inbound SMTP server on a free loopback port."""
    server = SmtpServer(host="127.0.0.1", port=0, hostname="mx.tanggap.test")
    server.start()
    yield server
    server.stop(grace=5)


def send(server: SmtpServer, raw: str, sender: str) -> None:
    assert server.address is not None
    with smtplib.SMTP(*server.address, local_hostname="mail.example.com", timeout=20) as conn:
        refused = conn.sendmail(sender, ["support@tanggap.test"], raw.encode())
    assert refused == {}


def first_mail() -> str:
    return (
        "From: Siti Rahma <siti@example.com>\r\n"
        "To: Dukungan <support@tanggap.test>\r\n"
        "Subject: Paket belum sampai\r\n"
        f"Date: {formatdate(localtime=True)}\r\n"
        f"Message-ID: <{FIRST_ID}>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "Halo, paket saya belum sampai sejak minggu lalu.\r\n"
    )


def test_a_mail_is_answered_from_the_browser_and_the_answer_threads_back(
    new_page, sign_in, screenshot, support, budi, intake, smtp_sink
):
    inbox_create(actor=None, name="Dukungan", address="support@tanggap.test", team=support)
    send(intake, first_mail(), "siti@example.com")
    first = RawMail.objects.get(mail_message_id=FIRST_ID)
    assert first.status == MailStatus.PROCESSED
    ticket_id = first.ticket_id

    page = sign_in(new_page(), "budi", f"/tickets/{ticket_id}/")
    page.wait_for_url(re.compile(rf"/tickets/{ticket_id}/$"))
    page.fill("#reply-text", "Terima kasih sudah menunggu, Kak Siti. Boleh kirim nomor pesanannya?")
    page.click(".composer-form[data-panel=reply] button[type=submit]")
    reply = page.locator(".tl-reply:has-text('Boleh kirim nomor pesanannya')")
    reply.locator(".delivery-sent").wait_for()
    assert "siti@example.com" in reply.locator(".delivery-to").inner_text()
    screenshot(page, "mail-loop-sent")

    # What the customer's mail system got: the inbox's acknowledgement (new inboxes send one), then
    # the answer.
    [ack] = [m for m in smtp_sink.received if "Boleh kirim" not in m.parsed.text]
    assert f"[#{ticket_id}]" in ack.parsed.subject and ack.parsed.in_reply_to == FIRST_ID
    [mail] = [m for m in smtp_sink.received if "Boleh kirim" in m.parsed.text]
    parsed = mail.parsed
    assert mail.mail_from == "support@tanggap.test" and mail.rcpt_tos == ("siti@example.com",)
    assert (parsed.from_name, parsed.from_address) == ("Dukungan", "support@tanggap.test")
    assert parsed.in_reply_to == FIRST_ID and parsed.references == (FIRST_ID,)
    assert parsed.subject == f"Re: [#{ticket_id}] Paket belum sampai"
    assert parsed.text.startswith("Terima kasih sudah menunggu, Kak Siti.")
    row = OutboundMail.objects.get(mail_message_id=parsed.message_id)
    assert row.message.delivery_status == DeliveryStatus.SENT and row.sent_at is not None

    # She answers from her phone's address, quoting our mail.
    answer = (
        "From: Siti <siti.hp@example.net>\r\n"
        "To: Dukungan <support@tanggap.test>\r\n"
        f"Subject: Re: {parsed.subject}\r\n"
        f"Date: {formatdate(localtime=True)}\r\n"
        "Message-ID: <e2e-answer@mail.example.net>\r\n"
        f"In-Reply-To: <{parsed.message_id}>\r\n"
        f"References: <{FIRST_ID}> <{parsed.message_id}>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "Nomor pesanannya 1182.\r\n"
        "\r\n"
        "Pada Sen, 3 Nov 2025, Dukungan <support@tanggap.test> menulis:\r\n"
        "> Terima kasih sudah menunggu, Kak Siti.\r\n"
    )
    send(intake, answer, "siti.hp@example.net")
    threaded = RawMail.objects.get(mail_message_id="e2e-answer@mail.example.net")
    assert threaded.ticket_id == ticket_id and threaded.reason_detail == "headers"

    page.reload()
    page.locator(".tl-customer:has-text('Nomor pesanannya 1182')").wait_for()
    assert page.locator(".tl-customer").count() == 2
    assert Message.objects.filter(ticket_id=ticket_id, kind=MessageKind.CUSTOMER).count() == 2
    screenshot(page, "mail-loop-threaded")


def test_a_refused_reply_shows_why_and_is_sent_again_from_the_browser(
    new_page, sign_in, screenshot, support, budi, intake, smtp_sink
):
    inbox_create(actor=None, name="Dukungan", address="support@tanggap.test", team=support)
    send(intake, first_mail(), "siti@example.com")
    ticket_id = RawMail.objects.get(mail_message_id=FIRST_ID).ticket_id
    smtp_sink.refuse["siti@example.com"] = "550 5.7.1 <siti@example.com>: mailbox disabled"

    page = sign_in(new_page(), "budi", f"/tickets/{ticket_id}/")
    page.fill("#reply-text", "Paket Anda dikirim ulang hari ini.")
    page.click(".composer-form[data-panel=reply] button[type=submit]")
    reply = page.locator(".tl-reply:has-text('Paket Anda dikirim ulang hari ini')")
    reply.locator(".delivery-failed").wait_for()
    failure = reply.locator(".delivery-failure")
    assert (
        "550 5.7.1 <siti@example.com>: mailbox disabled" in failure.locator(".delivery-answer").inner_text()
    )
    screenshot(page, "mail-loop-failed")
    assert not [m for m in smtp_sink.received if "dikirim ulang" in m.parsed.text]

    smtp_sink.refuse.clear()  # the customer's mailbox works again
    failure.locator("button[type=submit]").click()
    page.locator(".tl-reply:has-text('Paket Anda dikirim ulang hari ini') .delivery-sent").wait_for()
    assert page.locator(".delivery-failure").count() == 0
    [mail] = [m for m in smtp_sink.received if "dikirim ulang" in m.parsed.text]
    assert mail.parsed.in_reply_to == FIRST_ID
