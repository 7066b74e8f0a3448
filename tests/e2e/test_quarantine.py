"""The quarantine in a real browser: an admin finds a mail the intake could not process, opens it,
fixes the cause and retries it into a ticket."""

from __future__ import annotations

import re

import pytest

from tanggap.accounts.services import agent_create
from tanggap.core.errors import InvalidInput
from tanggap.inboxes import services
from tanggap.inboxes.models import MailSource, MailStatus, RawMail
from tanggap.inboxes.services import mail_receive
from tanggap.inboxes.setup import inbox_create

from .conftest import PASSWORD

pytestmark = pytest.mark.e2e

RAW = (
    b"From: Siti Rahma <siti@example.com>\r\n"
    b"To: support@tanggap.test\r\n"
    b"Subject: Paket rusak <b>tolong</b>\r\n"
    b"Message-ID: <e2e-quarantine@mail.example.com>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"\r\n"
    b"Paket saya datang dalam keadaan rusak.\r\n"
)


@pytest.fixture
def sari(support):
    return agent_create(actor=None, username="sari", password=PASSWORD, display_name="Sari", role="admin")


def test_admin_sees_opens_and_retries_a_quarantined_mail(
    new_page, sign_in, screenshot, monkeypatch, support, sari
):
    inbox = inbox_create(actor=None, name="Dukungan", address="support@tanggap.test", team=support)

    def refuse(**kwargs):
        raise InvalidInput("refused for the test", field="text")

    monkeypatch.setattr(services, "messages_receive", refuse)
    row = mail_receive(inbox=inbox, raw=RAW, source=MailSource.IMAP)
    assert row.status == MailStatus.QUARANTINED

    page = sign_in(new_page(), "sari")
    page.click(".sidenav a[href='/admin/quarantine/']")
    page.wait_for_url(re.compile(r"/admin/quarantine/$"))
    rows = page.locator(".quarantine-list .ticket-row")
    assert rows.count() == 1
    assert "Dukungan" in rows.first.inner_text()
    screenshot(page, "quarantine-laptop")

    rows.first.locator("a.row-subject").click()
    page.wait_for_url(re.compile(rf"/admin/quarantine/{row.pk}/$"))
    raw = page.locator("pre.raw-mail")
    assert "Subject: Paket rusak <b>tolong</b>" in raw.inner_text()  # shown as text, not markup
    assert raw.locator("b").count() == 0
    assert "refused for the test" in page.inner_text(".quarantine-result")

    monkeypatch.undo()  # the fix
    page.click(".quarantine-result button[type=submit]")
    page.wait_for_selector(".flash-success")
    row.refresh_from_db()
    assert row.status == MailStatus.PROCESSED and row.ticket_id
    link = page.locator(f".quarantine-result a[href='/tickets/{row.ticket_id}/']")
    assert link.count() == 1
    assert page.locator(".quarantine-result button[type=submit]").count() == 0
    screenshot(page, "quarantine-retried")
    link.click()
    page.wait_for_url(re.compile(rf"/tickets/{row.ticket_id}/$"))
    assert page.locator(".tl-customer:has-text('Paket saya datang dalam keadaan rusak')").count() == 1

    page.goto("/admin/quarantine/")
    assert page.locator(".quarantine-list .ticket-row").count() == 0
    assert RawMail.objects.filter(status=MailStatus.QUARANTINED).count() == 0
