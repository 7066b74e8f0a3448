"""The visible reply of HTML mail (pure), on markup as the mail clients write it."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tanggap.core.html import sanitise
from tanggap.inboxes.email.html_trim import MAX_TRIM_HTML, split_html_reply


def text(value: str) -> str:
    """The words of some HTML, whitespace dropped."""
    return "".join(html.unescape(re.sub(r"<[^>]*>", "", value)).split())


def trim(raw: str):
    # As at intake: the client's HTML is sanitised first, then trimmed on the timeline.
    return split_html_reply(sanitise(raw))


GMAIL_ID = (
    '<div dir="ltr">Halo kak, paketnya sudah sampai. Terima kasih!</div><br>'
    '<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">Pada Sen, 3 Nov 2025 '
    'pukul 10.00 Toko Maju &lt;<a href="mailto:cs@toko.example">cs@toko.example</a>&gt; menulis:<br></div>'
    '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);'
    'padding-left:1ex"><div dir="ltr">Pesanan Anda sedang dikirim.</div></blockquote></div>'
)
GMAIL_SIGNATURE = (
    '<div dir="ltr">Thanks, that fixed it.<br clear="all"><div><br></div>'
    '<span class="gmail_signature_prefix">-- </span><br><div dir="ltr" class="gmail_signature" '
    'data-smartmail="gmail_signature"><div dir="ltr">John Miller<div>Acme Ltd</div></div></div></div><br>'
    '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, Nov 3, 2025 at 10:00\u202fAM Toko '
    'Support &lt;<a href="mailto:support@toko.example">support@toko.example</a>&gt; wrote:<br></div>'
    '<blockquote class="gmail_quote"><div dir="ltr">Your order has shipped.</div></blockquote></div>'
)
OUTLOOK_WEB_ID = (
    "<html><head><style>p{margin:0}</style></head><body>"
    '<div class="elementToProof" style="font-family: Aptos">Sudah saya transfer kemarin.</div>'
    '<div id="appendonsend"></div><hr style="display:inline-block;width:98%" tabindex="-1">'
    '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt">'
    "<b>Dari:</b> Toko Maju &lt;cs@toko.example&gt;<br><b>Dikirim:</b> Senin, 03 November 2025 10.00<br>"
    "<b>Kepada:</b> Budi &lt;budi@example.id&gt;<br><b>Subjek:</b> Re: Pesanan #1234</font><div>&nbsp;</div>"
    "</div><div><p>Mohon konfirmasi pembayaran.</p></div></body></html>"
)
OUTLOOK_DESKTOP = (
    '<div class="WordSection1"><p class="MsoNormal">Hi team,<o:p></o:p></p>'
    '<p class="MsoNormal">The invoice is attached.<o:p></o:p></p><p class="MsoNormal"><o:p>&nbsp;</o:p></p>'
    '<div><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0in 0in 0in">'
    '<p class="MsoNormal"><b>From:</b> Toko Support &lt;support@toko.example&gt; <br>'
    "<b>Sent:</b> Monday, November 3, 2025 10:00 AM<br><b>To:</b> John Miller &lt;john@example.org&gt;<br>"
    "<b>Subject:</b> RE: Refund for order 1182<o:p></o:p></p></div></div>"
    '<p class="MsoNormal"><o:p>&nbsp;</o:p></p><p class="MsoNormal">We have received your request.</p></div>'
)
APPLE_IOS_ID = (
    '<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body dir="auto">'
    '<div dir="ltr">Oke, saya tunggu kabarnya.</div><div dir="ltr"><br><div dir="ltr">Dikirim dari iPhone '
    'saya</div></div><div dir="ltr"><br><blockquote type="cite">Pada 3 Nov 2025, pukul 10.00, Toko Maju '
    "&lt;cs@toko.example&gt; menulis:<br><br></blockquote></div>"
    '<blockquote type="cite"><div dir="ltr">Pesanan Anda sedang dikirim.</div></blockquote></body></html>'
)
APPLE_MACOS = (
    '<html><head></head><body style="word-wrap: break-word;">Thanks, received.<div><br></div><div><br>'
    '<blockquote type="cite"><div>On 3 Nov 2025, at 10:00, Toko Support &lt;support@toko.example&gt; wrote:'
    '</div><br class="Apple-interchange-newline"><div><div>Your order has shipped.</div></div></blockquote>'
    "</div><br></body></html>"
)
THUNDERBIRD_TOP = (
    '<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body>'
    '<p>Terima kasih, sudah beres.</p><pre class="moz-signature" cols="72">-- \nBudi Santoso</pre>'
    '<div class="moz-cite-prefix">On 03/11/2025 10.00, Toko Maju wrote:<br></div>'
    '<blockquote type="cite" cite="mid:ticket-1234@toko.example"><p>Pesanan Anda sedang dikirim.</p>'
    "</blockquote></body></html>"
)
THUNDERBIRD_BOTTOM = (
    '<html><body><div class="moz-cite-prefix">On 03/11/2025 10.00, Toko Maju wrote:<br></div>'
    '<blockquote type="cite" cite="mid:x@toko.example"><p>Pesanan Anda sedang dikirim.</p></blockquote>'
    "<p>Sudah sampai, terima kasih.</p></body></html>"
)
YAHOO_ID = (
    '<html><head></head><body><div class="ydp3f1b2c3yahoo-style-wrap" style="font-family:Helvetica;">'
    '<div dir="ltr" data-setdir="false">Baik, saya tunggu.</div></div>'
    '<div id="yahoo_quoted_1234" class="yahoo_quoted"><div style="font-size:13px;"><div>Pada Senin, '
    "3 November 2025 10.00.00 WIB, Toko Maju &lt;cs@toko.example&gt; menulis:</div><div><br></div>"
    '<div><div dir="ltr">Pesanan Anda sedang dikirim.</div></div></div></div></body></html>'
)


@pytest.mark.parametrize(
    ("raw", "visible", "hidden_starts"),
    [
        (GMAIL_ID, "Halo kak, paketnya sudah sampai. Terima kasih!", "Pada Sen, 3 Nov 2025"),
        (GMAIL_SIGNATURE, "Thanks, that fixed it.", "--John Miller"),
        (OUTLOOK_WEB_ID, "Sudah saya transfer kemarin.", "Dari: Toko Maju"),
        (OUTLOOK_DESKTOP, "Hi team,The invoice is attached.", "From: Toko Support"),
        (APPLE_IOS_ID, "Oke, saya tunggu kabarnya.", "Dikirim dari iPhone saya"),
        (APPLE_MACOS, "Thanks, received.", "On 3 Nov 2025"),
        (THUNDERBIRD_TOP, "Terima kasih, sudah beres.", "-- Budi Santoso"),
        (YAHOO_ID, "Baik, saya tunggu.", "Pada Senin, 3 November 2025"),
    ],
    ids=[
        "gmail-id",
        "gmail-signature",
        "outlook-web-id",
        "outlook-desktop",
        "apple-ios-id",
        "apple-macos",
        "thunderbird",
        "yahoo-id",
    ],
)
def test_the_reply_is_cut_from_each_clients_quoted_history(raw, visible, hidden_starts):
    reply = trim(raw)
    assert reply.trimmed
    assert text(reply.visible) == "".join(visible.split())
    assert text(reply.hidden).startswith("".join(hidden_starts.split()))
    # Nothing is lost: the two parts hold every word of the message.
    assert text(reply.visible) + text(reply.hidden) == text(sanitise(raw))


def test_both_parts_are_sanitised_and_well_formed():
    reply = trim(OUTLOOK_DESKTOP)
    assert sanitise(reply.visible) == reply.visible
    assert sanitise(reply.hidden) == reply.hidden
    assert reply.visible.count("<div") == reply.visible.count("</div>")


def test_a_reply_below_the_quote_is_shown_whole():
    reply = trim(THUNDERBIRD_BOTTOM)
    assert not reply.trimmed
    assert "Sudah sampai, terima kasih." in reply.visible


def test_answers_between_quotes_are_never_hidden():
    reply = trim(
        "<p>Jawaban saya:</p><blockquote type=cite>Kapan dikirim?</blockquote><p>Besok pagi.</p>"
        "<blockquote type=cite>Pakai kurir apa?</blockquote><p>JNE.</p>"
    )
    assert not reply.trimmed


def test_a_trailing_quote_after_inline_answers_is_cut():
    reply = trim(
        "<p>Jawaban saya:</p><blockquote type=cite>Kapan dikirim?</blockquote><p>Besok pagi.</p>"
        '<div class="gmail_quote">Pada Sen, 3 Nov 2025 Toko menulis:<blockquote>semua</blockquote></div>'
    )
    assert text(reply.visible) == text("<p>Jawaban saya:</p>Kapan dikirim?<p>Besok pagi.</p>")
    assert text(reply.hidden) == text("Pada Sen, 3 Nov 2025 Toko menulis:semua")


def test_a_dash_dash_signature_is_cut():
    reply = trim("<p>Sudah saya cek.</p><p>--&nbsp;<br>Budi<br>Toko Maju</p>")
    assert text(reply.visible) == "Sudahsayacek."
    assert text(reply.hidden) == "--BudiTokoMaju"


def test_a_long_text_after_dashes_is_not_a_signature():
    lines = "".join(f"<p>Baris {n}</p>" for n in range(12))
    assert not trim(f"<p>Halo</p><p>--</p>{lines}").trimmed


def test_transfer_details_are_not_an_outlook_header():
    # "Dari/Kepada/Tanggal" without a subject is the customer's own text.
    raw = (
        "<p>Sudah saya transfer:</p><p>Dari: BCA 123<br>Kepada: Mandiri 456<br>Tanggal: 3 Nov 2025</p>"
        "<p>Mohon dicek.</p>"
    )
    assert not trim(raw).trimmed


def test_gmx_header_block_starting_with_sent_is_cut():
    raw = (
        "<div>Bitte prüfen.</div><div><b>Gesendet:</b>&nbsp;Mittwoch, 03. Februar 2016<br>"
        "<b>Von:</b>&nbsp;Martin &lt;m@example.com&gt;<br><b>An:</b>&nbsp;x@example.com<br>"
        "<b>Betreff:</b>&nbsp;Fw: Zugangsdaten</div><div>alt</div>"
    )
    reply = trim(raw)
    assert text(reply.visible) == "Bitteprüfen."
    assert text(reply.hidden).startswith("Gesendet:")


def test_forwarded_message_separator_hides_what_follows():
    raw = "<p>Tolong dicek ya.</p><p>---------- Forwarded message ---------<br>Dari: Toko</p><p>Isi</p>"
    reply = trim(raw)
    assert text(reply.visible) == "Tolongdicekya."


def test_an_image_alone_is_a_reply():
    raw = '<div><img src="cid:shot@x"></div><div class="gmail_quote"><blockquote>lama</blockquote></div>'
    reply = trim(raw)
    assert reply.trimmed
    assert 'src="cid:shot@x"' in reply.visible


def test_a_message_that_is_only_a_quote_is_shown_whole():
    assert not trim('<div class="gmail_quote"><blockquote>lama</blockquote></div>').trimmed
    assert not trim("<blockquote type=cite>lama</blockquote>").trimmed


@pytest.mark.parametrize("value", ["", "<p>Halo</p>", "Halo <b>kak</b>", "<", "<blockquote>"])
def test_messages_without_history_are_shown_whole(value):
    reply = split_html_reply(sanitise(value))
    assert not reply.trimmed
    assert reply.visible == sanitise(value)
    assert reply.hidden == ""


def test_huge_bodies_are_shown_whole():
    body = "<p>x</p>" * (MAX_TRIM_HTML // 8 + 1) + '<div class="gmail_quote">q</div>'
    assert not split_html_reply(body).trimmed


_fragments = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<div>",
        "</div>",
        '<div class="gmail_quote">',
        '<div id="divRplyFwdMsg">',
        '<blockquote type="cite">',
        "</blockquote>",
        "<br>",
        "<hr>",
        '<img src="cid:a@b">',
        "Halo kak",
        "&nbsp;",
        "-- ",
        "From: Toko",
        "Sent: Senin",
        "Subject: Re: x",
        "Pada Sen, 3 Nov 2025 Toko <a@b.c> menulis:",
        "Dikirim dari iPhone saya",
        "---------- Forwarded message ---------",
        "<table><tr><td>",
        "</td></tr></table>",
        "<",
        ">",
        "&amp;",
    ]
)


@settings(max_examples=300)
@given(st.lists(_fragments, max_size=30).map("".join))
def test_never_raises_and_never_loses_a_word(value):
    clean = sanitise(value)
    reply = split_html_reply(clean)
    if reply.trimmed:
        assert text(reply.visible) + text(reply.hidden) == text(clean)
        assert text(reply.visible) or "<img" in reply.visible  # never an empty reply
        assert sanitise(reply.visible) == reply.visible
    else:
        assert reply.visible == clean
