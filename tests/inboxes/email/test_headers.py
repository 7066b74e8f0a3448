"""Header reading on its own: charsets, encoded-words, RFC 2231 parameters, addresses, ids and dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from tanggap.inboxes.email.headers import (
    MAX_ADDRESSES,
    MAX_HEADER_VALUE,
    decode_bytes,
    decode_words,
    header_params,
    parse_addresses,
    parse_date,
    parse_ids,
    raw_header_text,
)


def test_decode_bytes_reports_a_wrong_or_unknown_charset() -> None:
    assert decode_bytes("Grüße".encode(), "iso-8859-1") == ("Grüße", True)  # UTF-8 labelled Latin-1
    assert decode_bytes(b"\xe9t\xe9", "x-klingon") == ("été", False)
    assert decode_bytes(b"\xe9t\xe9", None) == ("été", True)  # nothing declared, so nothing was wrong
    assert decode_bytes("日本語".encode("cp932"), "iso-2022-jp") == ("日本語", True)


def test_encoded_words() -> None:
    assert decode_words("=?windows-1258?Q?R=E9clamation_n=B0_1?=") == "Réclamation n° 1"
    assert decode_words("=?utf-8?B?SGFsbw==?= =?utf-8?B?IGthaw==?=") == "Halo kak"
    assert decode_words("=?utf-8?B?8J+Z?= =?utf-8?B?jw==?=") == "🙏"  # a character split over two words
    assert decode_words("Re: =?utf-8?q?Pesanan?= =?utf-8?q?_baru?= ok") == "Re: Pesanan baru ok"
    problems: list[str] = []
    assert decode_words("=?x-klingon?q?Halo?= kak", problems) == "Halo kak"
    assert problems == ["bad_charset"]


def test_rfc2231_parameters() -> None:
    value = "Attachment; filename*0*=UTF-8''Laporan%20; filename*1=\"Mei.pdf\"; size=12"
    assert header_params(value) == ("attachment", {"filename": "Laporan Mei.pdf", "size": "12"})
    assert header_params('text/plain; charset="utf-8"; charset=latin1') == (
        "text/plain",
        {"charset": "utf-8"},
    )


def test_addresses_keep_the_raw_address_and_decode_only_names() -> None:
    problems: list[str] = []
    value = 'Tim: "Sari, CS" <sari@toko.id>, <mailto:ani@toko.id>;, =?utf-8?q?B=C3=BCdi?= <budi@x.id>'
    assert parse_addresses(value, problems) == [
        ("Sari, CS", "sari@toko.id"),
        ("", "ani@toko.id"),
        ("Büdi", "budi@x.id"),
    ]
    assert problems == []
    assert parse_addresses("Budi (budi@x.id)", problems) == [("Budi", "budi@x.id")]
    assert problems == ["broken_address"]
    many = ", ".join(f"u{i}@x.id" for i in range(MAX_ADDRESSES + 10))
    assert len(parse_addresses(many, [])) == MAX_ADDRESSES


def test_ids_and_dates() -> None:
    assert parse_ids("<a@x> <b@y>") == ["a@x", "b@y"]
    assert parse_ids("bare@x") == ["bare@x"]
    assert parse_ids("two words") == []
    problems: list[str] = []
    assert parse_date("Mon, 3 Nov 2025 10:00:00", problems) == datetime(2025, 11, 3, 10, tzinfo=UTC)
    wib = timezone(timedelta(hours=7))
    assert parse_date("Senin, 3 Nov 2025 10:00:00 +0700 (WIB) xx", problems) == datetime(
        2025, 11, 3, 10, tzinfo=wib
    )
    assert problems == []
    assert parse_date("kemarin", problems) is None
    assert problems == ["bad_date"]


def test_a_date_after_a_word_is_found() -> None:
    # The optional weekday once matched the last three letters of "received" and hid the date.
    problems: list[str] = []
    wib = timezone(timedelta(hours=7))
    assert parse_date("received 3 Nov 2025 10:00 +0700", problems) == datetime(2025, 11, 3, 10, tzinfo=wib)
    assert parse_date("diterima Sen, 3 Nov 2025 10:00 +0700", problems) == datetime(
        2025, 11, 3, 10, tzinfo=wib
    )
    assert problems == []


def test_raw_header_values_are_bounded_decoded_and_unfolded() -> None:
    problems: list[str] = []
    assert len(raw_header_text("x" * (MAX_HEADER_VALUE + 5), [], problems)) == MAX_HEADER_VALUE
    assert problems == ["header_too_long"]
    assert raw_header_text("a\r\n b\r\n", [], problems) == "a b"
    raw_latin1 = "J\udcfcrgen"  # how the parser keeps the 8-bit byte 0xFC
    assert raw_header_text(raw_latin1, ["iso-8859-1"], problems) == "Jürgen"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_header_readers_never_raise(value: str) -> None:
    problems: list[str] = []
    for name, address in parse_addresses(value, problems):
        assert isinstance(name, str)
        assert address
    header_params(value)
    decode_words(value, problems)
    parse_date(value, problems)
    assert set(problems) <= {"bad_charset", "bad_date", "broken_address", "encoded_address"}


def test_raw_bytes_try_a_declared_multi_byte_charset_before_a_single_byte_one():
    # A Chinese subject in raw 8 bit, in a mail whose parts declare Latin-1 first and GB2312 second:
    # Latin-1 would "decode" any bytes, so the strict multi-byte decode is tried first.
    raw = "转发：整体提升企业服务水平".encode("gb2312")
    assert decode_bytes(raw, None, ["iso-8859-1", "gb2312"]) == ("转发：整体提升企业服务水平", True)
    # German in Latin-1 is no valid GB2312: the single-byte charset still decodes it.
    assert (
        decode_bytes("Grüße aus Köln".encode("latin-1"), None, ["iso-8859-1", "gb2312"])[0]
        == "Grüße aus Köln"
    )
