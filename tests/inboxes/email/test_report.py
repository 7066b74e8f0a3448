"""Tests for tanggap.inboxes.email.report: the JSON shape of ``tanggap mail parse``, each kind, bad input."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tanggap.inboxes.email import report as report_module
from tanggap.inboxes.email.report import KINDS, empty_report, mail_report, mail_report_file

KEYS = [
    "file", "from", "to", "cc", "reply_to", "subject", "date", "message_id", "in_reply_to", "references",
    "text", "html", "visible_text", "attachments", "kind", "bounce", "errors",
]  # fmt: skip
ATTACHMENT_KEYS = ["filename", "content_type", "size", "sha256", "content_id", "inline"]


def assert_shape(report: dict[str, Any]) -> None:
    """Every key, in the documented order, with the documented types; and it encodes as UTF-8 JSON."""
    assert list(report) == KEYS
    assert isinstance(report["file"], str)
    assert report["from"] is None or (
        set(report["from"]) == {"address", "name"}
        and all(isinstance(v, str) for v in report["from"].values())
    )
    for key in ("to", "cc", "reply_to"):
        for entry in report[key]:
            assert list(entry) == ["address", "name"] and all(isinstance(v, str) for v in entry.values())
    assert isinstance(report["subject"], str)
    for key in ("date", "message_id", "in_reply_to"):
        assert report[key] is None or isinstance(report[key], str)
    assert all(isinstance(r, str) for r in report["references"])
    assert isinstance(report["text"], str) and isinstance(report["visible_text"], str)
    assert report["html"] is None or isinstance(report["html"], str)
    for attachment in report["attachments"]:
        assert list(attachment) == ATTACHMENT_KEYS
        assert isinstance(attachment["size"], int) and isinstance(attachment["inline"], bool)
        assert len(attachment["sha256"]) == 64
    assert report["kind"] in KINDS
    bounce = report["bounce"]
    assert (bounce is not None) == (report["kind"] == "bounce")
    if bounce is not None:
        assert list(bounce) == ["hard", "recipients"] and isinstance(bounce["hard"], bool)
        for recipient in bounce["recipients"]:
            assert list(recipient) == ["address", "status", "hard"]
    assert all(isinstance(e, str) for e in report["errors"])
    json.dumps(report, ensure_ascii=False).encode("utf-8")


def raw(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


HUMAN = """\
From: "Budi Santoso" <budi@example.id>
To: Toko Support <support@toko.example>, sales@toko.example
Cc: Sari <sari@example.id>
Reply-To: budi.s@example.id
Subject: =?utf-8?Q?Re:_Pesanan_#1234_belum_sampai?=
Date: Mon, 3 Nov 2025 10:00:00 +0700
Message-ID: <reply-1@example.id>
In-Reply-To: <ticket-1234@toko.example>
References: <root@toko.example> <ticket-1234@toko.example>
MIME-Version: 1.0
Content-Type: multipart/related; boundary="rel"

--rel
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=utf-8

Sudah dua minggu, mohon dicek.

Pada Sen, 3 Nov 2025 pukul 10.00, Toko <support@toko.example> menulis:
> Pesanan Anda sedang dikirim.

--alt
Content-Type: text/html; charset=utf-8

<p onclick="x()">Sudah dua minggu, mohon dicek.</p><img src="cid:logo@x"><img src="https://track.example/p.gif">
<script>alert(1)</script>
--alt--

