"""``tanggap smtp``: a real SMTP client talks to the server on a free loopback port."""

from __future__ import annotations

import smtplib

import pytest
from click.testing import CliRunner

from tanggap.core.blobs import default_store
from tanggap.inboxes.models import MailSource, MailStatus, RawMail
from tanggap.inboxes.setup import inbox_create
from tanggap.inboxes.smtp import SmtpServer
from tanggap.inboxes.smtp_cli import smtp as smtp_command
from tanggap.tickets.models import Message, MessageKind, Ticket
from tests.inboxes.conftest import make_mail

pytestmark = pytest.mark.django_db(transaction=True)

SENDER = "siti@example.com"


@pytest.fixture
def inboxes(transactional_db):
    support = inbox_create(actor=None, name="Support", address="Support@Tanggap.test")
    billing = inbox_create(actor=None, name="Billing", address="billing@tanggap.test")
    return support, billing


@pytest.fixture
def start(transactional_db):
    """Start a server on a free loopback port; it is stopped before the database is emptied."""
    servers: list[SmtpServer] = []

    def start(**options) -> SmtpServer:
        server = SmtpServer(host="127.0.0.1", port=0, hostname="mx.tanggap.test", **options)
        server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop(grace=5)


def client(server: SmtpServer) -> smtplib.SMTP:
    assert server.address is not None
    host, port = server.address
    conn = smtplib.SMTP(host, port, timeout=20)
    conn.ehlo("mail.example.com")
    return conn


def send(server: SmtpServer, raw: bytes, to: list[str], sender: str = SENDER) -> dict:
    with client(server) as conn:
        return conn.sendmail(sender, to, raw)


class FailingStore:
    """A blob store whose disk fails after ``works`` writes."""

    def __init__(self, works: int = 0) -> None:
        self.inner, self.works = default_store(), works

    def put(self, data: bytes) -> str:
        if self.works <= 0:
            raise OSError(28, "No space left on device")
        self.works -= 1
        return self.inner.put(data)

    def get(self, sha256: str) -> bytes:
        return self.inner.get(sha256)

    def exists(self, sha256: str) -> bool:
        return self.inner.exists(sha256)


class UnreadableStore(FailingStore):
    """Stores, but reading back breaks in a way processing does not expect."""

    def __init__(self) -> None:
        super().__init__(works=10)

    def get(self, sha256: str) -> bytes:
        raise RuntimeError("storage backend went away")


def test_accepted_mail_is_stored_then_becomes_a_ticket(inboxes, start):
    support, _ = inboxes
    server = start()
    with client(server) as conn:
        assert conn.has_extn("size")
        assert conn.has_extn("8bitmime")
        assert not conn.has_extn("auth")  # an MX-facing receiver: nobody logs in, nothing is relayed
        refused = conn.sendmail(
            SENDER, ["support@tanggap.test"], make_mail("Halo, pesanan 1234 belum sampai.")
        )
    assert refused == {}
    row = RawMail.objects.get()
    assert (row.inbox_id, row.source, row.status) == (support.pk, MailSource.SMTP, MailStatus.PROCESSED)
    assert row.source_ref.startswith("smtp:")
    # The envelope sender is kept as Return-Path, as a final delivery does (RFC 5321 4.4).
    assert default_store().get(row.sha256).startswith(b"Return-Path: <siti@example.com>\r\nFrom: Siti")
    ticket = Ticket.objects.get()
    assert row.ticket_id == ticket.pk
    assert "pesanan 1234" in ticket.messages.get(kind=MessageKind.CUSTOMER).body_text


def test_a_bounce_keeps_its_empty_envelope_sender_and_is_marked_automatic(inboxes, start):
    server = start()
    raw = make_mail("Your message could not be delivered.", subject="Undelivered Mail Returned to Sender")
    assert send(server, raw, ["support@tanggap.test"], sender="") == {}
    row = RawMail.objects.get()
    assert default_store().get(row.sha256).startswith(b"Return-Path: <>\r\n")
    assert row.automatic != ""


def test_an_unknown_recipient_is_refused_with_550_and_nothing_is_relayed(inboxes, start):
    server = start()
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(server, make_mail(), ["nobody@tanggap.test", "someone@elsewhere.example"])
    codes = {address: (code, text.decode()) for address, (code, text) in refused.value.recipients.items()}
    assert codes["nobody@tanggap.test"][0] == 550 and "5.1.1" in codes["nobody@tanggap.test"][1]
    assert codes["someone@elsewhere.example"][0] == 550 and "5.7.1" in codes["someone@elsewhere.example"][1]
    assert not RawMail.objects.exists()


