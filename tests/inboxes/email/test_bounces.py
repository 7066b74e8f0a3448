"""Tests for tanggap.inboxes.email.bounces: DSN and text bounces, reasons, severity and bounds."""

from __future__ import annotations

import email
import email.policy
from email.message import Message

import pytest

from tanggap.inboxes.email.bounces import MAX_DIAGNOSTIC_CHARS, parse_bounce
from tanggap.inboxes.email.loops import classify_automatic
from tanggap.inboxes.email.mime_access import MAX_RECIPIENTS


def mail(headers: str, body: str) -> Message:
    raw = headers.strip() + "\n" + "\n" + body
    return email.message_from_bytes(raw.encode("utf-8", "surrogateescape"), policy=email.policy.default)


# ---------------------------------------------------------------- bounces

DSN = """\
From: Mail Delivery System <MAILER-DAEMON@mx.toko.example>
To: support@toko.example
Subject: Undelivered Mail Returned to Sender
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"
"""

DSN_BODY = """\
--B
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

<{rcpt}>: host mx.example.id said: {diag} (in reply to RCPT TO command)

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.toko.example

Final-Recipient: rfc822; {rcpt}
Original-Recipient: rfc822; {rcpt}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; {diag}

--B
Content-Type: text/rfc822-headers

From: support@toko.example
To: {rcpt}
Subject: [#1234] Pesanan Anda
Message-ID: <ticket-1234.1@toko.example>

--B--
"""


def dsn(
    rcpt: str = "budi@example.id", status: str = "5.1.1", action: str = "failed", diag: str = ""
) -> Message:
    diag = diag or f"550 {status} <{rcpt}>: Recipient address rejected: User unknown"
    return mail(DSN, DSN_BODY.format(rcpt=rcpt, status=status, action=action, diag=diag))


def test_a_dsn_for_an_unknown_user_is_a_hard_bounce_attached_to_the_original() -> None:
    msg = dsn()
    result = classify_automatic(msg)
    bounce = parse_bounce(msg)
    assert result.kind == "bounce" and "dsn_report" in result.reasons
    assert bounce is not None
    assert (bounce.severity, bounce.reason, bounce.status, bounce.final) == (
        "hard",
        "user_unknown",
        "5.1.1",
        True,
    )
    assert bounce.addresses == ("budi@example.id",)
    assert bounce.recipients[0].smtp_code == "550"
    assert bounce.original_message_id == "<ticket-1234.1@toko.example>"
    assert bounce.format == "dsn"


@pytest.mark.parametrize(
    ("status", "diag", "reason", "severity"),
    [
        ("5.2.2", "552 5.2.2 Mailbox full", "mailbox_full", "soft"),
        ("5.1.2", "550 5.1.2 Host or domain name not found", "domain_not_found", "hard"),
        ("5.7.1", "554 5.7.1 Message rejected as spam", "rejected", "soft"),
        (
            "5.2.1",
            "550 5.2.1 The email account that you tried to reach is disabled",
            "mailbox_disabled",
            "soft",
        ),
        ("4.4.7", "Delivery time expired", "expired", "soft"),
        ("5.0.0", "550 Kotak surat penuh", "mailbox_full", "soft"),
        ("5.0.0", "550 Alamat email tidak ditemukan", "user_unknown", "hard"),
        ("5.3.0", "554 something went wrong", "other", "soft"),
        ("4.1.1", "450 4.1.1 User unknown in virtual alias table", "user_unknown", "soft"),
    ],
)
def test_bounce_reasons_and_severity(status: str, diag: str, reason: str, severity: str) -> None:
    bounce = parse_bounce(dsn(status=status, diag=diag))
    assert bounce is not None
    assert (bounce.reason, bounce.severity) == (reason, severity)


def test_a_sender_side_refusal_never_marks_the_recipient_address_bad() -> None:
    bounce = parse_bounce(dsn(status="5.7.1", diag="550 5.7.1 Sender address rejected: Domain not found"))
    assert bounce is not None and (bounce.reason, bounce.hard) == ("rejected", False)


def test_a_delayed_dsn_is_a_soft_non_final_delay() -> None:
    msg = dsn(status="4.4.1", action="delayed", diag="Connection timed out; will keep trying")
    bounce = parse_bounce(msg)
    assert classify_automatic(msg).kind == "delay"
    assert bounce is not None and not bounce.final and not bounce.hard
    assert bounce.recipients[0].action == "delayed"


def test_a_dsn_of_successful_delivery_is_machine_mail_but_no_bounce() -> None:
    msg = dsn(status="2.0.0", action="delivered", diag="250 2.0.0 OK")
    assert parse_bounce(msg) is None
    assert classify_automatic(msg).kind == "system"


QMAIL = """\
From: MAILER-DAEMON@mx.example.id
To: support@toko.example
Subject: failure notice
"""

QMAIL_BODY = """\
Hi. This is the qmail-send program at mx.example.id.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<siti@example.id>:
Remote host said: 550 5.1.1 <siti@example.id>... User unknown

--- Below this line is a copy of the message.

Return-Path: <support@toko.example>
Received: (qmail 1 invoked by uid 1); 3 Nov 2025 10:00:00 +0700
Message-ID: <ticket-77.3@toko.example>
From: support@toko.example
To: siti@example.id
Subject: [#77] Pesanan

Halo Siti
"""


def test_a_text_bounce_names_recipient_status_and_original() -> None:
    msg = mail(QMAIL, QMAIL_BODY)
    bounce = parse_bounce(msg)
    assert classify_automatic(msg).reasons == ("mailer_daemon", "bounce_text")
    assert bounce is not None and bounce.format == "text"
    assert bounce.addresses == ("siti@example.id",)
    assert (bounce.hard, bounce.status, bounce.reason) == (True, "5.1.1", "user_unknown")
    assert bounce.original_message_id == "<ticket-77.3@toko.example>"


def test_x_failed_recipients_names_the_recipients_of_a_text_bounce() -> None:
    headers = QMAIL + "X-Failed-Recipients: rina@example.id, tono@example.id"
    bounce = parse_bounce(mail(headers, "Delivery failed: mailbox full.\n"))
    assert bounce is not None and bounce.addresses == ("rina@example.id", "tono@example.id")
    assert {r.reason for r in bounce.recipients} == {"mailbox_full"}


def test_a_forwarded_bounce_is_a_message_from_a_person() -> None:
    headers = QMAIL.replace("From: MAILER-DAEMON@mx.example.id", "From: Budi <budi@example.id>")
    msg = mail(headers.replace("Subject: failure notice", "Subject: Fwd: failure notice"), QMAIL_BODY)
    assert classify_automatic(msg).kind == "human"


def test_bounce_sizes_are_bounded() -> None:
    recipients = "\n".join(f"<user{i}@example.id>: 550 5.1.1 User unknown" for i in range(300))
    bounce = parse_bounce(mail(QMAIL, recipients + "\n" + "x" * 5000))
    assert bounce is not None
    assert len(bounce.recipients) == MAX_RECIPIENTS
    assert all(len(r.diagnostic) <= MAX_DIAGNOSTIC_CHARS for r in bounce.recipients)
