"""Pure arithmetic of the dashboards: times in log-spaced buckets, percentiles from bucket counts,
and agents whose times stand out. No Django: plain values in, plain values out.

A time of ``s`` seconds falls in bucket ``b = 1 + floor(log(s) / log(RATIO))`` (bucket 0 holds times
under a second), so bucket ``b`` covers ``[RATIO**(b-1), RATIO**b)`` and its middle on the log scale,
``RATIO**(b-0.5)``, is within a factor ``sqrt(RATIO)`` (about 2.5 %) of every time in it. A median or
p90 read from bucket counts is therefore within 2.5 % of the exact nearest-rank percentile.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

RATIO = 1.05
MAX_BUCKET = 480  # RATIO**480 s is about 430 years: every real time fits
_LOG_RATIO = math.log(RATIO)


def bucket_of(seconds: float) -> int:
    """The bucket of a time in seconds (negative times, from clock skew, count as zero)."""
    if seconds < 1:
        return 0
    return min(MAX_BUCKET, 1 + math.floor(math.log(seconds) / _LOG_RATIO + 1e-12))


def bucket_value(bucket: int) -> float:
    """The time a bucket stands for: its middle on the log scale (0 for bucket 0)."""
    if bucket <= 0:
        return 0.0
    return RATIO ** (bucket - 0.5)


def percentile(histogram: Mapping[int, int], share: float) -> float | None:
    """The nearest-rank ``share`` percentile (0 < share <= 1) of the times counted in ``histogram``
    (bucket -> count), as its bucket's value; None when it counts nothing."""
    if not 0 < share <= 1:
        raise ValueError("share must be in (0, 1]")
    total = sum(count for count in histogram.values() if count > 0)
    if total == 0:
        return None
    rank = max(1, math.ceil(share * total))
    seen = 0
    for bucket in sorted(histogram):
        count = histogram[bucket]
        if count <= 0:
            continue
        seen += count
        if seen >= rank:
            return bucket_value(bucket)
    raise AssertionError("unreachable: the ranks add up to the total")  # pragma: no cover


def merge(histograms: Iterable[Mapping[int, int]]) -> dict[int, int]:
    out: dict[int, int] = {}
    for histogram in histograms:
        for bucket, count in histogram.items():
            out[bucket] = out.get(bucket, 0) + count
    return out


@dataclass(frozen=True, slots=True)
class Summary:
    """What the dashboards show of one kind of time for one group of tickets."""

    count: int  # tickets with the time (answered, or resolved)
    median: float | None  # seconds
    p90: float | None
    with_target: int  # of them, tickets whose clock had a target
    within_target: int  # of those, met it

    @property
    def within_percent(self) -> float | None:
        return None if not self.with_target else 100 * self.within_target / self.with_target


EMPTY = Summary(count=0, median=None, p90=None, with_target=0, within_target=0)


def summarise(histogram: Mapping[int, int], *, with_target: int, within_target: int) -> Summary:
    return Summary(
        count=sum(histogram.values()),
        median=percentile(histogram, 0.5),
        p90=percentile(histogram, 0.9),
        with_target=with_target,
        within_target=within_target,
    )


class Direction(StrEnum):
    SLOW = "slow"
    FAST = "fast"


# Iglewicz and Hoaglin's modified z-score: 0.6745 (x - median) / MAD; above 3.5 is an outlier.
MODIFIED_Z = 0.6745
OUTLIER_Z = 3.5
MIN_AGENTS = 4
MIN_TICKETS = 5


def outliers(
    medians: Mapping[int, tuple[float, int]], *, min_tickets: int = MIN_TICKETS, threshold: float = OUTLIER_Z
) -> dict[int, tuple[Direction, float]]:
    """The agents (key -> ``(median seconds, tickets)``) whose median time stands out from the
    others', with the direction and the modified z-score. Times are compared on a log scale (a
    response time is skewed: 2 h against 1 h is as far as 2 min against 1 min). Only agents with at
    least ``min_tickets`` count, and at least ``MIN_AGENTS`` of them are needed. When most agents
    have the same median (MAD 0), an agent more than twice as slow or fast as that stands out."""
    logs = {
        key: math.log(max(median, 1.0)) for key, (median, count) in medians.items() if count >= min_tickets
    }
    if len(logs) < MIN_AGENTS:
        return {}
    centre = _median(list(logs.values()))
    mad = _median([abs(value - centre) for value in logs.values()])
    out: dict[int, tuple[Direction, float]] = {}
    for key, value in logs.items():
        if mad > 0:
            z = MODIFIED_Z * (value - centre) / mad
            if abs(z) <= threshold:
                continue
        else:
            if abs(value - centre) <= math.log(2):
                continue
            z = math.inf if value > centre else -math.inf
        out[key] = (Direction.SLOW if z > 0 else Direction.FAST, z)
    return out


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def age_band(seconds: float, bands: tuple[int, ...]) -> int:
    """The index of the first band (upper limits in seconds, ascending) ``seconds`` is under; the
    last index + 1 when it is over them all."""
    for index, limit in enumerate(bands):
        if seconds < limit:
            return index
    return len(bands)


def linear_trend(points: list[tuple[float, float]]) -> tuple[float, float] | None:
    """Least-squares line ``(slope, intercept)`` through ``(x, y)`` points; None with fewer than two
    distinct x values."""
    if len({x for x, _ in points}) < 2:
        return None
    n = len(points)
    mean_x = sum(x for x, _ in points) / n
    mean_y = sum(y for _, y in points) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in points)
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in points)
    slope = sxy / sxx
    return slope, mean_y - slope * mean_x
