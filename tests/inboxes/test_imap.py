"""IMAP intake against a real Dovecot on loopback: PEEK, store before move/flag, UIDVALIDITY, limits,
failures recorded without secrets, and one dead mailbox not holding up another."""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest
from click.testing import CliRunner
from django.db import connection

from tanggap.core.blobs import default_store
from tanggap.inboxes import imap, imap_client
from tanggap.inboxes.imap import InboxPollLock, imap_poll, imap_poll_locked, imap_poll_many
from tanggap.inboxes.imap_client import imap_connection_check
from tanggap.inboxes.models import ImapState, Inbox, MailSource, MailStatus, RawMail, Security
from tanggap.inboxes.setup import inbox_create, inbox_update
from tanggap.tickets.models import Message, MessageKind
from tests.inboxes.conftest import closed_loopback_port, make_mail
from tests.inboxes.dovecot import PASSWORD, USER, Dovecot, dovecot, dovecot_tls  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)


def _imap_inbox(server: Dovecot, *, name: str = "Support", done: str = "", **settings) -> Inbox:
    inbox = inbox_create(actor=None, name=name, address=f"{name.lower()}@tanggap.test")
    options = {
        "imap_host": "127.0.0.1",
        "imap_port": server.port,
        "imap_security": Security.NONE,
        "imap_username": USER,
        "imap_password": PASSWORD,
        "imap_done_folder": done,
    }
    return inbox_update(actor=None, inbox=inbox, **(options | settings))


def _flags(server: Dovecot, folder: str = "INBOX") -> dict[int, str]:
    client = server.client()
    try:
        client.select(folder, readonly=True)
        typ, data = client.uid("FETCH", "1:*", "(FLAGS)")
        assert typ == "OK"
        out = {}
        for item in data:
            if not item:
                continue
            text = item.decode()
            uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
            out[uid] = text
        return out
    finally:
        client.logout()


def _customer_messages() -> int:
    return Message.objects.filter(kind=MessageKind.CUSTOMER).count()


@pytest.fixture
def live(dovecot):  # noqa: F811
    return dovecot


# ---------------------------------------------------------------- the normal path


def test_a_poll_stores_processes_and_flags_seen_then_finds_nothing_new(live):
    inbox = _imap_inbox(live)
    for n in range(3):
        live.deliver(make_mail(f"pesan {n}", sender=f"budi{n}@example.com"))

    result = imap_poll(inbox=inbox)

    assert result.ok, result.error
    assert (result.fetched, result.stored, result.processed) == (3, 3, 3)
    uidvalidity = live.uidvalidity()
    rows = RawMail.objects.order_by("id")
    assert [row.source_ref for row in rows] == [f"imap:{uidvalidity}:{uid}" for uid in (1, 2, 3)]
    assert {row.source for row in rows} == {MailSource.IMAP}
    assert {row.status for row in rows} == {MailStatus.PROCESSED}
    assert _customer_messages() == 3
    assert all("\\Seen" in flags for flags in _flags(live).values())
    assert live.count("INBOX") == 3  # flagged where it is
    state = ImapState.objects.get(inbox=inbox)
    assert (state.uidvalidity, state.last_uid, state.stored_total) == (uidvalidity, 3, 3)
    assert state.last_success_at is not None and state.last_error == "" and state.consecutive_failures == 0

    again = imap_poll(inbox=inbox)
    assert again.ok and again.fetched == 0
    assert RawMail.objects.count() == 3


def test_stored_mail_is_moved_to_the_done_folder_which_is_created_when_missing(live):
    inbox = _imap_inbox(live, done="Diproses")
    for n in range(4):
        live.deliver(make_mail(f"pesan {n}", sender=f"s{n}@example.com"))

    result = imap_poll(inbox=inbox, batch_size=3)

    assert result.ok, result.error
    assert result.stored == 4
    assert live.count("INBOX") == 0
    assert live.count("Diproses") == 4
    assert ImapState.objects.get(inbox=inbox).last_uid == 4


