"""Identity normalisation (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tanggap.customers.identities import (
    InvalidIdentity,
    normalise,
    normalise_email,
    normalise_handle,
    normalise_phone,
)


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("0812-3456-7890", "+6281234567890"),
        ("081234567890", "+6281234567890"),
        ("+62 812 3456 7890", "+6281234567890"),
        ("62 812-3456-7890", "+6281234567890"),
        ("(021) 555-1234", "+62215551234"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+1 (415) 555-2671", "+14155552671"),
    ],
)
def test_phones_become_e164_with_indonesia_as_default_region(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "abc", "12", "+", "0812" * 30, "☎☎☎"])
def test_not_phones(raw):
    with pytest.raises(InvalidIdentity):
        normalise_phone(raw)


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("Siti@Example.com", "siti@example.com"),
        ("  budi.santoso+toko@Mail.CO.ID ", "budi.santoso+toko@mail.co.id"),
    ],
)
def test_emails_are_lower_cased(raw, expected):
    assert normalise_email(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "siti",
        "siti@",
        "@example.com",
        "siti@example",
        "a b@example.com",
        "Siti <siti@example.com>",
        "a@b@example.com",
        "x" * 320 + "@example.com",
    ],
)
def test_not_emails(raw):
    with pytest.raises(InvalidIdentity):
        normalise_email(raw)


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("telegram:budi", "telegram:budi"),
        ("Telegram:@budi", "telegram:budi"),
        (" instagram : @toko.budi ", "instagram:toko.budi"),
        ("line:U4af4980629", "line:U4af4980629"),  # ids on some networks are case-sensitive
    ],
)
def test_handles(raw, expected):
    assert normalise_handle(raw) == expected


@pytest.mark.parametrize(
    "raw", ["budi", ":budi", "telegram:", "tele gram:budi", "telegram:bu di", "x" * 40 + ":a"]
)
def test_not_handles(raw):
    with pytest.raises(InvalidIdentity):
        normalise_handle(raw)


def test_unknown_kind():
    with pytest.raises(InvalidIdentity):
        normalise("fax", "123")


@given(kind=st.sampled_from(["email", "phone", "handle"]), value=st.text(max_size=80))
def test_normalise_is_idempotent_or_refuses(kind, value):
    try:
        once = normalise(kind, value)
    except InvalidIdentity:
        return
    assert normalise(kind, once) == once
