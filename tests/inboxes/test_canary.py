"""The dead-zone canary against a real loopback pair: probes leave through an aiosmtpd server (the
site's outgoing SMTP), land in Dovecot, come back through IMAP polling like any customer's mail, and
their tickets are deleted once recognised. A probe that never lands marks the inbox dead."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from django.utils import timezone

from tanggap.cli import main
from tanggap.core.audit import AuditEntry
from tanggap.inboxes.canary import (
    DELETE_REASON,
    REASON_CANARY,
    TOKEN_HEADER,
    advert_add,
    canary_alert_acknowledge,
    canary_alerts_open,
    canary_check,
    canary_run,
    inbox_canary_update,
)
from tanggap.inboxes.imap import imap_poll
from tanggap.inboxes.models import (
    AdvertKind,
    CanaryAlert,
    CanaryChannel,
    CanaryRun,
    CanaryStatus,
    Inbox,
    MailSource,
    RawMail,
    Security,
)
from tanggap.inboxes.services import mail_receive
from tanggap.inboxes.setup import inbox_create, inbox_form_enable, inbox_update
from tanggap.sla.models import TicketClock
from tanggap.tickets.models import Channel, Message, Ticket
from tests.inboxes.dovecot import PASSWORD, USER, Dovecot, dovecot  # noqa: F401
from tests.inboxes.smtp_sink import SmtpSink, running_sink

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sink(settings):
    with running_sink(settings) as server:
        yield server


def _imap_inbox(server: Dovecot, name: str = "Support") -> Inbox:
    inbox = inbox_create(actor=None, name=name, address=f"{name.lower()}@tanggap.test")
    inbox = inbox_update(
        actor=None,
        inbox=inbox,
        imap_host="127.0.0.1",
        imap_port=server.port,
        imap_security=Security.NONE,
        imap_username=USER,
        imap_password=PASSWORD,
    )
    advert_add(actor=None, inbox=inbox, kind=AdvertKind.SITE_PAGE, url="https://toko.example/kontak")
    return inbox


def _delivering(sink: SmtpSink, server: Dovecot) -> None:
    """The mail system between: what the outgoing server accepts lands in the inbox's mailbox."""
    sink.on_mail = lambda mail: server.deliver(mail.raw)


def _poll(inbox: Inbox) -> None:
    result = imap_poll(inbox=Inbox.objects.get(pk=inbox.pk))
    assert result.ok, result.error


# ---------------------------------------------------------------- success


def test_a_probe_goes_out_by_smtp_comes_back_by_imap_and_leaves_no_ticket(sink, dovecot):  # noqa: F811
    _delivering(sink, dovecot)
    inbox = _imap_inbox(dovecot)

    [run] = canary_run(trigger="manual")

    assert run.status == CanaryStatus.SENT and run.channel == CanaryChannel.EMAIL
    assert run.deadline == run.sent_at + timedelta(minutes=15)
    [sent] = sink.mails_to(inbox.address)
    assert sent.mail_from == inbox.address
    assert sent.header(TOKEN_HEADER) == run.token
    assert run.token in sent.header("Subject")
    assert sent.header("Auto-Submitted") == "auto-generated"
    assert sent.header("X-Auto-Response-Suppress") == "All"
    # Not polled yet: the probe is on its way.
    assert canary_check().as_dict() == {"arrived": 0, "late": 0, "waiting": 1}

    _poll(inbox)
    # The normal intake made a ticket of it, machine mail or not.
    raw = RawMail.objects.get(inbox=inbox, source=MailSource.IMAP)
    assert raw.automatic != ""
    probe_ticket = Ticket.objects.get()
    assert run.token in probe_ticket.subject
    ticket_number = probe_ticket.pk

    assert canary_check().as_dict() == {"arrived": 1, "late": 0, "waiting": 0}

    run.refresh_from_db()
    assert run.status == CanaryStatus.ARRIVED and run.arrived_at is not None
    assert run.ticket_number == ticket_number and run.raw_mail_id == raw.pk
    assert not Ticket.objects.exists() and not Message.objects.exists()
    assert not TicketClock.objects.filter(ticket_id=ticket_number).exists()
    raw.refresh_from_db()
    assert raw.reason == REASON_CANARY and raw.ticket_id is None
    deleted = AuditEntry.objects.get(action="ticket.deleted")
    assert deleted.object_id == str(ticket_number) and deleted.data["reason"] == DELETE_REASON
    inbox.refresh_from_db()
    assert inbox.dead_since is None
    # Checking again changes nothing.
    assert canary_check().as_dict() == {"arrived": 0, "late": 0, "waiting": 0}


