"""The honest estimate's pure core: quantile, rounding up, widening, and the calendar's state now."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tanggap.automations.estimate import (
    FRIENDLY_STEPS,
    MIN_SAMPLES,
    Day,
    Kind,
    Scope,
    Tier,
    choose_tier,
    estimate,
    nearest_rank,
    round_up,
    supported,
)
from tanggap.sla.clock import OFFICE_HOURS, Calendar

WIB = ZoneInfo("Asia/Jakarta")
M = timedelta(minutes=1)
H = timedelta(hours=1)
OFFICE = Calendar(zone="Asia/Jakarta", weekly=OFFICE_HOURS)  # Monday to Friday 08:00-17:00
ALWAYS = Calendar(zone="Asia/Jakarta", always_open=True)


def wib(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=WIB)


def minutes(*values: float) -> list[timedelta]:
    return [timedelta(minutes=v) for v in values]


def tier(scope: Scope, answered: list[timedelta], waiting: list[timedelta] | None = None) -> Tier:
    return Tier(scope, answered, waiting or [])


# 2026-11-23 is a Monday.
MONDAY_10 = wib(2026, 11, 23, 10, 0)
TWENTY_AROUND_32 = minutes(*([10] * 10 + [25] * 7 + [32] * 3))  # p90 (18th of 20) is 32 minutes


def test_nearest_rank_is_an_observed_value_at_or_above_the_share() -> None:
    values = minutes(*range(1, 21))  # 1 … 20 minutes
    assert nearest_rank(values, 0.9) == 18 * M
    assert nearest_rank(values, 0.5) == 10 * M
    assert nearest_rank(values, 1.0) == 20 * M
    assert nearest_rank(minutes(7), 0.9) == 7 * M
    assert nearest_rank(list(reversed(values)), 0.9) == 18 * M  # order does not matter
    with pytest.raises(ValueError, match="no samples"):
        nearest_rank([], 0.9)
    with pytest.raises(ValueError, match="share"):
        nearest_rank(values, 0)


@pytest.mark.parametrize(
    ("given_minutes", "expected_minutes"),
    [
        (0, 5),
        (1, 5),
        (5, 5),
        (5.01, 10),
        (31, 45),
        (40, 45),
        (46, 60),
        (61, 90),
        (91, 120),
        (121, 180),
        (181, 240),
        (241, 360),
        (361, 480),
        (481, 1440),
        (1441, 2880),
        (3 * 1440, 3 * 1440),
    ],
)
def test_round_up_goes_to_the_next_friendly_step(given_minutes: float, expected_minutes: int) -> None:
    assert round_up(timedelta(minutes=given_minutes)) == timedelta(minutes=expected_minutes)


@given(st.integers(min_value=0, max_value=30 * 24 * 3600))
def test_round_up_never_goes_down_and_lands_on_a_step(seconds: int) -> None:
    value = timedelta(seconds=seconds)
    rounded = round_up(value)
    assert rounded >= value
    assert rounded in FRIENDLY_STEPS or rounded % timedelta(days=1) == timedelta(0)


@settings(max_examples=200, deadline=None)
@given(
    answered=st.lists(st.integers(min_value=0, max_value=5 * 24 * 60), min_size=MIN_SAMPLES, max_size=80),
    waiting=st.lists(st.integers(min_value=0, max_value=5 * 24 * 60), max_size=20),
    share=st.sampled_from([0.8, 0.9, 0.95]),
)
def test_the_promise_is_never_shorter_than_the_history_supports(
    answered: list[int], waiting: list[int], share: float
) -> None:
    history = Tier(Scope.TEAM_CHANNEL, minutes(*answered), minutes(*waiting))
    result = estimate(tiers=[history], calendar=ALWAYS, now=MONDAY_10, share=share)
    assert result.kind == Kind.WITHIN  # 24/7: always a duration
    assert result.duration is not None and result.quantile is not None
    # At or above the nearest-rank quantile of the answered tickets…
    ordered = sorted(answered)
    empirical = timedelta(minutes=ordered[math.ceil(share * len(ordered)) - 1])
    assert result.quantile >= empirical
    assert result.duration >= empirical
    # … and at or above share of every answer in the history.
    kept = sum(1 for value in answered if timedelta(minutes=value) <= result.duration)
    assert kept >= share * len(answered)
    assert result.due_at == MONDAY_10.astimezone(UTC) + result.duration


def test_waiting_tickets_can_only_raise_the_quantile() -> None:
    answered = minutes(*([10] * 20))
    assert supported(Tier(Scope.TEAM, answered, minutes(1, 2, 3))) == 10 * M  # young waits do not lower it
    long_waits = minutes(*([120] * 5))
    assert supported(Tier(Scope.TEAM, answered, long_waits)) == 120 * M  # 5 of 25 waited 2 hours already


def test_widens_from_team_and_channel_to_team_to_workspace() -> None:
    few = minutes(*([5] * (MIN_SAMPLES - 1)))
    team = minutes(*([25] * MIN_SAMPLES))
    workspace = minutes(*([50] * 40))
    tiers = [tier(Scope.TEAM_CHANNEL, few), tier(Scope.TEAM, team), tier(Scope.WORKSPACE, workspace)]
    chosen = choose_tier(tiers)
    assert chosen is not None and chosen.scope == Scope.TEAM
    result = estimate(tiers=tiers, calendar=ALWAYS, now=MONDAY_10)
    assert result.scope == Scope.TEAM and result.duration == 30 * M and result.samples == MIN_SAMPLES
    tiers[1] = tier(Scope.TEAM, few)
    result = estimate(tiers=tiers, calendar=ALWAYS, now=MONDAY_10)
    assert result.scope == Scope.WORKSPACE and result.duration == 60 * M


def test_too_few_samples_everywhere_gives_no_number() -> None:
    few = minutes(*([5] * (MIN_SAMPLES - 1)))
    result = estimate(
        tiers=[tier(Scope.TEAM_CHANNEL, []), tier(Scope.TEAM, few), tier(Scope.WORKSPACE, few)],
        calendar=OFFICE,
        now=MONDAY_10,
    )
    assert result.kind == Kind.UNKNOWN
    assert result.duration is None and result.due_at is None
    assert result.samples == MIN_SAMPLES - 1


def test_open_now_and_answered_before_closing_is_a_duration() -> None:
    result = estimate(tiers=[tier(Scope.TEAM_CHANNEL, TWENTY_AROUND_32)], calendar=OFFICE, now=MONDAY_10)
    assert result.kind == Kind.WITHIN
    assert result.quantile == 32 * M
    assert result.duration == 45 * M
    assert result.local_due == wib(2026, 11, 23, 10, 45)


def test_an_answer_due_exactly_at_closing_is_still_a_duration() -> None:
    result = estimate(
        tiers=[tier(Scope.TEAM_CHANNEL, TWENTY_AROUND_32)], calendar=OFFICE, now=wib(2026, 11, 23, 16, 15)
    )
    assert result.kind == Kind.WITHIN and result.local_due == wib(2026, 11, 23, 17, 0)


def test_closed_now_gives_an_instant_after_the_next_opening() -> None:
    # Monday 20:00: closed; the team opens Tuesday 08:00, the answer comes 45 minutes of work later.
    result = estimate(
        tiers=[tier(Scope.TEAM_CHANNEL, TWENTY_AROUND_32)], calendar=OFFICE, now=wib(2026, 11, 23, 20, 0)
    )
    assert result.kind == Kind.BY
    assert result.local_due == wib(2026, 11, 24, 8, 45)
    assert result.day == Day.TOMORROW
    # Early on the same day: today.
    early = estimate(
        tiers=[tier(Scope.TEAM_CHANNEL, TWENTY_AROUND_32)], calendar=OFFICE, now=wib(2026, 11, 24, 6, 0)
    )
    assert early.kind == Kind.BY and early.local_due == wib(2026, 11, 24, 8, 45) and early.day == Day.TODAY


def test_an_answer_spilling_past_closing_is_an_instant_the_next_working_day() -> None:
    # Friday 16:40 with a 45-minute promise: 20 minutes today, 25 on Monday from 08:00, rounded up to 08:30.
    result = estimate(
        tiers=[tier(Scope.TEAM_CHANNEL, TWENTY_AROUND_32)], calendar=OFFICE, now=wib(2026, 11, 27, 16, 40)
    )
    assert result.kind == Kind.BY
    assert result.local_due == wib(2026, 11, 30, 8, 30)
    assert result.day == Day.WEEKDAY  # "by Monday 08:30"
    assert result.due_at is not None and result.due_at.minute % 15 == 0


def test_holidays_from_the_calendar_are_skipped() -> None:
    # 2026-12-25 (Friday) is Christmas, a public holiday in Indonesia.
    calendar = Calendar.indonesian(years=[2026, 2027], zone="Asia/Jakarta")
    assert date(2026, 12, 25) in calendar.holidays
    result = estimate(
        tiers=[tier(Scope.TEAM_CHANNEL, TWENTY_AROUND_32)], calendar=calendar, now=wib(2026, 12, 24, 20, 0)
    )
    assert result.kind == Kind.BY
    assert result.local_due == wib(2026, 12, 28, 8, 45)  # not Friday the 25th: Monday the 28th
    assert result.day == Day.WEEKDAY


def test_far_instants_are_named_by_date() -> None:
    long = minutes(*([3 * 24 * 60] * MIN_SAMPLES))  # three days of business time: 72 h of 9-hour days
    result = estimate(tiers=[tier(Scope.WORKSPACE, long)], calendar=OFFICE, now=MONDAY_10)
    assert result.kind == Kind.BY and result.duration == timedelta(days=3)
    assert result.day == Day.DATE
    assert result.local_due is not None and result.local_due > wib(2026, 11, 30)


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        estimate(tiers=[], calendar=OFFICE, now=datetime(2026, 11, 23, 10, 0))
