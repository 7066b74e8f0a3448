"""Response targets on a ticket's history: policy choice, the three clocks, pauses, warnings, breaches.

The reference test replays random histories minute by minute with ``is_open`` alone and compares
every clock's used time, due instant, warning instant and breach with ``clocks``."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tanggap.sla.clock import Calendar, is_open, parse_hours
from tanggap.sla.targets import FINISHED, Event, Facts, Kind, Rule, Targets, choose, clocks

WIB = ZoneInfo("Asia/Jakarta")
OFFICE = Calendar(
    zone="Asia/Jakarta",
    weekly=parse_hours({d: ["08:00-12:00", "13:00-17:00"] for d in range(5)}),
    holidays=frozenset({date(2026, 11, 25)}),
)
ALWAYS = Calendar(zone="Asia/Jakarta", weekly=parse_hours({0: ["08:00-17:00"]}), always_open=True)
MINUTE = timedelta(minutes=1)


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=WIB)  # 2026-11-23 is a Monday


def by_kind(result):
    return {clock.kind: clock for clock in result}


# ---------------------------------------------------------------- policies


def test_the_first_matching_rule_in_order_is_chosen():
    email = Rule("E-mail", Targets(first_response=timedelta(hours=1)), channels=frozenset({"email", "web"}))
    vip = Rule("VIP", Targets(first_response=timedelta(minutes=15)), tiers=frozenset({"vip"}))
    urgent = Rule("Urgent", Targets(first_response=timedelta(minutes=30)), priorities=frozenset({3}))
    chat = Rule("Chat", Targets(first_response=timedelta(minutes=3)), channels=frozenset({"chat"}))
    tagged = Rule("Refund", Targets(resolution=timedelta(days=1)), tags=frozenset({"refund", "cancel"}))
    rules = [vip, urgent, tagged, email, chat]
    assert choose(rules, Facts(channel="email", priority=1)) is email
    assert choose(rules, Facts(channel="email", priority=1, tier="vip")) is vip
    assert choose(rules, Facts(channel="chat", priority=3)) is urgent
    assert choose(rules, Facts(channel="chat", priority=1, tags=frozenset({"cancel", "x"}))) is tagged
    assert choose(rules, Facts(channel="phone", priority=1)) is None
    inbox = Rule("Billing", Targets(first_response=timedelta(hours=2)), inboxes=frozenset({7}))
    assert choose([inbox], Facts(channel="email", priority=1, inbox=7)) is inbox
    assert choose([inbox], Facts(channel="email", priority=1, inbox=None)) is None


HOUR = Targets(first_response=timedelta(hours=1))
EMAIL = Facts(channel="email", priority=2)


@pytest.mark.parametrize(
    "rule,facts,matches",
    [
        # Intents: any one of them, among every intent found so far.
        (
            Rule("R", HOUR, intents=frozenset({"refund"})),
            Facts("email", 2, intents=frozenset({"refund"})),
            True,
        ),
        (
            Rule("R", HOUR, intents=frozenset({"refund", "cancel"})),
            Facts("email", 2, intents=frozenset({"cancel", "praise"})),
            True,
        ),
        (
            Rule("R", HOUR, intents=frozenset({"refund"})),
            Facts("email", 2, intents=frozenset({"cancel"})),
            False,
        ),
        (Rule("R", HOUR, intents=frozenset({"refund"})), EMAIL, False),  # not read yet
        # Sentiment of the latest message: one of those listed.
        (Rule("R", HOUR, sentiments=frozenset({"negative"})), Facts("email", 2, sentiment="negative"), True),
        (
            Rule("R", HOUR, sentiments=frozenset({"negative", "neutral"})),
            Facts("email", 2, sentiment="positive"),
            False,
        ),
        (Rule("R", HOUR, sentiments=frozenset({"negative"})), EMAIL, False),
        # At least this angry; a ticket with no reading never matches.
        (Rule("R", HOUR, min_anger=0.6), Facts("email", 2, anger=0.6), True),
        (Rule("R", HOUR, min_anger=0.6), Facts("email", 2, anger=0.59), False),
        (Rule("R", HOUR, min_anger=0.0), EMAIL, False),
        (Rule("R", HOUR, min_anger=0.0), Facts("email", 2, anger=0.0), True),
        # Empty conditions match anything, the signals too.
        (Rule("R", HOUR), EMAIL, True),
        # Every filled condition must hold.
        (
            Rule("R", HOUR, channels=frozenset({"chat"}), intents=frozenset({"refund"})),
            Facts("email", 2, intents=frozenset({"refund"})),
            False,
        ),
    ],
)
def test_conditions_on_what_assist_read(rule, facts, matches):
    assert rule.matches(facts) is matches


def test_the_values_are_those_assist_reads():
    from tanggap.assist import training  # only to compare: sla never imports assist
    from tanggap.sla import targets

    assert frozenset(training.INTENTS) == targets.INTENTS
    assert frozenset(training.SENTIMENTS) == targets.SENTIMENTS


@pytest.mark.parametrize(
    "kwargs",
    [
        {"first_response": timedelta(0)},
        {"resolution": timedelta(minutes=-5)},
        {"warn_at": 0},
        {"warn_at": 1},
        {"warn_at": 0.8, "escalate_at": 0.7},
        {"escalate_at": 1},
        {"pause_statuses": frozenset({"solved"})},
    ],
)
def test_targets_that_make_no_sense_are_refused(kwargs):
    with pytest.raises(ValueError):
        Targets(**kwargs)


# ---------------------------------------------------------------- the clocks, rule by rule

HOUR = Targets(
    first_response=timedelta(hours=1), next_response=timedelta(hours=2), resolution=timedelta(hours=8)
)


def test_first_response_counts_business_hours_only_and_stops_at_the_reply():
    # Friday 16:30: 30 minutes that day, the rest after the weekend, by Monday 08:30.
    created = wib(20, 16, 30)
    running = by_kind(clocks(OFFICE, HOUR, created, [], wib(21, 10)))[Kind.FIRST_RESPONSE]
    assert running.running and running.used == timedelta(minutes=30)
    assert running.due_at == wib(23, 8, 30).astimezone(UTC)
    assert running.warn_due_at == wib(23, 8, 15).astimezone(UTC)
    assert not running.breached
    done = by_kind(clocks(OFFICE, HOUR, created, [Event(wib(23, 8, 10), "reply")], wib(23, 12)))
    first = done[Kind.FIRST_RESPONSE]
    assert first.stopped_at == wib(23, 8, 10).astimezone(UTC) and not first.running
    assert first.used == timedelta(minutes=40) and not first.breached
    assert first.due_at is None  # met: it never ran out
    assert first.warn_due_at is None  # 40 of 60 minutes used: the warning (at 45) never came


def test_a_late_reply_is_a_breach_with_the_instant_it_ran_out():
    created = wib(23, 9)
    result = by_kind(clocks(OFFICE, HOUR, created, [Event(wib(23, 13, 30), "reply")], wib(23, 14)))
    first = result[Kind.FIRST_RESPONSE]
    assert first.breached and first.used == timedelta(hours=3, minutes=30)
    assert first.due_at == wib(23, 10).astimezone(UTC)
    assert first.warn_due_at == wib(23, 9, 45).astimezone(UTC)


def test_waiting_on_the_customer_pauses_every_clock_and_the_answer_resumes_them():
    created = wib(23, 9)
    events = [Event(wib(23, 9, 20), "status", "pending"), Event(wib(24, 9), "status", "open")]
    paused = by_kind(clocks(OFFICE, HOUR, created, events[:1], wib(23, 16)))
    assert paused[Kind.FIRST_RESPONSE].paused and paused[Kind.FIRST_RESPONSE].due_at is None
    assert paused[Kind.RESOLUTION].used == timedelta(minutes=20)
    resumed = by_kind(clocks(OFFICE, HOUR, created, events, wib(24, 9, 10)))
    assert resumed[Kind.FIRST_RESPONSE].used == timedelta(minutes=30)
    assert resumed[Kind.FIRST_RESPONSE].due_at == wib(24, 9, 40).astimezone(UTC)


def test_a_team_may_keep_the_clock_running_while_it_waits_on_a_third_party():
    targets = Targets(resolution=timedelta(hours=2), pause_statuses=frozenset({"pending"}))
    created = wib(23, 9)
    result = clocks(OFFICE, targets, created, [Event(wib(23, 9, 30), "status", "on_hold")], wib(23, 10))
    (resolution,) = result
    assert resolution.running and resolution.used == timedelta(hours=1)


def test_next_response_starts_at_the_customers_message_after_a_reply():
    created = wib(23, 9)
    events = [
        Event(wib(23, 9, 30), "reply"),
        Event(wib(23, 10), "customer"),
        Event(wib(23, 10, 30), "customer"),  # the same wait: the clock runs from 10:00
        Event(wib(23, 11), "reply"),
        Event(wib(23, 16), "customer"),
    ]
    result = by_kind(clocks(OFFICE, HOUR, created, events[:4], wib(23, 12)))
    answered = result[Kind.NEXT_RESPONSE]
    assert answered.started_at == wib(23, 10).astimezone(UTC) and answered.used == timedelta(hours=1)
    assert answered.stopped_at == wib(23, 11).astimezone(UTC)
    waiting = by_kind(clocks(OFFICE, HOUR, created, events, wib(24, 8, 30)))[Kind.NEXT_RESPONSE]
    assert waiting.running and waiting.used == timedelta(hours=1, minutes=30)
    assert waiting.due_at == wib(24, 9).astimezone(UTC)


def test_no_next_response_clock_before_any_reply():
    result = by_kind(clocks(OFFICE, HOUR, wib(23, 9), [Event(wib(23, 9, 5), "customer")], wib(23, 10)))
    assert Kind.NEXT_RESPONSE not in result


def test_solving_stops_every_clock_and_reopening_runs_a_new_resolution_clock():
    created = wib(23, 9)
    events = [
        Event(wib(23, 10), "status", "solved"),
        Event(wib(23, 14), "status", "open"),
        Event(wib(23, 14), "customer"),
    ]
    result = by_kind(clocks(OFFICE, HOUR, created, events, wib(23, 15)))
    assert result[Kind.FIRST_RESPONSE].stopped_at == wib(23, 10).astimezone(UTC)
    assert result[Kind.RESOLUTION].started_at == wib(23, 14).astimezone(UTC)
    assert result[Kind.RESOLUTION].used == timedelta(hours=1)
    # Solved without an answer, then the customer wrote: they wait for a response again.
    assert result[Kind.NEXT_RESPONSE].running and result[Kind.NEXT_RESPONSE].used == timedelta(hours=1)


def test_a_ticket_arriving_on_a_holiday_night_starts_counting_at_the_next_opening():
    created = datetime(2026, 11, 24, 22, 0, tzinfo=WIB)  # Tuesday night; Wednesday is a holiday
    (first,) = clocks(OFFICE, Targets(first_response=timedelta(hours=1)), created, [], wib(25, 12))
    assert first.used == timedelta(0) and first.due_at == wib(26, 9).astimezone(UTC)


def test_events_after_now_are_not_seen_and_events_before_creation_are_refused():
    created = wib(23, 9)
    result = by_kind(clocks(OFFICE, HOUR, created, [Event(wib(23, 11), "reply")], wib(23, 10)))
    assert result[Kind.FIRST_RESPONSE].running
    with pytest.raises(ValueError):
        clocks(OFFICE, HOUR, created, [Event(wib(23, 8), "reply")], wib(23, 10))


# ---------------------------------------------------------------- against a minute-by-minute reference

STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")


def _reference(calendar, targets, created, events, now):
    """Every rule replayed one minute at a time, business minutes told by ``is_open`` alone."""
    status = "new"
    state = {Kind.FIRST_RESPONSE: [created, None, 0], Kind.RESOLUTION: [created, None, 0]}
    first_stop = None
    pending = list(events)
    t = created
    while t < now:
        while pending and pending[0].at <= t:
            event = pending.pop(0)
            if event.kind == "status":
                if event.status in FINISHED:
                    for clock in state.values():
                        if clock[1] is None:
                            clock[1] = event.at
                    first_stop = first_stop or event.at
                elif event.status not in FINISHED and state[Kind.RESOLUTION][1] is not None:
                    state[Kind.RESOLUTION] = [event.at, None, 0]
                status = event.status
            elif event.kind == "reply":
                first_stop = first_stop or event.at
                for kind in (Kind.FIRST_RESPONSE, Kind.NEXT_RESPONSE):
                    if kind in state and state[kind][1] is None:
                        state[kind][1] = event.at
            elif first_stop is not None and (Kind.NEXT_RESPONSE not in state or state[Kind.NEXT_RESPONSE][1]):
                state[Kind.NEXT_RESPONSE] = [event.at, None, 0]
        counting = status not in targets.pause_statuses and status not in FINISHED and is_open(calendar, t)
        for kind, clock in state.items():
            if counting and clock[1] is None:
                clock[2] += 1
                target = targets.of(kind)
                if target is not None:
                    clock.append(t)  # minutes counted, in order
        t += MINUTE
    out = {}
    for kind, (start, stop, used, *minutes) in state.items():
        target = targets.of(kind)
        if target is None:
            continue
        running = stop is None and status not in targets.pause_statuses and status not in FINISHED
        need = target // MINUTE
        future, u = list(minutes), used
        probe = now
        while running and u < need:  # when it would run out, if it keeps running
            if is_open(calendar, probe):
                future.append(probe)
                u += 1
            probe += MINUTE
        due = future[need - 1] + MINUTE if len(future) >= need else None
        warn_due = _reached(future, target * targets.warn_at)
        escalate_due = _reached(future, target * targets.escalate_at)
        out[kind] = (start, stop, timedelta(minutes=used), running, due, warn_due, escalate_due)
    return out


def _reached(minutes, mark):
    """When ``mark`` of business time is used, counting the open ``minutes`` in order: within a
    minute, time runs evenly."""
    whole, part = divmod(mark, MINUTE)
    if part:
        return minutes[whole] + part if len(minutes) > whole else None
    return minutes[whole - 1] + MINUTE if len(minutes) >= whole else None


@pytest.mark.parametrize("seed", range(3))
def test_clocks_match_a_minute_by_minute_reference(seed):
    rng = random.Random(seed)
    cases = 200
    for _ in range(cases):
        calendar = rng.choice([OFFICE, ALWAYS])
        targets = Targets(
            first_response=timedelta(minutes=rng.choice([4, 60, 240, 600])),
            next_response=rng.choice([None, timedelta(minutes=rng.choice([8, 120, 480]))]),
            resolution=timedelta(minutes=rng.choice([40, 480, 2400])),
            warn_at=0.75,
            escalate_at=0.9,
            pause_statuses=rng.choice(
                [frozenset({"pending", "on_hold"}), frozenset({"pending"}), frozenset()]
            ),
        )
        created = datetime(2026, 11, 20, tzinfo=UTC) + rng.randrange(0, 7 * 24 * 60) * MINUTE
        events, t = [], created
        for _ in range(rng.randrange(0, 10)):
            t += rng.randrange(0, 600) * MINUTE
            kind = rng.choice(["customer", "reply", "status", "status"])
            events.append(Event(t, kind, rng.choice(STATUSES) if kind == "status" else ""))
        now = t + rng.randrange(0, 1500) * MINUTE
        got = {c.kind: c for c in clocks(calendar, targets, created, events, now)}
        expected = _reference(calendar, targets, created, events, now)
        assert set(got) == set(expected), (created, events, now)
        for kind, (start, stop, used, running, due, warn_due, escalate_due) in expected.items():
            clock = got[kind]
            context = (kind, created, events, now, targets)
            assert (clock.started_at, clock.stopped_at) == (start, stop), context
            assert (clock.used, clock.running) == (used, running), context
            if running or clock.breached:
                assert clock.due_at == due, context
            if running or used >= targets.of(kind) * targets.warn_at:
                assert clock.warn_due_at == warn_due, context
            if running or used >= targets.of(kind) * targets.escalate_at:
                assert clock.escalate_due_at == escalate_due, context
            assert clock.breached == (used > targets.of(kind) or (running and used >= targets.of(kind))), (
                context
            )