def test_mail_is_fetched_with_peek_and_stays_unseen_and_in_place_until_stored(live, monkeypatch):
    inbox = _imap_inbox(live, done="Done")
    for n in range(3):
        live.deliver(make_mail(f"pesan {n}", sender=f"s{n}@example.com"))
    seen_at_store = []
    real_store = imap.mail_store_many

    def failing_store(**kwargs):
        # While we store, the server still shows the mail unread in its folder.
        seen_at_store.append(_flags(live))
        if len(seen_at_store) == 2:
            raise RuntimeError("disk full")
        return real_store(**kwargs)

    monkeypatch.setattr(imap, "mail_store_many", failing_store)
    result = imap_poll(inbox=inbox, batch_size=2)

    assert not result.ok and result.error.startswith("protocol_error")
    assert len(seen_at_store[0]) == 3 and all("\\Seen" not in flags for flags in seen_at_store[0].values())
    assert RawMail.objects.count() == 2  # the first batch, committed
    assert live.count("Done") == 2
    assert live.count("INBOX") == 1 and all("\\Seen" not in flags for flags in _flags(live).values())
    assert ImapState.objects.get(inbox=inbox).last_uid == 2

    monkeypatch.setattr(imap, "mail_store_many", real_store)
    again = imap_poll(inbox=inbox)
    assert again.ok, again.error
    assert (again.stored, again.already) == (1, 0)
    assert RawMail.objects.count() == 3 and _customer_messages() == 3
    assert live.count("INBOX") == 0 and live.count("Done") == 3


def test_a_batch_stored_but_not_moved_is_found_stored_by_the_next_poll(live, monkeypatch):
    inbox = _imap_inbox(live, done="Done")
    for n in range(3):
        live.deliver(make_mail(f"pesan {n}", sender=f"s{n}@example.com"))

    def crash(*args):
        raise ConnectionResetError("the connection dropped")

    # The poll calls finish_on_server and fetch by the names it imported: patched in imap, not imap_client.
    monkeypatch.setattr(imap, "finish_on_server", crash)
    first = imap_poll(inbox=inbox)
    assert not first.ok and first.error.startswith("connect_failed")
    assert RawMail.objects.count() == 3 and live.count("INBOX") == 3
    assert ImapState.objects.get(inbox=inbox).last_uid == 0

    monkeypatch.undo()
    again = imap_poll(inbox=inbox)
    assert again.ok and (again.stored, again.already) == (0, 3)
    assert RawMail.objects.count() == 3 and _customer_messages() == 3
    assert live.count("INBOX") == 0 and live.count("Done") == 3


def test_the_server_is_told_only_after_the_rows_are_committed(live, monkeypatch):
    inbox = _imap_inbox(live)
    for n in range(2):
        live.deliver(make_mail(f"pesan {n}", sender=f"s{n}@example.com"))
    seen_by_others = []
    real_finish = imap.finish_on_server

    def finish(mailbox, inbox_, uids):
        # Another connection (another process, after a crash) must already see every stored row.
        counted = []

        def count():
            counted.append(RawMail.objects.filter(inbox_id=inbox_.pk).count())
            connection.close()

        thread = threading.Thread(target=count)
        thread.start()
        thread.join(30)
        seen_by_others.append((counted[0], len(uids)))
        return real_finish(mailbox, inbox_, uids)

    monkeypatch.setattr(imap, "finish_on_server", finish)
    assert imap_poll(inbox=inbox).ok
    assert seen_by_others == [(2, 2)]


def test_a_mail_the_server_did_not_hand_over_is_asked_for_again(live, monkeypatch):
    inbox = _imap_inbox(live, done="Done")
    for n in range(4):
        live.deliver(make_mail(f"pesan {n}", sender=f"s{n}@example.com"))
    real_fetch = imap.fetch
    monkeypatch.setattr(imap, "fetch", lambda *a, **kw: [m for m in real_fetch(*a, **kw) if m.uid != 3])

    first = imap_poll(inbox=inbox)
    assert not first.ok and "did not return uid 3" in first.error
    assert ImapState.objects.get(inbox=inbox).last_uid == 2  # never past the missing one
    assert live.uids("INBOX") == [3]

    monkeypatch.undo()
    again = imap_poll(inbox=inbox)
    assert again.ok and (again.fetched, again.stored) == (1, 1)  # 4 was moved already
    assert RawMail.objects.count() == 4 and live.count("Done") == 4


