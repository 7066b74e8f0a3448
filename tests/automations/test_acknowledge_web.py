"""The acknowledgement's settings on the inbox form, its preview, the ticket page's event and the
``tanggap ack preview`` command."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from django.test import Client
from django.urls import reverse

from tanggap import cli
from tanggap.automations.acknowledge import acknowledgement_send
from tanggap.core.audit import AuditEntry
from tanggap.inboxes.models import Inbox, MailSource
from tanggap.inboxes.services import mail_receive
from tests.inboxes.conftest import make_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(admin) -> Client:
    client = Client()
    client.force_login(admin)
    return client


@pytest.fixture
def agent_client(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def _form(inbox: Inbox, **changes) -> dict:
    data = {
        "name": inbox.name,
        "address": inbox.address,
        "team": inbox.team_id or "",
        "language": inbox.language,
        "signature": inbox.signature,
        "is_active": "on",
        "ack_enabled": "on",
        "ack_how_id": "",
        "ack_how_en": "",
        "imap_security": "ssl",
        "imap_folder": "INBOX",
        "smtp_security": "starttls",
    }
    return {k: v for k, v in (data | changes).items() if v is not None}


def _edit(inbox: Inbox) -> str:
    return reverse("web:admin_inbox_edit", args=[inbox.pk])


def test_the_inbox_form_shows_the_settings_and_a_preview_in_both_languages(admin_client_, inbox):
    assert inbox.ack_enabled  # on for a new inbox
    page = admin_client_.get(_edit(inbox)).content.decode()
    assert 'name="ack_enabled"' in page and "checked" in page.split('name="ack_enabled"')[1][:80]
    assert 'id="ack-preview"' in page
    assert "We have received your message. Its ticket number is #1234" in page
    assert page.count('class="ack-preview-mail"') == 2
    assert 'lang="id"' in page and 'lang="en"' in page
    assert reverse("web:admin_inbox_ack_preview", args=[inbox.pk]) in page


def test_the_inbox_form_saves_the_settings(admin_client_, inbox):
    how_en = "Our team reads every message.   Reply to this e-mail to add something."
    response = admin_client_.post(
        _edit(inbox),
        _form(inbox, ack_enabled=None, ack_how_en=how_en, ack_how_id="Tim kami membaca semua pesan."),
    )
    assert response.status_code == 302
    inbox.refresh_from_db()
    assert inbox.ack_enabled is False
    assert inbox.ack_how_en == "Our team reads every message. Reply to this e-mail to add something."
    assert inbox.ack_how_id == "Tim kami membaca semua pesan."
    entry = AuditEntry.objects.get(action="inbox.acknowledgement_changed")
    assert entry.data == {"enabled": False, "custom_id": True, "custom_en": True}
    page = admin_client_.get(_edit(inbox)).content.decode()
    assert "Our team reads every message." in page  # in the field and in the English preview
    # Saving the same again writes nothing more.
    admin_client_.post(
        _edit(inbox), _form(inbox, ack_enabled=None, ack_how_en=how_en, ack_how_id=inbox.ack_how_id)
    )
    assert AuditEntry.objects.filter(action="inbox.acknowledgement_changed").count() == 1


def test_a_text_too_long_is_refused(admin_client_, inbox):
    response = admin_client_.post(_edit(inbox), _form(inbox, ack_how_en="x" * 601))
    assert response.status_code == 200
    assert "ack_how_en" in response.context["form"].errors
    inbox.refresh_from_db()
    assert inbox.ack_how_en == ""


def test_the_live_preview_shows_the_text_as_typed_without_saving(admin_client_, agent_client, inbox):
    url = reverse("web:admin_inbox_ack_preview", args=[inbox.pk])
    response = admin_client_.post(url, {"ack_how_en": "We answer <b>every</b> message.", "ack_how_id": ""})
    assert response.status_code == 200
    body = response.content.decode()
    assert "We answer &lt;b&gt;every&lt;/b&gt; message." in body  # escaped
    assert 'id="ack-preview"' in body
    inbox.refresh_from_db()
    assert inbox.ack_how_en == ""
    assert agent_client.post(url, {"ack_how_en": "x"}).status_code == 404
    assert admin_client_.get(url).status_code == 405


def test_a_new_inbox_can_start_with_the_acknowledgement_off(admin_client_, team):
    response = admin_client_.post(
        reverse("web:admin_inbox_new"),
        {
            "name": "Billing",
            "address": "billing@tanggap.test",
            "team": team.pk,
            "language": "en",
            "signature": "",
        },
    )
    assert response.status_code == 302
    assert Inbox.objects.get(address="billing@tanggap.test").ack_enabled is False
    admin_client_.post(
        reverse("web:admin_inbox_new"),
        {
            "name": "Sales",
            "address": "sales@tanggap.test",
            "language": "en",
            "signature": "",
            "ack_enabled": "on",
        },
    )
    assert Inbox.objects.get(address="sales@tanggap.test").ack_enabled is True


def test_the_ticket_page_says_what_was_promised(admin_client_, inbox, always_open):
    row = mail_receive(
        inbox=inbox, raw=make_mail("Hello, where is my order? It has not arrived."), source=MailSource.SMTP
    )
    assert acknowledgement_send(ticket_id=row.ticket_id).sent
    page = admin_client_.get(reverse("web:ticket", args=[row.ticket_id])).content.decode()
    assert "Acknowledgement sent to siti@example.com" in page
    assert "as soon as possible during working hours" in page


def test_the_ticket_page_says_why_none_was_sent(admin_client_, inbox, always_open):
    raw = make_mail("I am out of the office.", headers={"Auto-Submitted": "auto-replied"})
    row = mail_receive(inbox=inbox, raw=raw, source=MailSource.SMTP)
    acknowledgement_send(ticket_id=row.ticket_id)
    page = admin_client_.get(reverse("web:ticket", args=[row.ticket_id])).content.decode()
    assert "No acknowledgement sent: the message was an automatic reply" in page


def test_the_command_prints_the_acknowledgement(inbox, always_open):
    result = CliRunner().invoke(
        cli.main, ["ack", "preview", "--inbox", "Support@Tanggap.test", "--lang", "en"]
    )
    assert result.exit_code == 0, result.output
    assert "We have received your message. Its ticket number is #1234" in result.output
    assert "We answer as soon as possible during our working hours." in result.output
    assert "estimate: unknown" in result.output
    missing = CliRunner().invoke(cli.main, ["ack", "preview", "--inbox", "nobody@tanggap.test"])
    assert missing.exit_code != 0 and "no inbox" in missing.output
