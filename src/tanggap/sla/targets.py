"""Response targets on a ticket's history: which policy applies, and where each clock stands. Pure.

A **policy** (``Rule``) has conditions (channels, priorities, inboxes, customer tiers, tags, and what
assist read in the customer's messages: intents, sentiment, a least anger; an empty condition matches
anything) and ``Targets``: first response, next response and resolution, each a
span of business time on a ``clock.Calendar``, and the share of a target after which a warning is due.
``choose`` takes the first rule, in order, whose conditions all hold.

Three **clocks** run on a ticket, from its history (``Event``s: the customer wrote, an agent replied,
the status changed) up to ``now``:

- *first response*: from the ticket's creation to the first agent reply;
- *next response*: from the first customer message after an agent reply (or after the ticket was
  solved before any reply) to the next reply; one at a time, and the creation's message belongs to
  the first response;
- *resolution*: from creation until the ticket is solved or closed (reopening runs it again).

A clock counts business time only while it runs: it pauses while the status is one of
``Targets.pause_statuses`` (by default waiting on the customer or on a third party) and every clock
stops when the ticket is solved or closed. ``clocks`` gives, for each clock, the business time used,
the instant the target runs out (``due_at``: when it ran out, if it did; else, for a running clock,
when it will if nothing changes; else None) and the same for the warning (``warn_due_at``). A
clock whose used time exceeds its target has **breached**, whether it is still running or stopped
late.

Instants are aware datetimes; the results are in UTC, as ``clock``'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Literal

from tanggap.sla.clock import Calendar, add_business_time, business_time_between

ZERO = timedelta(0)
# What assist reads in a customer message, as the ticket's columns hold it; spelled out here because
# sla sits below assist and never imports it.
INTENTS = frozenset(
    {"cancel", "refund", "complaint", "delivery", "payment", "account", "escalation", "question", "praise"}
)
SENTIMENTS = frozenset({"negative", "neutral", "positive"})
PAUSED_BY_DEFAULT = frozenset({"pending", "on_hold"})
FINISHED = frozenset({"solved", "closed"})


class Kind(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


@dataclass(frozen=True, slots=True)
class Targets:
    first_response: timedelta | None = None
    next_response: timedelta | None = None
    resolution: timedelta | None = None
    warn_at: float = 0.75  # the share of a target after which its warning is due
    escalate_at: float = 0.9  # the share after which the supervisor is warned as well
    pause_statuses: frozenset[str] = PAUSED_BY_DEFAULT

    def __post_init__(self) -> None:
        for name in ("first_response", "next_response", "resolution"):
            value = getattr(self, name)
            if value is not None and value <= ZERO:
                raise ValueError(f"{name} must be a positive span of time")
        if not 0 < self.warn_at < 1:
            raise ValueError("warn_at must be between 0 and 1")
        if not self.warn_at <= self.escalate_at < 1:
            raise ValueError("escalate_at must be between warn_at and 1")
        if self.pause_statuses & FINISHED:
            raise ValueError("a solved or closed ticket stops its clocks; it does not pause them")

    def of(self, kind: Kind) -> timedelta | None:
        return {
            Kind.FIRST_RESPONSE: self.first_response,
            Kind.NEXT_RESPONSE: self.next_response,
            Kind.RESOLUTION: self.resolution,
        }[kind]


@dataclass(frozen=True, slots=True)
class Facts:
    """What policies are chosen by."""

    channel: str
    priority: int
    inbox: int | None = None
    tier: str = ""
    tags: frozenset[str] = frozenset()
    intents: frozenset[str] = frozenset()  # every intent found in the customer's messages so far
    sentiment: str = ""  # of the customer's latest message; "" before any reading
    anger: float | None = None  # of the customer's latest message, 0..1; None before any reading


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    targets: Targets
    channels: frozenset[str] = frozenset()
    priorities: frozenset[int] = frozenset()
    inboxes: frozenset[int] = frozenset()
    tiers: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()  # any one of them
    intents: frozenset[str] = frozenset()  # any one of them
    sentiments: frozenset[str] = frozenset()
    min_anger: float | None = None  # a ticket with no reading never matches

    def matches(self, facts: Facts) -> bool:
        return (
            (not self.channels or facts.channel in self.channels)
            and (not self.priorities or facts.priority in self.priorities)
            and (not self.inboxes or facts.inbox in self.inboxes)
            and (not self.tiers or facts.tier in self.tiers)
            and (not self.tags or bool(self.tags & facts.tags))
            and (not self.intents or bool(self.intents & facts.intents))
            and (not self.sentiments or facts.sentiment in self.sentiments)
            and (self.min_anger is None or (facts.anger is not None and facts.anger >= self.min_anger))
        )


def choose(rules: Iterable[Rule], facts: Facts) -> Rule | None:
    """The first rule, in order, whose conditions all hold; None when none does."""
    return next((rule for rule in rules if rule.matches(facts)), None)


@dataclass(frozen=True, slots=True)
class Event:
    at: datetime
    kind: Literal["customer", "reply", "status"]
    status: str = ""  # the new status, for a "status" event


@dataclass(frozen=True, slots=True)
class Clock:
    kind: Kind
    target: timedelta
    started_at: datetime
    used: timedelta  # business time counted up to now, or up to when it stopped
    running: bool  # counting at ``now`` (started, not stopped, not paused)
    stopped_at: datetime | None  # replied, or solved / closed
    due_at: datetime | None  # when the target ran out, or will if nothing changes; None while paused
    warn_due_at: datetime | None  # the same for the warning
    escalate_due_at: datetime | None = None  # and for the supervisor's warning

    @property
    def breached(self) -> bool:
        return self.used > self.target or (self.used == self.target and self.running)

    @property
    def paused(self) -> bool:
        return self.stopped_at is None and not self.running

    @property
    def remaining(self) -> timedelta:
        return self.target - self.used


@dataclass(slots=True)
class _Span:
    """One clock's life: started, stopped, and the status history that pauses it."""

    kind: Kind
    start: datetime
    stop: datetime | None = None
    statuses: list[tuple[datetime, str]] = field(default_factory=list)


