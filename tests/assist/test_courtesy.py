"""The courtesies of a message (its close, and thanks that open a "but"), and why the tone and intents
are read without them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tanggap.assist.classify import classify
from tanggap.assist.courtesy import without_closing, without_opening_thanks, without_opening_thanks_sentence


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("Hello,\n\nHow can I exchange it?\n\nThanks.\nZoe", "Hello,\n\nHow can I exchange it?"),
        ("The OTP never arrives.\n\nThank you for your help.\nDaniel", "The OTP never arrives."),
        ("Kapan dana masuk?\n\nTerima kasih.\nSurya", "Kapan dana masuk?"),
        ("Paket belum sampai.\n\nMohon bantuannya, terima kasih.\nBudi", "Paket belum sampai."),
        ("Mohon dicek.\n\nSalam,\nBudi Santoso", "Mohon dicek."),
        ("Refund saya belum masuk. Makasih kak", "Refund saya belum masuk."),
        ("How can I exchange it? Thanks!", "How can I exchange it?"),
        ("My order is late.\n\nLooking forward to hearing from you.\n\nRegards,\nAlice", "My order is late."),
    ],
)
def test_the_close_is_left_out(text: str, body: str) -> None:
    assert without_closing(text) == body


@pytest.mark.parametrize(
    "text",
    [
        "Thanks!",  # the thanks is the message
        "Terima kasih atas bantuannya",
        "Thank you so much, the new one arrived and works perfectly!",
        "Terima kasih banyak, pelayanannya cepat sekali!",
        "Thanks for nothing. Your service is awful.",
        "Order 123 is late.\nJohn",  # a name with no close above it is text
        "",
    ],
)
def test_what_is_not_a_close_stays(text: str) -> None:
    assert without_closing(text) == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_the_body_is_a_stripped_beginning_of_the_text(text: str) -> None:
    body = without_closing(text)
    assert text.startswith(body)
    assert body == text or any(ch.isalnum() for ch in body)


def test_a_complaint_signed_with_thanks_is_no_praise() -> None:
    complaint = classify(
        "Good afternoon,\n\nThe OTP code never reaches my phone; I tried resending five times.\n\n"
        "Thank you for your help.\nDaniel"
    )
    assert "praise" not in complaint.intents
    assert complaint.sentiment != "positive"
    thanks = classify("Terima kasih banyak, pelayanannya cepat sekali!")
    assert "praise" in thanks.intents
    assert thanks.sentiment == "positive"


@pytest.mark.parametrize(
    ("text", "body"),
    [
        ("Thanks for the tip, but the code still isn't arriving.", "but the code still isn't arriving."),
        ("Makasih kak, tapi saldo saya belum masuk juga.", "tapi saldo saya belum masuk juga."),
        (
            "Thank you for your reply. Unfortunately the app still crashes.",
            "Unfortunately the app still crashes.",
        ),
        ("Hi Lina, thanks for the quick answer, but it did not help.", "but it did not help."),
        ("Terima kasih atas jawabannya kak. Namun masalahnya masih sama.", "Namun masalahnya masih sama."),
        ("Makasih Kak Tari, tapi voucher saya belum masuk.", "tapi voucher saya belum masuk."),
        # what the customer did with the answer, before the "but"
        ("Terima kasih, sudah saya coba tapi tetap tidak bisa.", "sudah saya coba tapi tetap tidak bisa."),
        ("Thanks, I tried that but the error is still there.", "I tried that but the error is still there."),
    ],
)
def test_thanks_that_open_a_but_are_left_out(text: str, body: str) -> None:
    assert without_opening_thanks(text) == body


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, my refund came through. But can I get a receipt?",  # the thanks are praise
        "Terima kasih atas layanannya selama ini, sangat membantu. Tapi karena saya pindah, saya berhenti.",
        "Thanks, it works but slowly.",  # "it works" is no name to address
        "Thanks for nothing. Your service is awful.",
        "Terima kasih sudah membalas, tapi",  # nothing after the "but"
        "The code never arrives, but thanks anyway.",
        "",
    ],
)
def test_thanks_that_do_not_open_a_but_stay(text: str) -> None:
    assert without_opening_thanks(text) == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_without_the_opening_thanks_is_an_end_of_the_text(text: str) -> None:
    assert text.endswith(without_opening_thanks(text))
    assert text.endswith(without_opening_thanks_sentence(text))


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, but nothing has changed on my side yet.",
        "Terima kasih, tapi sampai sekarang belum ada perubahan di sisi saya.",
        "Thank you for your reply. Unfortunately the app still crashes when I open it.",
        "Makasih kak, tapi saldo saya belum masuk juga.",
    ],
)
def test_a_follow_up_that_thanks_and_then_says_it_did_not_help_is_no_praise(text: str) -> None:
    signals = classify(text)
    assert "praise" not in signals.intents and signals.sentiment == "negative", signals


@pytest.mark.parametrize(
    ("text", "rest"),
    [
        ("Thank you for the reply. The parcel still has not arrived.", "The parcel still has not arrived."),
        ("Thanks. I did that and now I can't log in.", "I did that and now I can't log in."),
        ("Terima kasih atas balasannya, Kak.\nPaket saya belum sampai.", "Paket saya belum sampai."),
        ("Terima kasih infonya kak. Saya kecewa.", "Saya kecewa."),
        ("Hi Lina, thanks for your quick answer! It still fails.", "It still fails."),
    ],
)
def test_a_sentence_of_thanks_for_the_reply_is_found(text: str, rest: str) -> None:
    assert without_opening_thanks_sentence(text) == rest


@pytest.mark.parametrize(
    "text",
    [
        "Thanks for fixing it so quickly. If it happens again, should I reply here?",  # thanks for a deed
        "Terima kasih sudah jujur mengakui kesalahan. Itu yang membuat saya tetap loyal.",
        "Thanks, my refund came through.",  # one sentence: the thanks are its subject
        "Thank you!",
        "The parcel is late. Thanks.",
    ],
)
def test_other_openings_are_kept(text: str) -> None:
    assert without_opening_thanks_sentence(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Thanks. I did that and now I can't log in at all.",
        "Thank you for the reply. The parcel still has not arrived and nobody answers the phone.",
        "Terima kasih. Saya sudah ikuti langkahnya, sekarang malah tidak bisa login sama sekali.",
        "Thanks for the update. I'm really disappointed, this is the third time.",
    ],
)
def test_thanks_for_the_reply_before_a_complaint_is_no_praise(text: str) -> None:
    signals = classify(text)
    assert "praise" not in signals.intents and signals.sentiment == "negative", signals


@pytest.mark.parametrize(
    "text",
    [
        "Thanks for answering. Is there a training webinar for new users next month?",
        "Thanks. The item arrived safely.",  # the rest is plain, not a complaint: the thanks may be praise
        "Thanks for fixing it so quickly. If it happens again, should I reply to this email?",
    ],
)
def test_thanks_before_anything_but_a_complaint_keep_their_praise(text: str) -> None:
    assert "praise" in classify(text).intents
