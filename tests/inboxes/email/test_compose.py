"""The mail we send, composed as bytes and read back through our own parser."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tanggap.inboxes.email.compose import (
    AUTO_REPLIED,
    MAX_REFERENCES,
    ComposeError,
    Mailbox,
    OutgoingAttachment,
    OutgoingMail,
    bounded_references,
    compose,
    needs_smtputf8,
    new_message_id,
    reply_subject,
)
from tanggap.inboxes.email.loops import classify_automatic
from tanggap.inboxes.email.parse import parse_mail
from tanggap.inboxes.email.thread import reference_candidates, ticket_number_in_subject
from tanggap.inboxes.email.trim import split_reply

WIB = timezone(timedelta(hours=7))
WHEN = datetime(2025, 11, 3, 10, 30, tzinfo=WIB)


def mail(**changes) -> OutgoingMail:
    values = {
        "sender": Mailbox("support@toko.example", "Dukungan Toko"),
        "to": (Mailbox("siti@example.com", "Siti Rahma"),),
        "subject": "Re: [#12] Pesanan belum sampai",
        "message_id": "abc123@toko.example",
        "date": WHEN,
        "text": "Halo Kak Siti,\n\nPesanan Anda sudah dikirim hari ini.",
        "in_reply_to": "c1@mail.example.com",
        "references": ("r0@mail.example.com", "c1@mail.example.com"),
    }
    values.update(changes)
    return OutgoingMail(**values)


def headers_of(raw: bytes) -> email.message.Message:
    return email.message_from_bytes(raw, policy=email.policy.default)


# ---------------------------------------------------------------- subjects


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Pesanan belum sampai", "Re: [#12] Pesanan belum sampai"),
        ("Re: Pesanan belum sampai", "Re: [#12] Pesanan belum sampai"),
        ("RE: Re: Balas: Pesanan belum sampai", "Re: [#12] Pesanan belum sampai"),
        ("Re: [#12] Re: Pesanan belum sampai", "Re: [#12] Pesanan belum sampai"),
        ("[#12] Re: [#12] Pesanan", "Re: [#12] Pesanan"),
        ("AW: Re[2]: Bls: order", "Re: [#12] order"),
        ("Fwd: invoice", "Re: [#12] Fwd: invoice"),  # a forward is part of the subject
        ("Re: [#99] another ticket", "Re: [#12] [#99] another ticket"),
        ("", "Re: [#12]"),
        ("  Pesanan\r\n\tBcc: x@evil.example ", "Re: [#12] Pesanan Bcc: x@evil.example"),
    ],
)
def test_reply_subject_has_one_token_and_one_re(subject, expected):
    assert reply_subject(subject, 12) == expected


def test_a_first_mail_has_no_re():
    assert reply_subject("Re: Info pengiriman", 7, reply=False) == "[#7] Info pengiriman"


@settings(deadline=None)
@given(st.text(max_size=300), st.integers(min_value=1, max_value=10**9))
def test_reply_subject_is_stable_and_names_its_ticket(subject, number):
    once = reply_subject(subject, number)
    assert reply_subject(once, number) == once  # answering our own answer adds nothing
    assert ticket_number_in_subject(once) == number
    assert "\n" not in once and "\r" not in once


# ---------------------------------------------------------------- references


def test_references_end_with_the_parent_each_id_once():
    refs = bounded_references(["<a@x>", "b@x", "a@x"], "<c@x>")
    assert refs == ("b@x", "a@x", "c@x")


def test_references_keep_the_root_and_the_nearest_ancestors():
    ancestors = [f"m{i}@x" for i in range(100)]
    refs = bounded_references(ancestors, "parent@x")
    assert len(refs) == MAX_REFERENCES
    assert refs[0] == "m0@x" and refs[-1] == "parent@x" and refs[-2] == "m99@x"


def test_unusable_ids_are_dropped_from_references():
    refs = bounded_references(["no-at-sign", "has space@x", "x" * 300 + "@x", "ok@x"], "p@x")
    assert refs == ("ok@x", "p@x")


@settings(deadline=None)
@given(st.lists(st.text(max_size=80), max_size=60), st.text(max_size=80))
def test_references_are_always_bounded_and_clean(ancestors, parent):
    refs = bounded_references(ancestors, parent)
    assert len(refs) <= MAX_REFERENCES
    assert len(set(refs)) == len(refs)
    assert all("<" not in r and ">" not in r and " " not in r and "@" in r for r in refs)


def test_new_message_ids_are_unique_at_our_domain():
    ids = {new_message_id("toko.example") for _ in range(100)}
    assert len(ids) == 100
    assert all(i.endswith("@toko.example") for i in ids)
    assert new_message_id("bücher.example").endswith("@xn--bcher-kva.example")


# ---------------------------------------------------------------- the mail


def test_a_plain_reply_reads_back_through_our_parser():
    raw = compose(mail(signature="Salam,\nTim Toko"))
    assert b"\r\n" in raw and raw.isascii()
    parsed = parse_mail(raw)
    assert parsed.from_address == "support@toko.example" and parsed.from_name == "Dukungan Toko"
    assert parsed.to == (("Siti Rahma", "siti@example.com"),)
    assert parsed.subject == "Re: [#12] Pesanan belum sampai"
    assert parsed.message_id == "abc123@toko.example"
    assert parsed.in_reply_to == "c1@mail.example.com"
    assert parsed.references == ("r0@mail.example.com", "c1@mail.example.com")
    assert parsed.date == WHEN
    assert parsed.text.startswith("Halo Kak Siti,\n\nPesanan Anda sudah dikirim hari ini.")
    assert parsed.text.endswith("-- \nSalam,\nTim Toko")
    assert parsed.html == "" and parsed.attachments == () and parsed.problems == ()
    # Our own trimmer cuts the signature when the customer quotes us back.
    assert split_reply(parsed.text).visible.endswith("dikirim hari ini.")
    # Threading of the customer's answer: our id first.
    assert reference_candidates(parsed.message_id, parsed.references)[0] == "abc123@toko.example"


def test_a_person_s_reply_is_not_automatic_and_an_acknowledgement_is():
    person = headers_of(compose(mail()))
    assert "Auto-Submitted" not in person
    assert not classify_automatic(person).is_automatic
    automatic = headers_of(compose(mail(auto_submitted=AUTO_REPLIED)))
    assert automatic["Auto-Submitted"] == "auto-replied"
    assert automatic["X-Auto-Response-Suppress"] == "All"
    assert classify_automatic(automatic).is_automatic


def test_non_ascii_names_and_subjects_are_encoded_and_read_back():
    raw = compose(
        mail(
            sender=Mailbox("support@toko.example", "Layanan Pelanggan — Toko Ñandú"),
            to=(Mailbox("budi@bücher.example", 'Budi "Abang", S.E.'),),
            cc=(Mailbox("ani@example.com", "Ani Wijaya"),),
            subject="Re: [#12] Ganti alamat — Jalan Sudirman №5 日本",
            text="Terima kasih 🙏 — sudah kami ubah.",
        )
    )
    assert raw.isascii()
    assert b"Ganti alamat" in raw and "—".encode() not in raw
    parsed = parse_mail(raw)
    assert parsed.from_name == "Layanan Pelanggan — Toko Ñandú"
    assert parsed.to == (('Budi "Abang", S.E.', "budi@xn--bcher-kva.example"),)
    assert parsed.cc == (("Ani Wijaya", "ani@example.com"),)
    assert parsed.subject == "Re: [#12] Ganti alamat — Jalan Sudirman №5 日本"
    assert parsed.text.startswith("Terima kasih 🙏 — sudah kami ubah.")


def test_html_goes_as_an_alternative_with_inline_images_and_attachments():
    raw = compose(
        mail(
            html='<p>Halo <b>Kak Siti</b></p><p><img src="cid:logo@toko.example"></p>',
            signature="Tim Toko",
            attachments=(
                OutgoingAttachment("resi pengiriman.pdf", "application/pdf", b"%PDF-1.4 ..."),
                OutgoingAttachment("logo.png", "image/png", b"\x89PNG\r\n", content_id="logo@toko.example"),
                OutgoingAttachment("catatan.txt", "text/plain; charset=utf-8", "Catatan ñ\n".encode()),
                OutgoingAttachment("odd", "not a type", b"\x00\x01"),
            ),
        )
    )
    tree = headers_of(raw)
    assert tree.get_content_type() == "multipart/mixed"
    alternative = tree.get_payload()[0]
    assert alternative.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in alternative.get_payload()] == ["text/plain", "multipart/related"]
    parsed = parse_mail(raw)
    assert "<b>Kak Siti</b>" in parsed.html and "Tim Toko" in parsed.html
    assert "Halo Kak Siti" in parsed.text
    by_name = {a.filename: a for a in parsed.attachments}
    assert by_name["resi pengiriman.pdf"].data == b"%PDF-1.4 ..."
    assert by_name["logo.png"].content_id == "logo@toko.example" and by_name["logo.png"].inline
    assert by_name["catatan.txt"].data == "Catatan ñ\n".encode()
    assert by_name["odd"].content_type == "application/octet-stream"


def test_an_inline_image_without_html_is_an_ordinary_attachment():
    raw = compose(mail(attachments=(OutgoingAttachment("a.png", "image/png", b"x", content_id="a@x"),)))
    parsed = parse_mail(raw)
    assert [a.filename for a in parsed.attachments] == ["a.png"]


def test_header_injection_is_impossible():
    raw = compose(
        mail(
            subject="Halo\r\nBcc: victim@example.com",
            to=(Mailbox("siti@example.com", "Siti\r\nBcc: victim@example.com"),),
        )
    )
    tree = headers_of(raw)
    assert "Bcc" not in tree
    assert b"\r\nBcc:" not in raw


@pytest.mark.parametrize(
    "changes",
    [
        {"to": (Mailbox("not an address"),)},
        {"to": (Mailbox("a@b@c"),)},
        {"to": ()},
        {"sender": Mailbox("<support@toko.example>")},
        {"message_id": "no-at-sign"},
        {"date": datetime(2025, 11, 3, 10, 30)},  # naive on purpose
        {"auto_submitted": "yes"},
    ],
)
def test_unusable_input_is_refused(changes):
    with pytest.raises(ComposeError):
        compose(mail(**changes))


def test_long_lines_and_lone_dots_survive():
    text = "a" * 5000 + "\n.\n.. titik\n"
    raw = compose(mail(text=text))
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    assert parse_mail(raw).text.startswith(text.rstrip("\n"))


def test_an_international_local_part_needs_smtputf8():
    assert not needs_smtputf8(["budi@bücher.example", "siti@example.com"])
    assert needs_smtputf8(["bücher@example.com"])
    raw = compose(mail(to=(Mailbox("bücher@example.com", "Pak Bücher"),)))
    assert "bücher@example.com".encode() in raw
    assert parse_mail(raw).to == (("Pak Bücher", "bücher@example.com"),)


# No deadline: under a loaded parallel run one example can take longer than hypothesis's 200 ms.
@settings(deadline=None)
@given(
    subject=st.text(max_size=200),
    name=st.text(max_size=80),
    text=st.text(max_size=2000),
    signature=st.text(max_size=200),
)
def test_anything_an_agent_types_composes_and_reads_back(subject, name, text, signature):
    raw = compose(
        mail(
            subject=reply_subject(subject, 5),
            to=(Mailbox("siti@example.com", name),),
            text=text,
            signature=signature,
            date=datetime(2025, 1, 1, tzinfo=UTC),
        )
    )
    parsed = parse_mail(raw)
    assert parsed.message_id == "abc123@toko.example"
    assert parsed.to[0][1] == "siti@example.com"
    assert ticket_number_in_subject(parsed.subject) == 5
    assert parsed.quarantine_reason is None
