"""Writing macros and applying them: validation, permissions, actions through the ticket services,
the timeline event, languages and access."""

from __future__ import annotations

import pytest

from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput, NotFound, PermissionDenied
from tanggap.core.models import AuditEntry
from tanggap.inboxes.setup import inbox_create
from tanggap.macros.models import Macro
from tanggap.macros.selectors import macros_for_agent, ticket_language
from tanggap.macros.services import (
    macro_apply,
    macro_create,
    macro_delete,
    macro_move,
    macro_set_active,
    macro_update,
)
from tanggap.tickets.models import Message, MessageKind, Priority, Status, Ticket
from tanggap.tickets.services import ticket_assign, ticket_transition, ticket_update


def _events(ticket: Ticket) -> list[Message]:
    return list(ticket.messages.filter(kind=MessageKind.EVENT).order_by("id"))


# ---------------------------------------------------------------- writing


def test_create_cleans_and_places_last(make_macro):
    first = make_macro(name="  Order   status ", add_tags=["Pesanan Baru", "pesanan-baru", ""])
    second = make_macro(name="Refund")
    assert first.name == "Order status"
    assert first.add_tags == ["pesanan-baru"]
    assert (first.position, second.position) == (0, 1)
    assert AuditEntry.objects.filter(action="macro.created", object_id=str(first.pk)).exists()


def test_unknown_variable_is_refused_naming_it(make_macro):
    with pytest.raises(InvalidInput) as exc:
        make_macro(body_en="Hi {{ customer.phone }}")
    assert exc.value.details["field"] == "body_en"
    assert exc.value.details["variable"] == "customer.phone"
    assert "customer.phone" in str(exc.value.message)
    assert not Macro.objects.exists()


def test_settings_lookup_is_refused(make_macro):
    with pytest.raises(InvalidInput) as exc:
        make_macro(body_id="{{ settings.SECRET_KEY }}")
    assert exc.value.details["variable"] == "settings.SECRET_KEY"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"body_id": " ", "body_en": ""}, "body"),
        ({"body_id": "x" * 10_001}, "body_id"),
        ({"set_status": "closed"}, "set_status"),
        ({"set_status": "new"}, "set_status"),
        ({"set_priority": 9}, "set_priority"),
        ({"add_tags": [f"t{i}" for i in range(11)]}, "add_tags"),
        ({"add_tags": ["vip"], "remove_tags": ["VIP"]}, "remove_tags"),
    ],
)
def test_invalid_macros_are_refused(make_macro, kwargs, field):
    with pytest.raises(InvalidInput) as exc:
        make_macro(**kwargs)
    assert exc.value.details["field"] == field


def test_only_leads_manage(make_macro, agent, trainee, admin, supervisor):
    for user in (agent, trainee):
        with pytest.raises(PermissionDenied):
            make_macro(actor=user)
    macro = make_macro(actor=admin)
    for user in (agent, trainee):
        with pytest.raises(PermissionDenied):
            macro_update(actor=user, macro=macro, name="x")
        with pytest.raises(PermissionDenied):
            macro_delete(actor=user, macro=macro)
    assert macro_update(actor=supervisor, macro=macro, name="Renamed").name == "Renamed"


def test_update_keeps_what_is_not_given(make_macro, supervisor, team):
    macro = make_macro(team=team, set_priority=Priority.HIGH, add_tags=["a"])
    macro = macro_update(actor=supervisor, macro=macro, body_en="")
    assert (macro.team, macro.set_priority, macro.add_tags, macro.body_en) == (team, 3, ["a"], "")
    macro = macro_update(actor=supervisor, macro=macro, team=None, set_priority=None)
    assert (macro.team, macro.set_priority) == (None, None)
    with pytest.raises(InvalidInput):
        macro_update(actor=supervisor, macro=macro, body_id="")  # no text left in any language
    assert Macro.objects.get(pk=macro.pk).body_id


