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


def test_messages_read_by_other_models_are_read_again_without_firing_triggers(receive, published):
    from datetime import timedelta

    from click.testing import CliRunner
    from django.utils import timezone

    from tanggap.assist.classify import models
    from tanggap.cli import main

    old = receive("Halo, paket saya belum sampai. Kapan dikirim?", subject="Paket")
    recent = receive("Tolong batalkan pesanan saya sekarang juga!", subject="Batal")
    current = receive("Terima kasih, sudah sampai.", subject="Sampai")
    Message.objects.filter(pk=old.message.pk).update(created_at=timezone.now() - timedelta(days=90))
    # Read by models that no longer ship, with a reading they would not give now.
    MessageSignals.objects.filter(message__in=[old.message.pk, recent.message.pk]).update(
        model_version="0ld0ld0ld0ld", anger=0.99
    )
    Ticket.objects.filter(pk=recent.ticket.pk).update(anger=0.99)
    published.clear()

    result = CliRunner().invoke(main, ["assist", "reclassify", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "Read again: 1 message(s); could not read: 0." in result.output
    fresh = MessageSignals.objects.get(message=recent.message)
    assert fresh.model_version == models().version and fresh.anger != 0.99
    assert Ticket.objects.get(pk=recent.ticket.pk).anger == pytest.approx(fresh.anger)
    assert (
        MessageSignals.objects.get(message=old.message).model_version == "0ld0ld0ld0ld"
    )  # older than 30 days
    assert MessageSignals.objects.get(message=current.message).model_version == models().version
    assert not [name for name, _ in published if name == events.MESSAGE_CLASSIFIED]

    result = CliRunner().invoke(main, ["assist", "reclassify", "--all"])
    assert "Read again: 1 message(s)" in result.output
    result = CliRunner().invoke(main, ["assist", "reclassify", "--all"])
    assert "Every message was read by the shipped models." in result.output


def test_reading_again_drops_an_intent_the_message_no_longer_shows(receive):
    first = receive("Paket saya belum sampai, resinya tidak bergerak.", subject="Paket")
    receive("Pembayaran saya gagal tapi saldo terpotong.", ticket_id=first.ticket.pk)
    # Read once by other models, which also saw a cancellation in the first message.
    row = MessageSignals.objects.get(message=first.message)
    MessageSignals.objects.filter(pk=row.pk).update(
        intents=[*row.intents, "cancel"], model_version="0ld0ld0ld0ld"
    )
    Ticket.objects.filter(pk=first.ticket.pk).update(intents=",cancel,delivery,payment,")

    message_classify(message_id=first.message.pk, announce=False)

    ticket = Ticket.objects.get(pk=first.ticket.pk)
    assert ",cancel," not in ticket.intents
    assert ",delivery," in ticket.intents and ",payment," in ticket.intents  # the second message's stays


def test_a_merge_carries_the_source_messages_signals_to_the_target(receive, admin):
    from tanggap.tickets.services import ticket_merge

    target = receive("Paket saya belum sampai, resinya tidak bergerak.", subject="Paket")
    source = receive(
        "Tolong batalkan pesanan saya dan kembalikan uang saya.", sender="siti@example.com", subject="Batal"
    )
    assert source.ticket.pk != target.ticket.pk
    before = Ticket.objects.get(pk=source.ticket.pk)
    assert ",cancel," in before.intents

    ticket_merge(actor=admin, source=before, target=Ticket.objects.get(pk=target.ticket.pk))

    merged = Ticket.objects.get(pk=target.ticket.pk)
    assert {",cancel,", ",refund,", ",delivery,"} <= {f",{i}," for i in merged.intents.strip(",").split(",")}
    moved = MessageSignals.objects.get(message=source.message)
    assert moved.ticket_id == merged.pk
    # The newest customer message is now the source's: it sets the tone.
    assert merged.sentiment == moved.sentiment and merged.anger == pytest.approx(moved.anger)
    assert Ticket.objects.get(pk=source.ticket.pk).intents == ""
