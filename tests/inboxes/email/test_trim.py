"""split_reply on Indonesian and English replies written for these tests."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tanggap.inboxes.email.trim import split_reply

REPLY_ID = "Halo kak, pesanan saya belum sampai.\nMohon dicek ya.\n\nTerima kasih,\nBudi"
REPLY_EN = "Hi, my order has not arrived yet.\nCould you check?\n\nThanks,\nBudi"
QUOTE = "> Halo Budi,\n>\n> Pesanan Anda sedang dikirim.\n>\n> Salam,\n> Tim Dukungan"

CASES = {
    # Indonesian "… menulis:" headers (Gmail, Apple Mail, Outlook web) and forwarded/copied mail
    "gmail_pada_pukul": f"{REPLY_ID}\n\nPada Sen, 3 Nov 2025 pukul 10.00, Budi <budi@x.id> menulis:\n{QUOTE}",
    "gmail_pada_tanggal": f"{REPLY_ID}\n\nPada tanggal Sen, 3 Nov 2025 10.00, Tim <a@x.id> menulis:\n{QUOTE}",
    "gmail_wrapped": (
        f"{REPLY_ID}\n\nPada Sen, 3 Nov 2025 pukul 10.00 Tim Dukungan Toko Maju <\n"
        f"cs@toko.id> menulis:\n\n{QUOTE}"
    ),
    "apple_pada": f"{REPLY_ID}\n\nPada 3 Nov 2025, pukul 10.00, Tim Dukungan <cs@toko.id> menulis:\n{QUOTE}",
    "bare_name_menulis": f"{REPLY_ID}\n\nTim Dukungan <cs@toko.id> menulis:\n\nPesanan Anda sedang dikirim.",
    "outlook_id_block": (
        f"{REPLY_ID}\n\nDari: Tim Dukungan <cs@toko.id>\nDikirim: Senin, 03 November 2025 10.00\n"
        "Kepada: Budi <budi@x.id>\nSubjek: Re: Pesanan #1234\n\nHalo Budi, pesanan Anda sedang dikirim."
    ),
    "outlook_id_rule": (
        f"{REPLY_ID}\n________________________________\nDari: Tim Dukungan <cs@toko.id>\n"
        "Dikirim: Senin, 03 November 2025 10.00\nKepada: Budi\nSubjek: Pesanan\n\nIsi lama."
    ),
    "pesan_asli": f"{REPLY_ID}\n\n-----Pesan Asli-----\nDari: Tim <cs@toko.id>\nSubjek: Pesanan\n\nIsi lama.",
    "pesan_terusan": f"{REPLY_ID}\n\n---------- Pesan terusan ---------\nDari: Toko <a@toko.id>\n\nIsi lama.",
    "dikirim_dari_iphone": f"{REPLY_ID}\n\nDikirim dari iPhone saya\n\n{QUOTE}",
    "dikirim_dari_yahoo": f"{REPLY_ID}\n\nDikirim dari Yahoo Mail di Android",
    "dikirim_dari_samsung": f"{REPLY_ID}\n\nDikirim dari ponsel cerdas Samsung Galaxy saya.",
    "quoted_only_below": f"{REPLY_ID}\n\n{QUOTE}",
    "signature_dash": f"{REPLY_ID}\n\n-- \nBudi Santoso\nToko Maju Jaya\n0812-3456-7890",
    # English
    "on_wrote": f"{REPLY_EN}\n\nOn Mon, 3 Nov 2025 at 10:00, Support <cs@shop.com> wrote:\n\n{QUOTE}",
    "on_wrote_wrapped": (
        f"{REPLY_EN}\n\nOn Mon, Nov 3, 2025 at 10:00 AM Shop Support Team <\ncs@shop.com> wrote:\n{QUOTE}"
    ),
    "outlook_en_block": (
        f"{REPLY_EN}\n\nFrom: Support <cs@shop.com>\nSent: Monday, November 3, 2025 10:00 AM\n"
        "To: Budi <budi@x.id>\nSubject: RE: Order #1234\n\nYour order is on its way."
    ),
    "outlook_starred": f"{REPLY_EN}\n\n*From:* Support\n*Sent:* 2025-11-03\n*To:* b@x.id\n*Subject:* Order\n",
    "original_message": f"{REPLY_EN}\n\n-----Original Message-----\nFrom: Support\nSubject: Order\n\nOld.",
    "forwarded_gmail": f"{REPLY_EN}\n\n---------- Forwarded message ---------\nFrom: Shop <a@shop.com>\n",
    "sent_from_iphone": f"{REPLY_EN}\n\nSent from my iPhone",
    "sent_from_outlook_android": f"{REPLY_EN}\n\nSent from Outlook for Android\n\n{QUOTE}",
    "get_outlook": f"{REPLY_EN}\n\nGet Outlook for iOS<https://aka.ms/o0ukef>",
    "usenet_signature": f"{REPLY_EN}\n--\nBudi\nhttps://budi.example",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_visible_reply(name: str) -> None:
    text = CASES[name]
    expected = REPLY_EN if name in _ENGLISH else REPLY_ID
    reply = split_reply(text)
    assert reply.visible == expected
    assert reply.trimmed
    assert reply.full == text


_ENGLISH = {
    "on_wrote",
    "on_wrote_wrapped",
    "outlook_en_block",
    "outlook_starred",
    "original_message",
    "forwarded_gmail",
    "sent_from_iphone",
    "sent_from_outlook_android",
    "get_outlook",
    "usenet_signature",
}


def test_reply_below_the_quote_is_kept() -> None:
    text = (
        f"Pada Sen, 3 Nov 2025 pukul 10.00, Tim <cs@toko.id> menulis:\n{QUOTE}\n\nSudah saya terima, makasih."
    )
    assert split_reply(text).visible == "Sudah saya terima, makasih."


def test_interleaved_answers_keep_the_quotes_they_answer() -> None:
    text = (
        "Jawaban saya di bawah.\n"
        "Pada Sen, 3 Nov 2025 pukul 10.00, Tim <cs@toko.id> menulis:\n"
        "> Berapa nomor pesanan Anda?\n\nNomor 1234.\n\n> Alamat pengiriman?\n\nJl. Merdeka 1, Bandung.\n"
        "Kode pos 40111.\nPenerima Budi.\nTelepon 0812.\nPatokan masjid.\nWarna rumah hijau.\nPagar hitam."
    )
    visible = split_reply(text).visible
    assert "> Berapa nomor pesanan Anda?" in visible
    assert "Nomor 1234." in visible
    assert "Pagar hitam." in visible
    assert "menulis:" not in visible


@pytest.mark.parametrize(
    "text",
    [
        # "shipped from the warehouse": ordinary customer text, not a phone signature
        "Paket saya dikirim dari gudang Jakarta.\nDikirim dari Jakarta tanggal 3 Nov.\nTapi belum sampai.",
        # transfer details look like a header block but name no subject
        "Berikut bukti transfer saya:\nDari: BCA 1234567\nKepada: Mandiri 7654321\nTanggal: 3 Nov 2025\n"
        "Jumlah: Rp 150.000",
        # "wrote" without a date or address is a sentence, not a quote header
        "Here is what my colleague wrote:\nthe parcel was damaged.\nPlease help.",
        "This is not a ---------- delimiter.\nStill text.",
    ],
)
def test_customer_text_is_not_trimmed(text: str) -> None:
    reply = split_reply(text)
    assert reply.visible == text
    assert not reply.trimmed


def test_only_quotes_and_headers_fall_back_to_the_whole_text() -> None:
    text = "-- \nBudi Santoso\nToko Maju"
    reply = split_reply(text)
    assert reply.visible == text.strip()
    assert reply.hidden == ""


def test_crlf_and_blank_input() -> None:
    assert split_reply("Halo\r\n\r\n> kutipan\r\n").visible == "Halo"
    assert split_reply("").visible == ""
    assert split_reply("  \n\t\n").visible == ""


def test_html_only_mail_gives_text_and_visible_html() -> None:
    html = (
        "<div>Sudah saya terima, terima kasih.</div>"
        '<div class="gmail_quote"><div>Pada Sen, 3 Nov 2025 Tim &lt;cs@toko.id&gt; menulis:</div>'
        "<blockquote>Pesanan Anda sedang dikirim.</blockquote></div>"
    )
    reply = split_reply("", html=html)
    assert reply.visible == "Sudah saya terima, terima kasih."
    assert reply.visible_html == "<div>Sudah saya terima, terima kasih.</div>"


def test_outlook_html_reply_container_is_cut() -> None:
    html = '<p>Oke.</p><div id="divRplyFwdMsg"><b>Dari:</b> Tim</div><div>lama</div>'
    assert split_reply("Oke.", html=html).visible_html == "<p>Oke.</p>"


_LINES = st.lists(
    st.one_of(
        st.text(max_size=80),
        st.sampled_from(
            [
                "> kutipan",
                "-- ",
                "Dikirim dari iPhone saya",
                "Pada Sen, 3 Nov 2025 pukul 10.00, Budi <budi@x.id> menulis:",
                "On Mon, 3 Nov 2025, Budi <budi@x.id> wrote:",
                "Dari: Tim <cs@toko.id>",
                "Subjek: Pesanan",
                "-----Original Message-----",
                "",
                "____",
            ]
        ),
    ),
    max_size=30,
)


@settings(max_examples=300, deadline=None)
@given(_LINES)
def test_never_crashes_and_never_empty(lines: list[str]) -> None:
    text = "\n".join(lines)
    reply = split_reply(text)
    if text.strip():
        assert reply.visible.strip()
    else:
        assert reply.visible == ""
