"""Signals reach the message and the ticket through the event path, after commit."""

from __future__ import annotations

import pytest

from tanggap.assist.models import MessageSignals
from tanggap.assist.services import message_classify, messages_classify_missed
from tanggap.core import events
from tanggap.tickets.models import Message, MessageKind, Ticket
from tanggap.tickets.selectors import QueueFilter, ticket_list_for_queue

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_customer_message_is_read_after_commit(receive, published):
    result = receive(
        "Saya sangat kecewa!!! Tolong batalkan pesanan saya dan kembalikan uang saya. Kapan dananya masuk?",
        subject="Batalkan pesanan",
    )
    row = MessageSignals.objects.get(message=result.message)
    assert row.language == "id"
    assert {"cancel", "refund"} <= set(row.intents)
    assert row.questions and row.questions[0]["text"].startswith("Kapan")
    ticket = Ticket.objects.get(pk=result.ticket.pk)
    assert ticket.sentiment == row.sentiment == "negative"
    assert ticket.anger == pytest.approx(row.anger)
    assert ",cancel," in ticket.intents and ",refund," in ticket.intents
    classified = [p for name, p in published if name == events.MESSAGE_CLASSIFIED]
    assert classified and classified[0]["message_id"] == result.message.pk


def test_intents_add_up_and_the_latest_message_sets_the_tone(receive):
    first = receive("Paket saya belum sampai, resinya tidak bergerak.", subject="Paket")
    receive("Terima kasih banyak, paketnya sudah sampai. Mantap pelayanannya!", ticket_id=first.ticket.pk)
    ticket = Ticket.objects.get(pk=first.ticket.pk)
    assert ",delivery," in ticket.intents and ",praise," in ticket.intents
    assert ticket.sentiment == "positive"


def test_reading_an_older_message_again_keeps_the_latest_tone(receive):
    first = receive("Barang rusak, saya kecewa sekali.", subject="Rusak")
    receive("Terima kasih, sudah diganti. Puas sekali!", ticket_id=first.ticket.pk)
    message_classify(message_id=first.message.pk)
    assert Ticket.objects.get(pk=first.ticket.pk).sentiment == "positive"


def test_replies_notes_and_machine_mail_are_not_read(receive, agent):
    result = receive("Halo")
    note = Message.objects.filter(ticket=result.ticket, kind=MessageKind.CUSTOMER).first()
    Message.objects.filter(pk=note.pk).update(automatic="auto_reply")
    MessageSignals.objects.all().delete()
    assert message_classify(message_id=note.pk) is None
    assert not MessageSignals.objects.exists()


def test_the_sweep_reads_what_a_lost_task_missed(receive):
    result = receive("Pembayaran saya gagal tapi saldo terpotong.")
    MessageSignals.objects.all().delete()
    assert messages_classify_missed() == 1
    assert "payment" in MessageSignals.objects.get(message=result.message).intents
    assert messages_classify_missed() == 0


def test_the_queue_filters_on_the_signals(receive, admin):
    angry = receive("SAYA MARAH SEKALI!!! Sudah 3 minggu refund saya tidak diproses, pelayanan brengsek!")
    calm = receive(
        "Terima kasih, pelayanannya luar biasa!", sender="budi@example.com", subject="Terima kasih"
    )
    refunds = ticket_list_for_queue(user=admin, filters=QueueFilter(intent="refund", status="any"))
    assert list(refunds.values_list("pk", flat=True)) == [angry.ticket.pk]
    negative = ticket_list_for_queue(user=admin, filters=QueueFilter(sentiment="negative", status="any"))
    assert calm.ticket.pk not in set(negative.values_list("pk", flat=True))