--rel
Content-Type: image/png
Content-ID: <logo@x>
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--rel--
"""


def test_a_message_from_a_person_has_every_field() -> None:
    report = mail_report(raw(HUMAN), file="mail/1.eml")
    assert_shape(report)
    assert report["file"] == "mail/1.eml"
    assert report["from"] == {"address": "budi@example.id", "name": "Budi Santoso"}
    assert report["to"] == [
        {"address": "support@toko.example", "name": "Toko Support"},
        {"address": "sales@toko.example", "name": ""},
    ]
    assert report["cc"] == [{"address": "sari@example.id", "name": "Sari"}]
    assert report["reply_to"] == [{"address": "budi.s@example.id", "name": ""}]
    assert report["subject"] == "Re: Pesanan #1234 belum sampai"
    assert report["date"] == "2025-11-03T10:00:00+07:00"
    assert report["message_id"] == "reply-1@example.id"
    assert report["in_reply_to"] == "ticket-1234@toko.example"
    assert report["references"] == ["root@toko.example", "ticket-1234@toko.example"]
    assert "Pesanan Anda sedang dikirim." in report["text"]
    assert report["visible_text"] == "Sudah dua minggu, mohon dicek."
    html = report["html"]
    assert "mohon dicek" in html and "cid:logo@x" in html
    assert "script" not in html and "onclick" not in html
    assert ' src="https://track.example' not in html  # remote images are inert until an agent allows them
    (logo,) = report["attachments"]
    data = bytes.fromhex("89504e470d0a1a0a")
    assert logo == {
        "filename": "image.png",
        "content_type": "image/png",
        "size": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "content_id": "logo@x",
        "inline": True,
    }
    assert (report["kind"], report["bounce"], report["errors"]) == ("message", None, [])


def test_a_plain_message_without_html_or_date() -> None:
    report = mail_report(b"From: a@example.id\nSubject: hi\n\nhello\n", file="m")
    assert_shape(report)
    assert report["html"] is None and report["date"] is None and report["message_id"] is None
    assert report["attachments"] == [] and report["errors"] == ["no_message_id"]
    assert report["text"] == report["visible_text"] == "hello"


def test_an_auto_reply() -> None:
    mail = HUMAN.replace("MIME-Version: 1.0", "Auto-Submitted: auto-replied\nMIME-Version: 1.0")
    report = mail_report(raw(mail), file="m")
    assert_shape(report)
    assert (report["kind"], report["bounce"]) == ("auto_reply", None)


def test_list_mail_is_a_message() -> None:
    mail = HUMAN.replace("MIME-Version: 1.0", "List-Id: <news.toko.example>\nMIME-Version: 1.0")
    assert mail_report(raw(mail), file="m")["kind"] == "message"


def dsn(
    action: str, status: str, diagnostic: str, subject: str = "Undelivered Mail Returned to Sender"
) -> bytes:
    return raw(f"""\
From: Mail Delivery System <MAILER-DAEMON@mx.toko.example>
To: support@toko.example
Subject: {subject}
Date: Mon, 3 Nov 2025 10:05:00 +0700
Message-ID: <dsn-1@mx.toko.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"

--b
Content-Type: text/plain

The mail system could not deliver your message to <budi@example.id>.

--b
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.toko.example

Final-Recipient: rfc822; budi@example.id
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {diagnostic}

--b
Content-Type: message/rfc822

