"""parse_mail on mails crafted for these tests: structure, charsets, bounds and hostile input."""

from __future__ import annotations

import base64
import hashlib
import time
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tanggap.inboxes.email.headers import MAX_HEADER_VALUE
from tanggap.inboxes.email.parse import MAX_DEPTH, PROBLEMS, parse_mail, to_inbound
from tanggap.tickets.inbound import MAX_SUBJECT

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _mail(headers: str, body: str = "Halo", *, crlf: bool = False) -> bytes:
    text = headers.strip("\n") + "\n\n" + body
    return (text.replace("\n", "\r\n") if crlf else text).encode("utf-8")


BASE = (
    "From: Budi <budi@x.id>\nTo: cs@toko.id\nSubject: Pesanan\nMessage-ID: <m1@x.id>\n"
    "Date: Mon, 3 Nov 2025 10:00:00 +0700"
)


def test_plain_message_fields() -> None:
    raw = _mail(
        BASE + "\nIn-Reply-To: <a@toko.id>\nReferences: <root@toko.id>\n <a@toko.id>\n"
        'Cc: "Sari, CS" <sari@toko.id>, ani@toko.id\nReply-To: Budi Kantor <budi@kantor.id>',
        "Halo kak",
        crlf=True,
    )
    mail = parse_mail(raw)
    assert (mail.from_name, mail.from_address) == ("Budi", "budi@x.id")
    assert mail.to == (("", "cs@toko.id"),)
    assert mail.cc == (("Sari, CS", "sari@toko.id"), ("", "ani@toko.id"))
    assert mail.reply_to == (("Budi Kantor", "budi@kantor.id"),)
    assert mail.message_id == "m1@x.id"
    assert mail.in_reply_to == "a@toko.id"
    assert mail.references == ("root@toko.id", "a@toko.id")
    assert mail.date == datetime(2025, 11, 3, 3, 0, tzinfo=UTC)
    assert mail.text == "Halo kak"
    assert mail.html == ""
    assert mail.problems == ()
    assert mail.idempotency_key == "<m1@x.id>"


ALTERNATIVE = (
    BASE + '\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="b1"',
    "--b1\nContent-Type: text/plain; charset=utf-8\n\nHalo kak, pesanan saya belum sampai.\n"
    "--b1\nContent-Type: text/html; charset=utf-8\n\n<html><head><title>Judul</title>"
    "<style>p{color:red}</style></head><body><p>Halo <b>kak</b></p><script>alert(1)</script>"
    '<img src="https://tracker.example/p.gif"><a href="javascript:alert(1)">x</a></body></html>\n'
    "--b1--\n",
)


def test_alternative_keeps_plain_text_and_sanitised_html() -> None:
    mail = parse_mail(_mail(*ALTERNATIVE))
    assert mail.text == "Halo kak, pesanan saya belum sampai."
    assert "<b>kak</b>" in mail.html
    for unsafe in ("script", "alert", ' src="https://tracker.example', "javascript", "color:red", "Judul"):
        assert unsafe not in mail.html
    assert 'data-remote-src="https://tracker.example/p.gif"' in mail.html  # inert until allowed
    assert mail.attachments == ()


def test_related_keeps_cid_images_inline() -> None:
    image = base64.encodebytes(PNG).decode()
    raw = _mail(
        BASE + '\nMIME-Version: 1.0\nContent-Type: multipart/related; boundary="r"',
        '--r\nContent-Type: text/html; charset=utf-8\n\n<p>Foto:</p><img src="cid:foto1@x.id">'
        '<img src="http://remote.example/a.png">\n'
        "--r\nContent-Type: image/png\nContent-ID: <foto1@x.id>\nContent-Transfer-Encoding: base64\n\n"
        f"{image}--r--\n",
    )
    mail = parse_mail(raw)
    assert 'src="cid:foto1@x.id"' in mail.html
    assert ' src="http://remote.example' not in mail.html
    assert '<img data-remote-src="http://remote.example/a.png">' in mail.html
    (picture,) = mail.attachments
    assert (picture.content_id, picture.inline, picture.data, picture.filename) == (
        "foto1@x.id",
        True,
        PNG,
        "image.png",
    )
    assert mail.text == "Foto:"


def test_rfc2231_and_rfc2047_file_names() -> None:
    raw = _mail(
        BASE + '\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="m"',
        "--m\nContent-Type: text/plain\n\nLampiran.\n"
        "--m\nContent-Type: application/pdf\n"
        "Content-Disposition: attachment; filename*=UTF-8''Laporan%20Pesanan%20%E2%9C%93.pdf\n\n%PDF-1\n"
        "--m\nContent-Type: text/plain\nContent-Disposition: attachment;\n"
        " filename*0*=ISO-8859-1''Rechnung%20M%FC;\n filename*1=ller.txt\n\nhi\n"
        '--m\nContent-Type: image/png; name="=?UTF-8?B?Rm90byBLVFAg4pyTLnBuZw==?="\n'
        "Content-Transfer-Encoding: base64\n\n" + base64.encodebytes(PNG).decode() + "--m--\n",
    )
    mail = parse_mail(raw)
    names = [a.filename for a in mail.attachments]
    assert names == ["Laporan Pesanan ✓.pdf", "Rechnung Müller.txt", "Foto KTP ✓.png"]
    assert mail.attachments[0].data == b"%PDF-1"
    assert mail.text == "Lampiran."


