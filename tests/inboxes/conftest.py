"""Fixtures for the e-mail tests: inboxes made through the service, raw mail built as bytes, a customer's
conversation, and the outbox of queued mail (the loopback SMTP server is in tests/conftest.py)."""

from __future__ import annotations

import itertools
import socket

import pytest

from tanggap.core import outbox
from tanggap.inboxes.models import MailSource, OutboundMail
from tanggap.inboxes.services import mail_receive
from tanggap.inboxes.setup import inbox_create
from tanggap.tickets.models import Message

_ids = itertools.count(1)


def make_mail(
    body: str = "Halo, pesanan saya belum sampai.",
    *,
    message_id: str | None = "auto",
    sender: str = "Siti <siti@example.com>",
    to: str = "support@tanggap.test",
    subject: str = "Pesanan belum sampai",
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """One plain-text mail as it would arrive."""
    lines = [f"From: {sender}", f"To: {to}", f"Subject: {subject}", "Date: Mon, 3 Nov 2025 10:00:00 +0700"]
    if message_id == "auto":
        message_id = f"<m{next(_ids)}@mail.example.com>"
    if message_id:
        lines.append(f"Message-ID: {message_id}")
    if in_reply_to:
        lines.append(f"In-Reply-To: {in_reply_to}")
    if references:
        lines.append(f"References: {references}")
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", body, ""]
    return "\r\n".join(lines).encode()


@pytest.fixture
def inbox(db, team):
    return inbox_create(actor=None, name="Support", address="Support@Tanggap.test", team=team)


@pytest.fixture
def other_inbox(db):
    return inbox_create(actor=None, name="Billing", address="billing@tanggap.test")


CUSTOMER_ID = "<c1@mail.example.com>"


@pytest.fixture
def conversation(inbox):
    """Siti wrote to the support inbox, in a thread her mail client already had going."""
    row = mail_receive(
        inbox=inbox,
        raw=make_mail(
            "Halo, pesanan saya belum sampai.",
            message_id=CUSTOMER_ID,
            references="<r0@mail.example.com>",
            subject="Re: Pesanan belum sampai",
        ),
        source=MailSource.IMAP,
    )
    return row.ticket


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on (connections are refused at once)."""
    return closed_loopback_port()


def closed_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def drain() -> int:
    """Deliver the queued mail now."""
    return outbox.drain(OutboundMail._meta.label_lower)


def row_of(message: Message) -> OutboundMail:
    return OutboundMail.objects.get(message=message)


def status_of(message: Message) -> str:
    return Message.objects.get(pk=message.pk).delivery_status
