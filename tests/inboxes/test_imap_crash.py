"""Kill -9 during IMAP intake: a `tanggap inbox poll` process ingesting N mails from a real Dovecot is
killed at random points and started again until it finishes; then nothing is lost and nothing is
duplicated. The short version runs always; TANGGAP_LONG_TESTS=1 runs 10,000 mails and 20 kills."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from tanggap.inboxes.models import MailDirection, MailMessageId, MailStatus, RawMail, Security
from tanggap.inboxes.setup import inbox_create, inbox_update
from tanggap.tickets.models import Message, MessageKind
from tests.inboxes.conftest import make_mail
from tests.inboxes.dovecot import PASSWORD, USER, Dovecot, dovecot  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

LONG = os.environ.get("TANGGAP_LONG_TESTS") == "1"
TANGGAP = [sys.executable, "-c", "from tanggap.cli import main; main()"]
RUN_SECONDS = 900 if LONG else 180  # one run of the poller, at most (a hang fails the test)


def _database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    user = quote(db.get("USER") or "")
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    host = db.get("HOST") or "127.0.0.1"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{user}{password}@{host}{port}/{db['NAME']}"


def _environment(data_dir: Path) -> dict[str, str]:
    """The poller's environment: this test's database, blobs and secret key; a real (SQLite) queue so
    its lock outlives a killed process as in production."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("TANGGAP_") and k != "DJANGO_SETTINGS_MODULE"
    }
    env.update(
        TANGGAP_ENV="test",
        TANGGAP_DATA_DIR=str(data_dir),
        TANGGAP_DATABASE_URL=_database_url(),
        TANGGAP_QUEUE="sqlite",
        TANGGAP_SECRET_KEY=settings.SECRET_KEY,
        TANGGAP_BLOB_DIR=str(settings.TANGGAP_BLOB_DIR),
        TANGGAP_LOG_LEVEL="ERROR",
        PYTHONUNBUFFERED="1",
    )
    return env


def _stored() -> int:
    return RawMail.objects.count()


def _wait(condition, process: subprocess.Popen, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not condition() and process.poll() is None:
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the poller made no progress within {seconds} s")
        time.sleep(0.005)


@pytest.mark.parametrize("done_folder", ["Done", ""], ids=["move", "flag"])
def test_no_mail_is_lost_or_duplicated_when_the_poller_is_killed(dovecot, tmp_path, done_folder):  # noqa: F811
    messages, kills = (10_000, 20) if LONG else (300, 3)
    seed = int(os.environ.get("TANGGAP_CRASH_SEED", time.time_ns() % 1_000_000))
    rng = random.Random(seed)
    print(f"crash test: {messages} mails, {kills} kills, seed {seed}")

    inbox = inbox_create(actor=None, name="Support", address="support@tanggap.test")
    inbox_update(
        actor=None,
        inbox=inbox,
        imap_host="127.0.0.1",
        imap_port=dovecot.port,
        imap_security=Security.NONE,
        imap_username=USER,
        imap_password=PASSWORD,
        imap_done_folder=done_folder,
    )
    ids = [f"crash-{n}@example.com" for n in range(messages)]
    for n, message_id in enumerate(ids):
        dovecot.deliver(
            make_mail(
                f"Pesan nomor {n}", message_id=f"<{message_id}>", sender=f"pelanggan{n % 50}@example.com"
            )
        )

    # Kill when the stored count passes random points, so kills land while storing, between storing
    # and moving, and while processing; then once more at a random moment after start-up.
    thresholds = [*sorted(rng.sample(range(1, messages - 1), kills - 1)), None]
    env = _environment(tmp_path / "poller")
    log = tmp_path / "poller.log"
    done_kills = runs = 0
    with log.open("ab") as out:
        for threshold in [*thresholds, "finish"]:
            runs += 1
            process = subprocess.Popen(  # noqa: S603
                [*TANGGAP, "inbox", "poll", "Support", "--until-empty", "--limit", "200"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
            try:
                if threshold == "finish":
                    assert process.wait(timeout=RUN_SECONDS) == 0, log.read_text()[-3000:]
                    break
                if threshold is None:  # anywhere, start-up included
                    time.sleep(rng.uniform(0.0, 2.0))
                else:
                    _wait(lambda t=threshold: _stored() >= t, process, RUN_SECONDS)
                    time.sleep(rng.uniform(0.0, 0.05))
                if process.poll() is None:
                    process.kill()
                    done_kills += 1
                process.wait(timeout=30)
            finally:
                if process.poll() is None:
                    process.kill()
                    process.wait(timeout=30)
    print(f"crash test: {done_kills} kills in {runs} runs")
    assert done_kills >= max(1, kills - 1), "the poller finished before it could be killed"

    # Nothing lost, nothing twice: every delivered mail is one stored row and one message.
    rows = RawMail.objects.filter(inbox=inbox)
    assert rows.count() == messages
    assert set(rows.values_list("status", flat=True)) == {MailStatus.PROCESSED}
    assert sorted(rows.values_list("mail_message_id", flat=True)) == sorted(ids)
    customer = Message.objects.filter(kind=MessageKind.CUSTOMER)
    assert customer.count() == messages
    assert sorted(customer.values_list("idempotency_key", flat=True)) == sorted(
        f"mail:{inbox.pk}:<{message_id}>" for message_id in ids
    )
    assert MailMessageId.objects.filter(inbox=inbox, direction=MailDirection.INBOUND).count() == messages
    if done_folder:
        assert dovecot.count("INBOX") == 0 and dovecot.count(done_folder) == messages
    else:
        assert dovecot.count("INBOX") == messages
        assert dovecot.count("INBOX", "UNSEEN") == 0
