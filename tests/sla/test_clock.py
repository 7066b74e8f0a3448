"""The business clock: unit tests, hypothesis properties, and a minute-by-minute brute-force reference."""

from __future__ import annotations

import bisect
import random
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tanggap.sla.clock import (
    Calendar,
    add_business_time,
    business_time_between,
    is_open,
    next_open,
    parse_hours,
)

WIB = ZoneInfo("Asia/Jakarta")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)
M = timedelta(minutes=1)

# Monday to Friday with a lunch break, Saturday morning.
OFFICE = parse_hours({**{day: ["08:00-12:00", "13:00-17:00"] for day in range(5)}, 5: ["08:00-12:00"]})


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=WIB)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.fixture
def office() -> Calendar:
    return Calendar(zone="Asia/Jakarta", weekly=OFFICE)


# --- unit tests ---------------------------------------------------------------------------------------


def test_office_hours_lunch_and_saturday_half_day(office: Calendar) -> None:
    # 2026-03-09 is a Monday.
    assert add_business_time(office, wib(2026, 3, 9, 11, 30), H) == wib(2026, 3, 9, 13, 30)
    assert add_business_time(office, wib(2026, 3, 9, 11, 0), H) == wib(2026, 3, 9, 12, 0)  # due at the break
    assert add_business_time(office, wib(2026, 3, 13, 16, 30), H) == wib(2026, 3, 14, 8, 30)  # Fri → Sat
    assert add_business_time(office, wib(2026, 3, 14, 11, 30), H) == wib(2026, 3, 16, 8, 30)  # Sat → Mon
    assert add_business_time(office, wib(2026, 3, 14, 20, 0), 10 * H) == wib(2026, 3, 17, 10, 0)
    assert business_time_between(office, wib(2026, 3, 13, 16, 0), wib(2026, 3, 16, 9, 0)) == 6 * H
    assert business_time_between(office, wib(2026, 3, 9), wib(2026, 3, 16)) == 44 * H
    assert is_open(office, wib(2026, 3, 9, 8, 0))
    assert not is_open(office, wib(2026, 3, 9, 12, 0))
    assert not is_open(office, wib(2026, 3, 9, 17, 0))
    assert next_open(office, wib(2026, 3, 9, 12, 15)) == wib(2026, 3, 9, 13, 0)
    assert next_open(office, wib(2026, 3, 9, 9, 15)) == wib(2026, 3, 9, 9, 15)


def test_zero_duration_starts_the_clock_at_the_next_opening(office: Calendar) -> None:
    assert add_business_time(office, wib(2026, 3, 9, 9, 0), timedelta(0)) == wib(2026, 3, 9, 9, 0)
    assert add_business_time(office, wib(2026, 3, 9, 12, 30), timedelta(0)) == wib(2026, 3, 9, 13, 0)
    assert add_business_time(office, wib(2026, 3, 15, 9, 0), timedelta(0)) == wib(2026, 3, 16, 8, 0)


def test_results_are_utc_and_inputs_may_be_in_any_zone(office: Calendar) -> None:
    due = add_business_time(office, datetime(2026, 3, 9, 2, 0, tzinfo=UTC), H)  # 09:00 WIB
    assert due.tzinfo is UTC
    assert due == utc(2026, 3, 9, 3, 0)
    assert next_open(office, utc(2026, 3, 9, 0, 30)).tzinfo is UTC


def test_between_is_signed(office: Calendar) -> None:
    a, b = wib(2026, 3, 9, 9, 0), wib(2026, 3, 9, 15, 0)
    assert business_time_between(office, a, b) == 5 * H
    assert business_time_between(office, b, a) == -5 * H
    assert business_time_between(office, a, a) == timedelta(0)


