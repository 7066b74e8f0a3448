"""Admin pages for e-mail intake: inboxes and the quarantine (see, open, retry). Admins only."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tanggap.accounts.models import Role
from tanggap.core.audit import AuditEntry
from tanggap.core.errors import InvalidInput
from tanggap.inboxes import services
from tanggap.inboxes.models import Inbox, MailSource, MailStatus, RawMail
from tanggap.inboxes.services import mail_receive
from tanggap.inboxes.setup import inbox_create
from tanggap.tickets.models import Ticket
from tanggap.web.views.inboxes import RAW_LINES_SHOWN, REASON_SENTENCES

pytestmark = pytest.mark.django_db

_count = iter(range(1, 10_000))


def make_mail(
    body: str = "Halo, pesanan saya belum sampai.", *, subject: str = "Pesanan", extra: str = ""
) -> bytes:
    lines = [
        "From: Siti <siti@example.com>",
        "To: support@tanggap.test",
        f"Subject: {subject}",
        "Date: Mon, 3 Nov 2025 10:00:00 +0700",
        f"Message-ID: <w{next(_count)}@mail.example.com>",
        *([extra] if extra else []),
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "",
        body,
        "",
    ]
    return "\r\n".join(lines).encode()


@pytest.fixture
def inbox(team) -> Inbox:
    return inbox_create(actor=None, name="Support", address="support@tanggap.test", team=team)


@pytest.fixture
def quarantined(inbox) -> RawMail:
    row = mail_receive(inbox=inbox, raw=b"\x00\x01 no mail at all \xff", source=MailSource.SMTP)
    assert row.status == MailStatus.QUARANTINED
    return row


def refuse(**kwargs):
    raise InvalidInput("the message is empty", field="text")


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# ---------------------------------------------------------------- access

GET_ROUTES = ["web:admin_inboxes", "web:admin_inbox_new", "web:admin_quarantine", "web:admin_quarantine_mail"]


def _url(name: str, mail: RawMail) -> str:
    return reverse(name, args=[mail.pk]) if "quarantine_" in name else reverse(name)


@pytest.mark.parametrize("role", [Role.AGENT, Role.SUPERVISOR])
@pytest.mark.parametrize("name", [*GET_ROUTES, "web:admin_quarantine_retry"])
@pytest.mark.parametrize("method", ["get", "post"])
def test_everyone_but_admins_gets_404(login, make_agent, team, quarantined, role, name, method):
    client = login(make_agent(role=role, teams=[team]))
    data = {"name": "Sales", "address": "sales@tanggap.test", "language": "id"}
    response = getattr(client, method)(_url(name, quarantined), data)
    assert response.status_code == 404
    quarantined.refresh_from_db()
    assert quarantined.status == MailStatus.QUARANTINED and quarantined.attempts == 1
    assert not Inbox.objects.filter(name="Sales").exists()


@pytest.mark.parametrize("name", GET_ROUTES)
def test_admins_see_every_page(admin_client_, quarantined, name):
    assert admin_client_.get(_url(name, quarantined)).status_code == 200


def test_anonymous_is_sent_to_sign_in(client, quarantined):
    response = client.get(reverse("web:admin_quarantine"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_retry_is_post_only(admin_client_, quarantined):
    assert admin_client_.get(reverse("web:admin_quarantine_retry", args=[quarantined.pk])).status_code == 405


def test_missing_mail_is_404(admin_client_):
    assert admin_client_.get(reverse("web:admin_quarantine_mail", args=[999999])).status_code == 404
    assert admin_client_.post(reverse("web:admin_quarantine_retry", args=[999999])).status_code == 404


def test_navigation_links_are_shown_to_admins_only(admin_client_, agent_client):
    admin_page = admin_client_.get(reverse("web:queue")).content.decode()
    assert reverse("web:admin_inboxes") in admin_page and reverse("web:admin_quarantine") in admin_page
    agent_page = agent_client.get(reverse("web:queue")).content.decode()
    assert reverse("web:admin_quarantine") not in agent_page


# ---------------------------------------------------------------- inboxes


def test_inbox_list_shows_traffic(admin_client_, inbox, quarantined, make_team):
    mail_receive(inbox=inbox, raw=make_mail(), source=MailSource.IMAP)
    mail_receive(inbox=inbox, raw=make_mail("Lagi"), source=MailSource.IMAP)
    inbox_create(actor=None, name="Billing", address="billing@tanggap.test", language="en")
    body = admin_client_.get(reverse("web:admin_inboxes")).content.decode()
    assert "support@tanggap.test" in body and "billing@tanggap.test" in body
    assert "2 processed" in body and "1 quarantined" in body
    assert f"{reverse('web:admin_quarantine')}?inbox={inbox.pk}" in body
    assert "English" in body and "Indonesian" in body
    assert "never" in body  # Billing received nothing yet


def test_inbox_list_queries_are_constant(admin_client_, make_team):
    for i in range(2):
        inbox = inbox_create(actor=None, name=f"I{i}", address=f"i{i}@tanggap.test", team=make_team())
        mail_receive(inbox=inbox, raw=make_mail(f"m{i}"), source=MailSource.IMAP)
    small = queries(admin_client_, reverse("web:admin_inboxes"))
    for i in range(2, 12):
        inbox = inbox_create(actor=None, name=f"I{i}", address=f"i{i}@tanggap.test", team=make_team())
        mail_receive(inbox=inbox, raw=make_mail(f"m{i}"), source=MailSource.IMAP)
    assert queries(admin_client_, reverse("web:admin_inboxes")) == small


def test_admin_creates_an_inbox(admin_client_, admin, team):
    response = admin_client_.post(
        reverse("web:admin_inbox_new"),
        {"name": "Billing", "address": "Billing@Tanggap.test", "team": team.pk, "language": "en"},
    )
    assert response.status_code == 302 and response["Location"] == reverse("web:admin_inboxes")
    inbox = Inbox.objects.get(name="Billing")
    assert inbox.address == "billing@tanggap.test" and inbox.team == team and inbox.language == "en"
    body = admin_client_.get(response["Location"]).content.decode()
    assert "Inbox Billing created." in body


@pytest.mark.parametrize(
    "data,message",
    [
        ({"name": "Support", "address": "other@tanggap.test"}, "An inbox with that name already exists."),
        ({"name": "Other", "address": "SUPPORT@tanggap.test"}, "An inbox with that address already exists."),
        ({"name": "Other", "address": "not an address"}, "That is not a valid e-mail address."),
    ],
)
def test_inbox_errors_are_translated_sentences(admin_client_, inbox, data, message):
    response = admin_client_.post(reverse("web:admin_inbox_new"), {"language": "id", **data})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Inbox.objects.count() == 1


def test_inbox_errors_in_indonesian(settings, admin_client_, inbox):
    settings.LANGUAGE_CODE = "id"
    data = {"name": "Support", "address": "other@tanggap.test", "language": "id"}
    body = admin_client_.post(reverse("web:admin_inbox_new"), data).content.decode()
    assert "An inbox with that name" not in body
    assert "Kotak masuk dengan nama itu sudah ada." in body


# ---------------------------------------------------------------- quarantine list


def test_quarantine_lists_reasons_as_sentences(admin_client_, inbox, quarantined):
    processed = mail_receive(inbox=inbox, raw=make_mail(), source=MailSource.IMAP)
    odd = mail_receive(inbox=inbox, raw=make_mail("aneh"), source=MailSource.IMAP)
    RawMail.objects.filter(pk=odd.pk).update(status=MailStatus.QUARANTINED, reason="some_new_code")
    body = admin_client_.get(reverse("web:admin_quarantine")).content.decode()
    assert str(REASON_SENTENCES["not_mail"]) in body
    assert "some_new_code" in body  # an unknown code is shown as it is
    assert reverse("web:admin_quarantine_mail", args=[quarantined.pk]) in body
    assert reverse("web:admin_quarantine_mail", args=[processed.pk]) not in body
    assert "1 attempt" in body and "Support" in body


def test_quarantine_filters_by_inbox_and_reason(admin_client_, inbox, quarantined, monkeypatch):
    other = inbox_create(actor=None, name="Billing", address="billing@tanggap.test")
    monkeypatch.setattr(services, "messages_receive", refuse)
    refused = mail_receive(inbox=other, raw=make_mail(), source=MailSource.IMAP)
    url = reverse("web:admin_quarantine")
    body = admin_client_.get(f"{url}?inbox={other.pk}").content.decode()
    assert reverse("web:admin_quarantine_mail", args=[refused.pk]) in body
    assert reverse("web:admin_quarantine_mail", args=[quarantined.pk]) not in body
    body = admin_client_.get(f"{url}?reason=not_mail").content.decode()
    assert reverse("web:admin_quarantine_mail", args=[refused.pk]) not in body
    assert reverse("web:admin_quarantine_mail", args=[quarantined.pk]) in body
    assert admin_client_.get(f"{url}?inbox=x&reason=%3Cb%3E").status_code == 200


def _quarantine(inbox: Inbox, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        mail_receive(inbox=inbox, raw=b"\x00 not mail %d" % i, source=MailSource.SMTP)


def test_quarantine_queries_are_constant_in_page_size(admin_client_, inbox):
    _quarantine(inbox, 3)
    small = queries(admin_client_, reverse("web:admin_quarantine"))
    _quarantine(inbox, 40, start=3)
    assert queries(admin_client_, reverse("web:admin_quarantine")) == small


def test_quarantine_pages_without_counting(admin_client_, inbox):
    _quarantine(inbox, 26)
    url = reverse("web:admin_quarantine")
    with CaptureQueriesContext(connection) as ctx:
        body = admin_client_.get(url).content.decode()
    assert not any(
        "COUNT(" in q["sql"].upper() and "rawmail" in q["sql"].lower() for q in ctx.captured_queries
    )
    assert 'rel="next"' in body and body.count('class="ticket-row"') == 25
    body = admin_client_.get(url + "?page=2").content.decode()
    assert 'rel="next"' not in body and 'rel="prev"' in body and body.count('class="ticket-row"') == 1


# ---------------------------------------------------------------- detail and retry


def test_retry_after_a_fix_processes_the_mail(admin_client_, admin, inbox, monkeypatch):
    monkeypatch.setattr(services, "messages_receive", refuse)
    row = mail_receive(inbox=inbox, raw=make_mail(subject="Pesanan 1234"), source=MailSource.IMAP)
    assert row.status == MailStatus.QUARANTINED and row.reason == "invalid_input"
    page = admin_client_.get(reverse("web:admin_quarantine_mail", args=[row.pk])).content.decode()
    assert str(REASON_SENTENCES["invalid_input"]) in page and "the message is empty" in page
    assert reverse("web:admin_quarantine_retry", args=[row.pk]) in page

    monkeypatch.undo()  # the fix
    response = admin_client_.post(reverse("web:admin_quarantine_retry", args=[row.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:admin_quarantine_mail", args=[row.pk])
    row.refresh_from_db()
    assert row.status == MailStatus.PROCESSED and row.ticket is not None
    assert row.ticket.subject == "Pesanan 1234"
    page = admin_client_.get(response["Location"]).content.decode()
    assert "The mail was processed." in page
    assert reverse("web:ticket", args=[row.ticket_id]) in page
    assert reverse("web:admin_quarantine_retry", args=[row.pk]) not in page  # nothing left to retry
    # A second retry (another tab) is refused with a sentence, not an error page.
    response = admin_client_.post(reverse("web:admin_quarantine_retry", args=[row.pk]), follow=True)
    assert "That conflicts with the current state." in response.content.decode()
    assert Ticket.objects.count() == 1


def test_retry_without_a_fix_shows_the_new_reason(admin_client_, inbox, quarantined):
    response = admin_client_.post(reverse("web:admin_quarantine_retry", args=[quarantined.pk]), follow=True)
    body = response.content.decode()
    assert "The mail is still quarantined: " + str(REASON_SENTENCES["not_mail"]) in body
    quarantined.refresh_from_db()
    assert quarantined.status == MailStatus.QUARANTINED and quarantined.attempts == 1


def test_detail_escapes_hostile_raw_content(admin_client_, inbox):
    hostile = "<script>alert(1)</script>"
    raw = make_mail(
        f"<img src=x onerror=alert(2)> {hostile}",
        subject=f'"><svg onload=alert(3)> {hostile}',
        extra="X-Evil: </pre><iframe src=javascript:alert(4)>\x00\x1b[31m",
    )
    row, _ = services.mail_store(inbox=inbox, raw=raw + b"\xff\xfe bytes", source=MailSource.SMTP)
    RawMail.objects.filter(pk=row.pk).update(
        status=MailStatus.QUARANTINED, reason="<b>code</b>", reason_detail=hostile
    )
    body = admin_client_.get(reverse("web:admin_quarantine_mail", args=[row.pk])).content.decode()
    for text in ("<script>alert", "<svg", "<img", "<iframe", "</pre><", "<b>code"):
        assert text not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert "&lt;/pre&gt;&lt;iframe" in body
    assert "\x00" not in body and "\x1b" not in body and "\ufffd" in body
    listing = admin_client_.get(reverse("web:admin_quarantine")).content.decode()
    assert "<script>alert" not in listing and "&lt;b&gt;code&lt;/b&gt;" in listing


def test_detail_shows_only_the_head_of_a_long_mail(admin_client_, inbox):
    body = "\n".join(f"baris {i}" for i in range(1000))
    row, _ = services.mail_store(inbox=inbox, raw=make_mail(body), source=MailSource.SMTP)
    page = admin_client_.get(reverse("web:admin_quarantine_mail", args=[row.pk])).content.decode()
    assert "baris 150" in page and "baris 400" not in page
    assert f"at most {RAW_LINES_SHOWN} lines" in page


def test_detail_of_a_lost_blob_says_so(admin_client_, inbox, settings, tmp_path):
    row, _ = services.mail_store(inbox=inbox, raw=make_mail(), source=MailSource.SMTP)
    settings.TANGGAP_BLOB_DIR = tmp_path / "elsewhere"
    page = admin_client_.get(reverse("web:admin_quarantine_mail", args=[row.pk]))
    assert page.status_code == 200
    assert str(REASON_SENTENCES["blob_missing"]) in page.content.decode()


# ---------------------------------------------------------------- CSRF


@pytest.fixture
def csrf_admin(admin) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    return client


def test_retry_needs_csrf(csrf_admin, quarantined):
    url = reverse("web:admin_quarantine_retry", args=[quarantined.pk])
    assert csrf_admin.post(url).status_code == 403
    quarantined.refresh_from_db()
    assert not AuditEntry.objects.filter(action="mail.retried").exists()
    page = csrf_admin.get(reverse("web:admin_quarantine_mail", args=[quarantined.pk])).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    assert csrf_admin.post(url, {"csrfmiddlewaretoken": token}).status_code == 302
    quarantined.refresh_from_db()
    assert AuditEntry.objects.filter(action="mail.retried", object_id=str(quarantined.pk)).exists()


def test_inbox_create_needs_csrf(csrf_admin):
    data = {"name": "Sales", "address": "sales@tanggap.test", "language": "id"}
    assert csrf_admin.post(reverse("web:admin_inbox_new"), data).status_code == 403
    assert not Inbox.objects.exists()
