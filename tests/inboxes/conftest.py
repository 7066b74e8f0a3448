"""Fixtures for the intake tests: inboxes made through the service, and raw mail built as bytes."""

from __future__ import annotations

import itertools

import pytest

from tanggap.inboxes.setup import inbox_create

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
