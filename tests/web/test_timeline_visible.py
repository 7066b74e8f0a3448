"""The timeline shows a customer's own reply; quoted history waits inside a native <details>."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tanggap.accounts.services import api_token_create
from tanggap.inboxes.models import MailSource, MailStatus
from tanggap.inboxes.services import mail_receive
from tanggap.inboxes.setup import inbox_create
from tanggap.tickets.services import reply_send
from tests.inboxes.conftest import make_mail

pytestmark = pytest.mark.django_db

INDONESIAN = (
    "Terima kasih, paketnya sudah sampai.\n"
    "Tapi warnanya salah, bisa ditukar?\n"
    "\n"
    "Pada Sen, 3 Nov 2025 pukul 09.12, Tim Dukungan <support@tanggap.test> menulis:\n"
    "> Halo Bu Siti, pesanan Anda sudah dikirim hari ini.\n"
)
ENGLISH = (
    "Thanks, it arrived. Can I swap the colour?\n"
    "\n"
    "On Mon, Nov 3, 2025 at 9:12 AM Support <support@tanggap.test> wrote:\n"
    "> Hello Siti, your order was shipped today.\n"
)


@pytest.fixture
def inbox(team):
    return inbox_create(actor=None, name="Support", address="support@tanggap.test", team=team)


def deliver(inbox, body: str, **kwargs):
    row = mail_receive(inbox=inbox, raw=make_mail(body, **kwargs), source=MailSource.SMTP)
    assert row.status == MailStatus.PROCESSED, row.reason
    return row.message


def body_of(page: str, message_id: int) -> str:
    """The text of one timeline entry's body."""
    match = re.search(rf'id="m{message_id}".*?<div class="tl-body">(.*?)</div>\s*</li>', page, re.S)
    assert match, page
    return match.group(1)


def visible_part(body: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", body.split("<details", 1)[0]))


@pytest.mark.parametrize(
    ("body", "reply", "quoted"),
    [
        (INDONESIAN, "Tapi warnanya salah, bisa ditukar?", "Halo Bu Siti, pesanan Anda"),
        (ENGLISH, "Can I swap the colour?", "Hello Siti, your order was shipped"),
    ],
    ids=["id", "en"],
)
def test_quoted_reply_shows_the_reply_and_keeps_the_rest_one_click_away(
    agent_client, inbox, body, reply, quoted
):
    message = deliver(inbox, body)
    page = agent_client.get(reverse("web:ticket", args=[message.ticket_id])).content.decode()
    entry = body_of(page, message.pk)
    assert reply in visible_part(entry)
    assert quoted not in visible_part(entry)
    details = re.search(r'<details class="tl-quoted">(.*?)</details>', entry, re.S)
    assert details and "<summary>Show the whole message</summary>" in details.group(1)
    assert quoted in unescape(details.group(1))
    assert " open" not in entry.split("<details", 1)[1].split(">", 1)[0]  # closed until clicked


def test_summary_is_translated(settings, agent_client, inbox):
    settings.LANGUAGE_CODE = "id"
    message = deliver(inbox, INDONESIAN)
    page = agent_client.get(reverse("web:ticket", args=[message.ticket_id])).content.decode()
    assert "<summary>Tampilkan pesan lengkap</summary>" in body_of(page, message.pk)


def test_mail_without_a_quote_has_no_details(agent_client, inbox):
    message = deliver(inbox, "Halo, pesanan saya belum sampai.\n\nSalam,\nSiti")
    page = agent_client.get(reverse("web:ticket", args=[message.ticket_id])).content.decode()
    entry = body_of(page, message.pk)
    assert "<details" not in entry
    assert "Salam,<br>Siti" in entry


def test_api_keeps_the_whole_text_and_adds_the_visible_reply(agent, inbox):
    message = deliver(inbox, ENGLISH)
    _, token = api_token_create(actor=agent, user=agent, name="tests")
    response = Client().get(
        f"/api/tickets/{message.ticket_id}/messages", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    (item,) = [m for m in response.json()["items"] if m["id"] == message.pk]
    assert item["body_text"].strip() == ENGLISH.strip()
    assert item["visible_text"] == "Thanks, it arrived. Can I swap the colour?"


def test_ticket_page_queries_do_not_grow_with_quoted_replies(agent_client, agent, inbox):
    first = deliver(inbox, "Halo, pesanan saya belum sampai.", message_id="<first@mail.example.com>")
    url = reverse("web:ticket", args=[first.ticket_id])

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert agent_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small = queries()
    for i in range(6):
        reply_send(actor=agent, ticket=first.ticket, text=f"Balasan {i}")
        deliver(inbox, INDONESIAN.replace("ditukar", f"ditukar {i}"), in_reply_to="<first@mail.example.com>")
    assert first.ticket.messages.filter(visible_length__isnull=False).count() == 6
    assert queries() == small
