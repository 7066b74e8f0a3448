"""The pure core of triggers: cleaning conditions and actions, matching, planning, the loop budget."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tanggap.automations import rules
from tanggap.automations.rules import Budget, Choices, Facts, RuleError


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:64]


CHOICES = Choices(
    channels={"email", "chat"},
    statuses={"new", "open", "pending", "solved", "closed"},
    priorities={1, 2, 3, 4},
    team_ids={10, 20},
    agent_ids={1, 2, 3},
    webhook_ids={7},
    team_agents={10: {1, 2}, 20: {3}},
    normalise_tag=slug,
)

FACTS = Facts(
    channel="email",
    priority=2,
    status="new",
    team_id=10,
    assignee_id=None,
    tags=frozenset({"vip", "order"}),
    language="id",
    subject="Minta REFUND pesanan",
    message="Barang rusak, saya minta uang kembali",
    tier="gold",
    automatic=False,
    number=42,
    customer_name="Siti Rahma",
)


def cond(field, op, value=None):
    return {"field": field, "op": op, "value": value}


@pytest.mark.parametrize(
    "condition,holds",
    [
        (cond("channel", "is", "email"), True),
        (cond("channel", "is_not", "email"), False),
        (cond("priority", "is", 2), True),
        (cond("priority", "at_least", 3), False),
        (cond("priority", "at_most", 2), True),
        (cond("status", "is", "new"), True),
        (cond("status", "is_not", "open"), True),
        (cond("team", "is", 10), True),
        (cond("team", "is_not", 10), False),
        (cond("team", "is_empty"), False),
        (cond("team", "is_not_empty"), True),
        (cond("assignee", "is_empty"), True),
        (cond("assignee", "is", 1), False),
        (cond("assignee", "is_not", 1), True),
        (cond("tags", "include", "vip"), True),
        (cond("tags", "exclude", "vip"), False),
        (cond("tags", "include", "refund"), False),
        (cond("language", "is", "id"), True),
        (cond("language", "is_not", "id"), False),
        (cond("subject", "contains", "refund"), True),  # case-insensitive
        (cond("subject", "not_contains", "Refund"), False),
        (cond("message", "contains", "UANG KEMBALI"), True),
        (cond("message", "contains", "refund"), False),
        (cond("tier", "is", "gold"), True),
        (cond("tier", "is_not", "gold"), False),
        (cond("automatic", "is_true"), False),
        (cond("automatic", "is_false"), True),
    ],
)
def test_each_condition(condition, holds):
    cleaned = rules.clean_conditions([condition], CHOICES)
    assert rules.check(cleaned, FACTS) == [holds]
    assert rules.matches(cleaned, FACTS) is holds


def test_all_conditions_must_hold_and_none_matches_every_ticket():
    both = [cond("tags", "include", "vip"), cond("priority", "is", 4)]
    assert rules.check(both, FACTS) == [True, False]
    assert not rules.matches(both, FACTS)
    assert rules.matches([], FACTS)


@pytest.mark.parametrize(
    "raw,code,key",
    [
        ([cond("colour", "is", "red")], "unknown_field", "field"),
        ([cond("subject", "is", "x")], "unknown_op", "op"),
        ([cond("priority", "is", 5)], "invalid", "value"),
        ([cond("priority", "is", True)], "invalid", "value"),
        ([cond("team", "is", 30)], "invalid", "value"),
        ([cond("assignee", "is", 99)], "invalid", "value"),
        ([cond("channel", "is", "fax")], "invalid", "value"),
        ([cond("subject", "contains", "")], "required", "value"),
        ([cond("subject", "contains", "x" * 201)], "too_long", "value"),
        ([cond("subject", "contains", ["x"])], "invalid", "value"),
        ([{"field": "subject", "op": "contains", "value": "x", "sql": "1"}], "unknown_key", "sql"),
        (["subject"], "invalid", ""),
        # JSON an API client may send that is not even hashable
        ([{"field": {}, "op": "is"}], "unknown_field", "field"),
        ([{"field": "channel", "op": ["is"]}], "unknown_op", "op"),
        ([cond("channel", "is", ["email"])], "invalid", "value"),
        ([cond("status", "is", {"a": 1})], "invalid", "value"),
    ],
)
def test_conditions_are_checked_strictly(raw, code, key):
    with pytest.raises(RuleError) as caught:
        rules.clean_conditions(raw, CHOICES)
    assert (caught.value.code, caught.value.key, caught.value.part) == (code, key, "conditions")


def test_too_many_conditions():
    with pytest.raises(RuleError) as caught:
        rules.clean_conditions([cond("team", "is_empty")] * 21, CHOICES)
    assert caught.value.code == "too_many"


def test_values_are_normalised():
    cleaned = rules.clean_conditions(
        [cond("tags", "include", "VIP Customer"), cond("priority", "is", "3"), cond("tier", "is", " Gold ")],
        CHOICES,
    )
    assert [c["value"] for c in cleaned] == ["vip-customer", 3, "gold"]
    assert rules.clean_conditions([cond("team", "is_empty", "ignored")], CHOICES)[0]["value"] is None


@pytest.mark.parametrize(
    "raw,code,key",
    [
        ([], "required", ""),
        ([{"type": "explode"}], "unknown_type", "type"),
        ([{"type": "assign"}], "required", "agent"),
        ([{"type": "assign", "agent": 3, "team": 10}], "not_in_team", "agent"),
        ([{"type": "assign", "agent": 99}], "invalid", "agent"),
        ([{"type": "add_tag", "value": "!!!"}], "invalid", "value"),
        ([{"type": "set_priority", "value": 0}], "invalid", "value"),
        ([{"type": "set_status", "value": "deleted"}], "invalid", "value"),
        ([{"type": "send_mail", "body": ""}], "required", "body"),
        ([{"type": "send_mail", "body": "Hi {{ agent.password }}"}], "unknown_variable", "body"),
        ([{"type": "send_mail", "body": "x" * 5001}], "too_long", "body"),
        ([{"type": "notify", "text": "x"}], "required", "agents"),
        ([{"type": "notify", "agents": [99], "text": "x"}], "invalid", "agents"),
        ([{"type": "notify", "agents": [1], "assignee": "yes", "text": "x"}], "invalid", "assignee"),
        ([{"type": "webhook", "endpoint": 8}], "invalid", "endpoint"),
        ([{"type": "add_tag", "value": "a", "team": 10}], "unknown_key", "team"),
        ([{"type": "set_priority", "value": 3}, {"type": "set_priority", "value": 4}], "duplicate", "type"),
        ([{"type": "add_tag", "value": "a"}] * 11, "too_many", ""),
        ([{"type": ["assign"]}], "unknown_type", "type"),
        ([{"type": "set_status", "value": ["open"]}], "invalid", "value"),
    ],
)
def test_actions_are_checked_strictly(raw, code, key):
    with pytest.raises(RuleError) as caught:
        rules.clean_actions(raw, CHOICES)
    assert (caught.value.code, caught.value.key) == (code, key)


def test_valid_actions_are_stored_plainly():
    cleaned = rules.clean_actions(
        [
            {"type": "assign", "agent": "2", "team": 10},
            {"type": "add_tag", "value": "Refund Request"},
            {"type": "notify", "agents": [2, 1, 2], "assignee": True, "text": " Lihat "},
            {"type": "webhook", "endpoint": 7},
        ],
        CHOICES,
    )
    assert cleaned == [
        {"type": "assign", "agent": 2, "team": 10},
        {"type": "add_tag", "value": "refund-request"},
        {"type": "notify", "agents": [1, 2], "assignee": True, "text": "Lihat"},
        {"type": "webhook", "endpoint": 7},
    ]


def test_plan_shows_each_step_in_order_on_the_ticket_as_left_by_the_previous():
    steps, after = rules.plan(
        [
            {"type": "add_tag", "value": "vip"},  # already there
            {"type": "add_tag", "value": "refund"},
            {"type": "remove_tag", "value": "order"},
            {"type": "set_priority", "value": 3},
            {"type": "set_status", "value": "new"},  # already so
            {"type": "assign", "agent": 2, "team": None},
            {
                "type": "send_mail",
                "subject": "",
                "body": "Halo {{ customer.first_name }}, #{{ ticket.number }}",
            },
            {"type": "notify", "agents": [1], "assignee": True, "text": "Lihat"},
        ],
        FACTS,
    )
    assert [s.changes for s in steps] == [False, True, True, True, False, True, True, True]
    assert steps[6].detail == {"subject": "Minta REFUND pesanan", "body": "Halo Siti, #42"}
    assert steps[7].detail["agents"] == [1, 2]  # the assignee the plan gave it
    assert after.tags == {"vip", "refund"} and after.priority == 3 and after.assignee_id == 2


def test_mail_to_machine_mail_would_change_nothing():
    steps, _ = rules.plan(
        [{"type": "send_mail", "body": "Halo"}], Facts(**{**_facts_dict(), "automatic": True})
    )
    assert steps[0].changes is False


def _facts_dict():
    return {name: getattr(FACTS, name) for name in FACTS.__slots__}


def test_budget_each_trigger_once_and_a_cap():
    budget = Budget(cap=2)
    assert budget.may_fire(1, 5) and budget.spend(1, 5)
    assert not budget.may_fire(1, 5)
    assert budget.may_fire(1, 6)  # another ticket
    assert budget.spend(2, 5)
    assert not budget.spend(3, 5) and budget.exhausted


@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "field": st.sampled_from(sorted(rules.CONDITIONS)),
                "op": st.text(max_size=12),
                "value": st.none(),
            }
        ),
        max_size=5,
    )
)
def test_cleaning_never_fails_with_anything_but_a_rule_error(raw):
    try:
        cleaned = rules.clean_conditions(raw, CHOICES)
    except RuleError:
        return
    rules.matches(cleaned, FACTS)  # what is accepted can always be evaluated


@given(st.text(max_size=80), st.text(max_size=80))
def test_contains_is_case_insensitive(needle, haystack):
    facts = Facts(**{**_facts_dict(), "subject": haystack})
    condition = {"field": "subject", "op": "contains", "value": needle}
    assert rules.matches([condition], facts) == (needle.casefold() in haystack.casefold())


# ---------------------------------------------------------------- what assist read


ANGRY = replace(
    FACTS, sentiment="negative", emotion="anger", anger=0.82, intents=frozenset({"cancel", "refund"})
)
UNREAD = FACTS  # assist has not read the customer yet: no sentiment, no anger, no intents


@pytest.mark.parametrize(
    "condition,on_angry,on_unread",
    [
        (cond("sentiment", "is", "negative"), True, False),
        (cond("sentiment", "is_not", "negative"), False, True),
        (cond("emotion", "is", "anger"), True, False),
        (cond("emotion", "is_not", "happy"), True, True),
        (cond("anger", "at_least", 0.7), True, False),
        (cond("anger", "at_least", 0.82), True, False),  # at the threshold
        (cond("anger", "at_least", 0.9), False, False),
        (cond("anger", "at_most", 0.3), False, False),  # no reading is not "calm" either
        (cond("anger", "at_least", 0), True, False),  # no reading never matches
        (cond("intent", "include", "cancel"), True, False),
        (cond("intent", "include", "escalation"), False, False),
        (cond("intent", "exclude", "refund"), False, True),
    ],
)
def test_conditions_on_what_assist_read(condition, on_angry, on_unread):
    cleaned = rules.clean_conditions([condition], CHOICES)
    assert rules.matches(cleaned, ANGRY) is on_angry
    assert rules.matches(cleaned, UNREAD) is on_unread


def test_a_calm_reading_matches_at_most():
    calm = replace(FACTS, anger=0.1)
    assert rules.matches([cond("anger", "at_most", 0.3)], calm)
    assert not rules.matches([cond("anger", "at_least", 0.3)], calm)


def test_anger_is_stored_as_a_share():
    cleaned = rules.clean_conditions(
        [cond("anger", "at_least", "0.7"), cond("anger", "at_most", 1), cond("anger", "at_least", 0.123456)],
        CHOICES,
    )
    assert [c["value"] for c in cleaned] == [0.7, 1.0, 0.1235]


@pytest.mark.parametrize(
    "raw,code",
    [
        (cond("anger", "at_least", 70), "invalid"),  # a percentage: the builder divides by 100
        (cond("anger", "at_least", -0.1), "invalid"),
        (cond("anger", "at_least", True), "invalid"),
        (cond("anger", "at_least", "angry"), "invalid"),
        (cond("anger", "at_least", float("nan")), "invalid"),
        (cond("anger", "at_least", None), "invalid"),
        (cond("anger", "is", 0.5), "unknown_op"),
        (cond("sentiment", "is", "furious"), "invalid"),
        (cond("sentiment", "include", "negative"), "unknown_op"),
        (cond("emotion", "is", "joy"), "invalid"),
        (cond("intent", "include", "refunds"), "invalid"),
        (cond("intent", "include", ["cancel"]), "invalid"),
        (cond("intent", "is", "cancel"), "unknown_op"),
    ],
)
def test_conditions_on_what_assist_read_are_checked_strictly(raw, code):
    with pytest.raises(RuleError) as caught:
        rules.clean_conditions([raw], CHOICES)
    assert caught.value.code == code


def test_the_new_event_is_known():
    assert "message_classified" in rules.EVENTS


def test_the_values_are_those_assist_reads():
    from tanggap.assist import training  # only to compare: triggers never import assist

    assert (rules.SENTIMENTS, rules.EMOTIONS, rules.INTENTS) == (
        training.SENTIMENTS,
        training.EMOTIONS,
        training.INTENTS,
    )