def test_a_probe_received_over_inbound_smtp_is_recognised_too(sink, db):
    inbox = inbox_create(actor=None, name="Support", address="support@tanggap.test")
    advert_add(actor=None, inbox=inbox, kind=AdvertKind.PACKAGING, notes="Box of the 2026 kettle")
    # The site's MX hands the mail to `tanggap smtp`, which stores and processes it.
    sink.on_mail = lambda mail: mail_receive(inbox=inbox, raw=mail.raw, source=MailSource.SMTP)

    [run] = canary_run(trigger="manual")
    assert Ticket.objects.count() == 1

    canary_check()

    run.refresh_from_db()
    assert run.status == CanaryStatus.ARRIVED
    assert not Ticket.objects.exists()


def test_an_open_web_form_is_probed_through_the_form_service(sink, inbox):
    advert_add(actor=None, inbox=inbox, kind=AdvertKind.MANUAL, notes="Manual page 12")
    inbox = inbox_form_enable(actor=None, inbox=inbox)

    runs = canary_run(trigger="manual")

    assert sorted(run.channel for run in runs) == ["email", "form"]
    form_run = next(run for run in runs if run.channel == CanaryChannel.FORM)
    form_run.refresh_from_db()
    raw = RawMail.objects.get(pk=form_run.raw_mail_id)
    assert raw.source == MailSource.FORM
    assert Ticket.objects.get(pk=raw.ticket_id).channel == Channel.WEB

    canary_check()

    form_run.refresh_from_db()
    assert form_run.status == CanaryStatus.ARRIVED
    assert not Ticket.objects.filter(channel=Channel.WEB).exists()
    # The e-mail probe went to the sink and never came back: still waiting.
    assert CanaryRun.objects.get(channel=CanaryChannel.EMAIL).status == CanaryStatus.SENT


# ---------------------------------------------------------------- failure


def test_a_probe_that_never_arrives_marks_the_inbox_dead_and_alerts_admins(sink, dovecot, admin):  # noqa: F811
    inbox = _imap_inbox(dovecot)  # the sink accepts the mail but delivers it nowhere

    [run] = canary_run(trigger="manual")
    _poll(inbox)
    assert canary_check(now=run.deadline - timedelta(seconds=1)).as_dict()["waiting"] == 1
    inbox.refresh_from_db()
    assert inbox.dead_since is None

    assert canary_check(now=run.deadline + timedelta(seconds=1)).as_dict()["late"] == 1

    run.refresh_from_db()
    inbox.refresh_from_db()
    assert run.status == CanaryStatus.LATE and run.arrived_at is None
    assert inbox.dead_since == run.deadline
    [alert] = canary_alerts_open(user=admin)
    assert alert.inbox == inbox and alert.run == run
    # Checking again opens no second alert.
    canary_check(now=run.deadline + timedelta(minutes=5))
    assert CanaryAlert.objects.count() == 1

    # The mailbox works again: the next probe arrives and the inbox is healthy, the alert over.
    _delivering(sink, dovecot)
    [second] = canary_run(trigger="manual")
    _poll(inbox)
    canary_check()
    second.refresh_from_db()
    inbox.refresh_from_db()
    assert second.status == CanaryStatus.ARRIVED
    assert inbox.dead_since is None
    assert canary_alerts_open(user=admin) == []
    assert CanaryAlert.objects.get().resolved_at is not None


def test_a_late_probe_that_turns_up_is_removed_and_stays_late(sink, dovecot):  # noqa: F811
    inbox = _imap_inbox(dovecot)
    [run] = canary_run(trigger="manual")
    canary_check(now=run.deadline + timedelta(seconds=1))

    dovecot.deliver(sink.mails_to(inbox.address)[0].raw)  # an hour late, say
    _poll(inbox)
    canary_check()

    run.refresh_from_db()
    inbox.refresh_from_db()
    assert run.status == CanaryStatus.LATE and run.arrived_at is not None
    assert not Ticket.objects.exists()
    assert inbox.dead_since is None


