"""The inbox settings page: connections with write-only passwords (encrypted at rest), the IMAP
connection test against a real Dovecot, and polling health on the inboxes list."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tanggap.core.audit import AuditEntry
from tanggap.core.crypto import decrypt
from tanggap.inboxes.models import ImapState, Inbox
from tanggap.inboxes.setup import inbox_create, inbox_update
from tests.inboxes.dovecot import PASSWORD, USER, dovecot  # noqa: F401

pytestmark = pytest.mark.django_db

SECRET = "Rahasia-IMAP-123"
SMTP_SECRET = "Rahasia-SMTP-456"


@pytest.fixture
def inbox(team) -> Inbox:
    return inbox_create(actor=None, name="Support", address="support@tanggap.test", team=team)


def _form(inbox: Inbox, **changes) -> dict:
    data = {
        "name": inbox.name,
        "address": inbox.address,
        "team": inbox.team_id or "",
        "language": inbox.language,
        "signature": inbox.signature,
        "is_active": "on",
        "imap_host": "imap.toko.example",
        "imap_port": "993",
        "imap_security": "ssl",
        "imap_username": "cs@toko.example",
        "imap_password": "",
        "imap_folder": "INBOX",
        "imap_done_folder": "Selesai",
        "smtp_host": "smtp.toko.example",
        "smtp_port": "587",
        "smtp_security": "starttls",
        "smtp_username": "cs@toko.example",
        "smtp_password": "",
    }
    return data | changes


def _edit(inbox: Inbox) -> str:
    return reverse("web:admin_inbox_edit", args=[inbox.pk])


def test_only_admins_see_the_settings_and_the_connection_test(agent_client, inbox):
    assert agent_client.get(_edit(inbox)).status_code == 404
    assert agent_client.post(_edit(inbox), _form(inbox)).status_code == 404
    assert agent_client.post(reverse("web:admin_inbox_imap_test", args=[inbox.pk])).status_code == 404
    assert Inbox.objects.get(pk=inbox.pk).imap_host == ""


def test_unknown_inbox_is_404(admin_client_):
    assert admin_client_.get(reverse("web:admin_inbox_edit", args=[999])).status_code == 404


def test_passwords_are_write_only_and_encrypted_at_rest(admin_client_, inbox):
    response = admin_client_.post(
        _edit(inbox), _form(inbox, imap_password=SECRET, smtp_password=SMTP_SECRET), follow=True
    )
    assert response.status_code == 200
    inbox.refresh_from_db()
    assert (inbox.imap_host, inbox.imap_port, inbox.imap_done_folder) == ("imap.toko.example", 993, "Selesai")
    assert (inbox.smtp_host, inbox.smtp_port, inbox.smtp_security) == ("smtp.toko.example", 587, "starttls")
    assert SECRET not in inbox.imap_password and SMTP_SECRET not in inbox.smtp_password
    assert decrypt(inbox.imap_password, purpose="inbox.imap") == SECRET
    assert decrypt(inbox.smtp_password, purpose="inbox.smtp") == SMTP_SECRET

    page = admin_client_.get(_edit(inbox)).content.decode()
    for secret in (SECRET, SMTP_SECRET, inbox.imap_password, inbox.smtp_password):
        assert secret not in page
    assert 'name="imap_password"' in page and 'name="clear_imap_password"' in page

    stored = (inbox.imap_password, inbox.smtp_password)
    admin_client_.post(_edit(inbox), _form(inbox, imap_folder="Kotak Masuk"))  # blank: kept
    inbox.refresh_from_db()
    assert (inbox.imap_password, inbox.smtp_password) == stored
    assert inbox.imap_folder == "Kotak Masuk"

    admin_client_.post(_edit(inbox), _form(inbox, clear_smtp_password="on"))
    inbox.refresh_from_db()
    assert inbox.smtp_password == "" and inbox.imap_password == stored[0]

    audits = AuditEntry.objects.filter(action="inbox.updated")
    assert audits.count() == 3
    for entry in audits:
        assert SECRET not in str(entry.data) and stored[0] not in str(entry.data)
    assert "imap_password" in audits.order_by("id").first().data["changed"]


def test_plain_imap_to_another_machine_is_refused_with_a_translated_reason(admin_client_, inbox, settings):
    response = admin_client_.post(
        _edit(inbox), _form(inbox, imap_security="none", imap_password=SECRET), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "Without encryption the password would cross the network readable" in response.content.decode()
    inbox.refresh_from_db()
    assert inbox.imap_host == "" and inbox.imap_password == ""

    admin_client_.post(_edit(inbox), _form(inbox, imap_host="127.0.0.1", imap_security="none"))
    assert Inbox.objects.get(pk=inbox.pk).imap_security == "none"


def test_a_done_folder_equal_to_the_folder_is_refused(admin_client_, inbox):
    response = admin_client_.post(_edit(inbox), _form(inbox, imap_done_folder="INBOX"))
    assert response.status_code == 200
    assert Inbox.objects.get(pk=inbox.pk).imap_host == ""


def test_changing_server_or_folder_starts_uid_tracking_afresh(inbox):
    inbox = inbox_update(actor=None, inbox=inbox, imap_host="imap.toko.example", imap_password=SECRET)
    ImapState.objects.create(inbox=inbox, folder="INBOX", uidvalidity=7, last_uid=42)
    inbox = inbox_update(actor=None, inbox=inbox, imap_done_folder="Selesai")  # not a reset
    assert ImapState.objects.get(inbox=inbox).last_uid == 42
    inbox_update(actor=None, inbox=inbox, imap_folder="Arsip")
    state = ImapState.objects.get(inbox=inbox)
    assert (state.uidvalidity, state.last_uid, state.folder) == (None, 0, "Arsip")


@pytest.mark.django_db(transaction=True)
def test_connection_test_reports_the_count_or_the_translated_failure(admin_client_, inbox, dovecot):  # noqa: F811
    inbox_update(
        actor=None,
        inbox=inbox,
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_security="none",
        imap_username=USER,
        imap_password=PASSWORD,
    )
    dovecot.deliver(b"From: a@example.com\r\nSubject: x\r\nMessage-ID: <t1@example.com>\r\n\r\nhi\r\n")
    url = reverse("web:admin_inbox_imap_test", args=[inbox.pk])
    page = admin_client_.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Connected: the folder INBOX holds 1 message." in page

    inbox_update(actor=None, inbox=inbox, imap_password="kata-sandi-keliru")
    page = admin_client_.post(url, follow=True, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The IMAP server refused the user name or password." in page
    assert "kata-sandi-keliru" not in page
    assert dovecot.count("INBOX", "UNSEEN") == 1  # only counted


def test_the_inboxes_list_shows_polling_health_in_constant_queries(admin_client_, inbox):
    inbox_update(actor=None, inbox=inbox, imap_host="imap.toko.example", imap_password=SECRET)
    ImapState.objects.create(
        inbox=inbox,
        last_error="login_failed: MailboxLoginError: [AUTHENTICATIONFAILED]",
        last_error_at=timezone.now(),
        consecutive_failures=3,
    )
    url = reverse("web:admin_inboxes")
    with CaptureQueriesContext(connection) as first:
        page = admin_client_.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The IMAP server refused the user name or password." in page
    assert "failed 3 times in a row" in page and "never fetched" in page
    assert reverse("web:admin_inbox_edit", args=[inbox.pk]) in page

    for n in range(3):
        other = inbox_create(actor=None, name=f"Other {n}", address=f"other{n}@tanggap.test")
        inbox_update(actor=None, inbox=other, imap_host="imap.toko.example")
        ImapState.objects.create(inbox=other, last_success_at=timezone.now())
    with CaptureQueriesContext(connection) as more:
        page = admin_client_.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert len(more.captured_queries) == len(first.captured_queries)
    assert page.count("last fetched") == 3