def test_file_names_cannot_carry_paths_or_control_characters() -> None:
    raw = _mail(
        BASE + '\nContent-Type: multipart/mixed; boundary="m"',
        "--m\nContent-Type: application/octet-stream\n"
        'Content-Disposition: attachment; filename="..\\\\..\\\\evil\x07.exe"\n\nMZ\n--m--\n',
    )
    assert [a.filename for a in parse_mail(raw).attachments] == ["evil.exe"]


def test_raw_8bit_headers_and_legacy_charsets() -> None:
    headers = "From: J\xfcrgen M\xfcller <j@x.de>\nSubject: Gr\xfc\xdfe\nMessage-ID: <l@x.de>\n"
    body = "Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: 8bit\n\n"
    body += "Sch\xf6ne Gr\xfc\xdfe"
    mail = parse_mail((headers + body).encode("latin-1"))
    assert mail.from_name == "Jürgen Müller"
    assert mail.subject == "Grüße"
    assert mail.text == "Schöne Grüße"


def test_mislabelled_and_unknown_charsets_never_raise() -> None:
    utf8_as_latin1 = _mail(BASE + "\nContent-Type: text/plain; charset=iso-8859-1", "Terima kasih 🙏 ✓")
    assert parse_mail(utf8_as_latin1).text == "Terima kasih 🙏 ✓"
    unknown = _mail(BASE + "\nContent-Type: text/plain; charset=x-klingon", "Halo ✓")
    mail = parse_mail(unknown)
    assert mail.text == "Halo ✓"
    assert "bad_charset" in mail.problems
    cp1252 = (BASE + "\nContent-Type: text/plain; charset=utf-8\n\n").encode() + b"\x93kutip\x94 \x80100"
    mail = parse_mail(cp1252)
    assert mail.text == "“kutip” €100"
    assert "bad_charset" in mail.problems
    iso2022 = (BASE + "\nContent-Type: text/plain; charset=iso-2022-jp\n\n").encode() + "日本語".encode(
        "iso2022_jp"
    )
    assert parse_mail(iso2022).text == "日本語"


def test_encoded_words_never_become_addresses() -> None:
    raw = _mail(
        "From: =?utf-8?q?cs=40toko.id?= <evil@attacker.example>\nTo: =?utf-8?q?a=40b.id?=@attacker.example"
        "\nSubject: x\nMessage-ID: <e@x>"
    )
    mail = parse_mail(raw)
    assert (mail.from_name, mail.from_address) == ("cs@toko.id", "evil@attacker.example")
    assert mail.to == (("", "=?utf-8?q?a=40b.id?=@attacker.example"),)
    assert "encoded_address" in mail.problems


def test_broken_senders_are_repaired() -> None:
    for header, address in [
        ("Budi budi@x.id", "budi@x.id"),
        ('"Budi" <budi santoso@x.id>', "budisantoso@x.id"),
        ("Budi (budi@x.id)", "budi@x.id"),
    ]:
        mail = parse_mail(_mail(f"From: {header}\nSubject: x\nMessage-ID: <b@x>"))
        assert mail.from_address == address, header
        assert "broken_address" in mail.problems


def test_missing_from_falls_back_to_reply_to() -> None:
    mail = parse_mail(_mail("Reply-To: <budi@x.id>\nSubject: x\nMessage-ID: <r@x>"))
    assert mail.from_address == "budi@x.id"
    assert "no_sender" in mail.problems


def test_no_message_id_uses_the_content_hash() -> None:
    raw = _mail("From: budi@x.id\nSubject: x")
    mail = parse_mail(raw)
    assert mail.message_id is None
    assert "no_message_id" in mail.problems
    assert mail.idempotency_key == "sha256:" + hashlib.sha256(raw).hexdigest()


def test_huge_header_is_bounded() -> None:
    raw = _mail(BASE.replace("Subject: Pesanan", "Subject: " + "x" * (2 * MAX_HEADER_VALUE)))
    mail = parse_mail(raw)
    assert len(mail.subject) == MAX_SUBJECT
    assert "header_too_long" in mail.problems
    many = _mail(BASE + "\nTo: " + ", ".join(f"u{i}@x.id" for i in range(3000)))
    assert 0 < len(parse_mail(many).to) <= 1000


def _nested(depth: int) -> bytes:
    opening = "".join(f'Content-Type: multipart/mixed; boundary="n{i}"\n\n--n{i}\n' for i in range(depth))
    closing = "".join(f"\n--n{i}--\n" for i in reversed(range(depth)))
    return (BASE + "\nMIME-Version: 1.0\n" + opening + "Content-Type: text/plain\n\ndalam" + closing).encode()


def test_deeply_nested_multiparts() -> None:
    mail = parse_mail(_nested(MAX_DEPTH + 5))
    assert "too_deep" in mail.problems
    assert mail.from_address == "budi@x.id"
    mail = parse_mail(_nested(2000))
    assert "too_many_parts" in mail.problems
    assert mail.message_id == "m1@x.id"
    assert parse_mail(_nested(5)).text == "dalam"


