"""The business clock: adds business time to an instant and measures business time between two instants.

Pure (no Django). An instant is business time when its local wall-clock date and time in the calendar's
zone fall inside one of that weekday's intervals and the local date is not a holiday. Everything else
follows from that one rule, including daylight saving: a wall-clock hour that a spring-forward change
skips does not exist, and one that a fall-back change repeats counts twice (see docs/sla.md).
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from holidays import country_holidays

Interval = tuple[time, time]
Weekly = tuple[tuple[Interval, ...], ...]

ZERO = timedelta(0)
ONE_DAY = timedelta(days=1)
ONE_WEEK = timedelta(days=7)
_EPSILON = timedelta(microseconds=1)
_ONE_SECOND = timedelta(seconds=1)
_MIDNIGHT = time(0)
_CLOSED_WEEK: Weekly = ((),) * 7


def parse_hours(spec: Mapping[int, Iterable[str]]) -> Weekly:
    """Weekly hours from text: ``{0: ["08:00-12:00", "13:00-17:00"], 5: ["08:00-12:00"]}``.

    Keys are weekdays (0 = Monday … 6 = Sunday); "24:00" is accepted as an end meaning end of day.
    """
    days: list[list[Interval]] = [[] for _ in range(7)]
    for weekday, ranges in spec.items():
        if weekday not in range(7):
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {weekday!r}")
        for text in ranges:
            match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", text)
            if not match:
                raise ValueError(f"hours must look like 08:00-17:00, not {text!r}")
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            if (h2, m2) == (24, 0):
                h2 = 0
            try:
                days[weekday].append((time(h1, m1), time(h2, m2)))
            except ValueError:
                raise ValueError(f"not a time of day in {text!r}") from None
    return tuple(tuple(day) for day in days)


# Monday to Friday, 08:00-17:00: the default office hours of an Indonesian company.
OFFICE_HOURS: Weekly = parse_hours({day: ["08:00-17:00"] for day in range(5)})


def _of_day(moment: time) -> timedelta:
    return timedelta(
        hours=moment.hour, minutes=moment.minute, seconds=moment.second, microseconds=moment.microsecond
    )


@dataclass(frozen=True)
class Calendar:
    """When a team is open.

    ``weekly[d]`` holds the local (start, end) intervals of weekday ``d`` (0 = Monday), several per day
    allowed; an end of ``time(0)`` means midnight at the end of the day (24:00), so ``(time(0), time(0))``
    is the whole day. A shift across midnight is two intervals, one on each day. ``holidays`` are local
    dates with no business hours. ``always_open`` is 24/7: every instant counts, and ``weekly`` and
    ``holidays`` are not used.
    """

    zone: str
    weekly: Weekly = _CLOSED_WEEK
    holidays: frozenset[date] = frozenset()
    always_open: bool = False

    _tz: ZoneInfo = field(init=False, repr=False, compare=False)
    _days: tuple[tuple[tuple[timedelta, timedelta], ...], ...] = field(init=False, repr=False, compare=False)
    _day_totals: tuple[timedelta, ...] = field(init=False, repr=False, compare=False)
    _week_total: timedelta = field(init=False, repr=False, compare=False)
    _sorted_holidays: tuple[date, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        try:
            tz = ZoneInfo(self.zone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f"unknown time zone {self.zone!r}") from None
        weekly = tuple(tuple((start, end) for start, end in day) for day in self.weekly)
        if len(weekly) != 7:
            raise ValueError(f"weekly hours need 7 days (Monday to Sunday), not {len(weekly)}")
        days = tuple(_normalise_day(weekday, day) for weekday, day in enumerate(weekly))
        holidays = frozenset(self.holidays)
        for holiday in holidays:
            if not isinstance(holiday, date) or isinstance(holiday, datetime):
                raise ValueError(f"holidays must be dates, not {holiday!r}")
        day_totals = tuple(sum((end - start for start, end in day), ZERO) for day in days)
        week_total = sum(day_totals, ZERO)
        if not self.always_open and not week_total:
            raise ValueError("a calendar needs business hours on at least one weekday, or always_open")
        object.__setattr__(self, "weekly", weekly)
        object.__setattr__(self, "holidays", holidays)
        object.__setattr__(self, "_tz", tz)
        object.__setattr__(self, "_days", days)
        object.__setattr__(self, "_day_totals", day_totals)
        object.__setattr__(self, "_week_total", week_total)
        object.__setattr__(self, "_sorted_holidays", tuple(sorted(holidays)))

    @classmethod
    def indonesian(
        cls,
        *,
        years: Iterable[int],
        zone: str = "Asia/Jakarta",
        weekly: Weekly = OFFICE_HOURS,
        extra_days_off: Iterable[date] = (),
    ) -> Calendar:
        """A calendar closed on Indonesia's public holidays of ``years`` (from the `holidays` package)
        and on the company's own ``extra_days_off`` (e.g. cuti bersama). Years not listed have no
        public holidays, so callers pass every year the clock may reach."""
        public = country_holidays("ID", years=sorted(set(years)))
        return cls(zone=zone, weekly=weekly, holidays=frozenset(public) | frozenset(extra_days_off))

    def _holiday_loss(self, first: date, stop: date) -> timedelta:
        """Business hours the holidays in [first, stop) take away."""
        lo = bisect.bisect_left(self._sorted_holidays, first)
        hi = bisect.bisect_left(self._sorted_holidays, stop)
        return sum((self._day_totals[d.weekday()] for d in self._sorted_holidays[lo:hi]), ZERO)


def _normalise_day(weekday: int, day: tuple[Interval, ...]) -> tuple[tuple[timedelta, timedelta], ...]:
    spans: list[tuple[timedelta, timedelta]] = []
    for interval in day:
        start, end = interval
        if not isinstance(start, time) or not isinstance(end, time):
            raise ValueError(f"weekday {weekday}: hours must be datetime.time values, not {interval!r}")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError(f"weekday {weekday}: hours are local wall-clock times, without a tzinfo")
        begin = _of_day(start)
        finish = ONE_DAY if end == _MIDNIGHT else _of_day(end)
        if begin >= finish:
            raise ValueError(
                f"weekday {weekday}: {start:%H:%M}-{end:%H:%M} ends before it starts "
                "(a shift across midnight is two intervals, one on each day)"
            )
        spans.append((begin, finish))
    spans.sort()
    merged: list[tuple[timedelta, timedelta]] = []
    for begin, finish in spans:
        if merged and begin < merged[-1][1]:
            raise ValueError(f"weekday {weekday}: intervals overlap")
        if merged and begin == merged[-1][1]:  # touching intervals are one
            merged[-1] = (merged[-1][0], finish)
        else:
            merged.append((begin, finish))
    return tuple(merged)


# --- time zones ---------------------------------------------------------------------------------------


def _offset(tz: ZoneInfo, utc: datetime) -> timedelta:
    offset = utc.replace(tzinfo=UTC).astimezone(tz).utcoffset()
    assert offset is not None  # a ZoneInfo always has one  # noqa: S101
    return offset


@functools.lru_cache(maxsize=512)
def _transitions(zone: str, year: int) -> tuple[datetime, ...]:
    """The UTC instants in (1 January ``year``, 1 January ``year + 1``] where the zone's offset changes.

    Found by comparing offsets a day apart, then bisecting to the second: two changes within one day
    that cancel each other would be missed (tzdata has none in the years a helpdesk meets).
    """
    tz = ZoneInfo(zone)
    probe = datetime(year, 1, 1)  # noqa: DTZ001 - naive UTC, the module's internal time line
    end = datetime(year + 1, 1, 1)  # noqa: DTZ001
    found: list[datetime] = []
    before = _offset(tz, probe)
    while probe < end:
        nxt = probe + ONE_DAY
        after = _offset(tz, nxt)
        if after != before:
            lo, hi = probe, nxt  # offset(lo) == before, offset(hi) != before
            while hi - lo > _ONE_SECOND:
                mid = lo + (hi - lo) // 2
                mid = mid.replace(microsecond=0)
                if _offset(tz, mid) == before:
                    lo = mid
                else:
                    hi = mid
            found.append(hi)
        probe, before = nxt, after
    return tuple(found)


def _segment(calendar: Calendar, utc: datetime) -> tuple[timedelta, datetime]:
    """The offset at ``utc`` and the instant up to which it holds (the next change, or a bound)."""
    offset = _offset(calendar._tz, utc)
    for year in (utc.year, utc.year + 1):
        changes = _transitions(calendar.zone, year)
        index = bisect.bisect_right(changes, utc)
        if index < len(changes):
            return offset, changes[index]
    return offset, datetime(utc.year + 2, 1, 1)  # noqa: DTZ001 - no change nearby: an arbitrary bound


# --- the walk ----------------------------------------------------------------------------------------


def _walk(
    calendar: Calendar,
    start: datetime,
    *,
    stop: datetime | None = None,
    budget: timedelta | None = None,
    first_open: bool = False,
) -> tuple[timedelta, datetime | None]:
    """Walk business time forward from ``start`` (naive UTC).

    Returns ``(budget, instant)`` as soon as ``budget`` is used up (the earliest such instant),
    ``(ZERO, instant)`` at the first business instant when ``first_open``, or ``(total, None)`` with
    the business time in [start, stop) when ``stop`` comes first. Within a stretch of constant UTC
    offset, wall-clock time is UTC shifted, so business intervals are walked day by day on the wall
    clock and whole weeks are skipped arithmetically (weekly total minus the holidays in them).
    """
    used = ZERO
    cursor = start
    while stop is None or cursor < stop:
        offset, change = _segment(calendar, cursor)
        bound = change if stop is None else min(change, stop)
        wall, wall_end = cursor + offset, bound + offset
        day = wall.date()
        while (midnight := datetime.combine(day, _MIDNIGHT)) < wall_end:
            if midnight >= wall and not first_open:
                weeks = (wall_end - midnight) // ONE_WEEK
                if budget is not None:
                    # Stay strictly below the budget: the instant it runs out is found by walking.
                    weeks = min(weeks, (budget - used - _EPSILON) // calendar._week_total)
                if weeks > 0:
                    skip_to = day + timedelta(weeks=weeks)
                    used += weeks * calendar._week_total - calendar._holiday_loss(day, skip_to)
                    day = skip_to
                    continue
            if day not in calendar.holidays:
                for begin, finish in calendar._days[day.weekday()]:
                    lo, hi = max(midnight + begin, wall), min(midnight + finish, wall_end)
                    if lo >= hi:
                        continue
                    if first_open:
                        return ZERO, lo - offset
                    if budget is not None and hi - lo >= budget - used:
                        return budget, lo + (budget - used) - offset
                    used += hi - lo
            day += ONE_DAY
        cursor = bound
    return used, None


def _utc(moment: datetime, name: str) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (with a time zone)")
    return moment.astimezone(UTC).replace(tzinfo=None)


def _aware(utc: datetime) -> datetime:
    return utc.replace(tzinfo=UTC)


# --- the public functions ----------------------------------------------------------------------------


def is_open(calendar: Calendar, at: datetime) -> bool:
    """Whether ``at`` is business time."""
    utc = _utc(at, "at")
    if calendar.always_open:
        return True
    local = _aware(utc).astimezone(calendar._tz)
    if local.date() in calendar.holidays:
        return False
    moment = _of_day(local.time())
    return any(begin <= moment < finish for begin, finish in calendar._days[local.weekday()])


def next_open(calendar: Calendar, at: datetime) -> datetime:
    """``at`` itself if it is business time, else the instant business time next begins (in UTC)."""
    utc = _utc(at, "at")
    if calendar.always_open:
        return _aware(utc)
    _, instant = _walk(calendar, utc, first_open=True)
    assert instant is not None  # a calendar always opens again (validated)  # noqa: S101
    return _aware(instant)


def add_business_time(calendar: Calendar, start: datetime, duration: timedelta) -> datetime:
    """The earliest instant (in UTC) by which ``duration`` of business time has elapsed since ``start``.

    If that happens exactly at a closing time, the closing time is the answer (a target of one hour
    from 16:00 in a day ending at 17:00 is due at 17:00, not at the next opening). A zero duration gives
    ``start`` when it is business time and the next opening otherwise: the clock of a ticket that
    arrives out of hours starts when the team opens. Exact to the microsecond.
    """
    utc = _utc(start, "start")
    if duration < ZERO:
        raise ValueError("duration must not be negative")
    if calendar.always_open:
        return _aware(utc + duration)
    if not duration:
        return next_open(calendar, start)
    _, instant = _walk(calendar, utc, budget=duration)
    assert instant is not None  # noqa: S101
    return _aware(instant)


def business_time_between(calendar: Calendar, a: datetime, b: datetime) -> timedelta:
    """The business time in [a, b); when ``b`` is before ``a``, minus the business time in [b, a).

    So ``between(a, b) + between(b, c) == between(a, c)`` for any three instants, and
    ``between(a, b) == -between(b, a)``. Exact to the microsecond.
    """
    start, stop = _utc(a, "a"), _utc(b, "b")
    if stop < start:
        return -business_time_between(calendar, b, a)
    if calendar.always_open:
        return stop - start
    total, _ = _walk(calendar, start, stop=stop)
    return total


def open_intervals(calendar: Calendar, start: datetime, stop: datetime) -> list[tuple[datetime, datetime]]:
    """The stretches of business time in [start, stop), in order, touching ones joined (in UTC): the
    same rule as the rest of the module, so on a spring-forward day the skipped hour is in none."""
    a, b = _utc(start, "start"), _utc(stop, "stop")
    if b <= a:
        return []
    if calendar.always_open:
        return [(_aware(a), _aware(b))]
    out: list[tuple[datetime, datetime]] = []
    cursor = a
    while cursor < b:
        offset, change = _segment(calendar, cursor)
        bound = min(change, b)
        wall, wall_end = cursor + offset, bound + offset
        day = wall.date()
        while (midnight := datetime.combine(day, _MIDNIGHT)) < wall_end:
            if day not in calendar.holidays:
                for begin, finish in calendar._days[day.weekday()]:
                    lo, hi = max(midnight + begin, wall), min(midnight + finish, wall_end)
                    if lo >= hi:
                        continue
                    lo, hi = lo - offset, hi - offset
                    if out and out[-1][1] == lo:
                        out[-1] = (out[-1][0], hi)
                    else:
                        out.append((lo, hi))
            day += ONE_DAY
        cursor = bound
    return [(_aware(lo), _aware(hi)) for lo, hi in out]


def closed_intervals(calendar: Calendar, start: datetime, stop: datetime) -> list[tuple[datetime, datetime]]:
    """The stretches of [start, stop) that are not business time (evenings, nights, weekends,
    holidays), in order, in UTC: the complement of ``open_intervals``."""
    a, b = _aware(_utc(start, "start")), _aware(_utc(stop, "stop"))
    out: list[tuple[datetime, datetime]] = []
    cursor = a
    for lo, hi in open_intervals(calendar, a, b):
        if cursor < lo:
            out.append((cursor, lo))
        cursor = hi
    if cursor < b:
        out.append((cursor, b))
    return out