def test_move_switch_off_and_delete(make_macro, supervisor, agent):
    a, b, c = make_macro(name="A"), make_macro(name="B"), make_macro(name="C")
    macro_move(actor=supervisor, macro=c, up=True)
    assert list(Macro.objects.values_list("name", flat=True)) == ["A", "C", "B"]
    macro_move(actor=supervisor, macro=a, up=True)  # already first: nothing moves
    assert list(Macro.objects.values_list("name", flat=True)) == ["A", "C", "B"]
    macro_set_active(actor=supervisor, macro=b, is_active=False)
    assert [m.name for m in macros_for_agent(user=agent)] == ["A", "C"]
    macro_delete(actor=supervisor, macro=a)
    assert [m.name for m in macros_for_agent(user=agent)] == ["C"]
    assert AuditEntry.objects.filter(action="macro.deleted").count() == 1


# ---------------------------------------------------------------- applying


def test_apply_renders_and_runs_every_action_through_the_services(make_macro, agent, ticket):
    ticket_update(actor=agent, ticket=ticket, tags=["old", "keep"])
    macro = make_macro(
        set_status=Status.PENDING,
        set_priority=Priority.URGENT,
        add_tags=["refund"],
        remove_tags=["old"],
        assign_to_self=True,
    )
    before = len(_events(ticket))
    applied = macro_apply(actor=agent, ticket=ticket, macro=macro, language="id")

    assert applied.text == f"Halo Siti, tiket #{ticket.pk}."
    assert applied.language == "id"
    ticket.refresh_from_db()
    assert ticket.status == Status.PENDING
    assert ticket.priority == Priority.URGENT
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["keep", "refund"]
    assert ticket.assignee == agent
    codes = [m.event_code for m in _events(ticket)[before:]]
    # The ticket services wrote their own events; the macro adds exactly one of its own, last.
    assert codes == ["status_changed", "priority_changed", "tags_changed", "assigned", "macro_applied"]
    event = _events(ticket)[-1]
    assert event.author == agent
    assert event.event_data["macro"] == "Order status"
    assert event.event_data["macro_id"] == macro.pk
    assert event.event_data["changes"] == {
        "status": {"from": "new", "to": "pending"},
        "priority": {"from": Priority.NORMAL, "to": Priority.URGENT},
        "tags_added": ["refund"],
        "tags_removed": ["old"],
        "assignee_id": agent.pk,
        "assignee": agent.label,
    }
    macro.refresh_from_db()
    assert macro.usage_count == 1 and macro.last_used_at is not None
    assert AuditEntry.objects.filter(action="macro.applied", object_id=str(ticket.pk)).exists()


def test_apply_twice_changes_nothing_more_but_counts(make_macro, agent, ticket):
    macro = make_macro(set_priority=Priority.HIGH)
    macro_apply(actor=agent, ticket=ticket, macro=macro)
    second = macro_apply(actor=agent, ticket=ticket, macro=macro)
    assert second.changes == {}
    assert [m.event_code for m in _events(ticket)].count("priority_changed") == 1
    assert [m.event_code for m in _events(ticket)].count("macro_applied") == 2
    macro.refresh_from_db()
    assert macro.usage_count == 2


def test_a_refused_action_writes_nothing(make_macro, agent, ticket):
    ticket = ticket_transition(actor=agent, ticket=ticket, status=Status.SOLVED)
    macro = make_macro(set_priority=Priority.URGENT, set_status=Status.PENDING)  # solved -> pending: no
    events_before = len(_events(ticket))
    with pytest.raises(ApplicationError) as exc:
        macro_apply(actor=agent, ticket=ticket, macro=macro)
    assert exc.value.code == ErrorCode.INVALID_TRANSITION
    ticket.refresh_from_db()
    assert ticket.priority == Priority.NORMAL
    assert len(_events(ticket)) == events_before
    assert Macro.objects.get(pk=macro.pk).usage_count == 0


def test_a_trainee_may_apply_but_not_take_an_agents_ticket(make_macro, trainee, agent, ticket):
    plain = make_macro(name="Plain")
    assert macro_apply(actor=trainee, ticket=ticket, macro=plain).text.startswith("Ha")
    ticket_assign(actor=agent, ticket=ticket, assignee=agent)
    take = make_macro(name="Take", assign_to_self=True)
    with pytest.raises(PermissionDenied):
        macro_apply(actor=trainee, ticket=ticket, macro=take)
    ticket.refresh_from_db()
    assert ticket.assignee == agent