def test_lebaran_public_holidays_and_company_days_off() -> None:
    # 2026: Nyepi Thu 19 March, Idul Fitri Sat 21 and Sun 22 March (public, from the `holidays`
    # package); cuti bersama Fri 20, Mon 23, Tue 24 March (the company's own days off).
    cuti = (date(2026, 3, 20), date(2026, 3, 23), date(2026, 3, 24))
    calendar = Calendar.indonesian(years=[2026], weekly=OFFICE, extra_days_off=cuti)
    assert {date(2026, 3, 19), date(2026, 3, 21), date(2026, 8, 17), *cuti} <= calendar.holidays
    assert add_business_time(calendar, wib(2026, 3, 18, 16, 30), H) == wib(2026, 3, 25, 8, 30)
    assert business_time_between(calendar, wib(2026, 3, 18, 12), wib(2026, 3, 26, 0)) == 12 * H
    assert not is_open(calendar, wib(2026, 3, 21, 9, 0))
    assert next_open(calendar, wib(2026, 3, 19, 9, 0)) == wib(2026, 3, 25, 8, 0)


def test_indonesian_defaults_to_office_hours_in_wib() -> None:
    calendar = Calendar.indonesian(years=[2026, 2027])
    assert calendar.zone == "Asia/Jakarta"
    assert business_time_between(calendar, wib(2026, 3, 2), wib(2026, 3, 9)) == 45 * H
    assert date(2027, 8, 17) in calendar.holidays
    wit = Calendar.indonesian(years=[2026], zone="Asia/Jayapura")
    assert next_open(wit, wib(2026, 3, 2, 6, 0)) == wib(2026, 3, 2, 6, 0)  # 08:00 WIT is 06:00 WIB


def test_always_open_counts_every_instant() -> None:
    calendar = Calendar(zone="Asia/Makassar", always_open=True)
    start = wib(2026, 3, 21, 3, 17, 5)
    assert add_business_time(calendar, start, 50 * H) == start + 50 * H
    assert business_time_between(calendar, start, start + 7 * H) == 7 * H
    assert is_open(calendar, start)
    assert next_open(calendar, start) == start


def test_shift_across_midnight_is_two_intervals() -> None:
    # 22:00-06:00 from Monday night to Saturday morning.
    night = parse_hours(
        {d: [*(["00:00-06:00"] if d > 0 else []), *(["22:00-24:00"] if d < 5 else [])] for d in range(6)}
    )
    calendar = Calendar(zone="Asia/Jakarta", weekly=night)
    assert add_business_time(calendar, wib(2026, 3, 9, 23, 0), 2 * H) == wib(2026, 3, 10, 1, 0)
    assert add_business_time(calendar, wib(2026, 3, 14, 5, 0), 2 * H) == wib(2026, 3, 16, 23, 0)
    assert business_time_between(calendar, wib(2026, 3, 9), wib(2026, 3, 16)) == 40 * H
    assert is_open(calendar, wib(2026, 3, 10, 0, 0))
    assert not is_open(calendar, wib(2026, 3, 9, 0, 0))  # Monday 00:00-06:00 is not in the shift


def test_daylight_saving_day_hours_keep_their_length() -> None:
    daily = parse_hours({day: ["09:00-17:00"] for day in range(7)})
    berlin = Calendar(zone="Europe/Berlin", weekly=daily)
    # 29 March 2026: Berlin springs forward at 02:00; 25 October: falls back at 03:00.
    for day in (date(2026, 3, 29), date(2026, 10, 25)):
        start = datetime.combine(day, time(0), tzinfo=BERLIN)
        assert business_time_between(berlin, start, start + 2 * timedelta(days=1)) == 16 * H
    due = add_business_time(berlin, datetime(2026, 3, 28, 16, 0, tzinfo=BERLIN), 2 * H)
    assert due == datetime(2026, 3, 29, 10, 0, tzinfo=BERLIN) == utc(2026, 3, 29, 8, 0)
    new_york = Calendar(zone="America/New_York", weekly=daily)
    due = add_business_time(new_york, datetime(2026, 10, 31, 16, 0, tzinfo=NEW_YORK), 2 * H)
    assert due == utc(2026, 11, 1, 15, 0)  # 10:00 EST


