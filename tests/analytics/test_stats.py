"""The pure core: buckets, percentiles from bucket counts, outliers, trend lines."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tanggap.analytics import stats

HALF = math.sqrt(stats.RATIO)


@given(st.floats(min_value=1, max_value=3e9))
def test_a_bucket_stands_for_its_times_within_two_and_a_half_percent(seconds):
    value = stats.bucket_value(stats.bucket_of(seconds))
    assert seconds / HALF * (1 - 1e-9) <= value <= seconds * HALF * (1 + 1e-9)


@given(st.floats(min_value=0, max_value=3e9), st.floats(min_value=0, max_value=3e9))
def test_buckets_keep_the_order_of_times(a, b):
    if a <= b:
        assert stats.bucket_of(a) <= stats.bucket_of(b)


def test_times_under_a_second_and_negative_ones_are_bucket_zero():
    assert stats.bucket_of(0.4) == stats.bucket_of(-5) == 0 and stats.bucket_value(0) == 0
    assert stats.bucket_of(1) == 1


@given(
    st.lists(st.integers(min_value=1, max_value=10**8), min_size=1, max_size=200),
    st.sampled_from([0.5, 0.9, 0.99, 1.0]),
)
def test_a_percentile_from_buckets_is_within_two_and_a_half_percent_of_the_exact_one(times, share):
    histogram: dict[int, int] = {}
    for t in times:
        histogram[stats.bucket_of(t)] = histogram.get(stats.bucket_of(t), 0) + 1
    exact = sorted(times)[max(1, math.ceil(share * len(times))) - 1]  # nearest rank
    estimate = stats.percentile(histogram, share)
    assert estimate is not None
    assert exact / HALF * (1 - 1e-9) <= estimate <= exact * HALF * (1 + 1e-9)


def test_percentile_of_nothing_and_bad_shares():
    assert stats.percentile({}, 0.5) is None
    with pytest.raises(ValueError):
        stats.percentile({3: 1}, 0)


def test_merge_and_summarise():
    merged = stats.merge([{1: 2, 5: 1}, {5: 3}])
    assert merged == {1: 2, 5: 4}
    summary = stats.summarise(merged, with_target=4, within_target=3)
    assert summary.count == 6 and summary.within_percent == 75
    assert stats.summarise({}, with_target=0, within_target=0).within_percent is None


def test_one_slow_agent_stands_out():
    medians = {1: (600.0, 30), 2: (660.0, 25), 3: (540.0, 40), 4: (720.0, 12), 5: (7200.0, 20)}
    found = stats.outliers(medians)
    assert list(found) == [5] and found[5][0] == stats.Direction.SLOW


def test_a_very_fast_agent_stands_out_too():
    medians = {1: (600.0, 30), 2: (660.0, 25), 3: (540.0, 40), 4: (720.0, 12), 5: (20.0, 20)}
    assert stats.outliers(medians)[5][0] == stats.Direction.FAST


def test_no_outliers_among_similar_agents_too_few_agents_or_too_few_tickets():
    assert stats.outliers({1: (600.0, 30), 2: (700.0, 25), 3: (500.0, 40), 4: (650.0, 12)}) == {}
    assert stats.outliers({1: (600.0, 30), 2: (660.0, 25), 3: (9000.0, 40)}) == {}
    medians = {1: (600.0, 30), 2: (660.0, 25), 3: (540.0, 40), 4: (720.0, 12), 5: (7200.0, 2)}
    assert stats.outliers(medians) == {}


def test_when_most_agents_are_alike_twice_as_slow_stands_out():
    medians = {1: (600.0, 30), 2: (600.0, 25), 3: (600.0, 40), 4: (600.0, 12), 5: (1300.0, 20)}
    assert list(stats.outliers(medians)) == [5]
    medians[5] = (1100.0, 20)
    assert stats.outliers(medians) == {}


def test_linear_trend():
    assert stats.linear_trend([(0, 1), (1, 3), (2, 5)]) == pytest.approx((2, 1))
    assert stats.linear_trend([(1, 3)]) is None


def test_age_band():
    assert [stats.age_band(s, (10, 20)) for s in (0, 9.9, 10, 19, 20, 99)] == [0, 0, 1, 1, 2, 2]
