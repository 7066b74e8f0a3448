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

<{rcpt}>: host mx.example.id said: {diag} {stage}

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.toko.example

Final-Recipient: rfc822; {rcpt}
Original-Recipient: rfc822; {rcpt}
Action: {action}
Status: {status}
Diagnostic-Code: {diag_type}; {diag}{extra}

--B
Content-Type: text/rfc822-headers

From: support@toko.example
To: {rcpt}
Subject: [#1234] Pesanan Anda
Message-ID: <ticket-1234.1@toko.example>

--B--
"""


def dsn(
    rcpt: str = "budi@example.id",
    status: str = "5.1.1",
    action: str = "failed",
    diag: str = "",
    *,
    stage: str = "(in reply to RCPT TO command)",
    diag_type: str = "smtp",
    extra: str = "",
) -> Message:
    diag = diag or f"550 {status} <{rcpt}>: Recipient address rejected: User unknown"
    body = DSN_BODY.format(
        rcpt=rcpt, status=status, action=action, diag=diag, stage=stage, diag_type=diag_type, extra=extra
    )
    return mail(DSN, body)


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
        # The sending server gave up on an address the other side kept calling unknown: retrying for days
        # did not make it exist, so the 4.x.x does not save it.
        ("4.1.1", "450 4.1.1 User unknown in virtual alias table", "user_unknown", "hard"),
        # A domain that did not resolve may resolve tomorrow: a 4.x.x DNS failure stays soft.
        ("4.4.3", "451 4.4.3 Domain not found", "domain_not_found", "soft"),
    ],
)
def test_bounce_reasons_and_severity(status: str, diag: str, reason: str, severity: str) -> None:
    bounce = parse_bounce(dsn(status=status, diag=diag))
    assert bounce is not None
    assert (bounce.reason, bounce.severity) == (reason, severity)


@pytest.mark.parametrize(
    ("status", "diag", "stage", "reason", "severity"),
    [
        # A "user unknown" naming no address is a provider hiding that the recipient's filter refused us.
        ("5.0.0", "550 : User unknown", "", "rejected", "soft"),
        # x.7.x (policy), x.3.x (mail system) and x.2.x (mailbox disabled) codes outweigh the words ...
        ("5.0.0", "550 5.7.1 550 User Unknown: budi@example.id", "", "rejected", "soft"),
        (
            "5.0.0",
            "5.3.0 - Other mail system problem 550-'Unknown user budi@example.id'",
            "",
            "rejected",
            "soft",
        ),
        ("5.2.1", "550 5.2.1 <budi@example.id>... User Unknown", "", "mailbox_disabled", "soft"),
        # ... unless the server refused the recipient at RCPT TO (in any MTA's wording).
        (
            "5.2.1",
            "550 5.2.1 <budi@example.id>... User Unknown",
            "(in reply to RCPT TO command)",
            "user_unknown",
            "hard",
        ),
        ("5.2.1", "550 5.2.1 <budi@example.id>... User Unknown", "[RCPT_TO]", "user_unknown", "hard"),
        (
            "5.3.0",
            "553 5.3.0 <budi@example.id>... No such user here",
            "SMTP:RCPT host 192.0.2.8",
            "user_unknown",
            "hard",
        ),
        (
            "5.2.1",
            "550 5.2.1 <budi@example.id>... User Unknown",
            "192.0.2.1 does not like recipient.",
            "user_unknown",
            "hard",
        ),
        # A user unknown answered only after the content was sent is a filter.
        ("5.0.0", "550 unknown user <budi@example.id>", "-------SMTP command\nDATA", "rejected", "soft"),
        # The reply names a host, not a mailbox.
        ("5.0.0", "553 mx.example.id does not exist", "", "domain_not_found", "hard"),
        # The reply names the recipient and only rejects it.
        ("5.0.0", "542 budi@example.id Rejected", "", "user_unknown", "hard"),
        (
            "5.0.0",
            "Unable to deliver message. Please check if address is correct.",
            "",
            "user_unknown",
            "hard",
        ),
        # Lotus Domino in Japanese: "user ... is not found in the Domino directory".
        ("5.0.0", "ユーザー Budi は Domino ディレクトリには見つかりません。", "", "user_unknown", "hard"),
    ],
)
def test_reason_rules(status: str, diag: str, stage: str, reason: str, severity: str) -> None:
    bounce = parse_bounce(dsn(status=status, diag=diag, stage=stage))
    assert bounce is not None
    assert (bounce.reason, bounce.severity) == (reason, severity)


def test_a_generic_status_field_gives_way_to_the_specific_code_in_the_reply() -> None:
    bounce = parse_bounce(dsn(status="5.0.0", diag="550 5.7.1 Message refused by policy", stage=""))
    assert bounce is not None and bounce.status == "5.7.1"


def test_a_local_delivery_program_failing_says_nothing_about_the_address() -> None:
    diag = 'procmail: Couldn\'t create "/var/spool/mail/budi": No such user'
    bounce = parse_bounce(dsn(status="5.1.1", diag=diag, stage="", diag_type="x-unix"))
    assert bounce is not None and (bounce.reason, bounce.hard) == ("other", False)
    text = "<budi@example.id>: user unknown. Command output: procmail: No such user\n"
    bounce = parse_bounce(mail(QMAIL, text))
    assert bounce is not None and (bounce.reason, bounce.hard) == ("other", False)


@pytest.mark.parametrize(
    ("category", "reason", "severity"),
    [
        ("bad-mailbox", "user_unknown", "hard"),
        ("quota-issues", "mailbox_full", "soft"),
        ("odd", "mailbox_disabled", "soft"),
    ],
)
def test_powermtas_own_bounce_category_decides(category: str, reason: str, severity: str) -> None:
    extra = f"\nX-PowerMTA-BounceCategory: {category}"
    bounce = parse_bounce(
        dsn(status="5.2.1", diag="550 5.2.1 <budi@example.id>... User Unknown", stage="", extra=extra)
    )
    assert bounce is not None
    assert (bounce.reason, bounce.severity) == (reason, severity)


def test_a_permanent_reply_explains_the_failure_before_a_later_temporary_one() -> None:
    transcript = """\
----- The following addresses had permanent fatal errors -----
<budi@example.id>
----- Transcript of session follows -----
>>> RCPT To:<budi@example.id>
<<< 550 <budi@example.id>... User unknown
421 mx.example.id (smtp)... Deferred: Connection timed out
"""
    bounce = parse_bounce(mail(QMAIL, transcript))
    assert bounce is not None and (bounce.reason, bounce.hard) == ("user_unknown", True)


def test_cpanels_wording_of_an_unrouteable_domain_is_hard() -> None:
    text = """\
This is a permanent error. The following address(es) failed:

  budi@example.id
    The mail server could not deliver mail to budi@example.id.  The account or domain may not exist, they \
may be blacklisted, or missing the proper dns entries.
"""
    bounce = parse_bounce(mail(QMAIL, text))
    assert bounce is not None and (bounce.reason, bounce.hard) == ("domain_not_found", True)


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