def test_a_new_uidvalidity_reads_the_folder_again_without_storing_twice(live):
    inbox = _imap_inbox(live)
    for n in range(2):
        live.deliver(make_mail(f"pesan {n}", sender=f"s{n}@example.com"))
    assert imap_poll(inbox=inbox).stored == 2
    before = ImapState.objects.get(inbox=inbox).uidvalidity

    after = live.renumber()
    live.deliver(make_mail("yang baru", sender="baru@example.com"))
    result = imap_poll(inbox=inbox)

    assert result.ok, result.error
    assert (result.fetched, result.stored, result.already) == (3, 1, 2)
    state = ImapState.objects.get(inbox=inbox)
    assert state.uidvalidity == after != before
    assert state.last_uid == 3
    assert RawMail.objects.count() == 3 and _customer_messages() == 3
    assert RawMail.objects.filter(source_ref__startswith=f"imap:{after}:").count() == 1


def test_a_mail_delivered_twice_becomes_one_message(live):
    inbox = _imap_inbox(live)
    raw = make_mail("dua kali", message_id="<twice@example.com>")
    live.deliver(raw)
    live.deliver(raw)  # the very same bytes
    live.deliver(b"Received: from relay2.example.com\r\n" + raw)  # same Message-ID, other bytes
    result = imap_poll(inbox=inbox)

    assert result.ok, result.error
    assert (result.fetched, result.stored, result.already) == (3, 2, 1)
    assert _customer_messages() == 1
    assert RawMail.objects.filter(reason="duplicate").count() == 1
    assert all("\\Seen" in flags for flags in _flags(live).values())


def test_a_mail_over_the_fetch_limit_is_left_in_the_mailbox_and_quarantined(live, monkeypatch):
    monkeypatch.setattr(imap, "MAX_FETCH_BYTES", 20_000)
    inbox = _imap_inbox(live, done="Done")
    big = make_mail("x" * 50_000, subject="Lampiran besar", message_id="<big@example.com>")
    live.deliver(big)
    live.deliver(make_mail("kecil", sender="kecil@example.com"))

    result = imap_poll(inbox=inbox)

    assert result.ok, result.error
    assert (result.stored, result.too_large, result.processed, result.quarantined) == (2, 1, 1, 1)
    row = RawMail.objects.get(status=MailStatus.QUARANTINED)
    assert row.reason == "too_large" and row.size == len(big)
    head = default_store().get(row.sha256)
    assert b"Subject: Lampiran besar" in head and b"x" * 100 not in head
    assert live.count("Done") == 1 and live.count("INBOX") == 1  # the big one stays for a person
    (flags,) = _flags(live).values()
    assert "\\Flagged" in flags and "\\Seen" not in flags

    live.renumber()  # read again: its trace is found, not stored twice
    assert imap_poll(inbox=inbox).stored == 0
    assert RawMail.objects.count() == 2


def test_a_mail_over_the_processing_limit_is_stored_whole_and_quarantined(live, monkeypatch):
    from tanggap.inboxes import services

    monkeypatch.setattr(services, "MAX_PROCESS_BYTES", 10_000)
    inbox = _imap_inbox(live, done="Done")
    raw = make_mail("y" * 30_000)
    live.deliver(raw)
    result = imap_poll(inbox=inbox)
    assert (result.stored, result.quarantined) == (1, 1)
    row = RawMail.objects.get()
    assert (row.status, row.reason, row.size) == (MailStatus.QUARANTINED, "too_large", len(raw))
    assert default_store().get(row.sha256) == raw
    assert live.count("Done") == 1


