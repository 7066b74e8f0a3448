"""The status workflow table (pure)."""

from __future__ import annotations

from collections import deque

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tanggap.tickets import workflow
from tanggap.tickets.models import Status as ModelStatus
from tanggap.tickets.workflow import ACTIVE, TRANSITIONS, Status

statuses = st.sampled_from(list(Status))


def test_table_covers_every_status_and_names_only_known_ones():
    assert set(TRANSITIONS) == set(Status)
    for targets in TRANSITIONS.values():
        assert targets <= set(Status)


def test_model_choices_match_the_workflow():
    assert set(ModelStatus.values) == {s.value for s in Status}


def test_no_status_transitions_to_itself():
    for status, targets in TRANSITIONS.items():
        assert status not in targets


def test_closed_is_final():
    assert TRANSITIONS[Status.CLOSED] == frozenset()
    for target in Status:
        assert not workflow.can_transition(Status.CLOSED, target)


def test_every_status_is_reachable_from_new():
    seen = {Status.NEW}
    queue = deque([Status.NEW])
    while queue:
        for target in TRANSITIONS[queue.popleft()]:
            if target not in seen:
                seen.add(target)
                queue.append(target)
    assert seen == set(Status)


def test_every_status_but_closed_can_reach_closed():
    for start in Status:
        seen, queue = {start}, deque([start])
        while queue:
            for target in TRANSITIONS[queue.popleft()]:
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
        assert Status.CLOSED in seen


def test_reopen_solved():
    assert workflow.can_transition("solved", "open")


def test_unknown_status_raises():
    with pytest.raises(ValueError):
        workflow.can_transition("new", "bogus")
    with pytest.raises(ValueError):
        workflow.status_after_customer_message("bogus")


@given(start=statuses, attempts=st.lists(statuses, max_size=40))
def test_random_walks_follow_the_table(start, attempts):
    current = start
    path = [current]
    for target in attempts:
        if workflow.can_transition(current, target):
            assert target in TRANSITIONS[current]
            current = target
            path.append(current)
        else:
            assert target not in TRANSITIONS[current]
    # Once closed, a walk never moves again.
    if Status.CLOSED in path:
        assert path[path.index(Status.CLOSED) :] == [Status.CLOSED]


@given(current=statuses)
def test_allowed_targets_is_the_table_in_declaration_order(current):
    targets = workflow.allowed_targets(current)
    assert set(targets) == TRANSITIONS[current]
    assert targets == sorted(targets, key=list(Status).index)


@given(current=statuses)
def test_status_after_customer_message(current):
    after = workflow.status_after_customer_message(current)
    if current in (Status.PENDING, Status.SOLVED):
        assert after == Status.OPEN
        assert workflow.can_transition(current, after)
    else:
        assert after == current
    # A customer message never closes, solves or parks a ticket.
    assert after not in (Status.SOLVED, Status.PENDING) or after == current


def test_active_statuses():
    assert frozenset({Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD}) == ACTIVE