def clocks(
    calendar: Calendar,
    targets: Targets,
    created_at: datetime,
    events: Sequence[Event],
    now: datetime,
    *,
    status: str = "new",
) -> list[Clock]:
    """Where each clock with a target stands at ``now``, from the ticket's creation (in ``status``)
    and its ``events`` (in time order; those after ``now`` are ignored). A clock not started yet
    (no next response asked for) is left out."""
    created_at, now = created_at.astimezone(UTC), now.astimezone(UTC)
    history: list[tuple[datetime, str]] = [(created_at, status)]
    spans = [_Span(Kind.FIRST_RESPONSE, created_at), _Span(Kind.RESOLUTION, created_at)]
    first, resolution = spans
    waiting: _Span | None = None  # the next-response clock running, if any
    for event in events:
        at = event.at.astimezone(UTC)
        if at > now:
            break
        if at < created_at:
            raise ValueError("an event before the ticket was created")
        if event.kind == "status":
            history.append((at, event.status))
            if event.status in FINISHED:
                for span in (first, resolution, waiting):
                    if span is not None and span.stop is None:
                        span.stop = at
                waiting = None
            elif resolution.stop is not None:  # reopened: the resolution clock runs again
                resolution = _Span(Kind.RESOLUTION, at)
                spans.append(resolution)
        elif event.kind == "reply":
            if first.stop is None:
                first.stop = at
            if waiting is not None:
                waiting.stop = at
                waiting = None
        elif event.kind == "customer" and first.stop is not None and waiting is None:
            # Answered (or solved without an answer) before: the customer waits for a response again.
            waiting = _Span(Kind.NEXT_RESPONSE, at)
            spans.append(waiting)
    # Only the last clock of each kind is current (a next response answered long ago is history).
    latest: dict[Kind, _Span] = {}
    for span in spans:
        latest[span.kind] = span
    out = []
    for kind in Kind:
        span, target = latest.get(kind), targets.of(kind)
        if span is not None and target is not None:
            out.append(_measure(calendar, targets, target, span, history, now))
    return out


def _running_intervals(
    span: _Span, history: list[tuple[datetime, str]], pause: frozenset[str], now: datetime
) -> list[tuple[datetime, datetime]]:
    """The instants in ``[span.start, min(stop, now))`` when the status neither pauses nor ends it."""
    end = min(span.stop, now) if span.stop is not None else now
    intervals: list[tuple[datetime, datetime]] = []
    for index, (at, status) in enumerate(history):
        until = history[index + 1][0] if index + 1 < len(history) else end
        a, b = max(at, span.start), min(until, end)
        if a < b and status not in pause and status not in FINISHED:
            if intervals and intervals[-1][1] == a:
                intervals[-1] = (intervals[-1][0], b)
            else:
                intervals.append((a, b))
    return intervals


def _status_at(history: list[tuple[datetime, str]], at: datetime) -> str:
    current = history[0][1]
    for when, status in history:
        if when > at:
            break
        current = status
    return current


def _measure(
    calendar: Calendar,
    targets: Targets,
    target: timedelta,
    span: _Span,
    history: list[tuple[datetime, str]],
    now: datetime,
) -> Clock:
    # When the target and each warning share of it run out: [target, warning, escalation].
    marks = [target, target * targets.warn_at, target * targets.escalate_at]
    reached: list[datetime | None] = [None, None, None]
    used = ZERO
    for a, b in _running_intervals(span, history, targets.pause_statuses, now):
        spent = business_time_between(calendar, a, b)
        for index, mark in enumerate(marks):
            if reached[index] is None and used + spent >= mark:
                reached[index] = add_business_time(calendar, a, mark - used)
        used += spent
    status = _status_at(history, now)
    running = span.stop is None and status not in targets.pause_statuses and status not in FINISHED
    if running:
        # Not run out yet: when it will, if it keeps running from now.
        for index, mark in enumerate(marks):
            if reached[index] is None:
                reached[index] = add_business_time(calendar, now, mark - used)
    due_at, warn_due_at, escalate_due_at = reached
    return Clock(
        kind=span.kind,
        target=target,
        started_at=span.start,
        used=used,
        running=running,
        stopped_at=span.stop,
        due_at=due_at,
        warn_due_at=warn_due_at,
        escalate_due_at=escalate_due_at,
    )
