"""Bounces: on the ticket of the mail that bounced, as automatic messages, and marked on the customer."""

from __future__ import annotations

import pytest

from tanggap.core.models import AuditEntry
from tanggap.customers.models import BounceSeverity, Identity
from tanggap.customers.services import identity_mark_bounced
from tanggap.inboxes.models import MailDirection, MailSource, MailStatus
from tanggap.inboxes.services import mail_receive
from tanggap.inboxes.threading import message_id_record
from tanggap.tickets.models import Status, Ticket
from tests.inboxes.conftest import make_mail

pytestmark = pytest.mark.django_db

ORIGINAL_ID = "<reply-42@tanggap.test>"


def dsn(recipient: str, status: str, action: str = "failed", original_id: str = ORIGINAL_ID) -> bytes:
    """A delivery status notification (RFC 3464) about one mail we sent."""
    diagnostic = "550 5.1.1 user unknown" if status.startswith("5") else "452 4.2.2 mailbox full"
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        "To: support@tanggap.test\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Date: Mon, 3 Nov 2025 10:05:00 +0700\r\n"
        f"Message-ID: <dsn-{status}-{recipient}@mx.example.net>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n'
        "\r\n"
        "--B\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        f"Your message could not be delivered to {recipient}.\r\n"
        "--B\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        f"Diagnostic-Code: smtp; {diagnostic}\r\n"
        "--B\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        "From: Support <support@tanggap.test>\r\n"
        f"To: {recipient}\r\n"
        "Subject: [#1] Pesanan belum sampai\r\n"
        f"Message-ID: {original_id}\r\n"
        "--B--\r\n"
    ).encode()


@pytest.fixture
def conversation(inbox):
    """Siti wrote; we answered with ORIGINAL_ID (the outbound adapter records its ids like this)."""
    first = mail_receive(inbox=inbox, raw=make_mail(sender="siti@example.com"), source=MailSource.IMAP)
    message_id_record(
        inbox=inbox, message_id=ORIGINAL_ID, ticket=first.ticket, direction=MailDirection.OUTBOUND
    )
    return first.ticket


def test_a_hard_bounce_lands_on_the_original_ticket_and_marks_the_address(inbox, conversation):
    row = mail_receive(inbox=inbox, raw=dsn("siti@example.com", "5.1.1"), source=MailSource.IMAP)
    assert row.status == MailStatus.PROCESSED and row.automatic == "bounce"
    assert row.ticket_id == conversation.pk and row.reason_detail == "bounce"
    assert row.message.automatic == "bounce"
    assert Ticket.objects.get(pk=conversation.pk).status == Status.NEW  # unchanged
    identity = Identity.objects.get(value="siti@example.com")
    assert identity.bounce_severity == BounceSeverity.HARD
    assert identity.bounce_reason == "user_unknown" and identity.bounced_at is not None
    assert "user unknown" in identity.bounce_detail
    assert AuditEntry.objects.filter(action="customer.identity_bounced", object_id=str(identity.customer_id))


def test_a_soft_bounce_is_marked_soft_and_never_softens_a_hard_one(inbox, conversation):
    mail_receive(inbox=inbox, raw=dsn("siti@example.com", "4.2.2"), source=MailSource.IMAP)
    identity = Identity.objects.get(value="siti@example.com")
    assert identity.bounce_severity == BounceSeverity.SOFT
    mail_receive(inbox=inbox, raw=dsn("siti@example.com", "5.1.1"), source=MailSource.IMAP)
    message_id_record(
        inbox=inbox,
        message_id="<another@tanggap.test>",
        ticket=conversation,
        direction=MailDirection.OUTBOUND,
    )
    mail_receive(
        inbox=inbox, raw=dsn("siti@example.com", "4.2.2", original_id="<another@tanggap.test>"), source="imap"
    )
    identity.refresh_from_db()
    assert identity.bounce_severity == BounceSeverity.HARD


def test_a_delay_notice_marks_nothing(inbox, conversation):
    row = mail_receive(inbox=inbox, raw=dsn("siti@example.com", "4.4.1", action="delayed"), source="imap")
    assert row.automatic == "delay" and row.ticket_id == conversation.pk
    assert Identity.objects.get(value="siti@example.com").bounce_severity == ""


def test_a_bounce_for_an_address_we_do_not_know_marks_no_one(inbox, conversation):
    row = mail_receive(inbox=inbox, raw=dsn("stranger@example.org", "5.1.1"), source=MailSource.IMAP)
    assert row.status == MailStatus.PROCESSED and row.ticket_id == conversation.pk
    assert not Identity.objects.filter(value="stranger@example.org").exists()
    assert not Identity.objects.exclude(bounce_severity="").exists()


def test_a_bounce_of_a_mail_we_did_not_send_becomes_a_ticket_and_marks_no_one(inbox, conversation):
    # Siti's own inbound Message-ID is known, but a bounce can only be about a mail we sent.
    siti_id = conversation.messages.get(kind="customer").external_id
    for original in ("<unknown@x>", f"<{siti_id}>"):
        row = mail_receive(
            inbox=inbox, raw=dsn("siti@example.com", "5.1.1", original_id=original), source="imap"
        )
        assert row.status == MailStatus.PROCESSED and row.automatic == "bounce"
        assert row.ticket_id != conversation.pk
    assert Identity.objects.get(value="siti@example.com").bounce_severity == ""


def test_mark_bounced_ignores_what_is_not_an_address(db):
    assert identity_mark_bounced(address="not an address", hard=True, reason="user_unknown") is None
