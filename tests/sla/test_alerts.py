"""The sweep's alerts: a warning to the assignee, then the supervisor, then the breach with its actions;
each sent once per clock cycle, to someone always. Frozen ``now``: every sweep is given its instant."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tanggap.accounts.models import Role
from tanggap.sla.models import AlertDelivery, ClockAlert, Policy, RosterShift, TeamCalendar, TicketClock
from tanggap.sla.models import BusinessCalendar as Calendar
from tanggap.sla.services import clocks_sweep
from tanggap.tickets.models import Message, MessageKind, Priority, Ticket
from tanggap.tickets.services import message_receive, reply_send
from tests.tickets.conftest import inbound

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 11, 16, 2, 0, tzinfo=UTC)  # Monday 09:00 in Jakarta


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


@pytest.fixture
def policy():
    Calendar.objects.create(name="24/7", always_open=True, is_default=True)
    return Policy.objects.create(
        name="E-mail",
        channels=["email"],
        first_response_minutes=60,
        next_response_minutes=60,
        warn_percent=75,
        escalate_percent=90,
    )


@pytest.fixture
def supervisor(make_agent, team):
    return make_agent("lead", role=Role.SUPERVISOR, teams=[team])


def received(team, when: datetime, assignee=None, text: str = "Halo", ticket_id: int | None = None) -> Ticket:
    result = message_receive(inbound=inbound(text, received_at=when, ticket_id=ticket_id))
    if ticket_id is None:
        Ticket.objects.filter(pk=result.ticket.pk).update(team=team, assignee=assignee, created_at=when)
    return Ticket.objects.get(pk=result.ticket.pk)


def replied(ticket: Ticket, agent, when: datetime) -> None:
    message = reply_send(actor=agent, ticket=ticket, text="Baik, kami cek.")
    Message.objects.filter(pk=message.pk).update(created_at=when)
    Ticket.objects.filter(pk=ticket.pk).update(derived_stale=True)


def told(level: str) -> set[tuple[str, bool]]:
    return set(AlertDelivery.objects.filter(alert__level=level).values_list("user__username", "unrouted"))


def test_warning_then_escalation_then_breach_each_once(team, agent, supervisor, policy):
    ticket = received(team, T0, assignee=agent)
    clocks_sweep(now=minutes(1))
    assert TicketClock.objects.get(ticket=ticket).alert_at == minutes(45)
    assert clocks_sweep(now=minutes(44)).alerts == 0
    assert clocks_sweep(now=minutes(46)).alerts == 1
    assert told("warning") == {("agent", False)}
    assert clocks_sweep(now=minutes(47)).alerts == 0  # sent once
    assert clocks_sweep(now=minutes(55)).alerts == 1
    assert told("escalation") == {("lead", False)}
    assert clocks_sweep(now=minutes(61)).alerts == 1
    assert told("breach") == {("agent", False), ("lead", False)}
    assert clocks_sweep(now=minutes(90)).alerts == 0
    breach = ClockAlert.objects.get(level="breach")
    assert (breach.kind, breach.due_at, breach.sent_at) == ("first_response", minutes(60), minutes(61))
    assert TicketClock.objects.get(ticket=ticket).alert_at is None


def test_a_reply_in_time_sends_nothing_and_clears_the_pending_alerts(team, agent, policy):
    ticket = received(team, T0, assignee=agent)
    clocks_sweep(now=minutes(1))
    replied(ticket, agent, minutes(30))
    clocks_sweep(now=minutes(31))
    assert clocks_sweep(now=minutes(120)).alerts == 0
    assert not ClockAlert.objects.exists()
    row = TicketClock.objects.get(ticket=ticket)
    assert (row.alerts, row.alert_at) == ([], None)


def test_each_next_response_cycle_has_its_own_alerts(team, agent, policy):
    ticket = received(team, T0, assignee=agent)
    clocks_sweep(now=minutes(1))
    assert clocks_sweep(now=minutes(46)).alerts == 1
    replied(ticket, agent, minutes(50))
    received(team, minutes(70), text="Masih belum sampai", ticket_id=ticket.pk)
    clocks_sweep(now=minutes(71))
    assert clocks_sweep(now=minutes(116)).alerts == 1  # 45 minutes into the next-response clock
    kinds = list(ClockAlert.objects.order_by("sent_at").values_list("kind", "level"))
    assert kinds == [("first_response", "warning"), ("next_response", "warning")]


def test_a_late_sweep_sends_only_the_breach_and_never_the_warnings_after_it(team, agent, supervisor, policy):
    ticket = received(team, T0, assignee=agent)
    clocks_sweep(now=minutes(1))
    assert clocks_sweep(now=minutes(75)).alerts == 1
    assert list(ClockAlert.objects.values_list("level", flat=True)) == ["breach"]
    assert told("breach") == {("agent", False), ("lead", False)}
    # The ticket is worked out again (a note, a tag …): the passed warnings are not due any more.
    Ticket.objects.filter(pk=ticket.pk).update(derived_stale=True)
    assert clocks_sweep(now=minutes(76)).alerts == 0
    assert ClockAlert.objects.count() == 1


def test_an_unassigned_ticket_warns_the_agent_on_shift_then_the_named_supervisor(
    team, make_agent, supervisor, policy
):
    night = make_agent("night", teams=[team])
    boss = make_agent("boss", role=Role.SUPERVISOR, teams=[team])
    TeamCalendar.objects.create(team=team, calendar=Calendar.objects.get(), supervisor=boss)
    RosterShift.objects.create(team=team, agent=night, starts_at=minutes(-60), ends_at=minutes(600))
    received(team, T0)
    clocks_sweep(now=minutes(1))
    clocks_sweep(now=minutes(46))
    clocks_sweep(now=minutes(55))
    assert told("warning") == {("night", False)}
    assert told("escalation") == {("boss", False)}  # the one named wins over the role


def test_an_alert_nobody_can_receive_goes_to_every_admin_marked_unrouted(team, admin, policy):
    received(team, T0)  # no assignee, nobody on shift, no supervisor
    clocks_sweep(now=minutes(1))
    clocks_sweep(now=minutes(46))
    assert told("warning") == {("admin", True)}


def test_breach_actions_raise_priority_and_move_the_ticket_as_tanggap_itself(
    make_team, team, agent, make_agent, policy
):
    escalations = make_team("Escalations")
    senior = make_agent("senior", teams=[escalations])
    Policy.objects.filter(pk=policy.pk).update(
        breach_priority=Priority.URGENT, breach_team=escalations, breach_assignee=senior
    )
    ticket = received(team, T0, assignee=agent)
    clocks_sweep(now=minutes(1))
    clocks_sweep(now=minutes(61))
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.team_id) == (Priority.URGENT, escalations.pk)
    assert ticket.assignee_id == senior.pk
    alert = ClockAlert.objects.get(level="breach")
    assert alert.actions == [f"priority:{Priority.URGENT}", f"team:{escalations.pk}", f"assignee:{senior.pk}"]
    events = Message.objects.filter(ticket=ticket, kind=MessageKind.EVENT, author__isnull=True)
    codes = set(events.values_list("event_code", flat=True))
    assert {"priority_changed", "team_changed", "assigned"} <= codes
    # The breach is history: a second sweep changes nothing more.
    clocks_sweep(now=minutes(62))
    assert ClockAlert.objects.filter(level="breach").count() == 1


def test_a_breach_action_that_cannot_run_is_said_on_the_alert(team, agent, make_agent, policy):
    outsider = make_agent("outsider")  # in no team: cannot take the team's ticket
    Policy.objects.filter(pk=policy.pk).update(breach_assignee=outsider)
    received(team, T0, assignee=agent)
    clocks_sweep(now=minutes(1))
    clocks_sweep(now=minutes(61))
    actions = ClockAlert.objects.get(level="breach").actions
    assert len(actions) == 1 and actions[0].startswith("failed:")
