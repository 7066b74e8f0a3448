"""Threading: headers first (In-Reply-To, References), then the subject's ticket token, never subject text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tanggap.inboxes.email.thread import (
    MAX_KEY,
    message_id_key,
    reference_candidates,
    subject_with_token,
    ticket_number_in_subject,
    ticket_token,
)
from tanggap.inboxes.models import MailDirection, MailMessageId, MailSource
from tanggap.inboxes.services import mail_receive
from tanggap.inboxes.threading import message_id_record
from tanggap.tickets.models import Status, Ticket
from tanggap.tickets.services import ticket_merge, ticket_transition
from tests.inboxes.conftest import make_mail

# ---------------------------------------------------------------- pure rules


def test_token_format_round_trips():
    assert ticket_token(1234) == "[#1234]"
    assert subject_with_token("Pesanan  belum sampai", 1234) == "[#1234] Pesanan belum sampai"
    assert subject_with_token("Re: [#1234] Pesanan", 1234) == "Re: [#1234] Pesanan"
    assert ticket_number_in_subject("Re: [#1234] Pesanan") == 1234
    assert ticket_number_in_subject("Balas: AW: [#77] x [#78]") == 77


@pytest.mark.parametrize("subject", ["Pesanan #1234", "[1234]", "[#]", "[#0]", "[# 12]", "", "[#12a]"])
def test_no_token_is_read_from_lookalikes(subject):
    assert ticket_number_in_subject(subject) is None


@given(st.integers(min_value=1, max_value=10**12 - 1), st.text(max_size=80))
def test_any_subject_with_our_token_names_its_ticket(number, subject):
    if "[#" in subject:
        return
    assert ticket_number_in_subject(f"Re: {subject_with_token(subject, number)}") == number


def test_candidates_are_in_reply_to_then_references_newest_first_each_once():
    assert reference_candidates("<c@x>", ["<a@x>", "<b@x>", "<c@x>"]) == ("c@x", "b@x", "a@x")
    assert reference_candidates(None, []) == ()


@given(st.text(min_size=1, max_size=2000))
def test_message_id_keys_fit_the_column_and_are_stable(value):
    key = message_id_key(value)
    assert len(key) <= MAX_KEY
    assert key == message_id_key(f"<{value.strip().strip('<>').strip()}>")


# ---------------------------------------------------------------- against stored ids

pytestmark_db = pytest.mark.django_db


def receive(inbox, raw):
    return mail_receive(inbox=inbox, raw=raw, source=MailSource.IMAP)


@pytest.fixture
def first(inbox):
    return receive(inbox, make_mail(message_id="<first@mail.example.com>"))


@pytestmark_db
def test_a_reply_threads_by_in_reply_to_and_records_its_own_id(inbox, first):
    reply = receive(
        inbox,
        make_mail("Sudah?", message_id="<second@mail.example.com>", in_reply_to="<first@mail.example.com>"),
    )
    assert reply.ticket_id == first.ticket_id and reply.reason_detail == "headers"
    assert set(MailMessageId.objects.values_list("message_id", "ticket_id", "direction")) == {
        ("first@mail.example.com", first.ticket_id, MailDirection.INBOUND),
        ("second@mail.example.com", first.ticket_id, MailDirection.INBOUND),
    }


@pytestmark_db
def test_a_reply_carrying_only_references_threads(inbox, first):
    reply = receive(
        inbox, make_mail("Sudah?", references="<unknown@elsewhere> <first@mail.example.com> <other@x>")
    )
    assert reply.ticket_id == first.ticket_id


@pytestmark_db
def test_the_headers_decide_not_the_sender(inbox, first):
    reply = receive(
        inbox,
        make_mail(
            "Dari alamat kantor saya.",
            sender="Siti <siti@kantor.example>",
            in_reply_to="<first@mail.example.com>",
        ),
    )
    assert reply.ticket_id == first.ticket_id
    assert reply.message.customer != first.message.customer  # a new identity, the same conversation


@pytestmark_db
def test_subject_token_threads_when_the_headers_say_nothing(inbox, first):
    reply = receive(
        inbox, make_mail("Ini lanjutan.", subject=f"Re: [#{first.ticket_id}] Pesanan belum sampai")
    )
    assert reply.ticket_id == first.ticket_id and reply.reason_detail == "subject_token"


@pytestmark_db
def test_a_token_for_no_ticket_opens_a_new_one(inbox, first):
    reply = receive(inbox, make_mail("Halo", subject="Re: [#999999] Pesanan"))
    assert reply.ticket_id != first.ticket_id and reply.reason_detail == ""


@pytestmark_db
def test_the_same_subject_text_alone_never_threads(inbox, first):
    other = receive(inbox, make_mail("Pesanan saya juga.", subject="Re: Pesanan belum sampai"))
    assert other.ticket_id != first.ticket_id


@pytestmark_db
def test_the_nearest_known_ancestor_decides(inbox, first):
    second = receive(inbox, make_mail("Soal lain.", message_id="<other-root@mail.example.com>"))
    reply = receive(
        inbox, make_mail("x", references="<first@mail.example.com> <other-root@mail.example.com>")
    )
    assert reply.ticket_id == second.ticket_id


@pytestmark_db
def test_ids_received_in_another_inbox_do_not_thread(inbox, other_inbox, first):
    reply = receive(other_inbox, make_mail("x", in_reply_to="<first@mail.example.com>"))
    assert reply.ticket_id != first.ticket_id


@pytestmark_db
def test_our_sent_ids_thread_from_any_inbox(inbox, other_inbox, first):
    message_id_record(
        inbox=inbox,
        message_id="<reply-1@tanggap.test>",
        ticket=first.ticket,
        direction=MailDirection.OUTBOUND,
    )
    reply = receive(other_inbox, make_mail("x", in_reply_to="<reply-1@tanggap.test>"))
    assert reply.ticket_id == first.ticket_id and reply.reason_detail == "sent_headers"


@pytestmark_db
def test_a_reply_to_a_closed_ticket_opens_a_follow_up_that_later_replies_find(inbox, first, admin):
    ticket_transition(actor=admin, ticket=first.ticket, status=Status.SOLVED)
    ticket_transition(actor=admin, ticket=first.ticket, status=Status.CLOSED)
    reply = receive(
        inbox, make_mail("Masih.", message_id="<again@x>", in_reply_to="<first@mail.example.com>")
    )
    follow_up = Ticket.objects.get(pk=reply.ticket_id)
    assert follow_up.follow_up_of_id == first.ticket_id
    later = receive(
        inbox,
        make_mail("Dan lagi.", in_reply_to="<again@x>", references="<first@mail.example.com> <again@x>"),
    )
    assert later.ticket_id == follow_up.pk


@pytestmark_db
def test_a_reply_to_a_merged_ticket_lands_on_the_survivor(inbox, first, admin):
    target = receive(inbox, make_mail("Soal lain.", sender="budi@example.com")).ticket
    ticket_merge(actor=admin, source=first.ticket, target=target)
    reply = receive(inbox, make_mail("x", in_reply_to="<first@mail.example.com>"))
    assert reply.ticket_id == target.pk
