"""message_receive: the one write path for every inbound channel."""

from __future__ import annotations

import hashlib
import sqlite3
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tanggap.core.blobs import DATABASE, default_store
from tanggap.core.errors import ErrorCode, InvalidInput
from tanggap.core.models import AuditEntry
from tanggap.customers.models import Customer, Identity
from tanggap.tickets.inbound import MAX_ATTACHMENTS, MAX_TEXT, InboundAttachment
from tanggap.tickets.models import Attachment, Message, MessageKind, SearchEntry, Status, Ticket
from tanggap.tickets.services import (
    message_receive,
    reply_send,
    ticket_assign,
    ticket_merge,
    ticket_transition,
)
from tests.tickets.conftest import inbound

pytestmark = pytest.mark.django_db


def audit_actions(ticket: Ticket) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_type="tickets.ticket", object_id=str(ticket.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_new_ticket(django_capture_on_commit_callbacks, published):
    with django_capture_on_commit_callbacks(execute=True):
        result = message_receive(inbound=inbound(sender="budi@example.com", name="Budi"))
    ticket = result.ticket
    assert result.ticket_created and not result.duplicate
    assert ticket.status == Status.NEW
    assert ticket.subject == "Pesanan belum sampai"
    assert ticket.channel == "email"
    assert ticket.message_count == 1
    assert ticket.customer.name == "Budi"
    assert Identity.objects.get(customer=ticket.customer).value == "budi@example.com"
    assert ticket.last_customer_message_at == result.message.created_at
    assert result.message.kind == MessageKind.CUSTOMER
    assert result.message.customer == ticket.customer
    # The subject and the message are both indexed.
    assert SearchEntry.objects.filter(ticket=ticket, message=None).count() == 1
    assert SearchEntry.objects.filter(ticket=ticket, message=result.message).count() == 1
    assert audit_actions(ticket) == ["ticket.created", "message.received"]
    # Then assist reads the message (its own event, from a task) and says what it found.
    assert [name for name, _ in published] == ["ticket.created", "message.received", "message.classified"]
    assert published[1][1] == {"ticket_id": ticket.pk, "message_id": result.message.pk}


def test_threads_by_ticket_id(receive):
    first = receive()
    second = receive("Ada kabar?", ticket_id=first.ticket.pk)
    assert not second.ticket_created
    assert second.ticket.pk == first.ticket.pk
    ticket = Ticket.objects.get(pk=first.ticket.pk)
    assert ticket.message_count == 2
    assert Message.objects.filter(ticket=ticket, kind=MessageKind.CUSTOMER).count() == 2


@pytest.mark.parametrize("ticket_id", [-1, 10**9, 2**70])
def test_unknown_ticket_id_opens_a_new_ticket(receive, ticket_id):
    result = receive(ticket_id=ticket_id)
    assert result.ticket_created


def test_message_for_a_merged_ticket_lands_on_the_target(receive, admin):
    source = receive(sender="a@example.com").ticket
    target = receive(sender="a@example.com").ticket
    ticket_merge(actor=admin, source=source, target=target)
    result = receive("Halo lagi", sender="a@example.com", ticket_id=source.pk)
    assert not result.ticket_created
    assert result.ticket.pk == target.pk


def test_message_for_a_closed_ticket_opens_a_follow_up(receive, admin, team, agent):
    closed = receive().ticket
    ticket_assign(actor=admin, ticket=closed, assignee=agent, team=team)
    ticket_transition(actor=admin, ticket=closed, status=Status.SOLVED)
    ticket_transition(actor=admin, ticket=closed, status=Status.CLOSED)
    result = receive("Masalahnya muncul lagi", ticket_id=closed.pk, subject="Re: Pesanan")
    follow_up = result.ticket
    assert result.ticket_created
    assert follow_up.pk != closed.pk
    assert follow_up.follow_up_of_id == closed.pk
    assert follow_up.team == team
    assert follow_up.assignee == agent
    assert follow_up.status == Status.NEW
    assert Ticket.objects.get(pk=closed.pk).status == Status.CLOSED
    assert Message.objects.filter(ticket=follow_up, event_code="follow_up_created").exists()


def test_follow_up_drops_an_assignee_who_left_the_team(receive, admin, team, other_team, outsider):
    closed = receive().ticket
    ticket_assign(actor=admin, ticket=closed, assignee=None, team=other_team)
    ticket_assign(actor=admin, ticket=closed, assignee=outsider)
    ticket_assign(actor=admin, ticket=closed, assignee=outsider, team=team)  # outsider is not in team
    ticket_transition(actor=admin, ticket=closed, status=Status.SOLVED)
    ticket_transition(actor=admin, ticket=closed, status=Status.CLOSED)
    follow_up = receive(ticket_id=closed.pk).ticket
    assert follow_up.team == team
    assert follow_up.assignee is None


@pytest.mark.parametrize("waiting", [Status.PENDING, Status.SOLVED])
def test_customer_message_reopens_a_waiting_ticket(
    receive, admin, waiting, django_capture_on_commit_callbacks, published
):
    ticket = receive().ticket
    ticket_transition(actor=admin, ticket=ticket, status=waiting)
    with django_capture_on_commit_callbacks(execute=True):
        receive("Belum beres", ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert ticket.status == Status.OPEN
    assert ticket.solved_at is None
    event = Message.objects.filter(ticket=ticket, event_code="status_changed").last()
    assert event.event_data == {"previous": waiting, "status": "open", "reason": "customer_replied"}
    assert (
        "ticket.status_changed",
        {"ticket_id": ticket.pk, "previous": waiting, "status": "open", "actor_id": None},
    ) in published


@pytest.mark.parametrize("status", [Status.NEW, Status.OPEN, Status.ON_HOLD])
def test_customer_message_keeps_other_statuses(receive, admin, status):
    ticket = receive().ticket
    if status != Status.NEW:
        ticket_transition(actor=admin, ticket=ticket, status=status)
    receive(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert ticket.status == status


def test_same_key_twice_stores_once(receive):
    first = receive(key="<abc@mail.example>")
    again = receive(key="<abc@mail.example>")
    assert again.duplicate and not again.ticket_created
    assert again.message.pk == first.message.pk
    assert Message.objects.filter(idempotency_key="<abc@mail.example>").count() == 1
    assert Ticket.objects.count() == 1


def test_long_keys_are_idempotent_too(receive):
    key = "<" + "x" * 900 + "@mail.example>"
    first = receive(key=key)
    again = receive(key=key)
    assert again.duplicate
    assert again.message.pk == first.message.pk
    stored = Message.objects.get(pk=first.message.pk).idempotency_key
    assert len(stored) <= 255
    assert stored == "sha256:" + hashlib.sha256(key.encode()).hexdigest()
    # A different long key with the same beginning is a different message.
    assert not receive(key=key[:-2] + "y>").duplicate


def test_duplicate_of_a_merged_message_points_at_its_ticket_now(receive, admin):
    source = receive(key="k-1").ticket
    target = receive().ticket
    ticket_merge(actor=admin, source=source, target=target)
    assert receive(key="k-1").ticket.pk == target.pk


def test_sender_is_normalised():
    one = message_receive(inbound=inbound(sender="Siti@Example.com"))
    two = message_receive(inbound=inbound(sender="  siti@example.com "))
    assert one.ticket.customer_id == two.ticket.customer_id
    assert Customer.objects.count() == 1
    assert Identity.objects.get().value == "siti@example.com"


def test_phone_senders_are_normalised():
    one = message_receive(inbound=inbound(kind="phone", sender="0812-3456-7890", channel="whatsapp"))
    two = message_receive(inbound=inbound(kind="phone", sender="+62 812 3456 7890", channel="sms"))
    assert one.ticket.customer_id == two.ticket.customer_id
    assert Identity.objects.get().value == "+6281234567890"


def test_invalid_sender_is_refused():
    with pytest.raises(InvalidInput):
        message_receive(inbound=inbound(sender="not an address"))
    assert not Customer.objects.exists()


def test_unknown_channel_is_refused():
    with pytest.raises(InvalidInput):
        message_receive(inbound=inbound(channel="pigeon"))


def test_html_is_sanitised():
    html = (
        '<p onclick="steal()">Halo <b>kak</b></p><script>alert(1)</script>'
        '<a href="javascript:alert(1)">klik</a><a href="https://toko.example/">toko</a>'
        '<img src="https://tracker.example/p.gif"><img src="cid:logo@x">'
    )
    message = message_receive(inbound=inbound(text="Halo kak", html=html)).message
    stored = message.body_html
    assert "<script" not in stored
    assert "alert(1)" not in stored
    assert "onclick" not in stored
    assert "javascript:" not in stored
    assert ' src="https://tracker.example' not in stored
    assert '<img data-remote-src="https://tracker.example/p.gif">' in stored
    assert 'src="cid:logo@x"' in stored
    assert 'href="https://toko.example/"' in stored
    assert "<b>kak</b>" in stored


def test_text_is_derived_from_html_when_missing():
    message = message_receive(
        inbound=inbound(text="", html="<p>Pesanan <b>saya</b> belum sampai</p><p>Terima kasih</p>")
    ).message
    assert message.body_text == "Pesanan saya belum sampai\nTerima kasih"


@pytest.mark.parametrize(
    "text,html", [("", ""), ("   \n\t", ""), ("", "<script>only</script>"), ("", "<p> </p>")]
)
def test_empty_message_is_refused(text, html):
    with pytest.raises(InvalidInput) as excinfo:
        message_receive(inbound=inbound(text=text, html=html))
    assert excinfo.value.code == ErrorCode.INVALID_INPUT
    assert not Ticket.objects.exists()
    assert not Customer.objects.exists()


def test_attachment_only_message_is_accepted():
    result = message_receive(
        inbound=inbound(
            text="", subject="", attachments=(InboundAttachment("foto.jpg", "image/jpeg", b"\xff\xd8"),)
        )
    )
    assert result.ticket.subject
    assert result.message.attachments.count() == 1


def test_too_large_text_is_refused():
    with pytest.raises(Exception) as excinfo:
        message_receive(inbound=inbound(text="a" * (MAX_TEXT + 1)))
    assert excinfo.value.code == ErrorCode.TOO_LARGE
    assert not Ticket.objects.exists()


def test_too_many_attachments_are_refused_before_anything_is_stored(settings):
    files = tuple(
        InboundAttachment(f"{i}.txt", "text/plain", f"file {i}".encode()) for i in range(MAX_ATTACHMENTS + 1)
    )
    with pytest.raises(Exception) as excinfo:
        message_receive(inbound=inbound(attachments=files))
    assert excinfo.value.code == ErrorCode.TOO_LARGE
    assert not Ticket.objects.exists()
    assert not default_store().exists(hashlib.sha256(b"file 0").hexdigest())


def test_too_large_attachment_is_refused(monkeypatch):
    from tanggap.tickets import timeline

    monkeypatch.setattr(timeline, "MAX_ATTACHMENT", 10)
    with pytest.raises(Exception) as excinfo:
        message_receive(inbound=inbound(attachments=(InboundAttachment("a.bin", "", b"x" * 11),)))
    assert excinfo.value.code == ErrorCode.TOO_LARGE


def test_attachments_are_content_addressed_and_deduplicated():
    data = b"%PDF-1.7 invoice"
    digest = hashlib.sha256(data).hexdigest()
    one = message_receive(
        inbound=inbound(attachments=(InboundAttachment("invoice.pdf", "application/pdf", data),))
    )
    two = message_receive(
        inbound=inbound(
            attachments=(InboundAttachment("", "", data, content_id="<part1>"),), sender="b@example.com"
        )
    )
    first, second = one.message.attachments.get(), two.message.attachments.get()
    assert first.sha256 == second.sha256 == digest
    assert (first.filename, first.content_type, first.size) == ("invoice.pdf", "application/pdf", len(data))
    assert (second.filename, second.content_type) == ("attachment", "application/octet-stream")
    assert second.content_id == "<part1>"
    assert default_store().get(digest) == data
    with sqlite3.connect(default_store().root / DATABASE) as db:  # type: ignore[attr-defined]
        assert db.execute("SELECT count(*) FROM blob").fetchone() == (1,)
    assert Attachment.objects.count() == 2


@pytest.mark.parametrize(
    "text,language",
    [
        ("Selamat pagi, pesanan saya belum sampai. Mohon dibantu, terima kasih.", "id"),
        ("Hello, my order has not arrived yet. Could you please check? Thanks.", "en"),
    ],
)
def test_language_is_guessed(text, language):
    assert message_receive(inbound=inbound(text=text, subject="")).ticket.language == language


def test_language_given_by_the_channel_wins_and_is_bounded():
    ticket = message_receive(inbound=inbound(language="en-GB-oxendict")).ticket
    ticket.refresh_from_db()
    assert ticket.language == "en-GB-ox"


def test_subject_falls_back_to_the_text_and_is_bounded():
    ticket = message_receive(inbound=inbound(subject="", text="Paket   rusak\nsaat diterima")).ticket
    assert ticket.subject == "Paket rusak saat diterima"
    assert len(message_receive(inbound=inbound(subject="s" * 1000)).ticket.subject) == 250


def test_received_at_in_the_past_is_kept_and_in_the_future_is_capped():
    past = timezone.now() - timedelta(days=3)
    old = message_receive(inbound=inbound(received_at=past))
    assert old.ticket.created_at == past
    assert old.message.created_at == past
    future = timezone.now() + timedelta(days=365)
    new = message_receive(inbound=inbound(received_at=future, sender="b@example.com"))
    assert new.message.created_at <= timezone.now()
    assert new.ticket.updated_at <= timezone.now()


def test_older_message_does_not_move_last_customer_message_back(receive):
    ticket = receive().ticket
    latest = Ticket.objects.get(pk=ticket.pk).last_customer_message_at
    message_receive(inbound=inbound(ticket_id=ticket.pk, received_at=latest - timedelta(days=1)))
    assert Ticket.objects.get(pk=ticket.pk).last_customer_message_at == latest


def test_reply_to_ticket_bumps_updated_at(receive, agent):
    ticket = receive().ticket
    before = Ticket.objects.get(pk=ticket.pk).updated_at
    receive(ticket_id=ticket.pk)
    assert Ticket.objects.get(pk=ticket.pk).updated_at >= before


def test_nothing_is_published_when_the_caller_rolls_back(django_capture_on_commit_callbacks, published):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        message_receive(inbound=inbound())
        raise RuntimeError("the channel failed after receiving")
    assert callbacks == []
    assert published == []
    assert not Ticket.objects.exists()


def test_events_wait_for_the_outer_transaction(django_capture_on_commit_callbacks, published):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message_receive(inbound=inbound())
        assert published == []
    assert [name for name, _ in published][:2] == ["ticket.created", "message.received"]


def test_reply_then_customer_message_reopens(receive, agent, team):
    ticket = receive().ticket
    ticket_assign(actor=agent, ticket=ticket, assignee=agent)
    reply_send(actor=agent, ticket=ticket, text="Kami cek dulu ya.")
    assert Ticket.objects.get(pk=ticket.pk).status == Status.PENDING
    receive("Sudah ada kabar?", ticket_id=ticket.pk)
    assert Ticket.objects.get(pk=ticket.pk).status == Status.OPEN


def test_subject_from_text_is_cut_at_a_word(receive):
    text = (
        "Pesanan TGP-630758 sudah dibatalkan 8 hari lalu, tapi pengembalian dana Rp 1.731.000 "
        "belum saya terima."
    )
    ticket = receive(text, subject="").ticket
    assert ticket.subject == "Pesanan TGP-630758 sudah dibatalkan 8 hari lalu, tapi pengembalian dana Rp…"
    assert receive("Pendek saja", subject="").ticket.subject == "Pendek saja"


def test_visible_length_is_stored_with_the_whole_text():
    text = "Sudah sampai, terima kasih.\n\n> Pesanan Anda sudah dikirim."
    message = message_receive(inbound=inbound(text, visible_length=27)).message
    message.refresh_from_db()
    assert message.body_text == text
    assert message.visible_length == 27
    assert message.visible_text == "Sudah sampai, terima kasih."
    assert message.hidden_text == "> Pesanan Anda sudah dikirim."


@pytest.mark.parametrize("length", [None, 0, -3, 10_000, len("Halo, pesanan saya belum sampai.")])
def test_visible_length_outside_the_text_shows_everything(length):
    message = message_receive(inbound=inbound(visible_length=length)).message
    message.refresh_from_db()
    assert message.visible_length is None
    assert message.visible_text == message.body_text == "Halo, pesanan saya belum sampai."
    assert message.hidden_text == ""


def test_visible_length_does_not_apply_to_text_made_from_html():
    # The cut describes the channel's text; an HTML-only message stores text made from its HTML.
    message = message_receive(
        inbound=inbound("", html="<p>Halo, pesanan saya belum sampai.</p>", visible_length=4)
    )
    assert message.message.visible_length is None