def test_a_poll_is_bounded_and_the_next_one_goes_on(live):
    inbox = _imap_inbox(live)
    for n in range(5):
        live.deliver(make_mail(f"pesan {n}", sender=f"s{n}@example.com"))
    first = imap_poll(inbox=inbox, max_messages=2, batch_size=1)
    assert first.ok and first.more and first.stored == 2
    second = imap_poll(inbox=inbox, max_messages=10)
    assert second.ok and not second.more and second.stored == 3
    assert ImapState.objects.get(inbox=inbox).stored_total == 5


def test_leftovers_of_a_killed_poll_are_processed_by_the_next(live, monkeypatch):
    inbox = _imap_inbox(live)
    live.deliver(make_mail("pesan"))
    monkeypatch.setattr(imap, "mail_process_many", lambda **kwargs: kwargs["raw_mails"])  # "killed" before
    assert imap_poll(inbox=inbox).pending == 1
    monkeypatch.undo()
    result = imap_poll(inbox=inbox)
    assert result.processed == 1 and _customer_messages() == 1


# ---------------------------------------------------------------- failures


def test_a_login_failure_is_recorded_without_the_password(live, caplog):
    inbox = _imap_inbox(live, imap_password="salah-Sandi-9876")
    caplog.set_level(logging.DEBUG)
    first = imap_poll(inbox=inbox)
    second = imap_poll(inbox=inbox)

    assert not first.ok and first.error.startswith("login_failed")
    state = ImapState.objects.get(inbox=inbox)
    assert state.last_error.startswith("login_failed") and state.consecutive_failures == 2
    assert state.last_error_at is not None and state.last_success_at is None
    assert "salah-Sandi-9876" not in state.last_error + first.error + second.error
    assert "salah-Sandi-9876" not in caplog.text
    assert "login_failed" in caplog.text

    inbox_update(actor=None, inbox=inbox, imap_password=PASSWORD)
    assert imap_poll(inbox=Inbox.objects.get(pk=inbox.pk)).ok
    state.refresh_from_db()
    assert state.consecutive_failures == 0 and state.last_error == "" and state.last_success_at


def test_error_texts_never_carry_the_password():
    secret = 'p@ss "w0rd" \\ x'
    exc = imap_client.imaplib.IMAP4.error(
        f'LOGIN command error: BAD [b\'LOGIN user "p@ss \\"w0rd\\" \\\\ x"\'] {secret}'
    )
    error = imap_client.classify_error(exc, secret)
    assert error.code == imap_client.ERROR_LOGIN
    assert secret not in error.detail and "w0rd" not in error.detail


def test_plain_imap_goes_only_to_this_machine(db):
    inbox = inbox_create(actor=None, name="Remote", address="remote@tanggap.test")
    Inbox.objects.filter(pk=inbox.pk).update(imap_host="imap.example.com", imap_security=Security.NONE)
    result = imap_poll(inbox=Inbox.objects.get(pk=inbox.pk))
    assert not result.ok and result.error.startswith("insecure_host")


def test_a_refused_port_fails_fast_and_does_not_hold_up_another_inbox(live):
    dead = inbox_create(actor=None, name="Dead", address="dead@tanggap.test")
    Inbox.objects.filter(pk=dead.pk).update(
        imap_host="127.0.0.1", imap_port=closed_loopback_port(), imap_security=Security.NONE
    )
    inbox = _imap_inbox(live)
    live.deliver(make_mail())
    results = imap_poll_many([Inbox.objects.get(pk=dead.pk), inbox], timeout=5)
    assert [r.inbox for r in results] == ["Dead", "Support"]
    assert not results[0].ok and results[0].error.startswith("connect_failed")
    assert results[1].ok and results[1].stored == 1


def test_a_mailbox_that_never_answers_does_not_stall_the_others(live):
    """The silent server holds its connection until the live inbox's mail is on a ticket: polled one
    after the other, that could never happen (the wait below would time out)."""
    holder = _SilentServer()
    slow = inbox_create(actor=None, name="Slow", address="slow@tanggap.test")
    Inbox.objects.filter(pk=slow.pk).update(
        imap_host="127.0.0.1", imap_port=holder.port, imap_security="none"
    )
    inbox = _imap_inbox(live)
    live.deliver(make_mail())
    results: list = []
    poller = threading.Thread(
        target=lambda: results.extend(imap_poll_many([Inbox.objects.get(pk=slow.pk), inbox], timeout=120))
    )
    try:
        poller.start()
        deadline = time.monotonic() + 60
        while _customer_messages() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _customer_messages() == 1, "the live inbox waited for the silent one"
        assert holder.connected.is_set() and poller.is_alive()
    finally:
        holder.close()
        poller.join(60)
    assert not results[0].ok and results[0].error.startswith(("connect_failed", "timeout", "protocol_error"))
    assert results[1].ok


