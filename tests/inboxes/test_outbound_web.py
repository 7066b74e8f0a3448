"""The delivery of replies on the ticket page: queued, sent to whom, failed with the reason and the
server's answer, and the retry button."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tanggap.core import outbox
from tanggap.inboxes.models import OutboundMail
from tanggap.inboxes.services import mail_receive
from tanggap.tickets.models import DeliveryStatus, Message
from tanggap.tickets.services import reply_send
from tests.inboxes.conftest import make_mail

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent_client(agent) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def page_of(client: Client, ticket) -> str:
    response = client.get(reverse("web:ticket", args=[ticket.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response.content.decode()


def test_a_failed_reply_shows_why_and_offers_a_retry(agent_client, agent, conversation, smtp_sink):
    smtp_sink.refuse["siti@example.com"] = "550 5.1.1 <siti@example.com>: no such user <script>"
    message = reply_send(actor=agent, ticket=conversation, text="Halo Kak")
    outbox.drain(OutboundMail._meta.label_lower)
    html = page_of(agent_client, conversation)
    assert 'class="delivery delivery-failed"' in html
    assert "The mail server refused the mail." in html
    assert "550 5.1.1 &lt;siti@example.com&gt;: no such user &lt;script&gt;" in html  # escaped
    retry = reverse("web:ticket_delivery_retry", args=[conversation.pk])
    assert f'action="{retry}"' in html and f'name="message" value="{message.pk}"' in html

    smtp_sink.refuse.clear()
    response = agent_client.post(retry, {"message": message.pk})
    assert response.status_code == 302 and response["Location"].endswith(f"#m{message.pk}")
    assert Message.objects.get(pk=message.pk).delivery_status == DeliveryStatus.QUEUED
    outbox.drain(OutboundMail._meta.label_lower)
    html = page_of(agent_client, conversation)
    assert 'class="delivery delivery-sent"' in html and "siti@example.com" in html
    assert "delivery-failure" not in html


def test_a_retry_names_a_reply_of_this_ticket(agent_client, agent, conversation, inbox, smtp_sink):
    other = mail_receive(inbox=inbox, raw=make_mail(subject="Lain", sender="ani@example.com"), source="imap")
    message = reply_send(actor=agent, ticket=other.ticket, text="Halo")
    Message.objects.filter(pk=message.pk).update(delivery_status=DeliveryStatus.FAILED)
    retry = reverse("web:ticket_delivery_retry", args=[conversation.pk])
    assert agent_client.post(retry, {"message": message.pk}).status_code == 404
    assert agent_client.get(retry).status_code == 405
    assert agent_client.post(retry, {"message": "x"}).status_code == 302
    assert Message.objects.get(pk=message.pk).delivery_status == DeliveryStatus.FAILED


def test_delivery_details_cost_one_query_whatever_the_number_of_replies(agent_client, agent, conversation):
    reply_send(actor=agent, ticket=conversation, text="Satu")
    page_of(agent_client, conversation)  # warm caches (session, translations)
    with CaptureQueriesContext(connection) as one:
        page_of(agent_client, conversation)
    for n in range(5):
        reply_send(actor=agent, ticket=conversation, text=f"Lagi {n}")
    with CaptureQueriesContext(connection) as six:
        page_of(agent_client, conversation)
    assert len(six) == len(one)
