"""The public web form page (no sign-in, embeddable) and its admin page."""

from __future__ import annotations

import re
import time

import pytest
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tanggap.core import ratelimit
from tanggap.inboxes import webform as webform_service
from tanggap.inboxes.models import MailStatus, RawMail
from tanggap.inboxes.setup import inbox_create, inbox_form_disable, inbox_form_enable
from tanggap.inboxes.webform import MAX_FILES, MAX_MESSAGE, MAX_TOKEN_AGE, REASON_HONEYPOT, form_token_make
from tanggap.tickets.models import Channel, Ticket
from tanggap.web.views import webform as webform_view
from tanggap.web.views.webform import HONEYPOT, embed_snippet

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters():
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


@pytest.fixture
def form_inbox(team):
    inbox = inbox_create(actor=None, name="Toko Budi", address="halo@toko.example", team=team, language="id")
    return inbox_form_enable(actor=None, inbox=inbox)


@pytest.fixture
def url(form_inbox):
    return reverse("web:webform", args=[form_inbox.form_key])


def aged_token(inbox, seconds: float = 30) -> str:
    """A token issued ``seconds`` ago, as if the customer had been typing that long."""
    return form_token_make(inbox.form_key, now=time.time() - seconds)


def fields(inbox, **overrides):
    data = {
        "token": aged_token(inbox),
        "name": "Siti Rahma",
        "email": "siti@example.com",
        "subject": "Pesanan belum sampai",
        "message": "Halo, pesanan 1182 belum sampai.",
        HONEYPOT: "",
    }
    data.update(overrides)
    return data


def post(url, data, *, client=None, ip="198.51.100.10", **extra):
    return (client or Client()).post(url, data, REMOTE_ADDR=ip, **extra)


# ---------------------------------------------------------------- showing the form


