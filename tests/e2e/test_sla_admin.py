"""Response-target administration in a real browser: an admin sets up a business calendar for a team,
a policy, and an evening shift on the roster, and sees the gap it covers turn green."""

from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tanggap.accounts.services import agent_create
from tanggap.sla.models import BusinessCalendar, Policy, RosterShift, TeamCalendar

from .conftest import PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def sari(support):
    return agent_create(actor=None, username="sari", password=PASSWORD, display_name="Sari", role="admin")


def test_admin_sets_up_a_calendar_a_policy_and_a_roster_shift(
    new_page, sign_in, screenshot, support, budi, dewi, sari
):
    page = sign_in(new_page(height=1000), "sari")

    # The calendar: WITA office hours with a lunch break, used by the team, Budi supervising.
    page.click(".sidenav a[href='/admin/calendars/']")
    page.wait_for_url(re.compile(r"/admin/calendars/$"))
    page.click("a[href='/admin/calendars/new/']")
    page.fill("#id_name", "Kantor Makassar")
    page.select_option("#id_time_zone", "Asia/Makassar")
    for day in range(5):
        page.fill(f"#id_hours_{day}", "08:00-12:00, 13:00-17:00")
    page.fill("#id_hours_5", "08:00-25:00")  # a typo first: refused with a sentence, nothing saved
    page.fill("#id_days_off", "2026-12-24")
    page.check(f"#id_team_{support.pk}")
    page.select_option(f"#id_supervisor_{support.pk}", str(budi.pk))
    page.click(".calendar-form button[type=submit]")
    assert page.locator("#id_hours_5_error, .hours-grid .errorlist").count() >= 1
    assert not BusinessCalendar.objects.exists()
    page.fill("#id_hours_5", "08:00-12:00")
    page.locator(".holidays summary").click()
    assert page.locator(".holiday-list li").count() >= 10
    screenshot(page, "sla-calendar-form")
    page.click(".calendar-form button[type=submit]")
    page.wait_for_selector(".flash-success")
    calendar = BusinessCalendar.objects.get()
    assert calendar.time_zone == "Asia/Makassar" and calendar.hours["5"] == ["08:00-12:00"]
    link = TeamCalendar.objects.get(team=support)
    assert (link.calendar_id, link.supervisor_id) == (calendar.pk, budi.pk)
    assert page.locator(".calendar-list .list-row").count() == 1
    screenshot(page, "sla-calendars")

    # The policies: none yet, so the defaults are offered; then one of our own for urgent tickets.
    page.click(".sidenav a[href='/admin/policies/']")
    page.click(".defaults-offer button[type=submit]")
    page.wait_for_selector(".flash-success")
    assert page.locator(".policy-list .policy-row").count() == 2
    page.click("a[href='/admin/policies/new/']")
    page.fill("#id_name", "Urgent")
    page.check("input[name=priorities][value='4']")
    page.fill("#id_first_response", "30m")
    page.fill("#id_resolution", "4h")
    page.fill("#id_warn_percent", "50")
    page.fill("#id_escalate_percent", "80")
    page.select_option("#id_breach_team", str(support.pk))
    page.click(".policy-form button[type=submit]")
    page.wait_for_selector(".flash-success")
    urgent = Policy.objects.get(name="Urgent")
    assert (urgent.priorities, urgent.first_response_minutes, urgent.resolution_minutes) == ([4], 30, 240)
    page.locator(f"#policy-{urgent.pk} form[action$='/move/'] input[value=up] + button").click()
    page.wait_for_url(re.compile(r"/admin/policies/"))
    assert list(Policy.objects.values_list("name", flat=True))[1] == "Urgent"
    screenshot(page, "sla-policies")

    # The roster: tomorrow evening is a gap until Dewi takes it.
    page.click(".sidenav a[href='/admin/roster/']")
    page.wait_for_url(re.compile(r"/admin/roster/"))
    tomorrow = (timezone.now().astimezone(ZoneInfo("Asia/Makassar")) + timedelta(days=1)).date()
    day = page.locator(f".roster-day[data-day='{tomorrow.isoformat()}']")
    assert day.locator(".roster-bar .gap").count() >= 1
    gaps_before = page.locator(".roster-bar .gap").count()
    page.select_option("#id_agent", str(dewi.pk))
    page.fill("#id_starts_at", f"{tomorrow.isoformat()}T17:00")
    page.fill("#id_ends_at", f"{(tomorrow + timedelta(days=1)).isoformat()}T08:00")
    page.fill("#id_note", "Jaga malam")
    page.click(".shift-form button[type=submit]")
    page.wait_for_selector(".flash-success")
    shift = RosterShift.objects.get()
    assert (shift.agent, shift.team) == (dewi, support)
    assert shift.starts_at.astimezone(ZoneInfo("Asia/Makassar")).hour == 17
    assert day.locator(".roster-bar .covered").count() == 1
    assert "Dewi" in day.locator(".roster-pieces").inner_text()
    assert page.locator(".roster-bar .gap").count() <= gaps_before
    assert page.locator(".shift-list .list-row").count() == 1
    screenshot(page, "sla-roster")
