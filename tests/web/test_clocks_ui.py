"""The clocks in the workspace: the queue in due order with time left in colour, the ticket's targets,
and the bell with its alerts (each agent sees only their own)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tanggap.accounts.models import Role
from tanggap.sla.models import AlertDelivery, BusinessCalendar, Policy
from tanggap.sla.services import clocks_sweep
from tanggap.tickets.models import Ticket
from tanggap.tickets.services import message_receive
from tests.tickets.conftest import inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy():
    BusinessCalendar.objects.create(name="24/7", always_open=True, is_default=True)
    return Policy.objects.create(name="E-mail", channels=["email"], first_response_minutes=60)


def ticket_made(team, assignee, minutes_ago: int, subject: str) -> Ticket:
    at = timezone.now() - timedelta(minutes=minutes_ago)
    result = message_receive(inbound=inbound("Halo", subject=subject, sender=f"{subject}@example.com"))
    Ticket.objects.filter(pk=result.ticket.pk).update(team=team, assignee=assignee, created_at=at)
    result.ticket.messages.update(created_at=at)
    return result.ticket


def test_the_queue_lists_the_ticket_due_soonest_first_with_time_left_in_colour(
    agent_client, agent, team, policy
):
    calm = ticket_made(team, agent, 5, "calm")  # 55 minutes left
    late = ticket_made(team, agent, 70, "late")  # overdue by 10
    close = ticket_made(team, agent, 50, "close")  # 10 left, past the 75 % warning
    clocks_sweep()
    page = agent_client.get("/").content.decode()
    order = [page.index(f"#{t.pk}</span> {t.subject}") for t in (late, close, calm)]
    assert order == sorted(order)
    assert 'class="due due-over"' in page and 'class="due due-soon"' in page and 'class="due due-ok"' in page
    assert "overdue by 10 min" in page or "overdue by 9 min" in page
    # Another order still works, and the old default is one click away.
    Ticket.objects.filter(pk=calm.pk).update(updated_at=timezone.now() + timedelta(minutes=1))
    recent = agent_client.get("/?sort=recent").content.decode()
    assert recent.index(f"#{calm.pk}</span>") < recent.index(f"#{late.pk}</span>")


def test_the_ticket_page_shows_its_targets_and_policy(agent_client, agent, team, policy):
    ticket = ticket_made(team, agent, 20, "pesanan")
    clocks_sweep()
    page = agent_client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert 'id="ticket-clocks"' in page and "First response" in page and "Policy: E-mail" in page
    assert "40 min left" in page or "39 min left" in page


def test_the_bell_counts_unread_alerts_and_the_list_marks_them_read(login, agent, make_agent, team, policy):
    other = make_agent("other", role=Role.AGENT, teams=[team])
    mine = ticket_made(team, agent, 50, "mine")
    ticket_made(team, other, 50, "theirs")
    clocks_sweep()
    client = login(agent)
    page = client.get("/").content.decode()
    assert 'id="alert-count">1<' in page
    alerts = client.get("/alerts/").content.decode()
    assert f"#{mine.pk}</span> mine" in alerts and "theirs" not in alerts
    theirs = AlertDelivery.objects.get(user=other)
    client.post("/alerts/read/", {"alert": theirs.pk})  # not mine: untouched
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.post("/alerts/read/")
    assert 'id="alert-count"' not in client.get("/").content.decode()
    assert AlertDelivery.objects.get(user=agent).read_at is not None


def test_the_alert_list_needs_sign_in_and_marking_read_needs_post(client, agent_client):
    assert client.get("/alerts/").status_code == 302
    assert agent_client.get("/alerts/read/").status_code == 405
