"""The honest estimate of a first answer: a high quantile of recent first-response times, rounded up to
a friendly step, said either as a duration ("within 40 minutes") or as an instant from the business
calendar ("by 09:30 tomorrow"). Pure: plain values in, plain values out (docs/acknowledgement.md).

Honest means never shorter than the history supports: the quantile is nearest-rank (an observed value,
never an interpolation below it), the rounding only goes up, a ticket still waiting counts with the
time it has waited so far, and with too few samples no number is given at all.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from tanggap.sla import clock

# The share of recent first answers that came within the promised time: 9 in 10. A median would be
# broken for half the customers; the 90th percentile is kept for nine out of ten.
QUANTILE = 0.9
# Fewer first answers than this in a scope say too little about it: the next wider scope is asked.
MIN_SAMPLES = 20
# How far back the history reaches.
WINDOW = timedelta(days=28)
# The friendly durations a promise is rounded up to; beyond the last, whole days.
_STEP_MINUTES = (5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 24 * 60)
FRIENDLY_STEPS: tuple[timedelta, ...] = tuple(timedelta(minutes=m) for m in _STEP_MINUTES)
# Instants ("by 09:30") are rounded up to a quarter of an hour; every time zone in use today is a
# whole number of quarter hours from UTC, so a quarter in UTC is a quarter on the local clock.
INSTANT_STEP = timedelta(minutes=15)


class Scope(StrEnum):
    """Where the samples came from, narrowest first."""

    TEAM_CHANNEL = "team_channel"  # the inbox's team, the ticket's channel
    TEAM = "team"  # the inbox's team, every channel
    WORKSPACE = "workspace"  # every team


class Kind(StrEnum):
    WITHIN = "within"  # "usually within 40 minutes": open now, and the answer comes before closing
    BY = "by"  # "by 09:30 tomorrow": closed now, or the answer would fall after closing
    UNKNOWN = "unknown"  # too few samples anywhere: "as soon as possible during our working hours"


class Day(StrEnum):
    """How an instant's local day is named, seen from now."""

    TODAY = "today"
    TOMORROW = "tomorrow"
    WEEKDAY = "weekday"  # within the coming week: "Monday"
    DATE = "date"  # further: "2 January"


@dataclass(frozen=True, slots=True)
class Estimate:
    kind: Kind
    # The promised business time (the quantile rounded up to a friendly step); None for UNKNOWN.
    duration: timedelta | None = None
    # The instant it comes by (UTC): ``duration`` of business time from now, for BY rounded up to
    # ``INSTANT_STEP``; None for UNKNOWN.
    due_at: datetime | None = None
    local_due: datetime | None = None  # ``due_at`` on the calendar's clock
    day: Day | None = None  # how ``local_due``'s day is named (BY only)
    scope: Scope | None = None
    samples: int = 0
    quantile: timedelta | None = None  # the raw nearest-rank quantile of the samples


def nearest_rank(samples: Sequence[timedelta], share: float = QUANTILE) -> timedelta:
    """The nearest-rank ``share`` quantile: the smallest sample with at least ``share`` of all samples
    at or below it. An observed value, never below the interpolated quantile."""
    if not samples:
        raise ValueError("no samples")
    if not 0 < share <= 1:
        raise ValueError("share must be in (0, 1]")
    ordered = sorted(samples)
    rank = max(1, math.ceil(share * len(ordered) - 1e-9))
    return ordered[rank - 1]


def round_up(duration: timedelta) -> timedelta:
    """The smallest friendly step at or above ``duration`` (whole days beyond eight hours)."""
    for step in FRIENDLY_STEPS:
        if duration <= step:
            return step
    days = math.ceil(duration / timedelta(days=1))
    return timedelta(days=days)


def _ceil_instant(at: datetime, step: timedelta = INSTANT_STEP) -> datetime:
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    steps = math.ceil((at - epoch) / step)
    return epoch + steps * step


@dataclass(frozen=True, slots=True)
class Tier:
    """The history of one scope: business time from creation to the first answer of each answered
    ticket, and the time waited so far by each ticket still waiting for one (a lower bound of its
    first-response time)."""

    scope: Scope
    answered: Sequence[timedelta]
    waiting: Sequence[timedelta] = ()


def choose_tier(tiers: Sequence[Tier], minimum: int = MIN_SAMPLES) -> Tier | None:
    """The narrowest scope with at least ``minimum`` answered tickets, None when none has enough."""
    for tier in tiers:
        if len(tier.answered) >= minimum:
            return tier
    return None


def supported(tier: Tier, share: float = QUANTILE) -> timedelta:
    """The quantile the history supports: that of the answered tickets, or higher when the tickets
    still waiting (counted with their wait so far, which their answer can only exceed) push it up."""
    answered = nearest_rank(tier.answered, share)
    if not tier.waiting:
        return answered
    return max(answered, nearest_rank([*tier.answered, *tier.waiting], share))


def day_of(now: datetime, local_due: datetime, zone_now: datetime | None = None) -> Day:
    """How ``local_due``'s date is named from ``now`` (both compared on the calendar's clock)."""
    today = (zone_now or now.astimezone(local_due.tzinfo)).date()
    days = (local_due.date() - today).days
    if days <= 0:
        return Day.TODAY
    if days == 1:
        return Day.TOMORROW
    if days < 7:
        return Day.WEEKDAY
    return Day.DATE


def estimate(
    *,
    tiers: Sequence[Tier],
    calendar: clock.Calendar,
    now: datetime,
    share: float = QUANTILE,
    minimum: int = MIN_SAMPLES,
) -> Estimate:
    """The first-answer estimate from the history of each scope, narrowest first, under ``calendar`` at
    ``now``."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    tier = choose_tier(tiers, minimum)
    if tier is None:
        return Estimate(Kind.UNKNOWN, samples=max((len(t.answered) for t in tiers), default=0))
    raw = max(supported(tier, share), timedelta(0))
    promise = round_up(raw)
    due = clock.add_business_time(calendar, now, promise)
    zone = ZoneInfo(calendar.zone)
    # Within one stretch of open hours the business time is the wall time: a duration says it all.
    # Otherwise (closed now, or closing before the answer) only an instant is honest.
    if clock.is_open(calendar, now) and due - now.astimezone(UTC) <= promise:
        return Estimate(
            Kind.WITHIN,
            duration=promise,
            due_at=due,
            local_due=due.astimezone(zone),
            scope=tier.scope,
            samples=len(tier.answered),
            quantile=raw,
        )
    due = _ceil_instant(due)
    local_due = due.astimezone(zone)
    return Estimate(
        Kind.BY,
        duration=promise,
        due_at=due,
        local_due=local_due,
        day=day_of(now, local_due, now.astimezone(zone)),
        scope=tier.scope,
        samples=len(tier.answered),
        quantile=raw,
    )