def test_daylight_saving_gap_and_overlap_have_their_real_length() -> None:
    night = parse_hours({6: ["01:00-04:00"]})
    berlin = Calendar(zone="Europe/Berlin", weekly=night)
    spring, autumn = utc(2026, 3, 28, 12), utc(2026, 10, 24, 12)
    assert business_time_between(berlin, spring, spring + timedelta(days=1)) == 2 * H  # 02:00-03:00 skipped
    assert business_time_between(berlin, autumn, autumn + timedelta(days=1)) == 4 * H  # 02:00-03:00 twice
    # The repeated hour: 01:00 CEST is 23:00 UTC; four business hours run without a break to 03:00 UTC.
    assert add_business_time(berlin, autumn, 150 * M) == utc(2026, 10, 25, 1, 30)  # 02:30 CET, second time
    assert add_business_time(berlin, autumn, 4 * H) == utc(2026, 10, 25, 3, 0)
    assert add_business_time(berlin, spring, 90 * M) == utc(2026, 3, 29, 1, 30)  # 03:30 CEST
    gap_only = Calendar(zone="Europe/Berlin", weekly=parse_hours({6: ["02:00-03:00", "05:00-06:00"]}))
    assert business_time_between(gap_only, spring, spring + timedelta(days=1)) == H
    assert next_open(gap_only, spring) == utc(2026, 3, 29, 3, 0)  # 05:00 CEST


