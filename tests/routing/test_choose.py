"""The routing decision (pure): who can take a ticket, the sticky owner, language and skills, the two
strategies, and fairness over 10,000 simulated arrivals."""

from __future__ import annotations

import random
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tanggap.routing.choose import (
    Candidate,
    Presence,
    Reason,
    Strategy,
    Waiting,
    Work,
    choose,
    queue_order,
    weighted_load,
)

EMAIL = Work(channel="email")


def agent(pk: int, **kwargs) -> Candidate:
    values = {
        "presence": Presence.ONLINE,
        "capacity": {"email": 10, "chat": 3},
        "languages": frozenset({"id"}),
    }
    return Candidate(id=pk, **{**values, **kwargs})


@pytest.mark.parametrize("strategy", list(Strategy))
def test_never_an_agent_away_offline_or_at_capacity(strategy):
    agents = [
        agent(1, presence=Presence.OFFLINE),
        agent(2, presence=Presence.AWAY),
        agent(3, load={"chat": 3}),
        agent(4, capacity={"email": 10}),  # works no chat
    ]
    decision = choose(agents, Work(channel="chat"), strategy=strategy)
    assert (decision.agent_id, decision.reason, decision.available) == (None, Reason.NOBODY_AVAILABLE, 0)
    assert choose([*agents, agent(5)], Work(channel="chat"), strategy=strategy).agent_id == 5


def test_the_previous_agent_keeps_the_customer_when_they_can_take_it():
    agents = [agent(1), agent(2, weighted_load=5.0), agent(3)]
    decision = choose(agents, replace(EMAIL, previous_agent=2))
    assert (decision.agent_id, decision.reason) == (2, Reason.STICKY_OWNER)
    assert choose(agents, replace(EMAIL, previous_agent=2), sticky=False).agent_id == 1
    busy = [agent(1), agent(2, load={"email": 10}), agent(3)]
    assert choose(busy, replace(EMAIL, previous_agent=2)).reason == Reason.LEAST_LOADED
    away = [agent(1), agent(2, presence=Presence.AWAY)]
    assert choose(away, replace(EMAIL, previous_agent=2)).agent_id == 1


def test_language_then_skills_narrow_the_pool_but_never_to_nobody():
    agents = [
        agent(1, languages=frozenset({"id"})),
        agent(2, languages=frozenset({"en"}), weighted_load=3.0),
        agent(3, languages=frozenset({"en", "id"}), skills=frozenset({"billing"}), weighted_load=6.0),
    ]
    english = choose(agents, replace(EMAIL, language="en"))
    assert (english.agent_id, english.language_matched) == (2, True)
    billing = choose(agents, replace(EMAIL, language="en", skills=frozenset({"billing"})))
    assert (billing.agent_id, billing.language_matched, billing.skills_matched) == (3, True, True)
    nobody = choose(agents, replace(EMAIL, language="ja", skills=frozenset({"legal"})))
    assert (nobody.agent_id, nobody.language_matched, nobody.skills_matched) == (1, False, False)


def test_least_loaded_weighs_priorities_against_capacity():
    assert weighted_load([4, 4, 1]) == 4.5
    agents = [
        agent(1, weighted_load=weighted_load([4, 4])),  # two urgent tickets: 4.0 of 10
        agent(2, weighted_load=weighted_load([2, 2, 2])),  # three normal ones: 3.0 of 10
        agent(3, weighted_load=2.0, capacity={"email": 4}),  # 2.0 of 4: the busiest
    ]
    assert choose(agents, EMAIL).agent_id == 2
    tie = [agent(1, weighted_load=1.0, last_assigned=20), agent(2, weighted_load=1.0, last_assigned=10)]
    assert choose(tie, EMAIL).agent_id == 2  # given a ticket longest ago


def test_round_robin_takes_the_one_given_a_ticket_longest_ago_and_never_given_first():
    agents = [agent(1, last_assigned=30), agent(2, last_assigned=10), agent(3, last_assigned=20)]
    assert choose(agents, EMAIL, strategy=Strategy.ROUND_ROBIN).agent_id == 2
    assert choose([*agents, agent(9)], EMAIL, strategy=Strategy.ROUND_ROBIN).agent_id == 9


