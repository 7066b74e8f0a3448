"""Ticket selectors: access checks, the queue's filters and sorts, query counts."""

from __future__ import annotations

import pytest

from tanggap.accounts.services import agent_update
from tanggap.core.errors import NotFound
from tanggap.tickets.models import MessageKind, Priority, Status, Ticket
from tanggap.tickets.selectors import (
    QueueFilter,
    ticket_get_for_agent,
    ticket_list_for_queue,
    ticket_queue_counts,
    ticket_rows,
    ticket_timeline,
    ticket_visible_qs,
    tickets_for_customer,
)
from tanggap.tickets.services import (
    note_add,
    reply_send,
    ticket_assign,
    ticket_merge,
    ticket_transition,
    ticket_update,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_team(receive, admin, team):
    def make(team_=team, **kwargs):
        ticket = receive(**kwargs).ticket
        return ticket_assign(actor=admin, ticket=ticket, assignee=None, team=team_)

    return make


# ---------------------------------------------------------------- ticket_get_for_agent


def test_agent_sees_their_teams_ticket(in_team, agent):
    ticket = in_team()
    assert ticket_get_for_agent(user=agent, ticket_id=ticket.pk) == ticket


def test_another_teams_ticket_is_not_found(in_team, other_team, agent, outsider):
    ticket = in_team(other_team)
    with pytest.raises(NotFound):
        ticket_get_for_agent(user=agent, ticket_id=ticket.pk)
    assert ticket_get_for_agent(user=outsider, ticket_id=ticket.pk) == ticket


@pytest.mark.parametrize(
    "ticket_id", [-1, 0, 987654, 2**63, 2**70, "abc", "1; DROP TABLE", None, "", 1.5e300]
)
def test_absurd_ids_are_not_found(ticket, agent, admin, ticket_id):
    for user in (agent, admin):
        with pytest.raises(NotFound):
            ticket_get_for_agent(user=user, ticket_id=ticket_id)


def test_for_update(ticket, agent):
    from django.db import transaction

    with transaction.atomic():
        assert ticket_get_for_agent(user=agent, ticket_id=ticket.pk, for_update=True) == ticket


def test_admin_sees_every_ticket(in_team, other_team, admin):
    ticket = in_team(other_team)
    assert ticket_get_for_agent(user=admin, ticket_id=ticket.pk) == ticket


def test_a_ticket_with_no_team_is_visible_to_every_agent(receive, agent, outsider, trainee):
    ticket = receive().ticket
    for user in (agent, outsider, trainee):
        assert ticket_get_for_agent(user=user, ticket_id=ticket.pk) == ticket


def test_assignee_sees_their_ticket_outside_their_team(in_team, admin, other_team, agent):
    ticket = in_team(other_team)
    ticket_assign(actor=admin, ticket=ticket, assignee=admin)
    with pytest.raises(NotFound):
        ticket_get_for_agent(user=agent, ticket_id=ticket.pk)
    # Assigned while the agent was in the team, then the agent moved on: they still see it.
    agent_update(actor=admin, agent=agent, teams=[other_team])
    ticket_assign(actor=admin, ticket=ticket, assignee=agent)
    agent_update(actor=admin, agent=agent, teams=[])
    assert ticket_get_for_agent(user=agent, ticket_id=ticket.pk) == ticket


def test_inactive_and_anonymous_users_see_nothing(ticket, admin, agent):
    from django.contrib.auth.models import AnonymousUser

    agent_update(actor=admin, agent=agent, is_active=False)
    for user in (agent, AnonymousUser(), None):
        with pytest.raises(NotFound):
            ticket_get_for_agent(user=user, ticket_id=ticket.pk)
        assert not ticket_visible_qs(user).exists()


# ---------------------------------------------------------------- ticket_list_for_queue


def ids(qs) -> list[int]:
    return [t.pk for t in qs]


def test_queue_views_and_filters(in_team, receive, admin, agent, colleague, other_team, team):
    mine = in_team(sender="a@example.com")
    ticket_assign(actor=admin, ticket=mine, assignee=agent)
    theirs = in_team(sender="b@example.com")
    ticket_assign(actor=admin, ticket=theirs, assignee=colleague)
    unassigned = in_team(sender="c@example.com")
    no_team = receive(sender="d@example.com").ticket
    hidden = in_team(other_team, sender="e@example.com")
    solved = in_team(sender="f@example.com")
    ticket_transition(actor=admin, ticket=solved, status=Status.SOLVED)
    ticket_update(actor=admin, ticket=unassigned, priority=Priority.URGENT, tags=["vip"])

    def q(user=agent, **kw):
        return set(ids(ticket_list_for_queue(user=user, filters=QueueFilter(**kw))))

    assert q() == {mine.pk, theirs.pk, unassigned.pk, no_team.pk}
    assert q(user=admin) == {mine.pk, theirs.pk, unassigned.pk, no_team.pk, hidden.pk}
    assert q(view="mine") == {mine.pk}
    assert q(view="unassigned") == {unassigned.pk, no_team.pk}
    assert q(team_id=team.pk) == {mine.pk, theirs.pk, unassigned.pk}
    assert q(team_id=other_team.pk) == set()  # filtering never widens access
    assert q(status="solved") == {solved.pk}
    assert q(status="any") == {mine.pk, theirs.pk, unassigned.pk, no_team.pk, solved.pk}
    assert q(status="bogus") == set()
    assert q(priority=Priority.URGENT) == {unassigned.pk}
    assert q(assignee_id=colleague.pk) == {theirs.pk}
    assert q(tag="vip") == {unassigned.pk}
    assert q(customer_id=mine.customer_id) == {mine.pk}
    assert q(channel="chat") == set()


def test_queue_counts_equal_the_queue_views(in_team, receive, admin, agent, colleague, outsider, trainee):
    mine = in_team(sender="a@example.com")
    ticket_assign(actor=admin, ticket=mine, assignee=agent)
    ticket_assign(actor=admin, ticket=in_team(sender="b@example.com"), assignee=colleague)
    in_team(sender="c@example.com")
    receive(sender="d@example.com")  # no team
    solved = in_team(sender="f@example.com")
    ticket_transition(actor=admin, ticket=solved, status=Status.SOLVED)
    merged = in_team(sender="g@example.com")
    ticket_merge(actor=admin, source=merged, target=mine)
    from tanggap.accounts.models import User

    for user in (admin, agent, colleague, outsider, trainee, User.objects.get(pk=agent.pk)):
        counts = ticket_queue_counts(user=user, cap=1000)
        expected = {
            view: ticket_list_for_queue(user=user, filters=QueueFilter(view=view)).count()
            for view in ("mine", "unassigned", "all")
        }
        assert counts == expected, user.username
    assert ticket_queue_counts(user=agent, cap=1000) == {"mine": 1, "unassigned": 2, "all": 4}
    assert ticket_queue_counts(user=agent, cap=2) == {"mine": 1, "unassigned": 2, "all": 2}


def test_queue_counts_are_one_query(in_team, agent, django_assert_num_queries):
    in_team()
    from tanggap.accounts.models import User

    user = User.objects.get(pk=agent.pk)
    with django_assert_num_queries(2):  # the agent's teams, then the three counts at once
        ticket_queue_counts(user=user, cap=1000)
    with django_assert_num_queries(1):
        ticket_queue_counts(user=user, cap=1000)


def test_queue_hides_merged_tickets(receive, admin):
    source, target = receive().ticket, receive().ticket
    ticket_merge(actor=admin, source=source, target=target)
    assert ids(ticket_list_for_queue(user=admin, filters=QueueFilter(status="any"))) == [target.pk]


def test_queue_sorts(receive, admin):
    low = receive(sender="a@example.com").ticket
    high = receive(sender="b@example.com").ticket
    middle = receive(sender="c@example.com").ticket
    ticket_update(actor=admin, ticket=low, priority=Priority.LOW)
    ticket_update(actor=admin, ticket=high, priority=Priority.HIGH)
    note_add(actor=admin, ticket=middle, text="terbaru")  # most recently updated

    def order(sort):
        return ids(ticket_list_for_queue(user=admin, filters=QueueFilter(sort=sort)))

    assert order("-updated_at") == [middle.pk, high.pk, low.pk]
    assert order("updated_at") == [low.pk, high.pk, middle.pk]
    assert order("-created_at") == [middle.pk, high.pk, low.pk]
    assert order("created_at") == [low.pk, high.pk, middle.pk]
    assert order("-priority") == [high.pk, middle.pk, low.pk]
    assert order("priority") == [low.pk, middle.pk, high.pk]
    assert order("; DROP TABLE tickets_ticket") == order("-updated_at")


@pytest.mark.parametrize("user_fixture", ["admin", "agent"])
def test_queue_query_count_is_constant_in_page_size(
    request, in_team, admin, agent, user_fixture, django_assert_num_queries
):
    user = request.getfixturevalue(user_fixture)
    for i in range(12):
        ticket = in_team(sender=f"c{i}@example.com")
        ticket_assign(actor=admin, ticket=ticket, assignee=agent)
        ticket_update(actor=admin, ticket=ticket, tags=["vip", f"t{i}"])

    def render(size: int) -> int:
        qs = ticket_list_for_queue(user=user, filters=QueueFilter())
        rows = list(qs[:size])
        for row in rows:  # what a queue row shows
            _ = (row.customer.name, row.team.name, row.assignee.label, [t.name for t in row.tags.all()])
        return len(rows)

    def render_rows(size: int) -> int:
        return len(ticket_rows(ticket_list_for_queue(user=user, filters=QueueFilter())[:size]))

    for size in (2, 12):
        user = type(user).objects.get(pk=user.pk)  # a new request's user: its teams are not read yet
        with django_assert_num_queries(3 if user_fixture == "agent" else 2):  # + the agent's team ids
            assert render(size) == size
        with django_assert_num_queries(2):  # the teams are read once per request's user
            assert render_rows(size) == size


def test_ticket_rows_show_what_the_queue_shows(in_team, admin, agent):
    ticket = in_team(sender="rows@example.com")
    ticket_assign(actor=admin, ticket=ticket, assignee=agent)
    ticket_update(actor=admin, ticket=ticket, tags=["vip", "billing"])
    ticket.refresh_from_db()
    (row,) = ticket_rows(Ticket.objects.filter(pk=ticket.pk))
    assert row.id == ticket.pk
    assert row.subject == ticket.subject
    assert (row.status, row.priority, row.updated_at) == (ticket.status, ticket.priority, ticket.updated_at)
    assert row.customer_name == str(ticket.customer)
    assert row.team_name == ticket.team.name
    assert row.assignee_name == agent.label
    assert row.tags == ("billing", "vip")


# ---------------------------------------------------------------- timeline and customer tickets


def test_timeline_is_ordered_and_query_count_is_constant(ticket, agent, django_assert_num_queries):
    reply_send(actor=agent, ticket=ticket, text="Satu")
    note_add(actor=agent, ticket=ticket, text="Dua")
    with django_assert_num_queries(2):
        timeline = list(ticket_timeline(user=agent, ticket=ticket))
        for message in timeline:
            _ = (message.author, message.customer, list(message.attachments.all()))
    kinds = [m.kind for m in timeline]
    assert kinds[0] == MessageKind.CUSTOMER
    assert [m.created_at for m in timeline] == sorted(m.created_at for m in timeline)
    assert MessageKind.REPLY in kinds and MessageKind.NOTE in kinds


def test_tickets_for_customer_respects_visibility(in_team, other_team, agent):
    one = in_team(sender="budi@example.com")
    two = in_team(sender="budi@example.com")
    hidden = in_team(other_team, sender="budi@example.com")
    assert ids(tickets_for_customer(user=agent, customer_id=one.customer_id)) == [two.pk, one.pk]
    assert ids(tickets_for_customer(user=agent, customer_id=one.customer_id, exclude_id=two.pk)) == [one.pk]
    assert hidden.pk not in ids(tickets_for_customer(user=agent, customer_id=one.customer_id))


def test_visible_qs_matches_get_for_agent(in_team, receive, other_team, agent, admin):
    tickets = [in_team(), in_team(other_team), receive().ticket]
    visible = set(ticket_visible_qs(agent).values_list("pk", flat=True))
    for ticket in Ticket.objects.all():
        try:
            ticket_get_for_agent(user=agent, ticket_id=ticket.pk)
            assert ticket.pk in visible
        except NotFound:
            assert ticket.pk not in visible
    assert len(visible) == 2
    assert ticket_visible_qs(admin).count() == len(tickets)
