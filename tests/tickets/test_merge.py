"""ticket_merge: folding one ticket into another."""

from __future__ import annotations

import pytest

from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput, NotFound, PermissionDenied
from tanggap.core.models import AuditEntry
from tanggap.tickets.inbound import InboundAttachment
from tanggap.tickets.models import Attachment, Message, MessageKind, SearchEntry, Status, Ticket
from tanggap.tickets.search import ticket_search
from tanggap.tickets.services import (
    message_receive,
    reply_send,
    ticket_merge,
    ticket_transition,
    ticket_update,
)
from tests.tickets.conftest import inbound

pytestmark = pytest.mark.django_db


@pytest.fixture
def pair(receive, agent):
    source = receive(
        "Paket saya rusak saat diterima", subject="Paket rusak", sender="budi@example.com"
    ).ticket
    message_receive(
        inbound=inbound(
            "Ini fotonya",
            ticket_id=source.pk,
            sender="budi@example.com",
            attachments=(InboundAttachment("foto.jpg", "image/jpeg", b"\xff\xd8foto"),),
        )
    )
    target = receive("Saya mau refund", subject="Minta refund", sender="budi@example.com").ticket
    ticket_update(actor=agent, ticket=source, tags=["rusak"])
    return Ticket.objects.get(pk=source.pk), Ticket.objects.get(pk=target.pk)


def test_merge_moves_messages_and_search_entries(pair, agent, django_capture_on_commit_callbacks, published):
    source, target = pair
    moved_ids = set(
        Message.objects.filter(ticket=source).exclude(kind=MessageKind.EVENT).values_list("pk", flat=True)
    )
    with django_capture_on_commit_callbacks(execute=True):
        result = ticket_merge(actor=agent, source=source, target=target)
    assert result.pk == target.pk
    source, target = Ticket.objects.get(pk=source.pk), Ticket.objects.get(pk=target.pk)

    assert moved_ids <= set(Message.objects.filter(ticket=target).values_list("pk", flat=True))
    assert not Message.objects.filter(ticket=source).exclude(kind=MessageKind.EVENT).exists()
    assert Attachment.objects.get().message.ticket_id == target.pk
    assert target.message_count == 3
    assert source.message_count == 0
    assert list(target.tags.values_list("name", flat=True)) == ["rusak"]

    # Search entries of the messages move, and the source's subject now finds the target only.
    assert not SearchEntry.objects.filter(ticket=source).exists()
    assert SearchEntry.objects.filter(ticket=target, message__isnull=True).count() == 1
    assert ticket_search(user=agent, query="foto") == [target]
    assert ticket_search(user=agent, query="paket rusak") == [target]
    # The target's own subject entry is still unique: renaming it keeps working.
    ticket_update(actor=agent, ticket=target, subject="Refund untuk paket rusak")

    # The source is closed with a pointer, and that is recorded like any status change.
    assert source.merged_into_id == target.pk
    assert source.status == Status.CLOSED and source.closed_at is not None
    assert list(Message.objects.filter(ticket=source).values_list("event_code", flat=True)) == [
        "tags_changed",
        "merged_into",
        "status_changed",
    ]
    assert Message.objects.get(ticket=target, event_code="merged_in").event_data == {
        "source_id": source.pk,
        "subject": "Paket rusak",
        "messages": 2,
    }
    actions = set(AuditEntry.objects.filter(actor=agent).values_list("action", "object_id"))
    assert ("ticket.merged", str(target.pk)) in actions
    assert ("ticket.status_changed", str(source.pk)) in actions
    names = [name for name, _ in published]
    assert names == ["ticket.status_changed", "ticket.merged"]
    assert published[0][1]["ticket_id"] == source.pk and published[0][1]["status"] == "closed"
    assert published[1][1] == {"source_id": source.pk, "ticket_id": target.pk, "actor_id": agent.pk}


def test_inbound_to_the_source_lands_on_the_target(pair, agent):
    source, target = pair
    ticket_merge(actor=agent, source=source, target=target)
    result = message_receive(
        inbound=inbound("Kapan refundnya?", ticket_id=source.pk, sender="budi@example.com")
    )
    assert result.ticket.pk == target.pk and not result.ticket_created
    assert Ticket.objects.get(pk=target.pk).message_count == 4


def test_merge_chains_forward(receive, agent):
    a, b, c = (receive(sender="budi@example.com").ticket for _ in range(3))
    ticket_merge(actor=agent, source=a, target=b)
    ticket_merge(actor=agent, source=b, target=c)
    assert message_receive(inbound=inbound(ticket_id=a.pk, sender="budi@example.com")).ticket.pk == c.pk


def test_merge_keeps_the_earliest_first_response(pair, agent):
    source, target = pair
    first = reply_send(actor=agent, ticket=source, text="Kami cek.")
    reply_send(actor=agent, ticket=target, text="Kami cek juga.")
    ticket_merge(actor=agent, source=source, target=target)
    target = Ticket.objects.get(pk=target.pk)
    assert target.first_response_at == first.created_at


def test_merging_active_work_into_a_solved_ticket_reopens_it(pair, agent):
    source, target = pair
    ticket_transition(actor=agent, ticket=target, status=Status.SOLVED)
    ticket_merge(actor=agent, source=source, target=target)
    assert Ticket.objects.get(pk=target.pk).status == Status.OPEN


def test_cannot_merge_into_itself(pair, agent):
    source, _ = pair
    with pytest.raises(InvalidInput):
        ticket_merge(actor=agent, source=source, target=source)


def test_cannot_merge_into_a_closed_ticket(pair, agent):
    source, target = pair
    ticket_transition(actor=agent, ticket=target, status=Status.SOLVED)
    ticket_transition(actor=agent, ticket=target, status=Status.CLOSED)
    with pytest.raises(ApplicationError) as excinfo:
        ticket_merge(actor=agent, source=source, target=target)
    assert excinfo.value.code == ErrorCode.INVALID_TRANSITION
    assert Ticket.objects.get(pk=source.pk).merged_into_id is None


def test_cannot_merge_twice(pair, receive, agent):
    source, target = pair
    third = receive(sender="budi@example.com").ticket
    ticket_merge(actor=agent, source=source, target=target)
    for args in ({"source": source, "target": third}, {"source": third, "target": source}):
        with pytest.raises(ApplicationError) as excinfo:
            ticket_merge(actor=agent, **args)
        assert excinfo.value.code == ErrorCode.CONFLICT


def test_a_closed_source_may_be_merged(pair, agent):
    source, target = pair
    ticket_transition(actor=agent, ticket=source, status=Status.SOLVED)
    ticket_transition(actor=agent, ticket=source, status=Status.CLOSED)
    ticket_merge(actor=agent, source=source, target=target)
    assert Ticket.objects.get(pk=source.pk).merged_into_id == target.pk


def test_merge_of_a_vanished_ticket_is_not_found(pair, agent):
    source, target = pair
    Ticket.objects.filter(pk=source.pk).delete()
    with pytest.raises(NotFound):
        ticket_merge(actor=agent, source=source, target=target)


def test_trainee_may_not_merge(pair, trainee):
    source, target = pair
    with pytest.raises(PermissionDenied):
        ticket_merge(actor=trainee, source=source, target=target)
