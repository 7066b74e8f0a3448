"""Intake works out once which part of a mail is the customer's own reply (the timeline shows it and
keeps the quoted history one click away); the stored text stays whole."""

from __future__ import annotations

import pytest

from tanggap.inboxes.models import MailSource, MailStatus
from tanggap.inboxes.services import mail_receive
from tanggap.tickets.models import Message
from tests.inboxes.conftest import make_mail

pytestmark = pytest.mark.django_db

INDONESIAN = (
    "Terima kasih, paketnya sudah sampai.\n"
    "Tapi warnanya salah, bisa ditukar?\n"
    "\n"
    "Pada Sen, 3 Nov 2025 pukul 09.12, Tim Dukungan <support@tanggap.test> menulis:\n"
    "> Halo Bu Siti, pesanan Anda sudah dikirim hari ini.\n"
    "> Nomor resi: JNE123456.\n"
)
ENGLISH = (
    "Thanks, it arrived. The colour is wrong though - can I swap it?\n"
    "\n"
    "Sent from my iPhone\n"
    "\n"
    "On Mon, Nov 3, 2025 at 9:12 AM Support <support@tanggap.test> wrote:\n"
    "> Hello Siti, your order was shipped today.\n"
)
OUTLOOK_INDONESIAN = (
    "Mohon dibantu untuk refund ya.\n"
    "\n"
    "Dari: Tim Dukungan <support@tanggap.test>\n"
    "Dikirim: Senin, 3 November 2025 09.12\n"
    "Kepada: Siti <siti@example.com>\n"
    "Subjek: Pesanan belum sampai\n"
    "\n"
    "Halo Bu Siti, pesanan Anda sudah dikirim hari ini.\n"
)


def received(inbox, body: str, **kwargs) -> Message:
    row = mail_receive(inbox=inbox, raw=make_mail(body, **kwargs), source=MailSource.SMTP)
    assert row.status == MailStatus.PROCESSED, row.reason
    return row.message


@pytest.mark.parametrize(
    ("body", "visible"),
    [
        (INDONESIAN, "Terima kasih, paketnya sudah sampai.\nTapi warnanya salah, bisa ditukar?"),
        (ENGLISH, "Thanks, it arrived. The colour is wrong though - can I swap it?"),
        (OUTLOOK_INDONESIAN, "Mohon dibantu untuk refund ya."),
    ],
    ids=["id-wrote", "en-signature-and-wrote", "id-outlook-headers"],
)
def test_quoted_reply_stores_the_visible_length_and_the_whole_text(inbox, body, visible):
    message = received(inbox, body)
    assert message.body_text.strip() == body.strip()  # nothing is cut from what is stored
    assert message.visible_text == visible
    assert message.visible_length == len(visible)
    assert message.hidden_text.startswith(body.strip()[len(visible) :].lstrip("\n"))
    assert message.visible_text + "\n" in message.body_text


def test_mail_without_quoted_history_shows_everything(inbox):
    message = received(inbox, "Halo, pesanan saya belum sampai.\n\nSalam,\nSiti")
    assert message.visible_length is None
    assert message.visible_text == message.body_text
    assert message.hidden_text == ""


def test_reply_written_below_the_quote_is_shown_whole(inbox):
    # The visible reply is not where the text starts: no cut that could hide the customer's words.
    body = (
        "Pada Sen, 3 Nov 2025 pukul 09.12, Tim <support@tanggap.test> menulis:\n"
        "> Apakah alamatnya sudah benar?\n"
        "\n"
        "Sudah benar, Jalan Melati 5.\n"
    )
    message = received(inbox, body)
    assert message.visible_length is None
    assert "Sudah benar, Jalan Melati 5." in message.visible_text


def test_only_a_signature_after_the_reply_is_cut_too(inbox):
    message = received(inbox, "Oke, saya tunggu.\n\nDikirim dari iPhone saya\n")
    assert message.visible_text == "Oke, saya tunggu."
    assert "Dikirim dari iPhone saya" in message.hidden_text


def test_html_mail_keeps_its_html_body(inbox):
    raw = (
        b"From: Siti <siti@example.com>\r\nTo: support@tanggap.test\r\nSubject: Re: Pesanan\r\n"
        b"Message-ID: <html-1@mail.example.com>\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/alternative; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Sudah sampai, terima kasih.\r\n\r\nPada Sen, 3 Nov 2025 pukul 09.12, Tim <support@tanggap.test> "
        b"menulis:\r\n> Pesanan dikirim.\r\n"
        b"--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b'<div dir="ltr">Sudah sampai, <b>terima kasih</b>.</div><div class="gmail_quote">Pada Sen '
        b"menulis:<blockquote>Pesanan dikirim.</blockquote></div>\r\n--b--\r\n"
    )
    row = mail_receive(inbox=inbox, raw=raw, source=MailSource.SMTP)
    message = row.message
    assert "<b>terima kasih</b>" in message.body_html
    # The text alternative's cut is kept (the API's visible_text); the timeline shows the HTML.
    assert message.visible_text == "Sudah sampai, terima kasih."
