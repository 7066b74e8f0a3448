"""Another team's ticket does not exist for an agent: 404 on every ticket route, GET and POST.
And every form is protected by CSRF."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tanggap.tickets.models import Message, Ticket
from tanggap.web import urls as web_urls

pytestmark = pytest.mark.django_db

TICKET_ROUTES = [
    "web:ticket",
    "web:ticket_reply",
    "web:ticket_note",
    "web:ticket_status",
    "web:ticket_priority",
    "web:ticket_assignee",
    "web:ticket_team",
    "web:ticket_tags",
    "web:ticket_merge",
    "web:ticket_presence",
    "web:ticket_leave",
    "web:ticket_delivery_retry",
    "web:ticket_recovery_offer",
    "web:ticket_coach",
]

PAYLOAD = {
    "text": "x",
    "status": "open",
    "priority": "3",
    "assignee": "me",
    "team": "",
    "tags": "a",
    "target": "1",
    "replying": "1",
}


def test_the_list_covers_every_ticket_route():
    names = {f"web:{p.name}" for p in web_urls.urlpatterns if "<int:ticket_id>" in str(p.pattern)}
    # Routes with a second id are checked where they are tested (macros: tests/macros/test_views.py).
    two_ids = {"web:ticket_attachment", "web:ticket_inline_image", "web:ticket_macro_apply"}
    assert names == {*TICKET_ROUTES, *two_ids}


@pytest.mark.parametrize("name", TICKET_ROUTES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_foreign_ticket_is_404(agent_client, foreign_ticket, name, method):
    before = Message.objects.filter(ticket=foreign_ticket).count()
    response = getattr(agent_client, method)(reverse(name, args=[foreign_ticket.pk]), PAYLOAD)
    assert response.status_code == 404
    foreign_ticket.refresh_from_db()
    assert foreign_ticket.status == "new"
    assert foreign_ticket.assignee_id is None
    assert Message.objects.filter(ticket=foreign_ticket).count() == before


@pytest.mark.parametrize("name", TICKET_ROUTES)
def test_missing_ticket_is_404_too(agent_client, name):
    response = agent_client.post(reverse(name, args=[999999]), PAYLOAD)
    assert response.status_code == 404


def test_wrong_method_on_a_visible_ticket_is_405(agent_client, ticket):
    assert agent_client.get(reverse("web:ticket_reply", args=[ticket.pk])).status_code == 405
    assert agent_client.post(reverse("web:ticket", args=[ticket.pk])).status_code == 405


def test_foreign_attachment_is_404(agent_client, foreign_ticket):
    assert agent_client.get(reverse("web:ticket_attachment", args=[foreign_ticket.pk, 1])).status_code == 404


def test_attachment_of_another_ticket_is_404(agent_client, ticket, foreign_ticket):
    from tanggap.tickets.inbound import InboundAttachment, InboundMessage, Sender
    from tanggap.tickets.models import Attachment
    from tanggap.tickets.services import message_receive

    message_receive(
        inbound=InboundMessage(
            channel="email",
            sender=Sender("email", "rudi@example.com"),
            text="lampiran",
            idempotency_key="a1",
            ticket_id=foreign_ticket.pk,
            attachments=(InboundAttachment("a.txt", "text/plain", b"rahasia"),),
        )
    )
    attachment = Attachment.objects.get()
    assert (
        agent_client.get(reverse("web:ticket_attachment", args=[ticket.pk, attachment.pk])).status_code == 404
    )


def test_merge_source_must_be_visible(agent_client, ticket, foreign_ticket):
    response = agent_client.post(reverse("web:ticket_merge", args=[foreign_ticket.pk]), {"target": ticket.pk})
    assert response.status_code == 404
    foreign_ticket.refresh_from_db()
    assert foreign_ticket.merged_into_id is None


def test_admin_sees_every_team(admin_client_, foreign_ticket):
    assert admin_client_.get(reverse("web:ticket", args=[foreign_ticket.pk])).status_code == 200


def test_assigned_agent_sees_a_ticket_of_another_team(login, agent, foreign_ticket, admin):
    from tanggap.tickets.services import ticket_assign

    foreign_ticket.assignee = agent
    foreign_ticket.save(update_fields=["assignee"])
    assert login(agent).get(reverse("web:ticket", args=[foreign_ticket.pk])).status_code == 200
    ticket_assign(actor=admin, ticket=foreign_ticket, assignee=None)
    assert login(agent).get(reverse("web:ticket", args=[foreign_ticket.pk])).status_code == 404


def test_queue_never_lists_foreign_tickets(agent_client, ticket, foreign_ticket):
    for query in ["", "?view=unassigned", "?status=any", f"?team={foreign_ticket.team_id}"]:
        body = agent_client.get(reverse("web:queue") + query).content.decode()
        assert foreign_ticket.subject not in body


def test_customer_page_of_foreign_customer_lists_no_foreign_tickets(agent_client, foreign_ticket):
    body = agent_client.get(reverse("web:customer", args=[foreign_ticket.customer_id])).content.decode()
    assert foreign_ticket.subject not in body


def test_missing_customer_is_404(agent_client):
    assert agent_client.get(reverse("web:customer", args=[999999])).status_code == 404
    assert agent_client.post(reverse("web:customer_merge", args=[999999]), {"target": 1}).status_code == 404


# ---------------------------------------------------------------- CSRF


@pytest.fixture
def csrf_client(agent) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(agent)
    return client


@pytest.mark.parametrize(
    "name,args,data",
    [
        ("web:ticket_reply", True, {"text": "x", "status": "pending"}),
        ("web:ticket_note", True, {"text": "x"}),
        ("web:ticket_status", True, {"status": "open"}),
        ("web:ticket_presence", True, {}),
        ("web:bulk", False, {"tickets": "1", "action": "close"}),
        (
            "web:ticket_new",
            False,
            {"contact": "a@example.com", "subject": "s", "text": "t", "channel": "phone", "priority": "2"},
        ),
        ("web:token_create", False, {"name": "t"}),
        ("web:settings_profile", False, {"display_name": "x"}),
        ("web:logout", False, {}),
    ],
)
def test_csrf_is_enforced(csrf_client, ticket, name, args, data):
    target = reverse(name, args=[ticket.pk] if args else [])
    assert csrf_client.post(target, data).status_code == 403
    assert not Message.objects.filter(ticket=ticket).exclude(kind="customer").exists()
    assert Ticket.objects.count() == 1


def test_login_needs_csrf():
    client = Client(enforce_csrf_checks=True)
    assert client.post(reverse("web:login"), {"username": "a", "password": "b"}).status_code == 403


def test_form_with_token_passes_csrf(csrf_client, ticket):
    page = csrf_client.get(reverse("web:ticket", args=[ticket.pk])).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = csrf_client.post(
        reverse("web:ticket_note", args=[ticket.pk]), {"text": "ok", "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302


def test_htmx_header_token_passes_csrf(csrf_client, ticket):
    page = csrf_client.get(reverse("web:ticket", args=[ticket.pk])).content.decode()
    token = page.split('"X-CSRFToken": "')[1].split('"')[0]
    response = csrf_client.post(
        reverse("web:ticket_presence", args=[ticket.pk]), {"replying": "1"}, HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 200