def test_a_known_recipient_beside_an_unknown_one_still_gets_the_mail(inboxes, start):
    server = start()
    refused = send(server, make_mail(), ["nobody@tanggap.test", "billing@tanggap.test"])
    assert set(refused) == {"nobody@tanggap.test"} and refused["nobody@tanggap.test"][0] == 550
    assert RawMail.objects.get().inbox.address == "billing@tanggap.test"


def test_an_inactive_inbox_receives_nothing(inboxes, start):
    support, _ = inboxes
    support.is_active = False
    support.save(update_fields=["is_active"])
    server = start()
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(server, make_mail(), ["support@tanggap.test"])


def test_one_mail_to_two_inboxes_is_stored_once_per_inbox(inboxes, start):
    support, billing = inboxes
    server = start()
    to = ["support@tanggap.test", "billing@tanggap.test", "SUPPORT@tanggap.test"]
    assert send(server, make_mail(), to) == {}
    rows = RawMail.objects.order_by("inbox_id")
    assert [row.inbox_id for row in rows] == sorted([support.pk, billing.pk])
    assert {row.status for row in rows} == {MailStatus.PROCESSED}
    assert len({row.sha256 for row in rows}) == 1
    assert Ticket.objects.count() == 2  # a ticket in each inbox


def test_the_same_message_delivered_twice_is_stored_once(inboxes, start):
    server = start()
    raw = make_mail()
    assert send(server, raw, ["support@tanggap.test"]) == {}
    assert send(server, raw, ["support@tanggap.test"]) == {}  # the sender did not see our 250 and retried
    assert RawMail.objects.count() == 1
    assert Message.objects.filter(kind=MessageKind.CUSTOMER).count() == 1


def test_oversize_mail_is_refused_with_552_and_size_is_advertised(inboxes, start):
    server = start(max_bytes=4000)
    big = make_mail("x" * 70 + ("\r\n" + "y" * 70) * 100)
    with client(server) as conn:
        assert conn.esmtp_features["size"] == "4000"
        # A client that declares the size is refused at MAIL FROM …
        with pytest.raises(smtplib.SMTPSenderRefused) as declared:
            conn.sendmail(SENDER, ["support@tanggap.test"], big)
        assert declared.value.smtp_code == 552
        # … and one that does not is refused at the end of DATA.
        conn.rset()
        assert conn.mail(SENDER)[0] == 250
        assert conn.rcpt("support@tanggap.test")[0] == 250
        assert conn.data(big)[0] == 552
        # The session goes on: a small mail afterwards is taken.
        assert conn.sendmail(SENDER, ["support@tanggap.test"], make_mail()) == {}
    assert RawMail.objects.count() == 1


def test_too_many_recipients_are_deferred_with_452(inboxes, start):
    server = start(max_recipients=1)
    with client(server) as conn:
        assert conn.mail(SENDER)[0] == 250
        assert conn.rcpt("support@tanggap.test")[0] == 250
        assert conn.rcpt("billing@tanggap.test")[0] == 452
        assert conn.data(make_mail())[0] == 250
    assert RawMail.objects.get().inbox.address == "support@tanggap.test"


def test_a_storage_failure_answers_451_and_stores_nothing(inboxes, start):
    # The disk fills up after the bytes were written once and the first inbox's copy was stored:
    # neither copy may stay.
    server = start(store=FailingStore(works=2))
    raw = make_mail("Tolong cek pesanan saya.")
    with client(server) as conn:
        assert conn.mail(SENDER)[0] == 250
        assert conn.rcpt("support@tanggap.test")[0] == 250
        assert conn.rcpt("billing@tanggap.test")[0] == 250
        code, text = conn.data(raw)
    assert code == 451 and b"4.3.0" in text
    assert not RawMail.objects.exists()
    assert not Ticket.objects.exists()
    # The sending server retries later and the mail arrives whole.
    retry = start()
    assert send(retry, raw, ["support@tanggap.test", "billing@tanggap.test"]) == {}
    assert RawMail.objects.filter(status=MailStatus.PROCESSED).count() == 2


def test_a_processing_failure_still_answers_250_and_leaves_the_mail_for_the_pending_job(inboxes, start):
    server = start(store=UnreadableStore())
    assert send(server, make_mail(), ["support@tanggap.test"]) == {}
    row = RawMail.objects.get()
    assert row.status == MailStatus.RECEIVED  # stored: the mail-pending job finishes it
    assert not Ticket.objects.exists()


def test_the_command_reports_a_port_it_cannot_listen_on(inboxes, start):
    server = start()
    assert server.address is not None
    result = CliRunner().invoke(smtp_command, ["--host", "127.0.0.1", "--port", str(server.address[1])])
    assert result.exit_code == 1
    assert "cannot listen on 127.0.0.1" in result.output
