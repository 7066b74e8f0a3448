"""Response clocks in a real browser: a ticket's time left runs down in the queue, turns amber when its
warning comes (the bell rings, the alert is listed) and red at the breach, which the dashboard shows
as a missed target beside its charts, linked to the ticket.

Time is moved by moving the ticket's history back (its creation and first message), then running the
sweep as the per-minute job does; the pages read the real clock."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tanggap.sla.models import BusinessCalendar, Policy
from tanggap.sla.services import clocks_sweep
from tanggap.tickets.models import Message, Ticket

pytestmark = pytest.mark.e2e


def aged(ticket: Ticket, minutes: int) -> None:
    """Make the ticket as old as ``minutes``, and let the sweep work it out again."""
    at = timezone.now() - timedelta(minutes=minutes)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=at, derived_stale=True)
    Message.objects.filter(ticket=ticket).update(created_at=at)
    clocks_sweep()


def minutes_left(page, ticket: Ticket) -> tuple[str, int]:
    due = page.locator(f".ticket-row:has(a[href='/tickets/{ticket.pk}/']) time.due")
    state = re.search(r"due-(ok|soon|over)", due.get_attribute("class") or "")
    number = re.search(r"(\d+)", due.inner_text())
    assert state and number, due.inner_text()
    return state.group(1), int(number.group(1))


def test_time_left_runs_down_warns_and_breaches(new_page, sign_in, screenshot, budi, tickets):
    BusinessCalendar.objects.create(name="24/7", always_open=True, is_default=True)
    Policy.objects.create(name="E-mail", channels=["email"], first_response_minutes=60)
    ticket = tickets[1]
    Ticket.objects.filter(pk=ticket.pk).update(assignee=budi)
    for other in tickets:
        aged(other, 1)
    aged(ticket, 30)

    page = sign_in(new_page(), "budi")
    state, left = minutes_left(page, ticket)
    assert state == "ok" and 28 <= left <= 30
    assert page.locator(".ticket-row").first.locator(f"a[href='/tickets/{ticket.pk}/']").count() == 1
    assert page.locator("#alert-count").count() == 0

    aged(ticket, 50)  # 75 % of the hour gone: the warning is due
    page.reload()
    state, left = minutes_left(page, ticket)
    assert state == "soon" and 8 <= left <= 10
    assert page.locator("#alert-count").inner_text() == "1"
    screenshot(page, "clocks-queue-warning")
    page.click("a.bell")
    page.wait_for_url(re.compile(r"/alerts/$"))
    assert page.locator(".alert-item.unread .level-warning").count() == 1
    assert page.locator(f".alert-item a[href='/tickets/{ticket.pk}/']").count() == 1

    aged(ticket, 65)  # the hour ran out five minutes ago
    page.goto("/")
    state, over = minutes_left(page, ticket)
    assert state == "over" and 4 <= over <= 6
    page.goto("/alerts/")
    assert page.locator(".alert-item .level-breach").count() == 1
    screenshot(page, "clocks-alerts")
    page.goto(f"/tickets/{ticket.pk}/")
    assert page.locator("#ticket-clocks time.due-over").count() == 1
    screenshot(page, "clocks-ticket")

    # The dashboard: the breach is a missed first response already, unanswered as it is.
    page.goto("/reports/")
    page.wait_for_selector(".chart.chart-ready canvas")
    first_response = page.locator(".report-cards .stat").nth(1)
    missed = first_response.locator("p.muted a").nth(1)
    assert missed.inner_text().strip() == "0 %"
    screenshot(page, "clocks-dashboard")
    missed.click()
    page.wait_for_url(re.compile(r"[?&]ids="))
    assert page.locator(".ticket-row").count() == 1
    assert page.locator(f".ticket-row a[href='/tickets/{ticket.pk}/']").count() == 1
