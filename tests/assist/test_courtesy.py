"""The courteous close of a message, and why the tone and intents are read without it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tanggap.assist.classify import classify
from tanggap.assist.courtesy import without_closing


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
