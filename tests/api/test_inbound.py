"""POST /api/messages: an integration delivers a customer message through message_receive."""

from __future__ import annotations

import base64

import pytest

from tanggap.customers.models import Identity
from tanggap.tickets.models import Attachment, Message, MessageKind, Status
from tanggap.tickets.services import ticket_transition
from tests.api.conftest import error_code


def _payload(**overrides):
    data = {
        "channel": "whatsapp",
        "sender": {"kind": "phone", "value": "0812-3456-7890", "name": "Dewi"},
        "text": "Halo, pesanan saya kapan dikirim?",
        "idempotency_key": "wa:ABC123",
    }
    data.update(overrides)
    return data


def test_receive_creates_ticket_and_customer(agent_api):
    response = agent_api.post("/api/messages", _payload())
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["ticket_created"] is True and body["duplicate"] is False
    message = Message.objects.select_related("ticket", "customer").get(pk=body["message_id"])
    assert message.ticket_id == body["ticket_id"]
    assert message.kind == MessageKind.CUSTOMER
    assert message.channel == "whatsapp"
    assert Identity.objects.get(customer=message.customer).value == "+6281234567890"


def test_same_idempotency_key_is_stored_once(agent_api):
    first = agent_api.post("/api/messages", _payload()).json()
    response = agent_api.post("/api/messages", _payload(text="different text, same key"))
    assert response.status_code == 200
    again = response.json()
    assert again["duplicate"] is True
    assert (again["ticket_id"], again["message_id"]) == (first["ticket_id"], first["message_id"])
    assert Message.objects.filter(kind=MessageKind.CUSTOMER).count() == 1


def test_threads_to_a_given_ticket_and_reopens(agent_api, agent, ticket):
    ticket_transition(actor=agent, ticket=ticket, status=Status.PENDING)
    response = agent_api.post(
        "/api/messages", _payload(ticket_id=ticket.pk, sender={"kind": "email", "value": "siti@example.com"})
    )
    assert response.status_code == 201
    assert response.json()["ticket_id"] == ticket.pk
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN


def test_attachments_are_stored(agent_api):
    data = base64.b64encode(b"%PDF-1.4 invoice").decode()
    response = agent_api.post(
        "/api/messages",
        _payload(
            attachments=[{"filename": "invoice.pdf", "content_type": "application/pdf", "data_base64": data}]
        ),
    )
    assert response.status_code == 201
    attachment = Attachment.objects.get(message_id=response.json()["message_id"])
    assert (attachment.filename, attachment.size) == ("invoice.pdf", 16)


@pytest.mark.parametrize(
    "sender",
    [
        {"kind": "email", "value": "not-an-address"},
        {"kind": "phone", "value": "12"},
        {"kind": "handle", "value": "no-network-part"},
        {"kind": "fax", "value": "123"},
        {"kind": "email", "value": ""},
    ],
)
def test_sender_identity_is_validated(agent_api, sender):
    response = agent_api.post("/api/messages", _payload(sender=sender))
    assert response.status_code == 422
    assert error_code(response) == "invalid_input"
    assert not Message.objects.exists()


@pytest.mark.parametrize(
    "overrides",
    [
        {"text": ""},
        {"attachments": [{"filename": "a", "data_base64": "!!not base64!!"}]},
        {"received_at": "2024-01-01T00:00:00"},  # no time zone
        {"received_at": "0001-01-01T00:00:00+14:00"},
        {"channel": "pigeon"},
    ],
)
def test_invalid_messages_are_422(agent_api, overrides):
    response = agent_api.post("/api/messages", _payload(**overrides))
    assert response.status_code == 422, response.content
    assert not Message.objects.exists()


def test_inbound_needs_authentication(anon_api):
    assert anon_api.post("/api/messages", _payload()).status_code == 401
