"""Agent actions on tickets: create, reply, note, assign, update, transition, bulk, presence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tanggap.accounts.services import agent_update
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput, NotFound, PermissionDenied
from tanggap.core.models import AuditEntry
from tanggap.customers.services import customer_create, customer_merge
from tanggap.inboxes.setup import inbox_create
from tanggap.tickets.inbound import InboundAttachment
from tanggap.tickets.models import (
    DeliveryStatus,
    Message,
    MessageKind,
    Priority,
    SearchEntry,
    Status,
    Tag,
    Ticket,
)
from tanggap.tickets.selectors import ticket_others_present
from tanggap.tickets.services import (
    note_add,
    reply_send,
    ticket_assign,
    ticket_bulk,
    ticket_create,
    ticket_presence_leave,
    ticket_presence_ping,
    ticket_transition,
    ticket_update,
)

pytestmark = pytest.mark.django_db


def fresh(ticket: Ticket) -> Ticket:
    return Ticket.objects.get(pk=ticket.pk)


def last_audit(ticket: Ticket) -> AuditEntry:
    return AuditEntry.objects.filter(object_type="tickets.ticket", object_id=str(ticket.pk)).latest("id")


def events_of(ticket: Ticket) -> list[str]:
    return list(
        Message.objects.filter(ticket=ticket, kind=MessageKind.EVENT).values_list("event_code", flat=True)
    )


@pytest.fixture
def customer(admin):
    return customer_create(actor=admin, name="Budi", identities=[("email", "budi@example.com")])


@pytest.fixture
def inbox(team):
    """The inbox replies by e-mail are sent from (the e-mail adapter needs one, else it fails them)."""
    return inbox_create(actor=None, name="Support", address="support@tanggap.test", team=team)


# ---------------------------------------------------------------- ticket_create


def test_create_records_the_customer_message(
    agent, customer, team, django_capture_on_commit_callbacks, published
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(
            actor=agent,
            customer=customer,
            subject="Telepon: refund",
            text="Pelanggan minta refund.",
            team=team,
            tags=["Refund", " VIP Customer "],
            priority=Priority.HIGH,
        )
    ticket = fresh(ticket)
    assert ticket.status == Status.NEW
    assert ticket.channel == "phone"
    assert ticket.priority == Priority.HIGH
    assert ticket.message_count == 1
    assert ticket.last_customer_message_at is not None
    message = ticket.messages.exclude(kind=MessageKind.EVENT).get()
    assert message.kind == MessageKind.CUSTOMER and message.customer == customer
    assert events_of(ticket) == ["created_by_agent"]
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["refund", "vip-customer"]
    assert last_audit(ticket).action == "ticket.created"
    assert last_audit(ticket).actor == agent
    assert published == [("ticket.created", {"ticket_id": ticket.pk, "actor_id": agent.pk})]


def test_create_as_reply(agent, customer, inbox, django_capture_on_commit_callbacks, published):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = ticket_create(
            actor=agent,
            customer=customer,
            subject="Info pengiriman",
            text="Paket Anda dikirim besok.",
            channel="email",
            as_reply=True,
            assignee=agent,
        )
    ticket = fresh(ticket)
    message = ticket.messages.exclude(kind=MessageKind.EVENT).get()
    assert message.kind == MessageKind.REPLY
    assert message.author == agent
    assert message.delivery_status == DeliveryStatus.QUEUED
    assert ticket.last_agent_reply_at is not None and ticket.last_customer_message_at is None
    assert ticket.assignee == agent
    assert [name for name, _ in published] == ["ticket.created", "ticket.assigned", "reply.sent"]


def test_create_for_a_merged_customer_uses_the_survivor(admin, customer):
    other = customer_create(actor=admin, name="Budi (HP)", identities=[("phone", "081234567890")])
    customer_merge(actor=admin, source=other, target=customer)
    other.refresh_from_db()
    ticket = ticket_create(actor=admin, customer=other, subject="x", text="Halo")
    assert ticket.customer_id == customer.pk


def test_trainee_may_not_create_a_ticket_for_someone_else(trainee, agent, customer):
    with pytest.raises(PermissionDenied):
        ticket_create(actor=trainee, customer=customer, subject="x", text="Halo", assignee=agent)
    ticket = ticket_create(actor=trainee, customer=customer, subject="x", text="Halo", assignee=trainee)
    assert ticket.assignee == trainee


def test_create_refuses_bad_input(agent, customer, team, outsider):
    with pytest.raises(InvalidInput):
        ticket_create(actor=agent, customer=customer, subject="x", text="  ")
    with pytest.raises(InvalidInput):
        ticket_create(actor=agent, customer=customer, subject="x", text="a", channel="fax")
    with pytest.raises(InvalidInput):
        ticket_create(actor=agent, customer=customer, subject="x", text="a", priority=99)
    with pytest.raises(InvalidInput):
        ticket_create(actor=agent, customer=customer, subject="x", text="a", team=team, assignee=outsider)
    with pytest.raises(InvalidInput):
        ticket_create(
            actor=agent, customer=customer, subject="x", text="a", tags=[f"t{i}" for i in range(31)]
        )
    assert not Ticket.objects.exists()


# ---------------------------------------------------------------- reply_send


def test_reply(ticket, agent, inbox, django_capture_on_commit_callbacks, published):
    with django_capture_on_commit_callbacks(execute=True):
        message = reply_send(actor=agent, ticket=ticket, text="Baik kak, kami cek dulu.")
    ticket = fresh(ticket)
    assert message.kind == MessageKind.REPLY
    assert message.author == agent
    assert message.channel == ticket.channel
    assert message.delivery_status == DeliveryStatus.QUEUED
    assert ticket.first_response_at == message.created_at
    assert ticket.last_agent_reply_at == message.created_at
    assert ticket.updated_at == message.created_at
    assert ticket.status == Status.PENDING
    assert ticket.message_count == 2
    # Replying to an unassigned ticket takes it.
    assert ticket.assignee == agent
    assert events_of(ticket) == ["assigned", "status_changed"]
    assert SearchEntry.objects.filter(message=message, ticket=ticket).exists()
    assert AuditEntry.objects.filter(action="reply.sent", actor=agent, object_id=str(ticket.pk)).exists()
    names = [name for name, _ in published]
    assert names == ["ticket.status_changed", "reply.sent", "ticket.assigned"]
    assert published[2][1]["assignee_id"] == agent.pk


def test_reply_on_a_channel_without_an_adapter_has_no_delivery(agent, customer):
    ticket = ticket_create(actor=agent, customer=customer, subject="Telepon", text="Halo", channel="phone")
    message = reply_send(actor=agent, ticket=ticket, text="Sudah kami telepon balik.")
    assert message.delivery_status == DeliveryStatus.NONE
    assert Message.objects.get(pk=message.pk).delivery_status == DeliveryStatus.NONE


def test_reply_by_email_with_no_inbox_to_send_from_fails_with_a_reason(ticket, agent):
    message = reply_send(actor=agent, ticket=ticket, text="Baik kak.")
    assert message.delivery_status == DeliveryStatus.FAILED
    assert message.outbound_mail.reason == "no_inbox"
    assert fresh(ticket).status == Status.PENDING  # the reply itself is kept


def test_first_response_is_set_once(ticket, agent):
    first = reply_send(actor=agent, ticket=ticket, text="Satu")
    reply_send(actor=agent, ticket=ticket, text="Dua")
    ticket = fresh(ticket)
    assert ticket.first_response_at == first.created_at
    assert ticket.last_agent_reply_at > first.created_at


def test_reply_does_not_take_a_ticket_assigned_to_someone_else(ticket, agent, colleague):
    ticket_assign(actor=agent, ticket=ticket, assignee=colleague)
    reply_send(actor=agent, ticket=ticket, text="Halo")
    assert fresh(ticket).assignee == colleague


@pytest.mark.parametrize(
    "before,status_after,expected",
    [
        (Status.NEW, None, Status.PENDING),
        (Status.OPEN, None, Status.PENDING),
        (Status.ON_HOLD, None, Status.ON_HOLD),
        (Status.NEW, Status.SOLVED, Status.SOLVED),
        (Status.NEW, Status.NEW, Status.OPEN),
        (Status.PENDING, Status.ON_HOLD, Status.ON_HOLD),
        (Status.SOLVED, None, Status.SOLVED),
    ],
)
def test_status_after_reply(ticket, agent, before, status_after, expected):
    if before != Status.NEW:
        ticket_transition(actor=agent, ticket=ticket, status=before)
    reply_send(actor=agent, ticket=ticket, text="Halo", status_after=status_after)
    assert fresh(ticket).status == expected


def test_reply_with_an_unknown_status_after_is_invalid_input(ticket, agent):
    with pytest.raises(InvalidInput):
        reply_send(actor=agent, ticket=ticket, text="Halo", status_after="bogus")
    assert fresh(ticket).message_count == 1


def test_reply_with_a_forbidden_status_after_rolls_back(ticket, agent):
    with pytest.raises(ApplicationError) as excinfo:
        reply_send(actor=agent, ticket=ticket, text="Halo", status_after=Status.CLOSED)
    assert excinfo.value.code == ErrorCode.INVALID_TRANSITION
    ticket = fresh(ticket)
    assert ticket.message_count == 1
    assert ticket.first_response_at is None
    assert not Message.objects.filter(ticket=ticket, kind=MessageKind.REPLY).exists()


def test_closed_ticket_cannot_be_answered(ticket, agent):
    ticket_transition(actor=agent, ticket=ticket, status=Status.SOLVED)
    ticket_transition(actor=agent, ticket=ticket, status=Status.CLOSED)
    with pytest.raises(ApplicationError) as excinfo:
        reply_send(actor=agent, ticket=ticket, text="Halo")
    assert excinfo.value.code == ErrorCode.INVALID_TRANSITION


def test_empty_reply_is_refused(ticket, agent):
    with pytest.raises(InvalidInput):
        reply_send(actor=agent, ticket=ticket, text=" ", html="<p></p>")


def test_reply_html_is_sanitised_and_attachments_stored(ticket, agent):
    message = reply_send(
        actor=agent,
        ticket=ticket,
        text="",
        html='<p>Terlampir <a href="javascript:x()">faktur</a></p>',
        attachments=(InboundAttachment("faktur.pdf", "application/pdf", b"%PDF"),),
    )
    assert "javascript" not in message.body_html
    assert message.body_text == "Terlampir faktur"
    assert message.attachments.get().filename == "faktur.pdf"


def test_reply_to_a_deleted_ticket_is_not_found(ticket, agent):
    Ticket.objects.filter(pk=ticket.pk).delete()
    with pytest.raises(NotFound):
        reply_send(actor=agent, ticket=ticket, text="Halo")


def test_inactive_agent_cannot_reply(ticket, admin, agent):
    agent_update(actor=admin, agent=agent, is_active=False)
    with pytest.raises(PermissionDenied):
        reply_send(actor=agent, ticket=ticket, text="Halo")


def test_reply_uses_the_current_row_not_the_callers_copy(ticket, agent):
    stale = Ticket.objects.get(pk=ticket.pk)
    reply_send(actor=agent, ticket=ticket, text="Satu")
    reply_send(actor=agent, ticket=stale, text="Dua")
    assert fresh(ticket).message_count == 3


# ---------------------------------------------------------------- note_add


def test_note(ticket, trainee, django_capture_on_commit_callbacks, published):
    with django_capture_on_commit_callbacks(execute=True):
        note = note_add(actor=trainee, ticket=ticket, text="Cek dengan gudang.")
    ticket = fresh(ticket)
    assert note.kind == MessageKind.NOTE and note.author == trainee
    assert ticket.status == Status.NEW
    assert ticket.first_response_at is None
    assert ticket.assignee is None
    assert ticket.message_count == 2
    assert last_audit(ticket).action == "note.added"
    assert published == [
        ("note.added", {"ticket_id": ticket.pk, "message_id": note.pk, "actor_id": trainee.pk})
    ]


def test_empty_note_is_refused(ticket, agent):
    with pytest.raises(InvalidInput):
        note_add(actor=agent, ticket=ticket, text="\n")


# ---------------------------------------------------------------- ticket_assign


def test_assign_to_a_team_member(ticket, agent, colleague, django_capture_on_commit_callbacks, published):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_assign(actor=agent, ticket=ticket, assignee=colleague)
    ticket = fresh(ticket)
    assert ticket.assignee == colleague
    assert events_of(ticket) == ["assigned"]
    audit = last_audit(ticket)
    assert (audit.action, audit.actor, audit.data["assignee_id"]) == ("ticket.assigned", agent, colleague.pk)
    assert published == [
        (
            "ticket.assigned",
            {
                "ticket_id": ticket.pk,
                "assignee_id": colleague.pk,
                "team_id": ticket.team_id,
                "actor_id": agent.pk,
                "previous_assignee_id": None,
                "reason": "",
            },
        )
    ]


def test_assign_to_a_non_member_is_refused(ticket, agent, outsider):
    with pytest.raises(InvalidInput):
        ticket_assign(actor=agent, ticket=ticket, assignee=outsider)


def test_admins_may_be_assigned_anywhere(ticket, agent, admin):
    ticket_assign(actor=agent, ticket=ticket, assignee=admin)
    assert fresh(ticket).assignee == admin


def test_inactive_agents_cannot_be_assigned(ticket, admin, colleague):
    agent_update(actor=admin, agent=colleague, is_active=False)
    with pytest.raises(InvalidInput):
        ticket_assign(actor=admin, ticket=ticket, assignee=colleague)


def test_unassign(ticket, agent):
    ticket_assign(actor=agent, ticket=ticket, assignee=agent)
    ticket_assign(actor=agent, ticket=ticket, assignee=None)
    ticket = fresh(ticket)
    assert ticket.assignee is None
    assert events_of(ticket) == ["assigned", "unassigned"]


def test_assign_without_change_writes_nothing(ticket, agent):
    ticket_assign(actor=agent, ticket=ticket, assignee=agent)
    count = AuditEntry.objects.count()
    ticket_assign(actor=agent, ticket=ticket, assignee=agent)
    assert AuditEntry.objects.count() == count
    assert events_of(fresh(ticket)) == ["assigned"]


def test_move_team_keeps_an_assignee_who_is_a_member(ticket, admin, make_agent, team, other_team):
    both = make_agent("both", teams=[team, other_team])
    ticket_assign(actor=admin, ticket=ticket, assignee=both)
    ticket_assign(actor=admin, ticket=ticket, assignee=both, team=other_team)
    ticket = fresh(ticket)
    assert (ticket.team, ticket.assignee) == (other_team, both)
    assert events_of(ticket) == ["assigned", "team_changed"]


def test_move_team_drops_an_assignee_who_is_not_a_member(ticket, admin, agent, other_team):
    ticket_assign(actor=admin, ticket=ticket, assignee=agent)
    ticket_assign(actor=admin, ticket=ticket, assignee=agent, team=other_team)
    ticket = fresh(ticket)
    assert (ticket.team, ticket.assignee) == (other_team, None)
    assert events_of(ticket) == ["assigned", "team_changed", "unassigned"]


def test_move_team_to_none(ticket, admin, agent):
    ticket_assign(actor=admin, ticket=ticket, assignee=agent, team=None)
    ticket = fresh(ticket)
    assert ticket.team is None and ticket.assignee == agent


def test_trainee_may_take_an_unassigned_ticket_but_not_assign(ticket, trainee, colleague):
    with pytest.raises(PermissionDenied):
        ticket_assign(actor=trainee, ticket=ticket, assignee=colleague)
    ticket_assign(actor=trainee, ticket=ticket, assignee=trainee)
    assert fresh(ticket).assignee == trainee
    with pytest.raises(PermissionDenied):
        ticket_assign(actor=trainee, ticket=ticket, assignee=None)


def test_trainee_may_not_take_a_colleagues_ticket(ticket, trainee, colleague, team, other_team):
    ticket_assign(actor=colleague, ticket=ticket, assignee=colleague)
    with pytest.raises(PermissionDenied):
        ticket_assign(actor=trainee, ticket=ticket, assignee=trainee)
    with pytest.raises(PermissionDenied):
        ticket_assign(actor=trainee, ticket=ticket, assignee=trainee, team=team)
    assert fresh(ticket).assignee == colleague


# ---------------------------------------------------------------- ticket_update


def test_update_tags_are_normalised(ticket, agent, django_capture_on_commit_callbacks, published):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_update(
            actor=agent, ticket=ticket, tags=["  Pengiriman Lambat ", "VIP", "vip", "", "a/b?c", "---"]
        )
    ticket = fresh(ticket)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["abc", "pengiriman-lambat", "vip"]
    event = Message.objects.get(ticket=ticket, event_code="tags_changed")
    assert event.event_data == {"added": ["abc", "pengiriman-lambat", "vip"], "removed": []}
    assert last_audit(ticket).data == {"tags": ["abc", "pengiriman-lambat", "vip"]}
    assert published == [
        ("ticket.updated", {"ticket_id": ticket.pk, "changed": ["tags"], "actor_id": agent.pk})
    ]
    ticket_update(actor=agent, ticket=ticket, tags=["vip"])
    assert list(fresh(ticket).tags.values_list("name", flat=True)) == ["vip"]
    assert Tag.objects.filter(name="vip").count() == 1


def test_update_subject_priority_language(ticket, agent):
    before = fresh(ticket).updated_at
    ticket_update(
        actor=agent, ticket=ticket, subject="  Paket   rusak ", priority=Priority.URGENT, language="EN"
    )
    ticket = fresh(ticket)
    assert (ticket.subject, ticket.priority, ticket.language) == ("Paket rusak", Priority.URGENT, "en")
    assert ticket.updated_at >= before
    assert SearchEntry.objects.get(ticket=ticket, message=None).stems.split() == ["paket", "rusak"]
    assert set(events_of(ticket)) == {"subject_changed", "priority_changed"}
    assert last_audit(ticket).data == {
        "subject": "Paket rusak",
        "priority": Priority.URGENT,
        "language": "en",
    }


def test_update_without_change_writes_nothing(ticket, agent):
    count = AuditEntry.objects.count()
    ticket_update(actor=agent, ticket=ticket, subject=ticket.subject, tags=[], priority=ticket.priority)
    assert AuditEntry.objects.count() == count


def test_update_with_invalid_priority_changes_nothing(ticket, agent):
    with pytest.raises(InvalidInput):
        ticket_update(actor=agent, ticket=ticket, subject="Baru", priority=42)
    assert fresh(ticket).subject == "Pesanan belum sampai"


# ---------------------------------------------------------------- ticket_transition


def test_transition(ticket, agent, django_capture_on_commit_callbacks, published):
    with django_capture_on_commit_callbacks(execute=True):
        ticket_transition(actor=agent, ticket=ticket, status=Status.SOLVED)
    ticket = fresh(ticket)
    assert ticket.status == Status.SOLVED and ticket.solved_at is not None
    audit = last_audit(ticket)
    assert (audit.action, audit.actor, audit.data) == (
        "ticket.status_changed",
        agent,
        {"from": "new", "to": "solved"},
    )
    assert published == [
        (
            "ticket.status_changed",
            {"ticket_id": ticket.pk, "previous": "new", "status": "solved", "actor_id": agent.pk},
        )
    ]
    ticket_transition(actor=agent, ticket=ticket, status=Status.CLOSED)
    ticket = fresh(ticket)
    assert ticket.closed_at is not None and ticket.solved_at is not None


def test_reopen_clears_solved_at(ticket, agent):
    ticket_transition(actor=agent, ticket=ticket, status=Status.SOLVED)
    ticket_transition(actor=agent, ticket=ticket, status=Status.OPEN)
    assert fresh(ticket).solved_at is None


def test_invalid_transition_has_its_code(ticket, agent):
    with pytest.raises(ApplicationError) as excinfo:
        ticket_transition(actor=agent, ticket=ticket, status=Status.CLOSED)
    assert excinfo.value.code == ErrorCode.INVALID_TRANSITION
    assert excinfo.value.status == 409
    assert excinfo.value.details == {"current": "new", "target": "closed"}
    assert fresh(ticket).status == Status.NEW


def test_closed_is_final_through_the_service(ticket, agent):
    ticket_transition(actor=agent, ticket=ticket, status=Status.SOLVED)
    ticket_transition(actor=agent, ticket=ticket, status=Status.CLOSED)
    for status in (Status.NEW, Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED):
        with pytest.raises(ApplicationError) as excinfo:
            ticket_transition(actor=agent, ticket=ticket, status=status)
        assert excinfo.value.code == ErrorCode.INVALID_TRANSITION


def test_unknown_status_is_invalid_input(ticket, agent):
    with pytest.raises(InvalidInput):
        ticket_transition(actor=agent, ticket=ticket, status="archived")


def test_same_status_is_a_no_op(ticket, agent):
    count = AuditEntry.objects.count()
    ticket_transition(actor=agent, ticket=ticket, status=Status.NEW)
    assert AuditEntry.objects.count() == count


def test_nothing_published_on_rollback(ticket, agent, django_capture_on_commit_callbacks, published):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        ticket_transition(actor=agent, ticket=ticket, status=Status.SOLVED)
        reply_send(actor=agent, ticket=ticket, text="Halo")
        raise RuntimeError
    assert callbacks == [] and published == []
    assert fresh(ticket).status == Status.NEW


# ---------------------------------------------------------------- ticket_bulk


def test_bulk_reports_partial_failures(receive, agent, team, django_capture_on_commit_callbacks):
    one, two, three = (receive(sender=f"c{i}@example.com").ticket for i in range(3))
    ticket_transition(actor=agent, ticket=two, status=Status.SOLVED)
    ticket_transition(actor=agent, ticket=two, status=Status.CLOSED)
    result = ticket_bulk(actor=agent, tickets=[one, two, three], action="close")
    assert result.done == [one.pk, three.pk]
    assert result.failed == {two.pk: "invalid_transition"}
    assert fresh(one).status == fresh(three).status == Status.SOLVED


def test_bulk_assign(receive, agent, team, outsider):
    tickets = [receive(sender=f"c{i}@example.com").ticket for i in range(3)]
    ticket_assign(actor=agent, ticket=tickets[1], assignee=None, team=team)
    result = ticket_bulk(actor=agent, tickets=tickets, action="assign", assignee=outsider)
    # The second ticket is in a team the outsider is not part of.
    assert result.done == [tickets[0].pk, tickets[2].pk]
    assert result.failed == {tickets[1].pk: "invalid_input"}


def test_bulk_status_and_vanished_tickets(receive, agent):
    one, two = receive().ticket, receive(sender="x@example.com").ticket
    Ticket.objects.filter(pk=two.pk).delete()
    result = ticket_bulk(actor=agent, tickets=[one, two], action="status", status=Status.ON_HOLD)
    assert result.done == [one.pk]
    assert result.failed == {two.pk: "not_found"}


def test_bulk_refuses_unknown_actions_and_statuses(ticket, agent):
    with pytest.raises(InvalidInput):
        ticket_bulk(actor=agent, tickets=[ticket], action="delete")
    with pytest.raises(InvalidInput):
        ticket_bulk(actor=agent, tickets=[ticket], action="status", status="bogus")


def test_trainee_may_not_bulk(ticket, trainee):
    with pytest.raises(PermissionDenied):
        ticket_bulk(actor=trainee, tickets=[ticket], action="close")
    assert fresh(ticket).status == Status.NEW


# ---------------------------------------------------------------- presence


def test_presence(ticket, agent, colleague, supervisor):
    ticket_presence_ping(actor=agent, ticket=ticket)
    ticket_presence_ping(actor=colleague, ticket=ticket, replying=True)
    assert [p.user for p in ticket_others_present(user=agent, ticket=ticket)] == [colleague]
    assert [(p.user, p.is_replying) for p in ticket_others_present(user=supervisor, ticket=ticket)] == [
        (colleague, True),
        (agent, False),
    ]
    ticket_presence_ping(actor=colleague, ticket=ticket, replying=False)
    ticket_presence_leave(actor=colleague, ticket=ticket)
    assert ticket_others_present(user=agent, ticket=ticket) == []


def test_presence_expires(ticket, agent, colleague):
    from tanggap.tickets.models import TicketPresence

    ticket_presence_ping(actor=colleague, ticket=ticket)
    TicketPresence.objects.update(last_seen_at=timezone.now() - timedelta(minutes=5))
    assert ticket_others_present(user=agent, ticket=ticket) == []


# ---------------------------------------------------------------- the workflow through the service


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.sampled_from([s.value for s in Status]), max_size=8))
def test_random_transitions_through_the_service_follow_the_table(agent, team, steps):
    from tanggap.tickets.services import message_receive
    from tanggap.tickets.workflow import TRANSITIONS
    from tests.tickets.conftest import inbound

    ticket = message_receive(inbound=inbound()).ticket
    current = Status.NEW
    for target in steps:
        allowed = target == current or workflow_status(target) in TRANSITIONS[workflow_status(current)]
        try:
            ticket_transition(actor=agent, ticket=ticket, status=target)
        except ApplicationError as exc:
            assert not allowed and exc.code == ErrorCode.INVALID_TRANSITION
        else:
            assert allowed
            current = target
        stored = fresh(ticket)
        assert stored.status == current
        assert (stored.solved_at is not None) == (
            current in (Status.SOLVED, Status.CLOSED) and "solved" in steps
        )
        assert (stored.closed_at is not None) == (current == Status.CLOSED)
    # The timeline's status changes form one unbroken chain from "new" to the current status.
    changes = list(Message.objects.filter(ticket=ticket, event_code="status_changed").order_by("id"))
    chain = [Status.NEW.value] + [m.event_data["status"] for m in changes]
    assert [m.event_data["previous"] for m in changes] == chain[:-1]
    assert chain[-1] == current
    assert AuditEntry.objects.filter(action="ticket.status_changed", object_id=str(ticket.pk)).count() == len(
        changes
    )


def workflow_status(value: str):
    from tanggap.tickets.workflow import Status as WorkflowStatus

    return WorkflowStatus(value)
