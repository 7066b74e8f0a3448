"""A customer's HTML mail on the timeline: remote images held back, inline (cid:) images served to
agents who may see the ticket, and the quoted history behind "Show the whole message"."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tanggap.tickets.inbound import InboundAttachment, InboundMessage, Sender
from tanggap.tickets.models import Message
from tanggap.tickets.services import message_receive

pytestmark = pytest.mark.django_db

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002"
    "00000500010d0a2db40000000049454e44ae426082"
)
HTML = (
    '<div dir="ltr">Ini fotonya, kak:<br><img src="cid:foto%40budi" alt="foto">'
    '<img src="https://remote.example/logo.png" alt="logo"></div><br>'
    '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">Pada Sen, 3 Nov 2025 pukul 10.00 Toko '
    '&lt;cs@toko.example&gt; menulis:<br></div><blockquote class="gmail_quote">'
    "<div>Mohon kirim foto paketnya.</div></blockquote></div>"
)


def deliver(ticket, html: str = HTML, attachments=(), key: str = "html-mail-1") -> Message:
    return message_receive(
        inbound=InboundMessage(
            channel="email",
            sender=Sender("email", "siti@example.com", "Siti"),
            text="",
            html=html,
            attachments=attachments,
            idempotency_key=key,
            ticket_id=ticket.pk,
        )
    ).message


@pytest.fixture
def mail(ticket) -> Message:
    return deliver(
        ticket,
        attachments=(
            InboundAttachment("foto.png", "image/png", PNG, content_id="foto@budi"),
            InboundAttachment("nota.pdf", "application/pdf", b"%PDF-1.4 nota", content_id="nota@budi"),
            InboundAttachment(
                "x.svg", "image/svg+xml", b"<svg onload=alert(1)></svg>", content_id="svg@budi"
            ),
        ),
    )


def entry(page: str, message_id: int) -> str:
    match = re.search(rf'<li class="tl-msg[^"]*" id="m{message_id}">(.*?)</li>', page, re.S)
    assert match, "the message is on the timeline"
    return match.group(1)


def inline_url(message: Message, content_id: str) -> str:
    return reverse("web:ticket_inline_image", args=[message.ticket_id, message.pk, content_id])


def test_remote_images_are_held_back_with_a_notice(agent_client, ticket, mail):
    page = agent_client.get(reverse("web:ticket", args=[ticket.pk])).content.decode()
    body = entry(page, mail.pk)
    assert not re.search(r'\ssrc="https://remote', page)  # nothing the browser would fetch
    assert '<img data-remote-src="https://remote.example/logo.png" alt="logo">' in body
    assert "Remote images are blocked to protect your privacy" in body
    assert "data-show-images" in body
    assert "web/html-mail.js" in page


def test_a_mail_without_remote_images_has_no_notice(agent_client, ticket):
    message = deliver(ticket, html="<p>Halo <b>tim</b></p>", key="plain-html")
    body = entry(agent_client.get(reverse("web:ticket", args=[ticket.pk])).content.decode(), message.pk)
    assert "<b>tim</b>" in body
    assert "data-remote-notice" not in body
    assert "tl-quoted" not in body


def test_the_quoted_history_waits_behind_details(agent_client, ticket, mail):
    body = entry(agent_client.get(reverse("web:ticket", args=[ticket.pk])).content.decode(), mail.pk)
    visible, _, quoted = body.partition('<details class="tl-quoted">')
    assert "Ini fotonya, kak:" in visible
    assert "Mohon kirim foto paketnya." not in visible
    assert "Show the whole message" in quoted
    assert "Pada Sen, 3 Nov 2025" in quoted and "Mohon kirim foto paketnya." in quoted


def test_cid_images_point_at_the_messages_attachment(agent_client, ticket, mail):
    body = entry(agent_client.get(reverse("web:ticket", args=[ticket.pk])).content.decode(), mail.pk)
    assert f'src="{inline_url(mail, "foto@budi")}"' in body
    assert "cid:" not in body


def test_an_inline_image_is_served_as_an_image_only(agent_client, mail):
    response = agent_client.get(inline_url(mail, "foto@budi"))
    assert response.status_code == 200
    assert response.content == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"].startswith("private")
    assert agent_client.head(inline_url(mail, "foto@budi")).status_code == 200
    # The Content-ID may come with its angle brackets, as in the header.
    assert agent_client.get(inline_url(mail, "<foto@budi>")).status_code == 200


@pytest.mark.parametrize("content_id", ["nota@budi", "svg@budi"])
def test_other_types_are_a_download(agent_client, mail, content_id):
    response = agent_client.get(inline_url(mail, content_id))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_wrong_content_id_is_404(agent_client, mail):
    assert agent_client.get(inline_url(mail, "nobody@budi")).status_code == 404
    assert agent_client.get(inline_url(mail, "FOTO@BUDI")).status_code == 404
    assert agent_client.get(inline_url(mail, "x" * 300)).status_code == 404


def test_another_messages_image_is_404(agent_client, ticket, mail):
    other = deliver(ticket, html="<p>lagi</p>", key="html-mail-2")
    url = reverse("web:ticket_inline_image", args=[ticket.pk, other.pk, "foto@budi"])
    assert agent_client.get(url).status_code == 404


def test_an_agent_who_cannot_see_the_ticket_gets_404(login, make_agent, make_team, mail, foreign_ticket):
    outsider = make_agent("outsider", teams=[make_team("Gudang")])
    mail.ticket.team = foreign_ticket.team
    mail.ticket.save(update_fields=["team"])
    assert login(outsider).get(inline_url(mail, "foto@budi")).status_code == 404
    # Through a ticket the agent may see, another ticket's message is not reachable either.
    url = reverse("web:ticket_inline_image", args=[foreign_ticket.pk, mail.pk, "foto@budi"])
    assert login(outsider).get(url).status_code == 404


def test_signed_out_and_writes_are_refused(client, agent_client, mail):
    response = client.get(inline_url(mail, "foto@budi"))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert agent_client.post(inline_url(mail, "foto@budi")).status_code == 405