def test_the_form_is_public_framable_and_sets_no_cookie(url, form_inbox):
    response = Client().get(url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    body = response.content.decode()
    assert "X-Frame-Options" not in response.headers  # embeddable in any site: this view only
    assert "no-store" in response["Cache-Control"]  # each showing carries its own token
    assert not response.cookies  # no CSRF cookie, no session: nothing for a third-party frame to lose
    assert response["Content-Language"] == "en"
    assert 'name="token"' in body and 'enctype="multipart/form-data"' in body
    assert 'aria-hidden="true"' in body and f'name="{HONEYPOT}"' in body and 'tabindex="-1"' in body
    assert "Toko Budi" in body and "Contact us" in body


def test_the_agent_pages_still_refuse_frames(admin_client_):
    assert admin_client_.get(reverse("web:admin_inboxes"))["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize(
    "accept,query,expected",
    [
        ("en-US,en;q=0.9", "", "en"),
        ("id-ID,id;q=0.9,en;q=0.5", "", "id"),
        ("de-DE,fr;q=0.8", "", "id"),  # neither: the inbox's language
        ("de-DE, en;q=0.2, id;q=0.7", "", "id"),
        ("", "", "id"),
        ("id-ID", "?lang=en", "en"),
        ("en", "?lang=xx", "en"),
    ],
)
def test_language_follows_the_browser_then_the_inbox(url, accept, query, expected):
    response = Client().get(url + query, HTTP_ACCEPT_LANGUAGE=accept)
    assert response["Content-Language"] == expected
    assert f'<html lang="{expected}">' in response.content.decode()
    assert "Accept-Language" in response["Vary"]


@pytest.mark.parametrize("key", ["unknown-key-123456", "x"])
def test_unknown_forms_are_not_found(form_inbox, key):
    assert Client().get(f"/form/{key}/").status_code == 404


def test_a_closed_form_is_not_found(url, form_inbox):
    token = aged_token(form_inbox)
    inbox_form_disable(actor=None, inbox=form_inbox)
    assert Client().get(url).status_code == 404
    assert post(url, fields(form_inbox, token=token)).status_code == 404
    assert RawMail.objects.count() == 0


# ---------------------------------------------------------------- sending


def test_a_message_becomes_a_ticket_and_the_thanks_names_it(url, form_inbox, team):
    photo = SimpleUploadedFile("foto.jpg", b"\xff\xd8\xff\xe0 jpeg", content_type="image/jpeg")
    response = post(url, {**fields(form_inbox), "attachments": [photo]}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == Channel.WEB and ticket.team == team
    body = response.content.decode()
    assert f"#{ticket.pk}" in body
    assert "siti@example.com" in body and "by e-mail" in body
    assert "X-Frame-Options" not in response.headers
    assert not response.cookies
    row = RawMail.objects.get()
    assert row.message.attachments.get().filename == "foto.jpg"


def test_sending_the_same_page_twice_makes_one_ticket(url, form_inbox):
    data = fields(form_inbox)
    first = post(url, data)
    second = post(url, data)
    assert first.status_code == second.status_code == 200
    assert Ticket.objects.count() == 1
    ticket_id = Ticket.objects.get().pk
    assert f"#{ticket_id}" in second.content.decode()


def test_an_agent_signed_in_on_the_same_site_sends_as_anyone_else(url, form_inbox, agent_client):
    """The page never reads the session, so there is nothing for a forged request to borrow."""
    response = agent_client.post(url, fields(form_inbox), REMOTE_ADDR="198.51.100.11")
    assert response.status_code == 200
    assert Ticket.objects.get().customer.identities.filter(value="siti@example.com").exists()


# ---------------------------------------------------------------- the token stands in for CSRF


def test_without_a_token_nothing_is_sent_and_the_input_stays(url, form_inbox):
    response = post(url, fields(form_inbox, token=""), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    body = response.content.decode()
    assert "could not be checked" in body
    assert 'value="Siti Rahma"' in body and "Halo, pesanan 1182 belum sampai." in body
    new_token = re.search(r'name="token" value="([^"]+)"', body).group(1)
    assert new_token
    assert RawMail.objects.count() == 0


def test_a_token_of_another_form_is_refused(url, form_inbox, team):
    other = inbox_form_enable(
        actor=None, inbox=inbox_create(actor=None, name="Lain", address="lain@toko.example")
    )
    assert post(url, fields(form_inbox, token=aged_token(other))).status_code == 403
    assert post(url, fields(form_inbox, token=aged_token(form_inbox) + "x")).status_code == 403
    assert RawMail.objects.count() == 0


def test_an_expired_page_is_sent_again_with_the_input_kept(url, form_inbox):
    old = aged_token(form_inbox, seconds=MAX_TOKEN_AGE + 60)
    response = post(url, fields(form_inbox, token=old), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.content.decode()
    assert "open for a long time" in body and 'value="Siti Rahma"' in body
    assert f'value="{old}"' not in body  # a fresh token to send with
    assert RawMail.objects.count() == 0


def test_too_fast_is_a_robot_until_shown_otherwise(url, form_inbox, monkeypatch):
    token = form_token_make(form_inbox.form_key, now=1_800_000_000)
    monkeypatch.setattr(webform_service, "_now", lambda: 1_800_000_001)
    response = post(url, fields(form_inbox, token=token), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "That was quick" in response.content.decode()
    assert RawMail.objects.count() == 0
    monkeypatch.setattr(webform_service, "_now", lambda: 1_800_000_020)  # a person reads and sends again
    assert post(url, fields(form_inbox, token=token)).status_code == 200
    assert Ticket.objects.count() == 1


def test_a_filled_trap_thanks_but_makes_no_ticket(url, form_inbox):
    response = post(url, fields(form_inbox, **{HONEYPOT: "http://spam.example"}), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "Thank you" in response.content.decode()
    assert Ticket.objects.count() == 0
    row = RawMail.objects.get()
    assert (row.status, row.reason) == (MailStatus.QUARANTINED, REASON_HONEYPOT)


# ---------------------------------------------------------------- rate limits


@pytest.fixture
def still_clock(monkeypatch):
    """The rate limits' clock stands still, 30 seconds into a minute (and an hour): no window ends
    during the test."""
    monkeypatch.setattr(ratelimit, "_clock", lambda: 1_800_000_030.0)


def test_too_many_from_one_address_is_429(url, form_inbox, settings, still_clock):
    settings.TANGGAP_FORM_LIMIT_PER_IP = (2, 60)
    for n in range(2):
        assert post(url, fields(form_inbox, message=f"Pesan {n}")).status_code == 200
    refused = post(url, fields(form_inbox, message="Pesan 3"), HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    assert "Please wait a moment" in refused.content.decode()
    assert Ticket.objects.count() == 2
    # Another client is not held back; an IPv6 client counts by its /64.
    assert post(url, fields(form_inbox, message="Pesan 4"), ip="198.51.100.99").status_code == 200
    assert post(url, fields(form_inbox, message="a"), ip="2001:db8::1").status_code == 200
    assert post(url, fields(form_inbox, message="b"), ip="2001:db8::2").status_code == 200
    assert post(url, fields(form_inbox, message="c"), ip="2001:db8::3").status_code == 429


def test_too_many_to_one_form_is_429(url, form_inbox, settings, still_clock):
    settings.TANGGAP_FORM_LIMIT_PER_FORM = (3, 3600)
    for n in range(3):
        assert (
            post(url, fields(form_inbox, message=f"Pesan {n}"), ip=f"198.51.100.{n + 1}").status_code == 200
        )
    assert post(url, fields(form_inbox, message="Pesan 4"), ip="198.51.100.50").status_code == 429
    assert Ticket.objects.count() == 3


def test_showing_the_form_is_not_counted(url, form_inbox, settings, still_clock):
    settings.TANGGAP_FORM_LIMIT_PER_IP = (1, 60)
    client = Client(REMOTE_ADDR="198.51.100.10")
    for _ in range(5):
        assert client.get(url).status_code == 200


# ---------------------------------------------------------------- bounds


@pytest.mark.parametrize(
    "overrides,error",
    [
        ({"name": ""}, "This field is required."),
        ({"name": "x" * 101}, "at most 100 characters"),
        ({"email": "siti@@example"}, "Enter a valid e-mail address"),
        ({"email": ""}, "This field is required."),
        ({"subject": "x" * 201}, "at most 200 characters"),
        ({"message": "   "}, "This field is required."),
        ({"message": "x" * (MAX_MESSAGE + 1)}, f"at most {MAX_MESSAGE:,} characters".replace(",", "")),
    ],
)
def test_field_errors_keep_the_input(url, form_inbox, overrides, error):
    response = post(url, fields(form_inbox, **overrides), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.content.decode()
    assert error in body.replace("&#x27;", "'")
    assert 'aria-invalid="true"' in body
    assert "Halo, pesanan 1182 belum sampai." in body or "message" in overrides
    assert 'value="siti@example.com"' in body or "email" in overrides
    assert RawMail.objects.count() == 0


def test_too_many_files_are_refused(url, form_inbox):
    files = [SimpleUploadedFile(f"{n}.txt", b"x", content_type="text/plain") for n in range(MAX_FILES + 1)]
    response = post(url, {**fields(form_inbox), "attachments": files}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    body = response.content.decode()
    assert f"Attach at most {MAX_FILES} files." in body
    assert 'value="Siti Rahma"' in body
    assert RawMail.objects.count() == 0


def test_files_too_large_together_are_refused_without_keeping_them(url, form_inbox, monkeypatch):
    monkeypatch.setattr(webform_view, "MAX_FILES_BYTES", 1000)
    files = [SimpleUploadedFile(f"{n}.bin", b"x" * 600) for n in range(2)]
    response = post(url, {**fields(form_inbox), "attachments": files}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "too large together" in response.content.decode()
    assert RawMail.objects.count() == 0


def test_a_body_larger_than_the_bounds_is_not_read(url, form_inbox):
    response = Client().generic(
        "POST",
        url,
        b"x" * 10,
        content_type="multipart/form-data; boundary=zzz",
        CONTENT_LENGTH=str(50 * 1024 * 1024),
        REMOTE_ADDR="198.51.100.10",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 413
    assert "too large" in response.content.decode()


def test_a_field_error_asks_for_the_files_again(url, form_inbox):
    photo = SimpleUploadedFile("foto.jpg", b"jpeg", content_type="image/jpeg")
    response = post(
        url, {**fields(form_inbox, email="nope"), "attachments": [photo]}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 400
    assert "Please choose your files again." in response.content.decode()


# ---------------------------------------------------------------- hostile input


def test_markup_in_the_fields_is_shown_as_text(url, form_inbox):
    evil = '"><script>alert(1)</script>'
    response = post(url, fields(form_inbox, name=evil, email="bad", message=evil), HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    thanks = post(url, fields(form_inbox, name=evil, message=evil), ip="198.51.100.77").content.decode()
    assert "<script>alert(1)</script>" not in thanks
    ticket = Ticket.objects.get()
    assert "<script>alert(1)</script>" in ticket.customer.name  # kept as text; every page escapes it


def test_a_header_in_the_subject_stays_in_the_subject(url, form_inbox):
    post(url, fields(form_inbox, subject="Halo\r\nBcc: victim@example.com"))
    ticket = Ticket.objects.get()
    assert ticket.subject == "Halo Bcc: victim@example.com"


# ---------------------------------------------------------------- the admin page


def test_admin_opens_the_form_and_gets_the_code(admin_client_, team):
    inbox = inbox_create(actor=None, name="Toko Budi", address="halo@toko.example", team=team)
    listing = admin_client_.get(reverse("web:admin_inboxes")).content.decode()
    page_url = reverse("web:admin_inbox_webform", args=[inbox.pk])
    assert page_url in listing and "Web form: closed" in listing

    response = admin_client_.post(page_url, {"action": "enable"})
    assert response.status_code == 302
    inbox.refresh_from_db()
    assert inbox.form_enabled and inbox.form_key
    page = admin_client_.get(page_url).content.decode()
    form_url = f"http://testserver/form/{inbox.form_key}/"
    assert form_url in page
    assert "&lt;iframe src=&quot;" in page  # shown as text, to copy
    assert "Copy code" in page
    assert "Web form: open" in admin_client_.get(reverse("web:admin_inboxes")).content.decode()

    admin_client_.post(page_url, {"action": "new_key"})
    old_key = inbox.form_key
    inbox.refresh_from_db()
    assert inbox.form_key != old_key
    admin_client_.post(page_url, {"action": "disable"})
    inbox.refresh_from_db()
    assert not inbox.form_enabled
    assert Client().get(f"/form/{inbox.form_key}/").status_code == 404


def test_the_admin_page_needs_csrf(admin, form_inbox):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    page_url = reverse("web:admin_inbox_webform", args=[form_inbox.pk])
    assert client.post(page_url, {"action": "disable"}).status_code == 403
    form_inbox.refresh_from_db()
    assert form_inbox.form_enabled


def test_agents_do_not_see_the_admin_page(agent_client, form_inbox):
    page_url = reverse("web:admin_inbox_webform", args=[form_inbox.pk])
    assert agent_client.get(page_url).status_code == 404
    assert agent_client.post(page_url, {"action": "disable"}).status_code == 404
    form_inbox.refresh_from_db()
    assert form_inbox.form_enabled


def test_the_admin_page_of_an_unknown_inbox_is_404(admin_client_):
    assert admin_client_.get(reverse("web:admin_inbox_webform", args=[999999])).status_code == 404


def test_the_snippet_escapes_for_the_embedding_page():
    snippet = embed_snippet("https://help.example/form/abc/", 'Toko "Budi" <b>')
    assert snippet.startswith('<iframe src="https://help.example/form/abc/"')
    assert 'title="Toko &quot;Budi&quot; &lt;b&gt;"' in snippet


def test_a_storage_failure_keeps_the_input_to_send_again(url, form_inbox, monkeypatch):
    def broken(**kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(webform_view, "form_submit", broken)
    response = post(url, fields(form_inbox), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 503
    body = response.content.decode()
    assert "could not be saved" in body and 'value="Siti Rahma"' in body
    monkeypatch.undo()
    token = re.search(r'name="token" value="([^"]+)"', body).group(1)
    assert post(url, fields(form_inbox, token=token)).status_code == 200
    assert Ticket.objects.count() == 1