def test_instants_with_seconds_are_exact(office: Calendar) -> None:
    assert add_business_time(office, wib(2026, 3, 9, 7, 59, 30), M) == wib(2026, 3, 9, 8, 1, 0)
    start = datetime(2026, 3, 9, 8, 0, 30, 500_000, tzinfo=WIB)
    assert add_business_time(office, start, M) == start + M
    assert business_time_between(office, wib(2026, 3, 9, 7, 59, 30), wib(2026, 3, 9, 8, 0, 45)) == timedelta(
        seconds=45
    )
    odd = Calendar(zone="Asia/Jakarta", weekly=(((time(8, 0, 30), time(8, 1, 15)),),) + ((),) * 6)
    assert business_time_between(odd, wib(2026, 3, 9), wib(2026, 3, 10)) == timedelta(seconds=45)
    assert add_business_time(odd, wib(2026, 3, 9), timedelta(seconds=50)) == wib(2026, 3, 16, 8, 0, 35)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"zone": "Asia/Atlantis", "weekly": OFFICE}, "unknown time zone"),
        ({"zone": "../etc/passwd", "weekly": OFFICE}, "unknown time zone"),
        ({"zone": "Asia/Jakarta", "weekly": (((time(17), time(8)),),) + ((),) * 6}, "two intervals"),
        ({"zone": "Asia/Jakarta", "weekly": (((time(9), time(9)),),) + ((),) * 6}, "ends before it starts"),
        (
            {"zone": "Asia/Jakarta", "weekly": (((time(8), time(12)), (time(11), time(13))),) + ((),) * 6},
            "overlap",
        ),
        ({"zone": "Asia/Jakarta", "weekly": ((),) * 6}, "7 days"),
        ({"zone": "Asia/Jakarta"}, "business hours"),
        (
            {"zone": "Asia/Jakarta", "weekly": OFFICE, "holidays": frozenset({datetime(2026, 1, 1)})},
            "must be dates",
        ),
        ({"zone": "Asia/Jakarta", "weekly": (((time(8, tzinfo=UTC), time(9)),),) + ((),) * 6}, "wall-clock"),
    ],
)
def test_invalid_calendars_are_refused_clearly(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Calendar(**kwargs)


def test_touching_intervals_are_allowed() -> None:
    calendar = Calendar(zone="Asia/Jakarta", weekly=parse_hours({0: ["08:00-12:00", "12:00-13:00"]}))
    assert business_time_between(calendar, wib(2026, 3, 9), wib(2026, 3, 10)) == 5 * H


def test_parse_hours_refuses_bad_text() -> None:
    assert parse_hours({0: ["22:00-24:00"]})[0] == ((time(22), time(0)),)
    for bad in ({0: ["8-17"]}, {7: ["08:00-17:00"]}, {0: ["25:00-26:00"]}):
        with pytest.raises(ValueError):
            parse_hours(bad)


def test_bad_arguments_are_refused(office: Calendar) -> None:
    with pytest.raises(ValueError, match="aware"):
        add_business_time(office, datetime(2026, 3, 9, 9), H)
    with pytest.raises(ValueError, match="aware"):
        business_time_between(office, wib(2026, 3, 9), datetime(2026, 3, 10))
    with pytest.raises(ValueError, match="negative"):
        add_business_time(office, wib(2026, 3, 9), -H)


class _CountingDays(tuple):
    """Stands in for a calendar's per-weekday intervals and counts the days the walk looks at."""

    looked_at = 0

    def __getitem__(self, index):  # type: ignore[no-untyped-def]
        type(self).looked_at += 1
        return super().__getitem__(index)


@pytest.mark.parametrize(
    ("zone", "hours", "max_days"),
    [("Asia/Jakarta", 500, 10), ("Asia/Jakarta", 5000, 25), ("Europe/Berlin", 5000, 60)],
)
def test_long_durations_skip_whole_weeks(zone: str, hours: int, max_days: int) -> None:
    calendar = Calendar.indonesian(years=range(2026, 2031), zone=zone, weekly=OFFICE)
    object.__setattr__(calendar, "_days", _CountingDays(calendar._days))
    _CountingDays.looked_at = 0
    start = wib(2026, 3, 9, 10, 17)
    due = add_business_time(calendar, start, hours * H)
    walked = _CountingDays.looked_at
    assert walked <= max_days  # a day-by-day walk would look at ~hours / 44 * 7 days
    _CountingDays.looked_at = 0
    assert business_time_between(calendar, start, due) == hours * H
    assert _CountingDays.looked_at <= max_days
    assert hours / 44 * 7 > 2 * max_days  # the days a day-by-day walk would look at


# --- hypothesis properties ----------------------------------------------------------------------------

ZONES = ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "Europe/Berlin", "America/New_York",
         "Australia/Lord_Howe", "Asia/Kathmandu", "Pacific/Chatham", "UTC"]  # fmt: skip


