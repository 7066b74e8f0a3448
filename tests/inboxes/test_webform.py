"""The web form's service side: a submission becomes a stored mail and a ticket of channel "web"; the
token, the bounds and the switch that opens and closes the form."""

from __future__ import annotations

import email
import email.policy

import pytest

from tanggap.core.audit import AuditEntry
from tanggap.core.blobs import default_store
from tanggap.core.errors import ApplicationError, ErrorCode, NotFound, PermissionDenied
from tanggap.customers.models import Customer
from tanggap.inboxes import webform
from tanggap.inboxes.email.parse import parse_mail
from tanggap.inboxes.models import MailSource, MailStatus, RawMail
from tanggap.inboxes.services import mail_retry
from tanggap.inboxes.setup import inbox_form_disable, inbox_form_enable
from tanggap.inboxes.webform import (
    MAX_FILES,
    MAX_FILES_BYTES,
    MAX_MESSAGE,
    MAX_NAME,
    MAX_TOKEN_AGE,
    MIN_FILL_SECONDS,
    REASON_HONEYPOT,
    FormFile,
    TokenState,
    form_inbox_get,
    form_submit,
    form_token_check,
    form_token_make,
    submission_clean,
)
from tanggap.tickets.inbound import MAX_ATTACHMENT, MAX_ATTACHMENTS
from tanggap.tickets.inbound import MAX_SUBJECT as MAX_TICKET_SUBJECT
from tanggap.tickets.models import Channel, Message, Ticket

pytestmark = pytest.mark.django_db

NOW = 1_800_000_000.0


@pytest.fixture
def form_inbox(inbox):
    return inbox_form_enable(actor=None, inbox=inbox)


def submission(**overrides):
    fields = {
        "name": "Siti Rahma",
        "email": "Siti@Example.com",
        "subject": "Pesanan belum sampai",
        "message": "Halo,\r\npesanan 1182 belum sampai.\r\n",
        "files": (),
    }
    fields.update(overrides)
    return submission_clean(**fields)


def test_limits_are_within_what_the_write_path_accepts():
    assert webform.MAX_SUBJECT <= MAX_TICKET_SUBJECT
    assert MAX_FILES <= MAX_ATTACHMENTS
    assert MAX_FILES_BYTES <= MAX_ATTACHMENT


# ---------------------------------------------------------------- submitting


def test_a_submission_becomes_a_web_ticket_of_the_inbox(form_inbox, team):
    photo = FormFile("../../foto paket.jpg", "image/jpeg", b"\xff\xd8\xff\xe0 jpeg bytes")
    result = form_submit(inbox=form_inbox, submission=submission(files=(photo,)), nonce="nonce-aaaa-1")

    row = result.raw_mail
    assert row.status == MailStatus.PROCESSED and row.source == MailSource.FORM
    ticket = Ticket.objects.get(pk=result.ticket_id)
    assert ticket.channel == Channel.WEB
    assert ticket.team == team
    assert ticket.subject == "Pesanan belum sampai"
    assert ticket.customer.name == "Siti Rahma"
    assert ticket.customer.identities.filter(kind="email", value="siti@example.com").exists()
    message = Message.objects.get(pk=row.message_id, ticket=ticket)
    assert message.channel == Channel.WEB
    assert "pesanan 1182 belum sampai." in message.body_text
    [attachment] = message.attachments.all()
    assert attachment.filename == "foto paket.jpg"  # no path from the client's side
    assert attachment.content_type == "image/jpeg"
    assert default_store().get(attachment.sha256) == photo.data


def test_the_stored_mail_says_where_it_came_from(form_inbox):
    result = form_submit(
        inbox=form_inbox, submission=submission(), nonce="nonce-aaaa-2", client="203.0.113.7"
    )
    raw = default_store().get(result.raw_mail.sha256)
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["X-Tanggap-Form"] == form_inbox.form_key
    assert msg["X-Tanggap-Form-Client"] == "203.0.113.7"
    assert msg["To"].addresses[0].addr_spec == "support@tanggap.test"
    assert msg["Message-ID"].startswith("<form.nonce-aaaa-2.")
    parsed = parse_mail(raw)
    assert (parsed.from_address, parsed.from_name) == ("siti@example.com", "Siti Rahma")
    assert parsed.text.strip() == "Halo,\npesanan 1182 belum sampai."


