"""Reading for the admin pages: the off-hours roster (closed hours of the team's calendar, cut into
covered pieces and gaps), who is on shift, public holidays by language, and access."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from tanggap.accounts.models import Role
from tanggap.core.errors import NotFound, PermissionDenied
from tanggap.sla import admin_services as services
from tanggap.sla import clock, roster, selectors
from tanggap.sla.models import RosterShift

WIB = ZoneInfo("Asia/Jakarta")
BERLIN = ZoneInfo("Europe/Berlin")


def wib(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=WIB)  # 2026-11-16 is a Monday


# ---------------------------------------------------------------- pure: closed hours and coverage


def test_closed_intervals_of_an_office_week():
    calendar = clock.Calendar(
        zone="Asia/Jakarta",
        weekly=clock.parse_hours({d: ["08:00-12:00", "13:00-17:00"] for d in range(5)}),
        holidays=frozenset({date(2026, 11, 18)}),
    )
    closed = clock.closed_intervals(calendar, wib(16, 0), wib(19, 0))
    assert closed == [
        (wib(16, 0), wib(16, 8)),
        (wib(16, 12), wib(16, 13)),
        (wib(16, 17), wib(17, 8)),
        (wib(17, 12), wib(17, 13)),
        (wib(17, 17), wib(19, 0)),  # Wednesday is a holiday
    ]
    assert all(moment.tzinfo is UTC for pair in closed for moment in pair)


def test_open_and_closed_intervals_agree_with_is_open_minute_by_minute():
    rng = random.Random(7)
    for zone in ("Asia/Jayapura", "Europe/Berlin", "America/New_York"):
        for _ in range(3):
            weekly = {}
            for day in range(7):
                if rng.random() < 0.7:
                    start = rng.randrange(0, 20)
                    weekly[day] = [
                        f"{start:02d}:{rng.choice(['00', '30'])}-{rng.randrange(start + 1, 25):02d}:00"
                    ]
            weekly.setdefault(0, ["09:00-17:00"])
            calendar = clock.Calendar(zone=zone, weekly=clock.parse_hours(weekly))
            # Across Europe's and America's autumn clock change.
            start = datetime(2026, 10, 24, 0, 0, tzinfo=UTC)
            stop = start + timedelta(days=10)
            opened = clock.open_intervals(calendar, start, stop)
            closed = clock.closed_intervals(calendar, start, stop)
            spans = sorted(opened + closed)
            assert spans[0][0] == start and spans[-1][1] == stop
            assert all(a[1] == b[0] for a, b in itertools.pairwise(spans))
            minute = start
            while minute < stop:
                inside = any(lo <= minute < hi for lo, hi in opened)
                assert inside == clock.is_open(calendar, minute), (zone, weekly, minute)
                minute += timedelta(minutes=30)


def test_always_open_has_no_closed_hours():
    calendar = clock.Calendar(zone="Asia/Jakarta", always_open=True)
    assert clock.closed_intervals(calendar, wib(16, 0), wib(23, 0)) == []


def test_coverage_cuts_at_shift_edges_and_joins_alike_pieces():
    off = [(wib(16, 17), wib(17, 8))]
    shifts = [(wib(16, 17), wib(16, 22), 1), (wib(16, 20), wib(16, 23), 2), (wib(16, 23), wib(17, 2), 2)]
    pieces = roster.coverage(off, shifts)
    assert [(p.start, p.end, p.agents) for p in pieces] == [
        (wib(16, 17), wib(16, 20), (1,)),
        (wib(16, 20), wib(16, 22), (1, 2)),
        (wib(16, 22), wib(17, 2), (2,)),
        (wib(17, 2), wib(17, 8), ()),
    ]
    assert [(g.start, g.end) for g in roster.gaps(pieces)] == [(wib(17, 2), wib(17, 8))]


# ---------------------------------------------------------------- the roster page's data


@pytest.fixture
def office(admin, team):
    return services.calendar_create(
        actor=admin,
        name="Kantor",
        hours={d: ["08:00-17:00"] for d in range(5)},
        public_holidays=True,
        days_off=["2026-12-24"],
        teams=[(team, None)],
    )


@pytest.mark.django_db
def test_roster_shows_closed_hours_covered_and_gaps(admin, team, agent, office):
    services.roster_shift_add(actor=admin, team=team, agent=agent, starts_at=wib(16, 17), ends_at=wib(16, 22))
    plan = selectors.roster_get(user=admin, team_id=team.pk, start=date(2026, 11, 16), days=7)
    assert plan.own_calendar and plan.zone == "Asia/Jakarta"
    monday = plan.days[0]
    assert [(p.label, p.agents) for p in monday.pieces] == [
        ("00:00–08:00", ()),
        ("17:00–22:00", (agent.label,)),
        ("22:00–24:00", ()),
    ]
    assert monday.pieces[1].left == pytest.approx(17 / 24 * 100, abs=0.01)
    assert monday.pieces[1].width == pytest.approx(5 / 24 * 100, abs=0.01)
    saturday = plan.days[5]
    assert [(p.label, p.covered) for p in saturday.pieces] == [("00:00–24:00", False)]
    # A week of 5 × 9 open hours: 168 - 45 off-hours, 5 of them covered.
    assert plan.off_hours == timedelta(hours=123)
    assert plan.uncovered == timedelta(hours=118)
    assert [row.agent for row in plan.shifts] == [agent.label]


@pytest.mark.django_db
def test_roster_marks_holidays_and_days_off_in_the_language(admin, team, office):
    with translation.override("id"):
        plan = selectors.roster_get(user=admin, team_id=team.pk, start=date(2026, 12, 24), days=2)
    assert plan.days[0].day_off and not plan.days[0].holiday
    assert plan.days[1].holiday == "Hari Raya Natal"
    assert [p.label for p in plan.days[1].pieces] == ["00:00–24:00"]  # closed all day
    with translation.override("en"):
        plan = selectors.roster_get(user=admin, team_id=team.pk, start=date(2026, 12, 25), days=1)
    assert plan.days[0].holiday == "Christmas Day"


@pytest.mark.django_db
def test_roster_of_a_team_without_calendar_runs_on_the_default_or_around_the_clock(admin, team):
    plan = selectors.roster_get(user=admin, team_id=team.pk)
    assert plan.calendar is None and plan.always_open and all(not day.pieces for day in plan.days)
    default = services.calendar_create(
        actor=admin, name="Default", hours={0: ["08:00-17:00"]}, is_default=True
    )
    plan = selectors.roster_get(user=admin, team_id=team.pk, start=date(2026, 11, 16), days=1)
    assert (plan.calendar, plan.own_calendar) == (default, False)
    assert [p.label for p in plan.days[0].pieces] == ["00:00–08:00", "17:00–24:00"]


@pytest.mark.django_db
def test_roster_days_in_a_zone_with_a_clock_change(admin, team):
    services.calendar_create(
        actor=admin,
        name="Berlin",
        time_zone="Europe/Berlin",
        hours={6: ["09:00-17:00"]},
        public_holidays=False,
        teams=[(team, None)],
    )
    plan = selectors.roster_get(user=admin, team_id=team.pk, start=date(2026, 10, 25), days=1)  # 25 hours
    day = plan.days[0]
    assert [p.label for p in day.pieces] == ["00:00–09:00", "17:00–24:00"]
    assert plan.off_hours == timedelta(hours=17)


@pytest.mark.django_db
def test_roster_access(make_agent, team):
    agent = make_agent(role=Role.AGENT, teams=[team])
    with pytest.raises(PermissionDenied):
        selectors.roster_get(user=agent, team_id=team.pk)
    supervisor = make_agent(role=Role.SUPERVISOR)
    assert selectors.roster_get(user=supervisor, team_id=team.pk).team == team
    with pytest.raises(NotFound):
        selectors.roster_get(user=supervisor, team_id=10**9)
    with pytest.raises(PermissionDenied):
        selectors.calendar_list(user=agent)
    with pytest.raises(PermissionDenied):
        selectors.policy_list(user=agent)


# ---------------------------------------------------------------- on_shift


@pytest.mark.django_db
def test_on_shift(admin, team, agent, make_agent, make_team):
    other = make_agent("other", teams=[team])
    services.roster_shift_add(actor=admin, team=team, agent=agent, starts_at=wib(16, 17), ends_at=wib(16, 22))
    services.roster_shift_add(actor=admin, team=team, agent=other, starts_at=wib(16, 20), ends_at=wib(17, 8))
    assert selectors.on_shift(team.pk, wib(16, 16, 59)) == []
    assert selectors.on_shift(team.pk, wib(16, 17)) == [agent]
    assert selectors.on_shift(team.pk, wib(16, 21)) == [agent, other]
    assert selectors.on_shift(team.pk, wib(16, 22)) == [other]  # the end is not included
    assert selectors.on_shift(make_team("Billing").pk, wib(16, 21)) == []
    other.is_active = False
    other.save()
    assert selectors.on_shift(team.pk, wib(16, 23)) == []
    agent.teams.clear()  # left the team since the shift was planned
    assert selectors.on_shift(team.pk, wib(16, 21)) == []
    assert RosterShift.objects.count() == 2


def test_public_holidays_by_language():
    with translation.override("id"):
        days = selectors.public_holidays(start=date(2027, 8, 16), days=5)
    assert days == [(date(2027, 8, 17), "Hari Kemerdekaan Republik Indonesia")]
    with translation.override("en"):
        days = selectors.public_holidays(start=date(2027, 8, 16), days=5)
    assert days == [(date(2027, 8, 17), "Independence Day")]


@pytest.mark.django_db
def test_a_lunch_break_is_not_off_hours_but_a_long_afternoon_off_is(admin, team):
    services.calendar_create(
        actor=admin,
        name="Siang",
        hours={0: ["08:00-12:00", "13:00-17:00"], 1: ["08:00-10:00", "14:00-17:00"]},
        public_holidays=False,
        teams=[(team, None)],
    )
    plan = selectors.roster_get(user=admin, team_id=team.pk, start=date(2026, 11, 16), days=2)
    assert [p.label for p in plan.days[0].pieces] == ["00:00–08:00", "17:00–24:00"]
    assert [p.label for p in plan.days[1].pieces] == ["00:00–08:00", "10:00–14:00", "17:00–24:00"]
