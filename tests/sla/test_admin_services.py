"""Writing calendars, team calendars, policies and roster shifts: validation, permissions, audit rows,
the one default calendar, and the active tickets whose clocks must be worked out again."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tanggap.accounts.models import Role
from tanggap.core.audit import AuditEntry
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput, PermissionDenied
from tanggap.sla import admin_services as services
from tanggap.sla.models import BusinessCalendar, Policy, RosterShift, TeamCalendar
from tanggap.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def fresh(*tickets: Ticket) -> None:
    """As if the sweep had just worked these tickets out."""
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(derived_stale=False)


def stale(ticket: Ticket) -> bool:
    return Ticket.objects.values_list("derived_stale", flat=True).get(pk=ticket.pk)


@pytest.fixture
def make_ticket(receive):
    def make(team=None, status: str | None = None) -> Ticket:
        ticket = receive(sender=f"c{Ticket.objects.count()}@example.com").ticket
        Ticket.objects.filter(pk=ticket.pk).update(team=team, **({"status": status} if status else {}))
        ticket.refresh_from_db()
        return ticket

    return make


def calendar(admin, **kwargs) -> BusinessCalendar:
    kwargs.setdefault("name", "Kantor Jakarta")
    kwargs.setdefault("hours", {0: ["08:00-12:00", "13:00-17:00"]})
    return services.calendar_create(actor=admin, **kwargs)


# ---------------------------------------------------------------- calendars


def test_calendar_create_normalises_and_audits(admin, team, make_agent):
    boss = make_agent("boss", role=Role.SUPERVISOR)
    row = calendar(
        admin,
        time_zone="Asia/Makassar",
        hours={"0": [" 8:00 - 12:00", "13:00-17:00"], 5: ["08:00-24:00"], 6: []},
        days_off=["2026-12-24", "2026-12-24", "2026-12-31"],
        teams=[(team, boss)],
    )
    row.refresh_from_db()
    assert row.hours == {"0": ["08:00-12:00", "13:00-17:00"], "5": ["08:00-24:00"]}
    assert row.days_off == ["2026-12-24", "2026-12-31"]
    link = TeamCalendar.objects.get(team=team)
    assert (link.calendar_id, link.supervisor_id) == (row.pk, boss.pk)
    assert AuditEntry.objects.filter(
        action="calendar.created", object_id=str(row.pk), actor_id=admin.pk
    ).exists()


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"hours": {0: ["17:00-08:00"]}}, "hours"),
        ({"hours": {0: ["08:00-12:00", "11:00-13:00"]}}, "hours"),
        ({"hours": {0: ["8 to 5"]}}, "hours"),
        ({"hours": {}}, "hours"),
        ({"hours": {9: ["08:00-17:00"]}}, "hours"),
        ({"time_zone": "Asia/Atlantis"}, "time_zone"),
        ({"days_off": ["24-12-2026"]}, "days_off"),
        ({"name": "  "}, "name"),
    ],
)
def test_calendar_create_refuses_what_makes_no_clock(admin, kwargs, field):
    with pytest.raises(InvalidInput) as caught:
        calendar(admin, **kwargs)
    assert caught.value.details["field"] == field
    assert not BusinessCalendar.objects.exists()


def test_a_week_without_hours_is_fine_when_always_open(admin):
    row = calendar(admin, hours={}, always_open=True)
    assert row.always_open


def test_names_are_unique_ignoring_case(admin):
    calendar(admin, name="Kantor")
    with pytest.raises(ApplicationError) as caught:
        calendar(admin, name="kantor")
    assert caught.value.code == ErrorCode.CONFLICT


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.AGENT])
def test_only_admins_write(make_agent, role):
    user = make_agent(role=role)
    with pytest.raises(PermissionDenied):
        calendar(user)
    with pytest.raises(PermissionDenied):
        services.policy_create(actor=user, name="P", first_response_minutes=60)
    with pytest.raises(PermissionDenied):
        services.policies_create_defaults(actor=user)


def test_one_default_calendar_the_new_one_replaces_the_old(admin):
    first = calendar(admin, name="A", is_default=True)
    second = calendar(admin, name="B", is_default=True)
    assert list(BusinessCalendar.objects.filter(is_default=True)) == [second]
    services.calendar_update(actor=admin, calendar=first, is_default=True)
    assert list(BusinessCalendar.objects.filter(is_default=True).values_list("name", flat=True)) == ["A"]


def test_changing_hours_marks_the_active_tickets_of_its_teams(admin, team, make_team, make_ticket):
    other = make_team("Billing")
    row = calendar(admin, teams=[(team, None)])
    mine, theirs, none, solved = (
        make_ticket(team),
        make_ticket(other),
        make_ticket(None),
        make_ticket(team, "solved"),
    )
    fresh(mine, theirs, none, solved)
    services.calendar_update(actor=admin, calendar=row, hours={0: ["09:00-17:00"]})
    assert [stale(t) for t in (mine, theirs, none, solved)] == [True, False, False, False]


def test_renaming_marks_nothing(admin, team, make_ticket):
    row = calendar(admin, teams=[(team, None)])
    ticket = make_ticket(team)
    fresh(ticket)
    services.calendar_update(actor=admin, calendar=row, name="Kantor Pusat")
    assert not stale(ticket)
    assert AuditEntry.objects.filter(action="calendar.updated", data__name=True).exists()


def test_the_default_calendar_marks_tickets_of_no_team_and_of_teams_without_a_calendar(
    admin, team, make_team, make_ticket
):
    bare = make_team("Billing")
    calendar(admin, name="Own", teams=[(team, None)])
    own, on_default, no_team = make_ticket(team), make_ticket(bare), make_ticket(None)
    fresh(own, on_default, no_team)
    calendar(admin, name="Default", is_default=True)
    assert [stale(t) for t in (own, on_default, no_team)] == [False, True, True]


def test_moving_a_team_marks_its_tickets_and_dropping_it_too(admin, team, make_ticket, make_agent):
    a = calendar(admin, name="A", teams=[(team, None)])
    b = calendar(admin, name="B")
    ticket = make_ticket(team)
    fresh(ticket)
    services.calendar_update(actor=admin, calendar=b, teams=[(team, None)])
    assert stale(ticket)
    assert TeamCalendar.objects.get(team=team).calendar_id == b.pk
    assert not a.teams.exists()
    fresh(ticket)
    boss = make_agent("boss", role=Role.SUPERVISOR)
    services.calendar_update(actor=admin, calendar=b, teams=[(team, boss)])  # only the supervisor
    assert not stale(ticket)
    assert TeamCalendar.objects.get(team=team).supervisor_id == boss.pk
    services.calendar_update(actor=admin, calendar=b, teams=[])
    assert stale(ticket)
    assert not TeamCalendar.objects.exists()


def test_an_inactive_supervisor_is_refused(admin, team, make_agent):
    boss = make_agent("boss")
    boss.is_active = False
    boss.save()
    with pytest.raises(InvalidInput):
        calendar(admin, teams=[(team, boss)])


def test_a_calendar_in_use_cannot_be_deleted(admin, team):
    row = calendar(admin, teams=[(team, None)])
    with pytest.raises(ApplicationError) as caught:
        services.calendar_delete(actor=admin, calendar=row)
    assert caught.value.code == ErrorCode.CONFLICT
    services.calendar_update(actor=admin, calendar=row, teams=[])
    services.calendar_delete(actor=admin, calendar=row)
    assert not BusinessCalendar.objects.exists()


# ---------------------------------------------------------------- policies


def test_policy_create_normalises_puts_it_last_and_marks_every_active_ticket(admin, team, make_ticket):
    tickets = [make_ticket(team), make_ticket(None)]
    closed = make_ticket(team, "closed")
    fresh(*tickets, closed)
    first = services.policy_create(actor=admin, name="A", first_response_minutes=60)
    second = services.policy_create(
        actor=admin,
        name="B",
        channels=["chat", "chat", "email"],
        priorities=[4, "3"],
        tags=["VIP Customer", "vip-customer"],
        tiers=[" gold ", "gold"],
        first_response_minutes=3,
    )
    assert second.position > first.position
    assert (second.channels, second.priorities, second.tags, second.tiers) == (
        ["chat", "email"],
        [3, 4],
        ["vip-customer"],
        ["gold"],
    )
    assert all(stale(t) for t in tickets)
    assert not stale(closed)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "targets"),
        ({"first_response_minutes": 0}, "first_response_minutes"),
        ({"first_response_minutes": 60, "warn_percent": 90, "escalate_percent": 90}, "warn_percent"),
        ({"first_response_minutes": 60, "warn_percent": 0}, "warn_percent"),
        ({"first_response_minutes": 60, "escalate_percent": 100}, "warn_percent"),
        ({"first_response_minutes": 60, "channels": ["pigeon"]}, "channels"),
        ({"first_response_minutes": 60, "priorities": [9]}, "priorities"),
        ({"first_response_minutes": 60, "inboxes": [12345]}, "inboxes"),
        ({"first_response_minutes": 60, "breach_priority": 7}, "breach_priority"),
        ({"first_response_minutes": 60, "intents": ["refunds"]}, "intents"),
        ({"first_response_minutes": 60, "sentiments": ["furious"]}, "sentiments"),
        ({"first_response_minutes": 60, "min_anger": 70}, "min_anger"),
        ({"first_response_minutes": 60, "min_anger": -0.1}, "min_anger"),
        ({"first_response_minutes": 60, "min_anger": float("nan")}, "min_anger"),
        ({"first_response_minutes": 60, "min_anger": "angry"}, "min_anger"),
    ],
)
def test_policy_refusals(admin, kwargs, field):
    with pytest.raises(InvalidInput) as caught:
        services.policy_create(actor=admin, name="P", **kwargs)
    assert caught.value.details["field"] == field
    assert not Policy.objects.exists()


def test_policy_conditions_on_what_assist_read(admin, make_ticket):
    row = services.policy_create(
        actor=admin,
        name="Angry refunds",
        intents=["refund", "cancel", "refund"],
        sentiments=["negative"],
        min_anger=0.7,
        first_response_minutes=30,
    )
    assert (row.intents, row.sentiments, row.min_anger) == (["cancel", "refund"], ["negative"], 0.7)
    ticket = make_ticket(None)
    fresh(ticket)
    services.policy_update(actor=admin, policy=row, min_anger=None)
    assert Policy.objects.get(pk=row.pk).min_anger is None
    assert stale(ticket)  # a condition changed: every active ticket's policy is chosen again


def test_breach_assignee_must_be_in_the_breach_team(admin, team, make_team, agent, make_agent):
    outsider = make_agent("outsider", teams=[make_team("Billing")])
    with pytest.raises(InvalidInput):
        services.policy_create(
            actor=admin, name="P", first_response_minutes=60, breach_team=team, breach_assignee=outsider
        )
    row = services.policy_create(
        actor=admin,
        name="P",
        first_response_minutes=60,
        breach_team=team,
        breach_assignee=agent,
        breach_priority=4,
    )
    assert (row.breach_team, row.breach_assignee, row.breach_priority) == (team, agent, 4)


def test_policy_update_marks_only_when_targets_change(admin, make_ticket):
    row = services.policy_create(actor=admin, name="P", first_response_minutes=60)
    ticket = make_ticket()
    fresh(ticket)
    services.policy_update(actor=admin, policy=row, name="E-mail")
    assert not stale(ticket)
    services.policy_update(actor=admin, policy=row, first_response_minutes=30)
    assert stale(ticket)
    assert Policy.objects.get().first_response_minutes == 30
    assert AuditEntry.objects.filter(action="policy.updated").count() == 2


def test_deactivate_and_activate(admin):
    row = services.policy_create(actor=admin, name="P", first_response_minutes=60)
    services.policy_set_active(actor=admin, policy=row, is_active=False)
    assert not Policy.objects.get().is_active
    services.policy_set_active(actor=admin, policy=row, is_active=True)
    assert Policy.objects.get().is_active


def test_policy_move(admin):
    a, _b, c = (services.policy_create(actor=admin, name=n, first_response_minutes=60) for n in "ABC")
    Policy.objects.update(position=5)  # ties are broken by id, then renumbered
    services.policy_move(actor=admin, policy=c, up=True)
    assert list(Policy.objects.values_list("name", flat=True)) == ["A", "C", "B"]
    services.policy_move(actor=admin, policy=a, up=False)
    assert list(Policy.objects.values_list("name", flat=True)) == ["C", "A", "B"]
    services.policy_move(actor=admin, policy=c, up=True)  # already first: nothing
    assert list(Policy.objects.values_list("name", flat=True)) == ["C", "A", "B"]
    assert list(Policy.objects.values_list("position", flat=True)) == [0, 1, 2]


def test_default_policies_once(admin):
    made = services.policies_create_defaults(actor=admin)
    assert [(p.channels, p.first_response_minutes) for p in made] == [(["email", "web"], 60), (["chat"], 3)]
    assert services.policies_create_defaults(actor=admin) == []
    assert Policy.objects.count() == 2


def test_no_default_policies_when_an_inactive_one_exists(admin):
    row = services.policy_create(actor=admin, name="Mine", first_response_minutes=60)
    services.policy_set_active(actor=admin, policy=row, is_active=False)
    assert services.policies_create_defaults(actor=admin) == []


# ---------------------------------------------------------------- roster

START = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
END = datetime(2026, 11, 21, 1, 0, tzinfo=UTC)


def test_shift_add_and_remove(admin, team, agent):
    shift = services.roster_shift_add(
        actor=admin, team=team, agent=agent, starts_at=START, ends_at=END, note="  malam "
    )
    assert (shift.note, shift.agent, shift.team) == ("malam", agent, team)
    assert AuditEntry.objects.filter(action="roster.shift_added").exists()
    services.roster_shift_remove(actor=admin, shift=shift)
    assert not RosterShift.objects.exists()
    assert AuditEntry.objects.filter(action="roster.shift_removed", object_id=str(shift.pk)).exists()


def test_shift_refusals(admin, team, agent, make_agent, make_team):
    with pytest.raises(InvalidInput) as caught:
        services.roster_shift_add(actor=admin, team=team, agent=agent, starts_at=END, ends_at=START)
    assert caught.value.details["field"] == "ends_at"
    outsider = make_agent("outsider", teams=[make_team("Billing")])
    with pytest.raises(InvalidInput) as caught:
        services.roster_shift_add(actor=admin, team=team, agent=outsider, starts_at=START, ends_at=END)
    assert caught.value.details["field"] == "agent"
    with pytest.raises(PermissionDenied):
        services.roster_shift_add(actor=agent, team=team, agent=agent, starts_at=START, ends_at=END)
    assert not RosterShift.objects.exists()


def test_a_supervisor_plans_the_rosters_of_their_own_teams_only(team, agent, make_agent, make_team):
    billing = make_team("Billing")
    lead = make_agent("lead", role=Role.SUPERVISOR, teams=[team])
    billing_agent = make_agent("tagihan", teams=[billing])
    shift = services.roster_shift_add(actor=lead, team=team, agent=agent, starts_at=START, ends_at=END)
    assert AuditEntry.objects.filter(action="roster.shift_added", actor=lead).exists()
    with pytest.raises(PermissionDenied):
        services.roster_shift_add(actor=lead, team=billing, agent=billing_agent, starts_at=START, ends_at=END)
    theirs = services.roster_shift_add(
        actor=make_agent("boss", role=Role.ADMIN),
        team=billing,
        agent=billing_agent,
        starts_at=START,
        ends_at=END,
    )
    with pytest.raises(PermissionDenied):
        services.roster_shift_remove(actor=lead, shift=theirs)
    services.roster_shift_remove(actor=lead, shift=shift)
    assert list(RosterShift.objects.all()) == [theirs]