def test_the_same_address_twice_is_one_customer_with_two_tickets(form_inbox):
    first = form_submit(inbox=form_inbox, submission=submission(), nonce="nonce-aaaa-3")
    second = form_submit(
        inbox=form_inbox,
        submission=submission(email="siti@example.com", message="Dan satu lagi."),
        nonce="nonce-aaaa-4",
    )
    assert first.ticket_id != second.ticket_id
    tickets = Ticket.objects.filter(pk__in=[first.ticket_id, second.ticket_id])
    assert {t.customer_id for t in tickets} == {first.raw_mail.ticket.customer_id}
    assert Customer.objects.count() == 1


def test_sending_the_same_form_twice_stores_it_once(form_inbox):
    first = form_submit(inbox=form_inbox, submission=submission(), nonce="nonce-aaaa-5")
    again = form_submit(inbox=form_inbox, submission=submission(), nonce="nonce-aaaa-5")
    assert again.ticket_id == first.ticket_id
    assert RawMail.objects.count() == 1 and Ticket.objects.count() == 1
    # Back, edited and sent with the same page: a different message, so it is not swallowed.
    edited = form_submit(inbox=form_inbox, submission=submission(message="Lain."), nonce="nonce-aaaa-5")
    assert edited.ticket_id != first.ticket_id


def test_a_ticket_token_in_the_subject_does_not_thread(form_inbox, receive):
    other = receive("Tagihan saya salah.", sender="rudi@example.com").ticket
    messages_before = Message.objects.filter(ticket=other).count()
    result = form_submit(
        inbox=form_inbox, submission=submission(subject=f"Re: [#{other.pk}] halo"), nonce="nonce-aaaa-6"
    )
    assert result.ticket_id != other.pk
    assert Message.objects.filter(ticket=other).count() == messages_before


def test_a_filled_trap_field_is_quarantined_and_can_be_retried(form_inbox, admin):
    result = form_submit(
        inbox=form_inbox, submission=submission(), nonce="nonce-aaaa-7", spam_reason=REASON_HONEYPOT
    )
    assert result.ticket_id is None
    row = result.raw_mail
    assert (row.status, row.reason) == (MailStatus.QUARANTINED, REASON_HONEYPOT)
    assert Ticket.objects.count() == 0
    row = mail_retry(actor=admin, raw_mail=row)  # a person after all (autofill)
    assert row.status == MailStatus.PROCESSED
    assert row.ticket.channel == Channel.WEB


def test_a_closed_form_takes_nothing(form_inbox):
    inbox = inbox_form_disable(actor=None, inbox=form_inbox)
    with pytest.raises(NotFound):
        form_submit(inbox=inbox, submission=submission(), nonce="nonce-aaaa-8")
    assert RawMail.objects.count() == 0


# ---------------------------------------------------------------- cleaning and bounds


def test_fields_are_cleaned():
    cleaned = submission(
        name="  Siti\x00 \u2028Rahma\t ",
        subject="Halo\r\nBcc: evil@example.com",
        message="a\x07b\r\nc",
        files=(
            FormFile("C:\\Users\\siti\\nota.pdf", "application/pdf; name=x", b"%PDF"),
            FormFile("surat.eml", "message/rfc822", b"From: x"),
            FormFile("data.bin", "not a type", b"\x00"),
        ),
    )
    assert cleaned.name == "Siti Rahma"
    assert cleaned.subject == "Halo Bcc: evil@example.com"  # one line: no header injection
    assert cleaned.message == "ab\nc"
    assert cleaned.email == "siti@example.com"
    assert [(f.filename, f.content_type) for f in cleaned.files] == [
        ("nota.pdf", "application/pdf"),
        ("surat.eml", "application/octet-stream"),
        ("data.bin", "application/octet-stream"),
    ]


