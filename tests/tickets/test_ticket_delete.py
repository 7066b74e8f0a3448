"""``ticket_delete``: the ticket and everything about it go (so it leaves every count), with an audit
row; only the system or an admin may do it."""

from __future__ import annotations

import pytest
from django.utils import timezone

from tanggap.accounts.models import Role
from tanggap.core.audit import AuditEntry
from tanggap.core.errors import ApplicationError, ErrorCode
from tanggap.sla.models import TicketClock
from tanggap.tickets.models import Message, SearchEntry, Ticket
from tanggap.tickets.services import ticket_delete


def test_the_system_deletes_a_ticket_with_its_messages_clocks_and_search_entries(receive):
    result = receive()
    other = receive(sender="budi@example.com").ticket
    TicketClock.objects.create(ticket=result.ticket, computed_at=timezone.now())
    number = result.ticket.pk

    assert ticket_delete(actor=None, ticket=result.ticket, reason="canary_probe") == number

    assert list(Ticket.objects.values_list("pk", flat=True)) == [other.pk]
    assert not Message.objects.filter(ticket_id=number).exists()
    assert not SearchEntry.objects.filter(ticket_id=number).exists()
    assert not TicketClock.objects.filter(ticket_id=number).exists()
    entry = AuditEntry.objects.get(action="ticket.deleted")
    assert entry.actor is None and entry.object_id == str(number)
    assert entry.data == {"reason": "canary_probe", "channel": "email", "messages": 1}


def test_only_an_admin_may_delete(receive, make_agent):
    ticket = receive().ticket
    supervisor = make_agent("lead", role=Role.SUPERVISOR)
    with pytest.raises(ApplicationError) as refused:
        ticket_delete(actor=supervisor, ticket=ticket, reason="mistake")
    assert refused.value.code == ErrorCode.PERMISSION_DENIED
    assert Ticket.objects.filter(pk=ticket.pk).exists()

    ticket_delete(actor=make_agent("boss", role=Role.ADMIN), ticket=ticket, reason="mistake")
    assert not Ticket.objects.filter(pk=ticket.pk).exists()


def test_a_reason_is_required_and_a_missing_ticket_is_not_found(receive):
    ticket = receive().ticket
    with pytest.raises(ApplicationError) as invalid:
        ticket_delete(actor=None, ticket=ticket, reason="")
    assert invalid.value.code == ErrorCode.INVALID_INPUT
    ticket_delete(actor=None, ticket=ticket, reason="canary_probe")
    with pytest.raises(ApplicationError) as missing:
        ticket_delete(actor=None, ticket=ticket, reason="canary_probe")
    assert missing.value.code == ErrorCode.NOT_FOUND