def test_missing_customer_name_gets_the_fallback(make_macro, agent, receive, team):
    ticket = receive(sender="noname@example.com").ticket
    ticket.customer.name = ""
    ticket.customer.save(update_fields=["name"])
    macro = make_macro()
    assert macro_apply(actor=agent, ticket=ticket, macro=macro, language="id").text.startswith(
        "Halo Bapak/Ibu,"
    )
    assert macro_apply(actor=agent, ticket=ticket, macro=macro, language="en").text.startswith("Hi there,")


def test_template_syntax_in_a_macro_is_text(make_macro, agent, ticket):
    macro = make_macro(body_id="{% load static %}{% debug %} {{customer.first_name}}", body_en="")
    assert macro_apply(actor=agent, ticket=ticket, macro=macro).text == "{% load static %}{% debug %} Siti"


# ---------------------------------------------------------------- languages


def test_language_follows_the_ticket_then_falls_back(make_macro, agent, ticket):
    macro = make_macro()
    Ticket.objects.filter(pk=ticket.pk).update(language="en")
    assert macro_apply(actor=agent, ticket=ticket, macro=macro).text.startswith("Hi Siti")
    Ticket.objects.filter(pk=ticket.pk).update(language="id")
    assert macro_apply(actor=agent, ticket=ticket, macro=macro).text.startswith("Halo Siti")
    # The agent chose the other variant.
    assert macro_apply(actor=agent, ticket=ticket, macro=macro, language="en").language == "en"
    only_id = make_macro(name="Only Indonesian", body_en="")
    applied = macro_apply(actor=agent, ticket=ticket, macro=only_id, language="en")
    assert (applied.language, applied.text[:4]) == ("id", "Halo")


def test_ticket_without_language_uses_its_teams_inbox_then_the_site(admin, ticket, settings, team):
    Ticket.objects.filter(pk=ticket.pk).update(language="")
    ticket.refresh_from_db()
    settings.LANGUAGE_CODE = "en"
    assert ticket_language(ticket) == "en"
    inbox_create(actor=admin, name="Dukungan", address="bantuan@example.com", team=team, language="id")
    assert ticket_language(ticket) == "id"


# ---------------------------------------------------------------- access


def test_team_macros_are_only_for_that_team_and_leads(make_macro, agent, other_agent, other_team, supervisor):
    everyone = make_macro(name="Everyone")
    billing = make_macro(name="Billing only", team=other_team)
    assert [m.name for m in macros_for_agent(user=agent)] == ["Everyone"]
    assert [m.name for m in macros_for_agent(user=other_agent)] == ["Everyone", "Billing only"]
    assert {m.name for m in macros_for_agent(user=supervisor)} == {everyone.name, billing.name}
    assert [m.name for m in macros_for_agent(user=other_agent, search="bill")] == ["Billing only"]


def test_agent_of_another_team_cannot_apply_a_team_macro(make_macro, agent, other_team, ticket):
    billing = make_macro(team=other_team)
    with pytest.raises(NotFound):
        macro_apply(actor=agent, ticket=ticket, macro=billing)
    assert not [m for m in _events(ticket) if m.event_code == "macro_applied"]


def test_cannot_apply_to_a_ticket_one_may_not_see(make_macro, other_agent, ticket):
    macro = make_macro()
    with pytest.raises(NotFound):
        macro_apply(actor=other_agent, ticket=ticket, macro=macro)


def test_a_switched_off_macro_cannot_be_applied(make_macro, supervisor, agent, ticket):
    macro = make_macro()
    macro_set_active(actor=supervisor, macro=macro, is_active=False)
    with pytest.raises(NotFound):
        macro_apply(actor=agent, ticket=ticket, macro=macro)


def test_supervisors_manage_but_the_macro_create_refuses_unknown_team_objects(supervisor):
    with pytest.raises(InvalidInput):
        macro_create(actor=supervisor, name="x", body_id="y", team="Support")  # type: ignore[arg-type]