def test_the_same_inputs_give_the_same_decision():
    rng = random.Random(5)
    agents = [agent(pk, weighted_load=float(rng.randrange(3))) for pk in rng.sample(range(1, 100), 30)]
    decisions = {
        choose(order, EMAIL) for order in (agents, agents[::-1], sorted(agents, key=lambda a: -a.id))
    }
    assert len(decisions) == 1


@pytest.mark.parametrize("strategy", list(Strategy))
def test_equal_agents_get_equal_shares_of_10000_arrivals(strategy):
    """The bar: over 10,000 simulated arrivals to equal agents, the most and the fewest tickets given
    to one agent differ by at most 10 %. Tickets arrive with random priorities and are solved at
    random; every decision goes to an agent who could take the ticket."""
    rng = random.Random(7)
    agents = {pk: agent(pk, capacity={"email": 10}) for pk in range(1, 51)}
    open_tickets: dict[int, list[int]] = {pk: [] for pk in agents}
    given = dict.fromkeys(agents, 0)
    for stamp in range(10_000):
        for pk, priorities in open_tickets.items():  # agents solve some of their tickets
            open_tickets[pk] = [p for p in priorities if rng.random() > 0.05]
        candidates = [
            replace(
                agents[pk],
                load={"email": len(open_tickets[pk])},
                weighted_load=weighted_load(open_tickets[pk]),
            )
            for pk in agents
        ]
        work = Work(channel="email", priority=rng.choice([1, 2, 2, 2, 3, 4]))
        decision = choose(candidates, work, strategy=strategy)
        assert decision.agent_id is not None
        assert len(open_tickets[decision.agent_id]) < 10  # never over capacity
        open_tickets[decision.agent_id].append(work.priority)
        given[decision.agent_id] += 1
        agents[decision.agent_id] = replace(agents[decision.agent_id], last_assigned=stamp)
    assert sum(given.values()) == 10_000
    assert max(given.values()) / min(given.values()) <= 1.1


# ---------------------------------------------------------------- the queue's order


def test_angry_customers_first_then_the_tiers_then_priority_then_the_oldest():
    calm_old = Waiting(1, priority=2, created=1)
    urgent = Waiting(2, priority=4, created=5)
    vip = Waiting(3, priority=1, created=9, tier="vip")
    angry = Waiting(4, priority=1, created=10, anger=0.8)
    angry_urgent = Waiting(5, priority=4, created=11, anger=0.6)  # at the threshold: angry
    angry_vip = Waiting(6, priority=1, created=3, tier="vip", anger=0.9)
    mildly = Waiting(7, priority=2, created=0, anger=0.59)
    waiting = [calm_old, urgent, vip, angry, angry_urgent, angry_vip, mildly]
    ordered = queue_order(waiting, lane_tiers={"vip"}, angry_threshold=0.6)
    # Angry: by priority, then the oldest (the tier does not matter inside the angry lane);
    # then the tier lane; then everyone else by priority, then the oldest.
    assert [t.id for t in ordered] == [5, 6, 4, 3, 2, 7, 1]


def test_without_the_switch_anger_changes_nothing():
    waiting = [Waiting(1, created=1), Waiting(2, created=2, anger=1.0), Waiting(3, created=3, tier="vip")]
    assert [t.id for t in queue_order(waiting, lane_tiers={"vip"})] == [3, 1, 2]
    assert [t.id for t in queue_order(waiting)] == [1, 2, 3]


def test_a_ticket_assist_has_not_read_is_not_angry():
    waiting = [Waiting(1, created=1, anger=None), Waiting(2, created=2, anger=0.0)]
    assert [t.id for t in queue_order(waiting, angry_threshold=0.0)] == [2, 1]


@given(
    st.lists(
        st.builds(
            Waiting,
            id=st.integers(1, 10_000),
            priority=st.integers(1, 4),
            created=st.floats(0, 1e6),
            tier=st.sampled_from(["", "vip", "gold"]),
            anger=st.none() | st.floats(0, 1),
        ),
        max_size=30,
        unique_by=lambda t: t.id,
    ),
    st.none() | st.floats(0.01, 1),
)
def test_no_calm_ticket_goes_before_an_angry_one(waiting, threshold):
    ordered = queue_order(waiting, lane_tiers={"vip"}, angry_threshold=threshold)
    assert sorted(t.id for t in ordered) == sorted(t.id for t in waiting)
    angry = [threshold is not None and t.anger is not None and t.anger >= threshold for t in ordered]
    assert angry == sorted(angry, reverse=True)