def test_over_the_size_bound_is_quarantined_with_its_headers() -> None:
    raw = _mail(BASE, "x" * 5000)
    mail = parse_mail(raw, max_bytes=1000)
    assert mail.quarantine_reason == "too_large"
    assert mail.message_id == "m1@x.id"
    assert mail.content_hash == hashlib.sha256(raw).hexdigest()


def test_garbage_is_not_mail() -> None:
    mail = parse_mail(bytes(range(256)) * 10)
    assert mail.quarantine_reason == "not_mail"
    assert parse_mail(b"").quarantine_reason == "not_mail"


def test_uuencoded_file_in_text_and_broken_base64() -> None:
    body = "Terlampir.\n\nbegin 644 catatan.txt\n,2&5L;&\\@6F%M;6%D\n`\nend\n\nSalam"
    mail = parse_mail(_mail(BASE, body))
    assert mail.text.split() == ["Terlampir.", "Salam"]
    (file,) = mail.attachments
    assert (file.filename, file.content_type, file.data) == ("catatan.txt", "text/plain", b"Hello Zammad")
    raw = _mail(
        BASE + '\nContent-Type: multipart/mixed; boundary="m"',
        "--m\nContent-Type: text/plain\n\nhi\n--m\nContent-Type: application/octet-stream\n"
        "Content-Transfer-Encoding: base64\n\n/9j/4AAQSkZJABC123456\n--m--\n",
    )
    assert parse_mail(raw).attachments[0].data == base64.b64decode("/9j/4AAQSkZJABC12345")


def test_html_only_mail_gets_readable_text() -> None:
    raw = _mail(
        BASE + "\nContent-Type: text/html; charset=utf-8",
        "<p>Halo,</p><p>Pesanan <b>#1234</b>:</p><ul><li>Kaos</li><li>Sepatu</li></ul>"
        "<blockquote>kutipan lama</blockquote>",
    )
    assert parse_mail(raw).text == "Halo,\n\nPesanan #1234:\n\n- Kaos\n- Sepatu\n> kutipan lama"


def test_loop_headers_are_kept_verbatim() -> None:
    raw = _mail(
        BASE + "\nContent-Type: text/plain; charset=utf-8\nAuto-Submitted: auto-replied\nPrecedence: bulk\n"
        "X-Auto-Response-Suppress: All\nReturn-Path: <>\nList-Id: <list.toko.id>\nX-Other: no"
    )
    mail = parse_mail(raw)
    assert mail.header("auto-submitted") == "auto-replied"
    assert mail.header("Return-Path") == "<>"
    assert mail.header("x-other") == ""
    assert {name.lower() for name, _ in mail.headers} == {
        "content-type",
        "auto-submitted",
        "precedence",
        "x-auto-response-suppress",
        "return-path",
        "list-id",
    }


def test_to_inbound() -> None:
    mail = parse_mail(_mail(*ALTERNATIVE))
    inbound = to_inbound(mail)
    assert inbound.channel == "email"
    assert (inbound.sender.kind, inbound.sender.value, inbound.sender.name) == ("email", "budi@x.id", "Budi")
    assert inbound.idempotency_key == "<m1@x.id>"
    assert inbound.external_id == "m1@x.id"
    assert inbound.text == mail.text
    assert inbound.html == mail.html
    assert inbound.subject == "Pesanan"


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise(raw: bytes) -> None:
    mail = parse_mail(raw)
    assert set(mail.problems) <= PROBLEMS


_HEADER_LINES = st.lists(
    st.tuples(
        st.sampled_from(
            ["From", "To", "Cc", "Subject", "Content-Type", "Content-Disposition", "Date", "References"]
        ),
        st.text(max_size=60),
    ),
    max_size=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_HEADER_LINES, st.text(max_size=300), st.sampled_from(["utf-8", "latin-1", "cp1252"]))
def test_structured_fuzz_never_raises(headers: list[tuple[str, str]], body: str, encoding: str) -> None:
    text = "\n".join(f"{name}: {value}" for name, value in headers) + "\n\n" + body
    mail = parse_mail(text.encode(encoding, "replace"))
    assert set(mail.problems) <= PROBLEMS
    assert len(mail.subject) <= MAX_SUBJECT


def test_hostile_header_values_stay_fast_and_never_raise() -> None:
    # Nested comments once overflowed the stdlib address parser; a long value without "@" once
    # made the loose address search quadratic. The bound is generous: a regression takes seconds.
    for value in ["(" * 30000, "=?utf-8?B?" * 4000, "@" * 30000, "<" * 30000, "=?x?q?" + "=" * 30000]:
        headers = "".join(f"{name}: {value}\n" for name in ("From", "To", "Subject", "References", "Date"))
        started = time.perf_counter()
        mail = parse_mail((headers + "Content-Type: text/plain; name=" + value + "\n\nx").encode())
        assert time.perf_counter() - started < 3, value[:10]
        assert set(mail.problems) <= PROBLEMS
