"""Admin pages for response targets: calendars, policies and the roster. Leads see them, admins
change them, everyone else gets a 404; forms refuse bad input with sentences, and lists read a fixed
number of queries."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tanggap.accounts.models import Role
from tanggap.sla import admin_services as services
from tanggap.sla.models import BusinessCalendar, Policy, RosterShift, TeamCalendar

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(admin, team):
    return services.calendar_create(
        actor=admin, name="Kantor", hours={d: ["08:00-17:00"] for d in range(5)}, teams=[(team, None)]
    )


@pytest.fixture
def policy(admin):
    return services.policy_create(actor=admin, name="E-mail", channels=["email"], first_response_minutes=60)


@pytest.fixture
def shift(admin, team, agent):
    return services.roster_shift_add(
        actor=admin,
        team=team,
        agent=agent,
        starts_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
        ends_at=datetime(2026, 11, 21, 1, tzinfo=UTC),
    )


def calendar_data(**overrides) -> dict:
    data = {
        "name": "Kantor Makassar",
        "time_zone": "Asia/Makassar",
        "hours_0": "08:00-12:00, 13:00-17:00",
        "hours_1": "08:00-17:00",
        "hours_5": "",
        "public_holidays": "on",
        "days_off": "2026-12-24\n2026-12-31",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def policy_data(**overrides) -> dict:
    data = {
        "name": "Chat",
        "is_active": "on",
        "channels": ["chat"],
        "first_response": "3",
        "next_response": "1h 30m",
        "resolution": "",
        "warn_percent": "75",
        "escalate_percent": "90",
        "pause_on_hold": "on",
        "breach_priority": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


# ---------------------------------------------------------------- access

VIEW_PAGES = ["web:admin_calendars", "web:admin_policies", "web:admin_roster"]


def _urls(office, policy, shift, team) -> dict[str, tuple[str, str]]:
    return {
        "calendars": ("get", reverse("web:admin_calendars")),
        "calendar_new": ("get", reverse("web:admin_calendar_new")),
        "calendar": ("get", reverse("web:admin_calendar", args=[office.pk])),
        "calendar_delete": ("post", reverse("web:admin_calendar_delete", args=[office.pk])),
        "policies": ("get", reverse("web:admin_policies")),
        "policy_new": ("get", reverse("web:admin_policy_new")),
        "policy": ("get", reverse("web:admin_policy", args=[policy.pk])),
        "policy_move": ("post", reverse("web:admin_policy_move", args=[policy.pk])),
        "policy_active": ("post", reverse("web:admin_policy_active", args=[policy.pk])),
        "policy_defaults": ("post", reverse("web:admin_policy_defaults")),
        "roster": ("get", reverse("web:admin_roster")),
        "shift_add": ("post", reverse("web:admin_roster_shift_add", args=[team.pk])),
        "shift_remove": ("post", reverse("web:admin_roster_shift_remove", args=[shift.pk])),
    }


def test_agents_get_404_everywhere(login, agent, office, policy, shift, team):
    client = login(agent)
    for name, (method, url) in _urls(office, policy, shift, team).items():
        assert getattr(client, method)(url).status_code == 404, name
    assert RosterShift.objects.count() == 1 and Policy.objects.get().is_active


def test_supervisors_see_but_do_not_change(login, make_agent, office, policy, shift, team):
    """Calendars and policies: a supervisor reads them. Rosters: not of a team they are not in."""
    client = login(make_agent("lead", role=Role.SUPERVISOR))
    readable = {"calendars", "calendar", "policies", "policy", "roster"}
    for name, (method, url) in _urls(office, policy, shift, team).items():
        expected = 200 if name in readable else 403 if name.startswith("shift_") else 404
        assert getattr(client, method)(url).status_code == expected, name
    page = client.get(reverse("web:admin_policy", args=[policy.pk])).content.decode()
    assert 'type="submit"' not in page.split("<main", 1)[1]  # read-only: no save button
    assert "disabled" in page
    assert client.post(reverse("web:admin_policy", args=[policy.pk]), policy_data()).status_code == 403
    assert client.post(reverse("web:admin_calendar", args=[office.pk]), calendar_data()).status_code == 403
    assert Policy.objects.get().name == "E-mail" and BusinessCalendar.objects.get().name == "Kantor"
    assert RosterShift.objects.count() == 1
    assert "shift-form" not in client.get(reverse("web:admin_roster") + f"?team={team.pk}").content.decode()


def test_a_supervisor_plans_their_own_teams_roster_in_the_browser_form(login, make_agent, team, agent):
    client = login(make_agent("lead", role=Role.SUPERVISOR, teams=[team]))
    page = client.get(reverse("web:admin_roster") + f"?team={team.pk}").content.decode()
    assert "shift-form" in page
    data = {
        "agent": str(agent.pk),
        "starts_at": "2026-11-24T17:00",
        "ends_at": "2026-11-24T22:00",
        "note": "",
    }
    response = client.post(reverse("web:admin_roster_shift_add", args=[team.pk]), data)
    assert response.status_code == 302
    assert RosterShift.objects.get().agent == agent


def test_nav_links_for_leads_only(login, admin, agent, make_agent):
    link = reverse("web:admin_roster")
    assert link in login(admin).get(reverse("web:queue")).content.decode()
    assert link in login(make_agent("lead", role=Role.SUPERVISOR)).get(reverse("web:queue")).content.decode()
    assert link not in login(agent).get(reverse("web:queue")).content.decode()


def test_forms_need_the_csrf_token(admin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin)
    assert client.post(reverse("web:admin_calendar_new"), calendar_data()).status_code == 403
    assert client.post(reverse("web:admin_policy_defaults")).status_code == 403
    assert not BusinessCalendar.objects.exists() and not Policy.objects.exists()
    page = client.get(reverse("web:admin_calendar_new")).content.decode()
    assert "csrfmiddlewaretoken" in page


# ---------------------------------------------------------------- calendars


def test_create_a_calendar_with_teams(admin_client_, team, agent, make_agent):
    boss = make_agent("boss", role=Role.SUPERVISOR)
    page = admin_client_.get(reverse("web:admin_calendar_new")).content.decode()
    assert (
        page.index("Asia/Jakarta")
        < page.index("Asia/Makassar")
        < page.index("Asia/Jayapura")
        < page.index("Europe/Berlin")
    )
    assert "Hari" in page or "Day" in page  # the coming year's public holidays are listed
    response = admin_client_.post(
        reverse("web:admin_calendar_new"),
        calendar_data(**{f"team_{team.pk}": "on", f"supervisor_{team.pk}": str(boss.pk)}),
    )
    assert response.status_code == 302
    row = BusinessCalendar.objects.get()
    assert (row.name, row.time_zone, row.public_holidays, row.always_open) == (
        "Kantor Makassar",
        "Asia/Makassar",
        True,
        False,
    )
    assert row.hours == {"0": ["08:00-12:00", "13:00-17:00"], "1": ["08:00-17:00"]}
    assert row.days_off == ["2026-12-24", "2026-12-31"]
    link = TeamCalendar.objects.get()
    assert (link.team, link.calendar, link.supervisor) == (team, row, boss)
    listing = admin_client_.get(reverse("web:admin_calendars")).content.decode()
    assert "Kantor Makassar" in listing and "Support (boss)" in listing


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"hours_0": "8 to 5"}, "Write hours like 08:00-17:00"),
        ({"hours_0": "17:00-08:00"}, "ends before it starts"),
        ({"hours_0": "08:00-12:00, 11:00-13:00"}, "overlap"),
        ({"hours_0": "08:00-25:00"}, "Write hours like 08:00-17:00"),
        ({"hours_0": "", "hours_1": ""}, "Give business hours on at least one day"),
        ({"days_off": "24/12/2026"}, "is not a date"),
        ({"time_zone": "Asia/Atlantis"}, "Select a valid choice"),
        ({"name": ""}, "This field is required"),
    ],
)
def test_calendar_errors(admin_client_, overrides, message):
    response = admin_client_.post(reverse("web:admin_calendar_new"), calendar_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BusinessCalendar.objects.exists()


def test_always_open_needs_no_hours(admin_client_):
    response = admin_client_.post(
        reverse("web:admin_calendar_new"), calendar_data(hours_0="", hours_1="", always_open="on")
    )
    assert response.status_code == 302
    assert BusinessCalendar.objects.get().always_open


def test_a_taken_name_is_a_sentence(admin_client_, office):
    response = admin_client_.post(reverse("web:admin_calendar_new"), calendar_data(name="kantor"))
    assert "That name is already taken." in response.content.decode()


def test_edit_a_calendar_and_drop_its_team(admin_client_, office, team):
    page = admin_client_.get(reverse("web:admin_calendar", args=[office.pk])).content.decode()
    assert 'value="08:00-17:00"' in page
    response = admin_client_.post(
        reverse("web:admin_calendar", args=[office.pk]), calendar_data(name="Kantor", is_default="on")
    )
    assert response.status_code == 302
    office.refresh_from_db()
    assert office.is_default and office.time_zone == "Asia/Makassar"
    assert not TeamCalendar.objects.exists()


def test_delete_a_calendar(admin_client_, office, team):
    response = admin_client_.post(reverse("web:admin_calendar_delete", args=[office.pk]), follow=True)
    assert "Teams use this calendar" in response.content.decode()
    TeamCalendar.objects.all().delete()
    admin_client_.post(reverse("web:admin_calendar_delete", args=[office.pk]))
    assert not BusinessCalendar.objects.exists()


def test_calendar_list_queries_do_not_grow(admin, admin_client_, make_team):
    services.calendar_create(actor=admin, name="A", hours={0: ["08:00-17:00"]}, teams=[(make_team(), admin)])
    before = queries(admin_client_, reverse("web:admin_calendars"))
    for n in range(4):
        services.calendar_create(
            actor=admin,
            name=f"B{n}",
            hours={0: ["08:00-17:00"]},
            teams=[(make_team(), admin), (make_team(), None)],
        )
    assert queries(admin_client_, reverse("web:admin_calendars")) == before


# ---------------------------------------------------------------- policies


def test_defaults_offered_only_when_there_are_no_policies(admin_client_):
    url = reverse("web:admin_policies")
    assert reverse("web:admin_policy_defaults") in admin_client_.get(url).content.decode()
    admin_client_.post(reverse("web:admin_policy_defaults"))
    assert sorted(Policy.objects.values_list("first_response_minutes", flat=True)) == [3, 60]
    page = admin_client_.get(url).content.decode()
    assert reverse("web:admin_policy_defaults") not in page
    assert "E-mail and web form" in page


def test_create_a_policy(admin_client_, team, agent):
    response = admin_client_.post(
        reverse("web:admin_policy_new"),
        policy_data(
            priorities=["3", "4"],
            tags="VIP, retur",
            tiers="gold",
            breach_priority="4",
            breach_team=str(team.pk),
            breach_assignee=str(agent.pk),
            pause_on_hold=None,
        ),
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    row = Policy.objects.get()
    assert (row.channels, row.priorities, row.tags, row.tiers) == (
        ["chat"],
        [3, 4],
        ["retur", "vip"],
        ["gold"],
    )
    assert (row.first_response_minutes, row.next_response_minutes, row.resolution_minutes) == (3, 90, None)
    assert (row.pause_on_hold, row.breach_priority, row.breach_team, row.breach_assignee) == (
        False,
        4,
        team,
        agent,
    )
    listing = admin_client_.get(reverse("web:admin_policies")).content.decode()
    assert "1h 30m" in listing and "assign to agent" in listing


def test_a_policy_on_what_assist_read_takes_the_anger_as_a_percentage(admin_client_):
    page = admin_client_.get(reverse("web:admin_policy_new")).content.decode()
    assert "Asks for a supervisor" in page and 'name="min_anger"' in page
    response = admin_client_.post(
        reverse("web:admin_policy_new"),
        policy_data(intents=["refund", "cancel"], sentiments=["negative"], min_anger="70"),
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    row = Policy.objects.get()
    assert (row.intents, row.sentiments, row.min_anger) == (["cancel", "refund"], ["negative"], 0.7)
    listing = admin_client_.get(reverse("web:admin_policies")).content.decode()
    assert "Refund" in listing and "sentiment Negative" in listing and "anger at least 70 %" in listing
    page = admin_client_.get(reverse("web:admin_policy", args=[row.pk])).content.decode()
    assert 'name="min_anger" value="70"' in page
    refused = admin_client_.post(reverse("web:admin_policy_new"), policy_data(name="Other", min_anger="170"))
    assert refused.status_code == 200 and Policy.objects.count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"first_response": "", "next_response": ""}, "Give at least one target."),
        ({"first_response": "soon"}, "Write a time like 90, 90m, 1h or 1h 30m."),
        ({"first_response": "0"}, "A target is from 1 minute to 1 year."),
        ({"warn_percent": "90", "escalate_percent": "80"}, "Warn the supervisor later than the assignee"),
        ({"warn_percent": "0"}, "greater than or equal to 1"),
        ({"channels": ["pigeon"]}, "Select a valid choice"),
    ],
)
def test_policy_errors(admin_client_, overrides, message):
    response = admin_client_.post(reverse("web:admin_policy_new"), policy_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Policy.objects.exists()


def test_edit_move_and_deactivate(admin, admin_client_, policy):
    other = services.policy_create(actor=admin, name="Chat", channels=["chat"], first_response_minutes=3)
    page = admin_client_.get(reverse("web:admin_policy", args=[policy.pk])).content.decode()
    assert 'value="1h"' in page
    response = admin_client_.post(
        reverse("web:admin_policy", args=[policy.pk]),
        policy_data(name="E-mail", channels=["email", "web"], first_response="2h"),
    )
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.channels, policy.first_response_minutes) == (["email", "web"], 120)
    admin_client_.post(reverse("web:admin_policy_move", args=[other.pk]), {"direction": "up"})
    assert list(Policy.objects.values_list("name", flat=True)) == ["Chat", "E-mail"]
    admin_client_.post(reverse("web:admin_policy_active", args=[other.pk]), {"active": "0"})
    assert not Policy.objects.get(pk=other.pk).is_active
    assert "Inactive" in admin_client_.get(reverse("web:admin_policies")).content.decode()


def test_policy_list_queries_do_not_grow(admin, admin_client_, team, agent):
    services.policy_create(
        actor=admin, name="P0", first_response_minutes=5, breach_team=team, breach_assignee=agent
    )
    before = queries(admin_client_, reverse("web:admin_policies"))
    for n in range(1, 5):
        services.policy_create(
            actor=admin, name=f"P{n}", first_response_minutes=5, breach_team=team, breach_assignee=agent
        )
    assert queries(admin_client_, reverse("web:admin_policies")) == before


# ---------------------------------------------------------------- roster


def test_roster_shows_gaps_and_adds_a_shift_in_the_calendars_zone(admin, admin_client_, team, agent):
    services.calendar_create(
        actor=admin, name="Makassar", time_zone="Asia/Makassar", hours={d: ["08:00-17:00"] for d in range(7)},
        public_holidays=False, teams=[(team, None)],
    )  # fmt: skip
    page = admin_client_.get(reverse("web:admin_roster") + f"?team={team.pk}").content.decode()
    assert page.count('class="gap"') == 28  # two gaps a day, 14 days
    response = admin_client_.post(
        reverse("web:admin_roster_shift_add", args=[team.pk]),
        {
            "agent": str(agent.pk),
            "starts_at": "2026-11-20T17:00",
            "ends_at": "2026-11-21T08:00",
            "note": "malam",
        },
    )
    assert response.status_code == 302
    shift = RosterShift.objects.get()
    # 17:00 WITA is 09:00 UTC.
    assert (shift.starts_at, shift.ends_at) == (
        datetime(2026, 11, 20, 9, tzinfo=UTC),
        datetime(2026, 11, 21, 0, tzinfo=UTC),
    )
    admin_client_.post(reverse("web:admin_roster_shift_remove", args=[shift.pk]))
    assert not RosterShift.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"ends_at": "2026-11-20T16:00"}, "A shift ends after it starts."),
        ({"starts_at": "tomorrow"}, "Enter a valid date/time."),
        ({"agent": "outsider"}, "Select a valid choice"),
    ],
)
def test_shift_errors(admin_client_, team, agent, make_agent, make_team, overrides, message):
    outsider = make_agent("outsider", teams=[make_team("Billing")])
    data = {"agent": str(agent.pk), "starts_at": "2026-11-20T17:00", "ends_at": "2026-11-21T08:00"}
    data.update(overrides)
    if data["agent"] == "outsider":
        data["agent"] = str(outsider.pk)
    response = admin_client_.post(reverse("web:admin_roster_shift_add", args=[team.pk]), data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not RosterShift.objects.exists()


def test_a_new_policy_is_active_unless_unticked(admin_client_):
    page = admin_client_.get(reverse("web:admin_policy_new")).content.decode()
    assert 'name="is_active" id="id_is_active" checked' in page
