"""Writing triggers: permissions, audit, order, switching off, dry runs."""

from __future__ import annotations

import pytest

from tanggap.accounts.models import Role
from tanggap.automations import triggers
from tanggap.automations.models import Trigger
from tanggap.automations.triggers import (
    trigger_create,
    trigger_delete,
    trigger_dry_run,
    trigger_move,
    trigger_set_active,
    trigger_update,
    triggers_reorder,
)
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput, PermissionDenied
from tanggap.core.models import AuditEntry

pytestmark = pytest.mark.django_db

ACTIONS = [{"type": "add_tag", "value": "x"}]


@pytest.fixture
def lead(make_agent, team):
    return make_agent("lead", role=Role.SUPERVISOR, teams=[team])


def make(actor, name):
    return trigger_create(actor=actor, name=name, event="ticket_created", conditions=[], actions=ACTIONS)


def test_agents_and_trainees_may_not_manage_triggers(agent, make_agent, lead):
    trainee = make_agent("trainee", role=Role.TRAINEE)
    for user in (agent, trainee):
        with pytest.raises(PermissionDenied):
            make(user, "Mine")
    trigger = make(lead, "Lead's")
    for call in (
        lambda: trigger_update(actor=agent, trigger=trigger, name="Taken"),
        lambda: trigger_set_active(actor=agent, trigger=trigger, is_active=False),
        lambda: trigger_move(actor=agent, trigger=trigger, up=False),
        lambda: triggers_reorder(actor=agent, trigger_ids=[trigger.pk]),
        lambda: trigger_delete(actor=agent, trigger=trigger),
    ):
        with pytest.raises(PermissionDenied):
            call()
    assert Trigger.objects.get().name == "Lead's"


def test_admins_and_supervisors_may(admin, lead):
    make(admin, "By admin")
    make(lead, "By lead")
    assert Trigger.objects.count() == 2


def test_new_triggers_go_last_and_every_change_is_audited(lead):
    first, second = make(lead, "First"), make(lead, "Second")
    assert (first.position, second.position) == (0, 1)
    assert second.created_by == lead
    trigger_update(actor=lead, trigger=first, is_active=False)
    trigger_move(actor=lead, trigger=second, up=True)
    trigger_delete(actor=lead, trigger=first)
    actions = list(AuditEntry.objects.filter(actor=lead).order_by("id").values_list("action", flat=True))
    assert actions == [
        "trigger.created",
        "trigger.created",
        "trigger.updated",
        "trigger.moved",
        "trigger.deleted",
    ]


def test_move_swaps_neighbours_and_stops_at_the_ends(lead):
    a, b, c = make(lead, "A"), make(lead, "B"), make(lead, "C")
    trigger_move(actor=lead, trigger=a, up=True)  # already first
    trigger_move(actor=lead, trigger=c, up=True)
    assert list(Trigger.objects.values_list("name", flat=True)) == ["A", "C", "B"]
    trigger_move(actor=lead, trigger=a, up=False)
    assert list(Trigger.objects.values_list("name", flat=True)) == ["C", "A", "B"]
    assert list(Trigger.objects.values_list("position", flat=True)) == [0, 1, 2]
    trigger_move(actor=lead, trigger=b, up=False)  # already last
    assert Trigger.objects.get(pk=b.pk).position == 2


def test_reorder_needs_every_trigger_once(lead):
    a, b = make(lead, "A"), make(lead, "B")
    with pytest.raises(InvalidInput):
        triggers_reorder(actor=lead, trigger_ids=[a.pk, a.pk])
    triggers_reorder(actor=lead, trigger_ids=[b.pk, a.pk])
    assert list(Trigger.objects.values_list("name", flat=True)) == ["B", "A"]


def test_names_are_unique_whatever_the_case(lead):
    make(lead, "Refund")
    with pytest.raises(ApplicationError) as caught:
        make(lead, "  refund ")
    assert caught.value.code == ErrorCode.CONFLICT


def test_unknown_event_is_refused(lead):
    with pytest.raises(InvalidInput) as caught:
        trigger_create(actor=lead, name="X", event="ticket_deleted", conditions=[], actions=ACTIONS)
    assert caught.value.details["field"] == "event"


def test_too_many_triggers(lead, monkeypatch):
    monkeypatch.setattr(triggers, "MAX_TRIGGERS", 2)
    make(lead, "A")
    make(lead, "B")
    with pytest.raises(ApplicationError) as caught:
        make(lead, "C")
    assert caught.value.code == ErrorCode.TOO_LARGE


def test_an_agent_who_leaves_the_team_is_refused_when_the_trigger_is_saved_again(
    lead, admin, make_agent, team
):
    from tanggap.accounts.services import agent_update

    rina = make_agent("rina", teams=[team])
    trigger = trigger_create(
        actor=lead,
        name="Rina",
        event="ticket_created",
        conditions=[],
        actions=[{"type": "assign", "team": team.pk, "agent": rina.pk}],
    )
    agent_update(actor=admin, agent=rina, teams=[])
    with pytest.raises(InvalidInput) as caught:
        trigger_update(actor=lead, trigger=trigger, actions=trigger.actions)
    assert caught.value.details["reason"] == "not_in_team"


def test_dry_run_needs_the_permission(agent, lead, ticket):
    trigger = make(lead, "A")
    with pytest.raises(PermissionDenied):
        trigger_dry_run(actor=agent, trigger=trigger, ticket=ticket)
    run = trigger_dry_run(actor=lead, trigger=trigger, ticket=ticket)
    assert run.matches and [s.type for s in run.steps] == ["add_tag"]
