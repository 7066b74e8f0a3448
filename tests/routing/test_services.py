"""Routing through the database: who gets a ticket, when, and what the timeline says."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tanggap.accounts.models import Availability, Presence, Role
from tanggap.core.errors import InvalidInput, PermissionDenied
from tanggap.routing.choose import Waiting, queue_order
from tanggap.routing.models import AgentLoad, AgentSlot, TeamRouting
from tanggap.routing.reactions import routing_sweep
from tanggap.routing.services import (
    loads_refresh,
    queue_drain,
    team_routing_update,
    ticket_route,
    tickets_rebalance,
)
from tanggap.tickets.models import Message, Status, Ticket
from tanggap.tickets.services import (
    reply_send,
    ticket_assign,
    ticket_signals_set,
    ticket_transition,
    ticket_update,
)

pytestmark = pytest.mark.django_db


def assigned_event(ticket):
    return Message.objects.filter(ticket=ticket, event_code="assigned").order_by("-id").first()


def test_a_new_ticket_goes_to_the_online_agent_with_the_reason_on_the_timeline(make_online, arrive):
    dewi = make_online("dewi")
    make_online("budi", status=Presence.OFFLINE)
    make_online("rina", status=Presence.AWAY)
    ticket = arrive()
    routed = ticket_route(ticket_id=ticket.pk)
    assert (routed.agent_id, routed.reason, routed.available) == (dewi.pk, "least_loaded", 1)
    ticket.refresh_from_db()
    assert ticket.assignee_id == dewi.pk
    assert ticket.assigned_at is not None
    event = assigned_event(ticket)
    assert event.author_id is None
    assert event.event_data["reason"] == "least_loaded"
    assert event.event_data["routing"] == "arrival"
    assert event.event_data["available"] == 1
    assert AgentSlot.objects.get(user=dewi, channel="email").load == 1


def test_never_to_an_offline_or_away_agent(make_online, arrive):
    make_online("budi", status=Presence.OFFLINE)
    make_online("rina", status=Presence.AWAY)
    ticket = arrive()
    routed = ticket_route(ticket_id=ticket.pk)
    assert (routed.agent_id, routed.reason) == (None, "nobody_available")
    ticket.refresh_from_db()
    assert ticket.assignee_id is None
    assert not Message.objects.filter(ticket=ticket, event_code="assigned").exists()


def test_a_team_without_routing_keeps_its_tickets_in_the_queue(make_online, arrive, routed_team):
    make_online("dewi")
    TeamRouting.objects.filter(team=routed_team).update(enabled=False)
    ticket = arrive()
    assert ticket_route(ticket_id=ticket.pk).reason == "not_routed"
    ticket.refresh_from_db()
    assert ticket.assignee_id is None


def test_capacity_is_per_channel_and_never_exceeded(make_online, arrive):
    dewi = make_online("dewi", capacity={"email": 2, "chat": 1})
    tickets = [arrive() for _ in range(3)]
    results = [ticket_route(ticket_id=t.pk) for t in tickets]
    assert [r.agent_id for r in results] == [dewi.pk, dewi.pk, None]
    chat = arrive(channel="chat")
    assert ticket_route(ticket_id=chat.pk).agent_id == dewi.pk
    assert Ticket.objects.filter(assignee=dewi, channel="email").count() == 2


def test_an_agent_without_capacity_for_a_channel_does_not_work_it(make_online, arrive):
    make_online("dewi", capacity={"email": 5})
    chat = arrive(channel="chat")
    assert ticket_route(ticket_id=chat.pk).reason == "nobody_available"


def test_stale_counts_are_checked_again_under_the_lock(make_online, arrive):
    """Routing's stored counts say the agent is free, but their tickets say otherwise: the decision
    is taken again with the real count instead of going over capacity."""
    dewi = make_online("dewi", capacity={"email": 1})
    budi = make_online("budi", capacity={"email": 1})
    first = arrive()
    ticket_assign(actor=None, ticket=first, assignee=dewi)
    loads_refresh([dewi.pk, budi.pk])
    # Routing's copy says Dewi is free and was given a ticket longest ago (she goes first) …
    AgentSlot.objects.filter(user=dewi).update(load=0)
    AgentLoad.objects.filter(user=dewi).update(weighted=0.0)
    AgentLoad.objects.filter(user=budi).update(last_assigned=int(timezone.now().timestamp() * 1e6))
    second = arrive()
    routed = ticket_route(ticket_id=second.pk)
    assert routed.agent_id == budi.pk
    assert AgentSlot.objects.get(user=dewi, channel="email").load == 1


def test_the_customers_previous_agent_keeps_them(make_online, arrive):
    dewi = make_online("dewi")
    budi = make_online("budi")
    first = arrive(sender="loyal@example.com")
    ticket_assign(actor=None, ticket=first, assignee=budi)
    # Budi has more work than Dewi; least-loaded would choose Dewi.
    ticket_assign(actor=None, ticket=arrive(), assignee=budi)
    second = arrive(sender="loyal@example.com")
    routed = ticket_route(ticket_id=second.pk)
    assert (routed.agent_id, routed.reason) == (budi.pk, "sticky_owner")
    assert assigned_event(second).event_data["reason"] == "sticky_owner"
    assert dewi.pk != routed.agent_id


def test_the_previous_agent_away_means_someone_else(make_online, arrive):
    dewi = make_online("dewi")
    budi = make_online("budi")
    first = arrive(sender="loyal@example.com")
    ticket_assign(actor=None, ticket=first, assignee=budi)
    Availability.objects.filter(user=budi).update(status=Presence.AWAY)
    routed = ticket_route(ticket_id=arrive(sender="loyal@example.com").pk)
    assert (routed.agent_id, routed.reason) == (dewi.pk, "least_loaded")


def test_sticky_can_be_switched_off(make_online, arrive, routed_team):
    dewi = make_online("dewi")
    budi = make_online("budi")
    TeamRouting.objects.filter(team=routed_team).update(sticky=False)
    ticket_assign(actor=None, ticket=arrive(sender="loyal@example.com"), assignee=budi)
    routed = ticket_route(ticket_id=arrive(sender="loyal@example.com").pk)
    assert routed.agent_id == dewi.pk


def test_language_then_skills_narrow_the_pool(make_online, arrive):
    make_online("dewi", languages=["id"])
    tom = make_online("tom", languages=["en"])
    anna = make_online("anna", languages=["en"], skills=["refund"])
    english = arrive(
        subject="Order not arrived", text="Hello, my order has not arrived yet and I am waiting."
    )
    Ticket.objects.filter(pk=english.pk).update(language="en")
    routed = ticket_route(ticket_id=english.pk)
    assert routed.agent_id in (tom.pk, anna.pk)
    assert assigned_event(english).event_data["language"] == "en"
    refund = arrive(subject="Refund please", text="I would like a refund for my order, please.")
    ticket_update(actor=None, ticket=refund, language="en", tags=["refund"])
    routed = ticket_route(ticket_id=refund.pk)
    assert routed.agent_id == anna.pk
    assert assigned_event(refund).event_data["skills"] == ["refund"]


def test_round_robin_takes_turns(make_online, arrive, routed_team):
    TeamRouting.objects.filter(team=routed_team).update(strategy="round_robin", sticky=False)
    agents = [make_online(f"rr{i}") for i in range(3)]
    given = [ticket_route(ticket_id=arrive().pk).agent_id for _ in range(6)]
    assert sorted(given[:3]) == sorted(a.pk for a in agents)
    assert given[3:] == given[:3]


def test_least_loaded_weighs_priority(make_online, arrive):
    dewi = make_online("dewi")
    budi = make_online("budi")
    urgent = arrive()
    ticket_update(actor=None, ticket=urgent, priority=4)
    ticket_assign(actor=None, ticket=urgent, assignee=dewi)
    low_ones = [arrive(), arrive()]
    for t in low_ones:
        ticket_update(actor=None, ticket=t, priority=1)
        ticket_assign(actor=None, ticket=t, assignee=budi)
    loads_refresh([dewi.pk, budi.pk])
    # Dewi holds one urgent ticket (weight 2), Budi two low ones (0.5 each): Budi is less loaded.
    assert ticket_route(ticket_id=arrive().pk).agent_id == budi.pk


def test_an_agent_coming_online_gets_the_waiting_tickets_priority_lane_first(
    make_online, arrive, routed_team
):
    from tanggap.customers.models import Customer

    TeamRouting.objects.filter(team=routed_team).update(lane_tiers=["vip"])
    dewi = make_online("dewi", status=Presence.OFFLINE, capacity={"email": 2})
    old = arrive()
    urgent = arrive()
    ticket_update(actor=None, ticket=urgent, priority=4)
    vip = arrive(sender="vip@example.com")
    Customer.objects.filter(pk=vip.customer_id).update(tier="vip")
    assert all(ticket_route(ticket_id=t.pk).agent_id is None for t in (old, urgent, vip))
    Availability.objects.filter(user=dewi).update(status=Presence.ONLINE)
    loads_refresh([dewi.pk])  # what the presence event does
    done = queue_drain(team_id=routed_team.pk)
    assert [r.ticket_id for r in done if r.agent_id] == [vip.pk, urgent.pk]
    old.refresh_from_db()
    assert old.assignee_id is None
    assert assigned_event(vip).event_data["routing"] == "available"


def test_angry_customers_go_first_when_the_team_asks(make_online, arrive, routed_team, admin):
    from tanggap.customers.models import Customer

    team_routing_update(
        actor=admin, team=routed_team, lane_tiers=["vip"], angry_first=True, angry_threshold=0.6
    )
    dewi = make_online("dewi", status=Presence.OFFLINE, capacity={"email": 4})
    old = arrive()
    urgent = arrive()
    ticket_update(actor=None, ticket=urgent, priority=4)
    vip = arrive(sender="vip@example.com")
    Customer.objects.filter(pk=vip.customer_id).update(tier="vip")
    angry = arrive()
    mildly = arrive()
    unread = arrive()
    # What assist writes once it has read each customer (``unread``: not read yet).
    for ticket, anger in ((old, 0.1), (urgent, 0.2), (vip, 0.3), (angry, 0.9), (mildly, 0.5)):
        ticket_signals_set(
            ticket_id=ticket.pk, intents=[], sentiment="negative", emotion="anger", anger=anger
        )
    assert all(
        ticket_route(ticket_id=t.pk).agent_id is None for t in (old, urgent, vip, angry, mildly, unread)
    )

    rows = Ticket.objects.filter(team=routed_team).values_list(
        "id", "priority", "created_at", "customer__tier", "anger"
    )
    expected = queue_order(
        [
            Waiting(pk, priority, created.timestamp(), tier, anger)
            for pk, priority, created, tier, anger in rows
        ],
        lane_tiers={"vip"},
        angry_threshold=0.6,
    )
    Availability.objects.filter(user=dewi).update(status=Presence.ONLINE)
    loads_refresh([dewi.pk])
    done = queue_drain(team_id=routed_team.pk)
    given = [r.ticket_id for r in done if r.agent_id]
    assert given == [angry.pk, vip.pk, urgent.pk, old.pk]  # the capacity is 4
    assert given == [t.id for t in expected][:4]  # the database's order is the pure core's


def test_an_empty_lane_is_asked_once_per_drain(make_online, arrive, routed_team):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    TeamRouting.objects.filter(team=routed_team).update(angry_first=True, lane_tiers=["vip"])
    dewi = make_online("dewi", status=Presence.OFFLINE, capacity={"email": 5})
    waiting = [arrive() for _ in range(3)]  # nobody angry, nobody of the tier
    assert all(ticket_route(ticket_id=t.pk).agent_id is None for t in waiting)
    Availability.objects.filter(user=dewi).update(status=Presence.ONLINE)
    loads_refresh([dewi.pk])
    with CaptureQueriesContext(connection) as queries:
        done = queue_drain(team_id=routed_team.pk)
    assert [r.ticket_id for r in done if r.agent_id] == [t.pk for t in waiting]
    sql = [q["sql"] for q in queries.captured_queries]
    assert sum('"anger" >=' in q for q in sql) == 1
    assert sum('"tier" IN' in q for q in sql) == 1


@pytest.mark.parametrize("threshold", [0, -0.2, 1.5])
def test_the_anger_threshold_is_a_share_above_zero(routed_team, admin, threshold):
    with pytest.raises(InvalidInput):
        team_routing_update(actor=admin, team=routed_team, angry_threshold=threshold)
    assert TeamRouting.objects.get(team=routed_team).angry_threshold == 0.6


def test_solving_a_ticket_makes_room_for_the_next(
    make_online, arrive, routed_team, django_capture_on_commit_callbacks
):
    dewi = make_online("dewi", capacity={"email": 1})
    first, second = arrive(), arrive()
    ticket_route(ticket_id=first.pk)
    assert ticket_route(ticket_id=second.pk).agent_id is None
    first.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        ticket_transition(actor=dewi, ticket=first, status=Status.SOLVED)
    second.refresh_from_db()
    assert second.assignee_id == dewi.pk


def test_arrival_events_route_the_ticket(
    make_online, routed_team, django_capture_on_commit_callbacks, arrive
):
    dewi = make_online("dewi")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = arrive()
    ticket.refresh_from_db()
    assert ticket.assignee_id == dewi.pk


def test_presence_online_drains_the_queue(make_online, arrive, django_capture_on_commit_callbacks):
    from tanggap.accounts.presence import presence_set

    dewi = make_online("dewi", status=Presence.AWAY)
    ticket = arrive()
    with django_capture_on_commit_callbacks(execute=True):
        presence_set(actor=dewi, status=Presence.ONLINE)
    ticket.refresh_from_db()
    assert ticket.assignee_id == dewi.pk


def test_a_manual_assignment_is_never_overridden(make_online, arrive):
    dewi = make_online("dewi")
    budi = make_online("budi")
    ticket = arrive()
    ticket_assign(actor=dewi, ticket=ticket, assignee=budi)
    routed = ticket_route(ticket_id=ticket.pk)
    assert (routed.agent_id, routed.reason) == (budi.pk, "already_assigned")


def test_unanswered_tickets_are_rebalanced_to_another_agent(make_online, arrive, routed_team):
    TeamRouting.objects.filter(team=routed_team).update(rebalance_minutes=30)
    dewi = make_online("dewi")
    ticket = arrive()
    ticket_route(ticket_id=ticket.pk)
    budi = make_online("budi")
    now = timezone.now()
    assert tickets_rebalance(now=now) == []  # not waited long enough
    later = now + timedelta(minutes=31)
    done = tickets_rebalance(now=later)
    assert [(r.ticket_id, r.agent_id) for r in done] == [(ticket.pk, budi.pk)]
    event = assigned_event(ticket)
    assert event.event_data["routing"] == "rebalanced"
    assert event.event_data["previous_id"] == dewi.pk
    # Just given to Budi (at the real time): not taken away again within the team's 30 minutes.
    assert tickets_rebalance(now=timezone.now() + timedelta(minutes=29)) == []


def test_an_answered_ticket_is_not_rebalanced(make_online, arrive, routed_team):
    TeamRouting.objects.filter(team=routed_team).update(rebalance_minutes=30)
    dewi = make_online("dewi")
    ticket = arrive()
    ticket_route(ticket_id=ticket.pk)
    make_online("budi")
    ticket.refresh_from_db()
    reply_send(actor=dewi, ticket=ticket, text="Baik, kami cek dulu ya.", status_after=Status.OPEN)
    assert tickets_rebalance(now=timezone.now() + timedelta(hours=2)) == []


def test_the_sweep_gives_out_what_events_missed(make_online, arrive):
    dewi = make_online("dewi")
    ticket = arrive()
    report = routing_sweep()
    assert report.assigned == 1
    ticket.refresh_from_db()
    assert ticket.assignee_id == dewi.pk


def test_routing_settings_are_for_leads_of_the_team(make_agent, routed_team, make_team):
    other = make_team("Billing")
    supervisor = make_agent("sup", role=Role.SUPERVISOR, teams=[routed_team])
    agent = make_agent("plain", teams=[routed_team])
    with pytest.raises(PermissionDenied):
        team_routing_update(actor=agent, team=routed_team, enabled=False)
    with pytest.raises(PermissionDenied):
        team_routing_update(actor=supervisor, team=other, enabled=True)
    row = team_routing_update(
        actor=supervisor,
        team=routed_team,
        strategy="round_robin",
        rebalance_minutes=45,
        lane_tiers=["VIP", " gold "],
    )
    assert (row.strategy, row.rebalance_minutes, row.lane_tiers) == ("round_robin", 45, ["gold", "vip"])
    with pytest.raises(InvalidInput):
        team_routing_update(actor=supervisor, team=routed_team, strategy="fastest")
    with pytest.raises(InvalidInput):
        team_routing_update(actor=supervisor, team=routed_team, rebalance_minutes=0)


def test_the_inbox_a_ticket_came_through_is_a_skill(make_online, routed_team):
    from tanggap.inboxes.models import MailSource
    from tanggap.inboxes.services import mail_receive
    from tanggap.inboxes.setup import inbox_create
    from tests.inboxes.conftest import make_mail

    make_online("dewi")
    rudi = make_online("rudi", skills=["billing"])
    billing = inbox_create(actor=None, name="Billing", address="billing@tanggap.test", team=routed_team)
    row = mail_receive(
        inbox=billing, raw=make_mail("Tagihan saya salah, mohon dicek."), source=MailSource.SMTP
    )
    routed = ticket_route(ticket_id=row.ticket_id)
    assert routed.agent_id == rudi.pk
    assert assigned_event(Ticket.objects.get(pk=row.ticket_id)).event_data["skills"] == ["billing"]