def test_a_late_probe_is_looked_for_a_week_then_given_up(sink, inbox):
    advert_add(actor=None, inbox=inbox, kind=AdvertKind.SITE_PAGE, url="https://toko.example/")
    [run] = canary_run(trigger="manual")
    canary_check(now=run.deadline + timedelta(seconds=1))

    assert canary_check(now=run.deadline + timedelta(days=6)).as_dict()["waiting"] == 1
    assert canary_check(now=run.deadline + timedelta(days=8)).as_dict()["waiting"] == 0
    run.refresh_from_db()
    assert run.status == CanaryStatus.LATE


def test_a_refused_probe_is_failed_to_send_and_says_why(sink, inbox):
    advert_add(actor=None, inbox=inbox, kind=AdvertKind.SITE_PAGE, url="https://toko.example/")
    sink.refuse[inbox.address] = "550 5.1.1 <support@tanggap.test>: no such user"

    [run] = canary_run(trigger="manual")

    run.refresh_from_db()
    assert run.status == CanaryStatus.FAILED
    assert "550" in run.error and "no such user" in run.error
    # Not sending is not the inbox being dead; it is never marked late either.
    canary_check(now=run.deadline + timedelta(hours=1))
    run.refresh_from_db()
    inbox.refresh_from_db()
    assert run.status == CanaryStatus.FAILED and inbox.dead_since is None


def test_an_acknowledged_alert_leaves_the_banner_but_the_inbox_stays_dead(sink, inbox, admin):
    advert_add(actor=None, inbox=inbox, kind=AdvertKind.SITE_PAGE, url="https://toko.example/")
    [run] = canary_run(trigger="manual")
    canary_check(now=run.deadline + timedelta(seconds=1))
    [alert] = canary_alerts_open(user=admin)

    canary_alert_acknowledge(actor=admin, alert_id=alert.pk)

    assert canary_alerts_open(user=admin) == []
    inbox.refresh_from_db()
    assert inbox.dead_since is not None
    assert AuditEntry.objects.filter(action="canary.alert_acknowledged").exists()


# ---------------------------------------------------------------- which inboxes, how often


def test_only_advertised_active_inboxes_with_the_canary_on_are_probed(sink, inbox, other_inbox):
    assert canary_run(trigger="manual") == []  # nothing is advertised
    advert_add(actor=None, inbox=other_inbox, kind=AdvertKind.SOCIAL_PROFILE, url="https://x.example/toko")

    runs = canary_run(trigger="manual")

    assert [run.inbox_id for run in runs] == [other_inbox.pk]
    inbox_canary_update(actor=None, inbox=other_inbox, canary_enabled=False, canary_minutes=None)
    CanaryRun.objects.update(status=CanaryStatus.ARRIVED)
    assert canary_run(trigger="manual") == []


def test_runs_are_idempotent_and_the_daily_run_sends_once_a_day(sink, inbox):
    advert_add(actor=None, inbox=inbox, kind=AdvertKind.SITE_PAGE, url="https://toko.example/")
    inbox_canary_update(actor=None, inbox=inbox, canary_enabled=True, canary_minutes=5)

    [first] = canary_run(trigger="schedule")
    assert first.deadline == first.sent_at + timedelta(minutes=5)
    assert canary_run(trigger="manual") == []  # one is still on its way
    CanaryRun.objects.update(status=CanaryStatus.ARRIVED, arrived_at=timezone.now())
    assert canary_run(trigger="schedule") == []  # the daily job ran twice
    assert len(canary_run(trigger="schedule", now=timezone.now() + timedelta(hours=21))) == 1
    assert len(sink.mails_to(inbox.address)) == 2


def test_the_command_sends_and_waits_for_the_probe(sink, dovecot):  # noqa: F811
    _delivering(sink, dovecot)
    inbox = _imap_inbox(dovecot)

    result = CliRunner().invoke(main, ["canary", "run", "--inbox", str(inbox.pk), "--wait"])

    assert result.exit_code == 0, result.output
    assert "arrived as ticket #" in result.output and "(email)" in result.output
    assert CanaryRun.objects.get().status == CanaryStatus.ARRIVED
    assert not Ticket.objects.exists()


def test_the_command_fails_when_the_probe_cannot_be_sent(sink, inbox):
    advert_add(actor=None, inbox=inbox, kind=AdvertKind.SITE_PAGE, url="https://toko.example/")
    sink.refuse[inbox.address] = "550 5.7.1 relaying denied"

    result = CliRunner().invoke(main, ["canary", "run"])

    assert result.exit_code == 1
    assert "FAILED to send" in result.output and "550 5.7.1" in result.output