@st.composite
def calendars(
    draw: st.DrawFn, zones: tuple[str, ...] = tuple(ZONES), sometimes_always_open: bool = True
) -> Calendar:
    """A random calendar. Tests that need a narrower kind ask for it here rather than filter with
    ``assume``: filtering out most inputs fails Hypothesis's health check now and then."""
    zone = draw(st.sampled_from(zones))
    if sometimes_always_open and draw(st.integers(0, 9)) == 0:
        return Calendar(zone=zone, always_open=True)
    step = draw(st.sampled_from([1, 15, 60]))
    days = []
    for _ in range(7):
        cuts = sorted(draw(st.sets(st.integers(0, 1440 // step), max_size=6)))
        cuts = cuts[: len(cuts) // 2 * 2]
        days.append(tuple((_time(cuts[i] * step), _time(cuts[i + 1] * step)) for i in range(0, len(cuts), 2)))
    assume(any(days))
    holidays = draw(st.frozensets(st.dates(date(2025, 6, 1), date(2028, 6, 1)), max_size=40))
    return Calendar(zone=zone, weekly=tuple(days), holidays=holidays)


def _time(minute: int) -> time:
    return time(0) if minute == 1440 else time(minute // 60, minute % 60)


instants = st.datetimes(
    min_value=datetime(2025, 9, 1),
    max_value=datetime(2027, 9, 1),
    timezones=st.sampled_from([UTC, WIB, BERLIN, NEW_YORK]),
    allow_imaginary=False,
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(hours=300))
positive = st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(hours=300))
PROPERTY = settings(max_examples=150, deadline=None)


@PROPERTY
@given(calendars(), instants, durations, durations)
def test_add_is_monotonic_in_duration(
    calendar: Calendar, start: datetime, d1: timedelta, d2: timedelta
) -> None:
    d1, d2 = sorted((d1, d2))
    assert add_business_time(calendar, start, d1) <= add_business_time(calendar, start, d2)


@PROPERTY
@given(calendars(), instants, durations, positive)
def test_add_is_additive(calendar: Calendar, start: datetime, d1: timedelta, d2: timedelta) -> None:
    # A zero second step is the documented exception: it moves a closing time on to the next opening.
    once = add_business_time(calendar, start, d1 + d2)
    assert add_business_time(calendar, add_business_time(calendar, start, d1), d2) == once


@PROPERTY
@given(calendars(), instants, durations)
def test_between_measures_what_add_added(calendar: Calendar, start: datetime, duration: timedelta) -> None:
    due = add_business_time(calendar, start, duration)
    assert due >= start
    assert business_time_between(calendar, start, due) == duration
    if duration:  # the earliest such instant: the microsecond before it is business time
        assert is_open(calendar, due - timedelta(microseconds=1))


@PROPERTY
@given(calendars(), instants, instants, instants)
def test_between_is_additive_over_any_split(
    calendar: Calendar, a: datetime, b: datetime, c: datetime
) -> None:
    ab, bc, ac = (business_time_between(calendar, x, y) for x, y in ((a, b), (b, c), (a, c)))
    assert ab + bc == ac
    assert business_time_between(calendar, b, a) == -ab
    # Subtract in UTC: Python subtracts two datetimes of one zone by wall clock, ignoring DST.
    assert abs(ab) <= abs(b.astimezone(UTC) - a.astimezone(UTC))


@PROPERTY
@given(calendars(), instants)
def test_next_open_is_open_and_nothing_is_skipped(calendar: Calendar, at: datetime) -> None:
    opening = next_open(calendar, at)
    assert is_open(calendar, opening)
    # In UTC: Python never finds an instant of a repeated hour (fold) equal to one in another zone.
    assert (opening == at.astimezone(UTC)) == is_open(calendar, at)
    assert business_time_between(calendar, at, opening) == timedelta(0)


@PROPERTY
@given(calendars(), st.dates(date(2025, 9, 1), date(2027, 9, 1)))
def test_holidays_have_no_business_time(calendar: Calendar, day: date) -> None:
    assume(not calendar.always_open)
    tz = ZoneInfo(calendar.zone)
    calendar = Calendar(zone=calendar.zone, weekly=calendar.weekly, holidays=calendar.holidays | {day})
    start = datetime.combine(day, time(0), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    assert business_time_between(calendar, start, end) == timedelta(0)
    assert not is_open(calendar, start)


@PROPERTY
@given(calendars(zones=("Asia/Jakarta", "Asia/Jayapura", "UTC"), sometimes_always_open=False), instants)
def test_a_week_without_holidays_or_offset_change_holds_the_weekly_total(
    calendar: Calendar, start: datetime
) -> None:
    plain = Calendar(zone=calendar.zone, weekly=calendar.weekly)
    three_weeks_later = start.astimezone(UTC) + timedelta(weeks=3)  # real weeks, not wall-clock ones
    assert business_time_between(plain, start, three_weeks_later) == 3 * plain._week_total


# --- the bar: a minute-by-minute brute-force reference over 10,000 random cases ----------------------

REFERENCE_START = datetime(2026, 1, 1, tzinfo=UTC)
REFERENCE_MINUTES = 2 * 365 * 1440  # two years, 2026-2027, with every DST change in them
CALENDAR_SEEDS = range(20)
CASES_PER_CALENDAR = 500
assert len(CALENDAR_SEEDS) * CASES_PER_CALENDAR == 10_000


def _random_calendar(rng: random.Random) -> tuple[Calendar, list[bytearray]]:
    """A random calendar and, independently, the set of open minutes of each weekday."""
    zone = ZONES[rng.randrange(len(ZONES))]
    if rng.random() < 0.08:
        return Calendar(zone=zone, always_open=True), [bytearray([1]) * 1440 for _ in range(7)]
    while True:
        step = rng.choice([1, 5, 30, 60])
        weekly, minutes = [], []
        for _ in range(7):
            open_minutes = bytearray(1440)
            cuts = sorted(rng.sample(range(0, 1440 // step + 1), 2 * rng.choice([0, 1, 1, 2, 3])))
            day = []
            for begin, end in zip(cuts[::2], cuts[1::2], strict=True):
                day.append((_time(begin * step), _time(end * step)))
                open_minutes[begin * step : end * step] = b"\x01" * (end * step - begin * step)
            weekly.append(tuple(day))
            minutes.append(open_minutes)
        if any(weekly):
            break
    holidays = {date(2026, 1, 1) + timedelta(days=rng.randrange(800)) for _ in range(rng.randrange(30))}
    if rng.random() < 0.5:
        holidays |= Calendar.indonesian(years=[2026, 2027], zone=zone).holidays
    return Calendar(zone=zone, weekly=tuple(weekly), holidays=frozenset(holidays)), minutes


def _reference_prefix(calendar: Calendar, minutes: list[bytearray]) -> list[int]:
    """prefix[i] = open minutes in the first i minutes, each minute judged alone by its local wall clock."""
    tz = ZoneInfo(calendar.zone)
    holidays = calendar.holidays
    bits = bytearray(REFERENCE_MINUTES)
    moment, step = REFERENCE_START, timedelta(minutes=1)
    for i in range(REFERENCE_MINUTES):
        local = moment.astimezone(tz)
        if local.date() not in holidays and minutes[local.weekday()][local.hour * 60 + local.minute]:
            bits[i] = 1
        moment += step
    return [0, *accumulate(bits)]


def _at(minute: int) -> datetime:
    return REFERENCE_START + timedelta(minutes=minute)


@pytest.mark.parametrize("seed", CALENDAR_SEEDS)
def test_clock_matches_a_minute_by_minute_reference(seed: int) -> None:
    rng = random.Random(seed)
    calendar, minutes = _random_calendar(rng)
    prefix = _reference_prefix(calendar, minutes)
    total = prefix[-1]
    views = [UTC, ZoneInfo(calendar.zone), NEW_YORK]
    checked = 0
    while checked < CASES_PER_CALENDAR:
        i = rng.randrange(REFERENCE_MINUTES)
        if prefix[i] == total:  # no business time left inside the reference range
            continue
        start = _at(i).astimezone(rng.choice(views))
        # Mostly hours, sometimes hundreds of hours: what SLA targets look like.
        limit = rng.choice([60, 600, 6000, 30000])
        duration = rng.randint(0, min(limit, total - prefix[i]))
        first_open = bisect.bisect_right(prefix, prefix[i]) - 1
        expected_due = first_open if duration == 0 else bisect.bisect_left(prefix, prefix[i] + duration)
        assert add_business_time(calendar, start, timedelta(minutes=duration)) == _at(expected_due), (
            calendar,
            start,
            duration,
        )
        k = rng.randrange(REFERENCE_MINUTES + 1)
        assert business_time_between(calendar, start, _at(k)) == timedelta(minutes=prefix[k] - prefix[i])
        assert is_open(calendar, start) == (prefix[i + 1] > prefix[i])
        assert next_open(calendar, start) == _at(first_open)
        checked += 1
    assert checked == CASES_PER_CALENDAR