@pytest.mark.parametrize(
    "overrides,code,field",
    [
        ({"name": "   "}, ErrorCode.INVALID_INPUT, "name"),
        ({"name": "x" * (MAX_NAME + 1)}, ErrorCode.INVALID_INPUT, "name"),
        ({"email": "siti@"}, ErrorCode.INVALID_INPUT, "email"),
        ({"email": "a" * 250 + "@example.com"}, ErrorCode.INVALID_INPUT, "email"),
        ({"subject": "x" * 201}, ErrorCode.INVALID_INPUT, "subject"),
        ({"message": " \r\n "}, ErrorCode.INVALID_INPUT, "message"),
        ({"message": "x" * (MAX_MESSAGE + 1)}, ErrorCode.TOO_LARGE, "message"),
        (
            {"files": tuple(FormFile(f"{n}.txt", "text/plain", b"x") for n in range(MAX_FILES + 1))},
            ErrorCode.TOO_LARGE,
            "attachments",
        ),
        (
            {"files": (FormFile("big.bin", "", b"x" * (MAX_FILES_BYTES + 1)),)},
            ErrorCode.TOO_LARGE,
            "attachments",
        ),
    ],
)
def test_bounds(overrides, code, field):
    with pytest.raises(ApplicationError) as caught:
        submission(**overrides)
    assert caught.value.code == code
    assert caught.value.details["field"] == field


# ---------------------------------------------------------------- the token


def test_token_states():
    token = form_token_make("form-key-1", now=NOW)
    assert form_token_check(token, "form-key-1", now=NOW + MIN_FILL_SECONDS).state is TokenState.OK
    assert form_token_check(token, "form-key-1", now=NOW + 1).state is TokenState.TOO_FAST
    assert form_token_check(token, "form-key-1", now=NOW - 30).state is TokenState.TOO_FAST
    assert form_token_check(token, "form-key-1", now=NOW + MAX_TOKEN_AGE + 1).state is TokenState.EXPIRED
    assert form_token_check(token, "form-key-2", now=NOW + 10).state is TokenState.INVALID
    assert form_token_check(token[:-2] + "xx", "form-key-1", now=NOW + 10).state is TokenState.INVALID
    assert form_token_check("", "form-key-1", now=NOW + 10).state is TokenState.INVALID
    assert form_token_check("x" * 5000, "form-key-1", now=NOW + 10).state is TokenState.INVALID


def test_each_token_names_its_own_submission():
    first = form_token_check(form_token_make("form-key-1", now=NOW), "form-key-1", now=NOW + 10)
    second = form_token_check(form_token_make("form-key-1", now=NOW), "form-key-1", now=NOW + 10)
    assert first.nonce and second.nonce and first.nonce != second.nonce


# ---------------------------------------------------------------- opening and closing


def test_enable_makes_a_key_once_and_disable_keeps_it(inbox, admin):
    assert not inbox.form_key and not inbox.form_enabled
    opened = inbox_form_enable(actor=admin, inbox=inbox)
    key = opened.form_key
    assert opened.form_enabled and len(key) >= 16
    assert form_inbox_get(key) == opened
    closed = inbox_form_disable(actor=admin, inbox=opened)
    assert not closed.form_enabled and closed.form_key == key
    with pytest.raises(NotFound):
        form_inbox_get(key)
    assert inbox_form_enable(actor=admin, inbox=closed).form_key == key  # embedded forms keep working
    rotated = inbox_form_enable(actor=admin, inbox=closed, new_key=True)
    assert rotated.form_key != key
    with pytest.raises(NotFound):
        form_inbox_get(key)
    actions = list(
        AuditEntry.objects.filter(object_id=str(inbox.pk), action__startswith="inbox.form").values_list(
            "action", "actor_id"
        )
    )
    assert actions == [
        ("inbox.form_enabled", admin.pk),
        ("inbox.form_disabled", admin.pk),
        ("inbox.form_enabled", admin.pk),
        ("inbox.form_enabled", admin.pk),
    ]


def test_only_inbox_managers_open_forms(inbox, agent):
    with pytest.raises(PermissionDenied):
        inbox_form_enable(actor=agent, inbox=inbox)
    with pytest.raises(PermissionDenied):
        inbox_form_disable(actor=agent, inbox=inbox)
    inbox.refresh_from_db()
    assert not inbox.form_enabled


@pytest.mark.parametrize("key", ["", "short", "x" * 33, "../../etc", "a b c d e f g h", None])
def test_malformed_keys_are_not_found(form_inbox, key):
    with pytest.raises(NotFound):
        form_inbox_get(key)


def test_an_inactive_inbox_has_no_form(form_inbox):
    form_inbox.is_active = False
    form_inbox.save(update_fields=["is_active"])
    with pytest.raises(NotFound):
        form_inbox_get(form_inbox.form_key)
