"""List pages cost the same number of queries whatever the number of rows: no N+1."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tanggap.tickets.services import note_add, reply_send, ticket_assign, ticket_update

pytestmark = pytest.mark.django_db


def queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def add_tickets(receive, team, agent, n: int, start: int = 0, sender: str | None = None):
    for i in range(start, start + n):
        ticket = receive(f"Pesan nomor {i}", sender=sender or f"c{i}@example.com", subject=f"Soal {i}").ticket
        ticket.team = team
        ticket.save(update_fields=["team"])
        ticket_update(actor=agent, ticket=ticket, tags=[f"t{i % 3}", "umum"])
        if i % 2:
            ticket_assign(actor=agent, ticket=ticket, assignee=agent)


@pytest.mark.parametrize(
    "query", ["", "?view=mine", "?view=unassigned&sort=priority", "?status=any&sort=oldest"]
)
def test_queue_queries_are_constant_in_page_size(agent_client, agent, team, receive, query):
    url = reverse("web:queue") + query
    add_tickets(receive, team, agent, 5)
    small = queries(agent_client, url)
    add_tickets(receive, team, agent, 45, start=5)
    large = queries(agent_client, url)
    assert large == small
    assert large <= 20


def test_queue_page_has_next_without_counting(agent_client, agent, team, receive):
    add_tickets(receive, team, agent, 26)
    body = agent_client.get(reverse("web:queue")).content.decode()
    assert 'rel="next"' in body
    body = agent_client.get(reverse("web:queue") + "?page=2").content.decode()
    assert 'rel="next"' not in body and 'rel="prev"' in body
    assert body.count('class="ticket-row') == 1


def test_customer_page_queries_are_constant(agent_client, agent, team, receive):
    add_tickets(receive, team, agent, 2, sender="siti@example.com")
    customer_id = agent.assigned_tickets.first().customer_id
    url = reverse("web:customer", args=[customer_id])
    small = queries(agent_client, url)
    add_tickets(receive, team, agent, 30, start=2, sender="siti@example.com")
    assert queries(agent_client, url) == small


def test_customer_list_queries_are_constant(agent_client, agent, team, receive):
    add_tickets(receive, team, agent, 3)
    small = queries(agent_client, reverse("web:customers"))
    add_tickets(receive, team, agent, 30, start=3)
    assert queries(agent_client, reverse("web:customers")) == small


def test_ticket_page_queries_are_constant_in_timeline_length(agent_client, agent, ticket, receive):
    url = reverse("web:ticket", args=[ticket.pk])
    reply_send(actor=agent, ticket=ticket, text="Balasan")
    small = queries(agent_client, url)
    for i in range(15):
        receive(f"Lagi {i}", ticket_id=ticket.pk)
        note_add(actor=agent, ticket=ticket, text=f"Catatan {i}")
        reply_send(actor=agent, ticket=ticket, text=f"Balasan {i}")
        ticket_update(actor=agent, ticket=ticket, priority=1 + i % 4)
        receive(f"Tiket lain {i}", subject=f"Lain {i}")  # the customer's other tickets grow too
    assert queries(agent_client, url) == small


def test_search_queries_are_constant(agent_client, agent, team, receive):
    add_tickets(receive, team, agent, 3)
    url = reverse("web:search") + "?q=pesan"
    small = queries(agent_client, url)
    add_tickets(receive, team, agent, 30, start=3)
    assert queries(agent_client, url) == small


def test_admin_lists_queries_are_constant(admin_client_, make_agent, make_team, team):
    small = (
        queries(admin_client_, reverse("web:admin_agents")),
        queries(admin_client_, reverse("web:admin_teams")),
    )
    teams = [make_team(f"Tim {i}") for i in range(5)]
    for i in range(10):
        make_agent(f"a{i}", teams=teams[: i % 5])
    large = (
        queries(admin_client_, reverse("web:admin_agents")),
        queries(admin_client_, reverse("web:admin_teams")),
    )
    assert large == small
