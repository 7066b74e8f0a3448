"""Secrets at rest: readable back with our keys and purpose only, and through a key rotation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tanggap.core.crypto import SecretUnreadable, decrypt, encrypt, reencrypt

PURPOSE = "inbox.connection"


def test_round_trip_and_nothing_readable_in_the_stored_form():
    stored = encrypt("imap-sandi-rahasia", purpose=PURPOSE)
    assert stored.startswith("v1:") and "rahasia" not in stored
    assert decrypt(stored, purpose=PURPOSE) == "imap-sandi-rahasia"
    assert encrypt("imap-sandi-rahasia", purpose=PURPOSE) != stored  # a fresh IV each time


@hypothesis_settings(max_examples=30)
@given(st.text(max_size=200))
def test_any_text_round_trips(text):
    assert decrypt(encrypt(text, purpose=PURPOSE), purpose=PURPOSE) == text


def test_another_purpose_cannot_read_it():
    stored = encrypt("x", purpose=PURPOSE)
    with pytest.raises(SecretUnreadable):
        decrypt(stored, purpose="webhook.secret")


def test_altered_or_foreign_values_are_refused_without_echoing_them():
    stored = encrypt("sandi", purpose=PURPOSE)
    tampered = stored[:-5] + ("A" if stored[-5] != "A" else "B") + stored[-4:]
    for value in (tampered, "sandi", "v1:garbage", ""):
        with pytest.raises(SecretUnreadable) as exc:
            decrypt(value, purpose=PURPOSE)
        assert "sandi" not in str(exc.value)


def test_a_rotated_key_still_reads_old_values_and_reencrypt_moves_them(settings):
    settings.SECRET_KEY = "old-key-" + "x" * 40
    stored = encrypt("sandi", purpose=PURPOSE)
    settings.SECRET_KEY = "new-key-" + "y" * 40
    with pytest.raises(SecretUnreadable):
        decrypt(stored, purpose=PURPOSE)
    settings.SECRET_KEY_FALLBACKS = ["old-key-" + "x" * 40]
    assert decrypt(stored, purpose=PURPOSE) == "sandi"
    moved = reencrypt(stored, purpose=PURPOSE)
    settings.SECRET_KEY_FALLBACKS = []
    assert decrypt(moved, purpose=PURPOSE) == "sandi"


def test_a_purpose_is_required():
    with pytest.raises(ValueError):
        encrypt("x", purpose="")