def test_a_poll_times_out_on_a_silent_server(db):
    holder = _SilentServer()
    try:
        slow = inbox_create(actor=None, name="Slow", address="slow@tanggap.test")
        Inbox.objects.filter(pk=slow.pk).update(
            imap_host="127.0.0.1", imap_port=holder.port, imap_security="none"
        )
        result = imap_poll(inbox=Inbox.objects.get(pk=slow.pk), timeout=0.5)
    finally:
        holder.close()
    assert not result.ok and result.error.startswith("timeout")


class _SilentServer:
    """Accepts connections and says nothing until closed."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(5)
        self.port = self.sock.getsockname()[1]
        self.connected = threading.Event()
        self.clients: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            self.clients.append(client)
            self.connected.set()

    def close(self) -> None:
        for client in self.clients:
            client.close()
        self.sock.close()


# ---------------------------------------------------------------- TLS


def test_ssl_and_starttls_with_a_trusted_certificate(dovecot_tls, monkeypatch):  # noqa: F811
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot_tls.cert_file))
    dovecot_tls.deliver(make_mail("lewat TLS"))
    ssl_inbox = _imap_inbox(dovecot_tls, name="Ssl", imap_port=dovecot_tls.ssl_port, imap_security="ssl")
    assert imap_connection_check(inbox=ssl_inbox).messages == 1
    result = imap_poll(inbox=ssl_inbox)
    assert result.ok and result.stored == 1, result.error

    dovecot_tls.deliver(make_mail("lewat STARTTLS", sender="lain@example.com"))
    tls_inbox = _imap_inbox(dovecot_tls, name="Tls", imap_port=dovecot_tls.port, imap_security="starttls")
    result = imap_poll(inbox=tls_inbox)
    assert result.ok and result.stored == 2, result.error  # its own inbox: both mails


def test_an_untrusted_certificate_is_refused(dovecot_tls, monkeypatch):  # noqa: F811
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    inbox = _imap_inbox(dovecot_tls, imap_port=dovecot_tls.ssl_port, imap_security="ssl")
    result = imap_poll(inbox=inbox)
    assert not result.ok and result.error.startswith("tls_failed")
    check = imap_connection_check(inbox=inbox)
    assert not check.ok and check.error == "tls_failed"


# ---------------------------------------------------------------- locks, jobs, connection check, CLI


def test_two_polls_of_one_inbox_never_run_at_once(live):
    inbox = _imap_inbox(live)
    lock = InboxPollLock(inbox.pk)
    assert lock.acquire()
    try:
        assert imap_poll_locked(inbox=inbox).skipped
    finally:
        lock.release()
    assert not imap_poll_locked(inbox=inbox).skipped


def test_the_lock_of_a_killed_poller_is_taken_over_at_once(db):
    import subprocess
    import sys

    from huey.contrib.djhuey import HUEY

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait(timeout=30)
    lock = InboxPollLock(4242)
    value = lock._value(time.time()) | {"pid": dead.pid}
    HUEY.put(lock.key, value)
    try:
        assert InboxPollLock(4242).acquire()
    finally:
        HUEY.delete(lock.key)


def test_the_periodic_job_polls_every_imap_inbox(live, django_capture_on_commit_callbacks):
    from tanggap.core.tasks import run_job

    inbox = _imap_inbox(live)
    inbox_create(actor=None, name="No imap", address="noimap@tanggap.test")
    live.deliver(make_mail())
    with django_capture_on_commit_callbacks(execute=True):
        assert run_job("imap-poll") == {"enqueued": 1}
    assert RawMail.objects.filter(inbox=inbox).count() == 1
    assert _customer_messages() == 1


def test_the_connection_check_counts_messages_or_names_the_failure(live):
    inbox = _imap_inbox(live)
    live.deliver(make_mail())
    live.deliver(make_mail(sender="lain@example.com"))
    assert imap_connection_check(inbox=inbox).messages == 2
    assert _flags(live) and all("\\Seen" not in f for f in _flags(live).values())  # only counted
    bad = inbox_update(actor=None, inbox=inbox, imap_password="keliru")
    check = imap_connection_check(inbox=bad)
    assert not check.ok and check.error == "login_failed" and "keliru" not in check.detail
    missing = inbox_update(actor=None, inbox=bad, imap_password=PASSWORD, imap_folder="Tidak Ada")
    assert imap_connection_check(inbox=missing).error == "folder_missing"


def test_cli_poll_prints_a_line_per_inbox(live):
    from tanggap.inboxes.imap_cli import inbox_poll
    from tanggap.inboxes.import_cli import inbox as inbox_group

    _imap_inbox(live)
    inbox_group.add_command(inbox_poll)
    live.deliver(make_mail())
    runner = CliRunner()
    result = runner.invoke(inbox_group, ["poll", "support"])
    assert result.exit_code == 0, result.output
    assert "Support: 1 fetched: 1 new, 0 already stored; 1 on tickets" in result.output

    result = runner.invoke(inbox_group, ["poll"])
    assert result.exit_code == 0 and "Support: 0 fetched" in result.output
    assert "no inbox 'nope'" in runner.invoke(inbox_group, ["poll", "nope"]).output


def test_cli_poll_exits_1_when_an_inbox_failed(live):
    from tanggap.inboxes.imap_cli import inbox_poll
    from tanggap.inboxes.import_cli import inbox as inbox_group

    inbox_group.add_command(inbox_poll)
    _imap_inbox(live, imap_password="keliru")
    result = CliRunner().invoke(inbox_group, ["poll", "Support"])
    assert result.exit_code == 1
    assert "Support: FAILED (login_failed" in result.output and "keliru" not in result.output


def test_cli_inbox_add_takes_imap_settings_and_the_password_from_the_environment(db, tmp_path):
    from tanggap.core.crypto import decrypt
    from tanggap.inboxes.import_cli import inbox as inbox_group

    runner = CliRunner()
    args = ["add", "Support", "support@toko.example", "--imap-host", "imap.toko.example", "--imap-user", "cs"]
    result = runner.invoke(
        inbox_group, [*args, "--imap-done-folder", "Selesai"], env={"TANGGAP_IMAP_PASSWORD": "dari-env"}
    )
    assert result.exit_code == 0, result.output
    created = Inbox.objects.get(name="Support")
    assert (created.imap_host, created.imap_username, created.imap_security) == (
        "imap.toko.example",
        "cs",
        "ssl",
    )
    assert created.imap_done_folder == "Selesai" and created.imap_folder == "INBOX"
    assert decrypt(created.imap_password, purpose="inbox.imap") == "dari-env"
    assert "dari-env" not in created.imap_password

    secret = tmp_path / "password"
    secret.write_text("dari-berkas\n")
    result = runner.invoke(
        inbox_group,
        [
            *(
                "add",
                "Billing",
                "billing@toko.example",
                "--imap-host",
                "localhost",
                "--imap-security",
                "none",
            ),
            *("--imap-password-file", str(secret)),
        ],
    )
    assert result.exit_code == 0, result.output
    assert decrypt(Inbox.objects.get(name="Billing").imap_password, purpose="inbox.imap") == "dari-berkas"

    refused = runner.invoke(
        inbox_group,
        ["add", "Other", "other@toko.example", "--imap-host", "imap.toko.example", "--imap-security", "none"],
    )
    assert refused.exit_code == 1 and "imap_security" in refused.output
    assert not Inbox.objects.filter(name="Other").exists()  # all or nothing
    assert "--imap-password " not in runner.invoke(inbox_group, ["add", "--help"]).output