From: support@toko.example
To: budi@example.id
Subject: [#1234] Pesanan
Message-ID: <ticket-1234@toko.example>

Halo Budi
--b--
""")


def test_a_hard_bounce() -> None:
    report = mail_report(dsn("failed", "5.1.1", "550 5.1.1 User unknown"), file="m")
    assert_shape(report)
    assert report["kind"] == "bounce"
    assert report["bounce"] == {
        "hard": True,
        "recipients": [{"address": "budi@example.id", "status": "5.1.1", "hard": True}],
    }


def test_a_soft_bounce() -> None:
    report = mail_report(dsn("failed", "5.2.2", "552 5.2.2 Mailbox full"), file="m")
    assert report["kind"] == "bounce"
    assert report["bounce"] == {
        "hard": False,
        "recipients": [{"address": "budi@example.id", "status": "5.2.2", "hard": False}],
    }


def test_a_delayed_delivery_notice_is_a_bounce_that_is_never_hard() -> None:
    notice = dsn("delayed", "4.1.1", "450 4.1.1 User unknown (try again later)", "Delivery delayed")
    report = mail_report(notice, file="m")
    assert_shape(report)
    assert report["kind"] == "bounce"
    assert report["bounce"] == {
        "hard": False,
        "recipients": [{"address": "budi@example.id", "status": "4.1.1", "hard": False}],
    }


def test_a_successful_delivery_report() -> None:
    report = mail_report(dsn("delivered", "2.0.0", "250 OK", "Delivery Status Notification"), file="m")
    assert_shape(report)
    assert (report["kind"], report["bounce"]) == ("delivery_report", None)


def test_a_feedback_report() -> None:
    arf = raw("""\
From: complaints@isp.example
To: abuse@toko.example
Subject: Abuse report
Message-ID: <arf-1@isp.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="b"

--b
Content-Type: text/plain

This is an abuse report.

--b
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: isp-fbl/1.0
Version: 1
Original-Rcpt-To: budi@example.id

--b
Content-Type: message/rfc822

From: support@toko.example
To: budi@example.id
Message-ID: <ticket-1234@toko.example>

Halo
--b--
""")
    report = mail_report(arf, file="m")
    assert_shape(report)
    assert (report["kind"], report["bounce"]) == ("feedback_report", None)


def test_a_missing_file_and_a_folder_still_get_their_report(tmp_path: Path) -> None:
    for path in (tmp_path / "nope.eml", tmp_path):
        report = mail_report_file(str(path))
        assert_shape(report)
        assert report["file"] == str(path)
        (error,) = report["errors"]
        assert error.startswith("read_failed: ")
        assert {k: v for k, v in report.items() if k != "errors"} == {
            k: v for k, v in empty_report(str(path)).items() if k != "errors"
        }


def test_a_file_is_read_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(raw(HUMAN))
    assert mail_report_file(str(path)) == mail_report(raw(HUMAN), file=str(path))


def test_garbage_bytes_are_reported_not_mail() -> None:
    report = mail_report(bytes(range(256)) * 4, file="junk")
    assert_shape(report)
    assert "not_mail" in report["errors"]
    assert report["kind"] == "message"


def test_a_broken_step_is_named_in_errors_and_the_rest_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    class Panic(BaseException):  # nh3's PanicException is a BaseException
        pass

    def broken(_: object) -> None:
        raise Panic("explicit panic")

    monkeypatch.setattr(report_module, "classify_automatic", broken)
    report = mail_report(raw(HUMAN), file="m")
    assert_shape(report)
    assert report["errors"] == ["classify_failed: Panic: explicit panic"]
    assert report["subject"] == "Re: Pesanan #1234 belum sampai" and report["kind"] == "message"


def test_deep_nesting_is_classified_from_the_headers() -> None:
    nested = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(3000)
    )
    mail = b"From: a@example.id\nSubject: x\nAuto-Submitted: auto-replied\n" + nested + b"\nhi\n"
    report = mail_report(mail, file="m")
    assert_shape(report)
    assert report["errors"] == ["too_many_parts", "no_message_id"]
    assert report["kind"] == "auto_reply"


def test_undecodable_text_still_encodes_as_json() -> None:
    # A lone UTF-16 surrogate from UTF-7 would make the JSON line unprintable as UTF-8.
    mail = b"From: a@example.id\nSubject: x\nContent-Type: text/plain; charset=utf-7\n\nhi +2D0- there\n"
    report = mail_report(mail, file="m")
    assert_shape(report)
    assert report["text"] == "hi ? there"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(max_size=400),
        st.builds(
            lambda head, body: raw(HUMAN)[:head] + body,
            st.integers(min_value=0, max_value=len(raw(HUMAN))),
            st.binary(max_size=200),
        ),
    )
)
def test_any_input_gives_a_well_formed_report(data: bytes) -> None:
    assert_shape(mail_report(data, file="x"))
