"""The canary: proof that each advertised inbox still turns a customer's message into a ticket.

A probe is a real mail sent through the inbox's outgoing SMTP server (or the site's default) to the
inbox's own address, or a submission of its web form through the service the public form uses. It
carries a unique token (in ``X-Tanggap-Canary``, the subject and the Message-ID) and comes back through
the normal intake — IMAP polling or ``tanggap smtp`` — like any customer's mail; there is no intake
path of its own. ``canary_check`` (every minute) then finds the probe's ticket by its Message-ID,
marks the probe arrived and deletes that ticket (``tickets.services.ticket_delete``, with an audit
row), so it leaves every count. A probe that has not arrived by its deadline marks the inbox dead and
opens an alert for the admins, until a later probe arrives or an admin acknowledges it.

Probes are machine mail (``Auto-Submitted: auto-generated``, ``X-Auto-Response-Suppress: All``): no
responder of ours or the customer's answers them. Our intake still makes a ticket of unthreaded
machine mail (``message_receive``), which is what the check looks for.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from tanggap.accounts.permissions import require
from tanggap.core.audit import audit_record
from tanggap.core.errors import InvalidInput, NotFound
from tanggap.inboxes.email.compose import (
    AUTO_GENERATED,
    Mailbox,
    OutgoingMail,
    ascii_address,
    ascii_domain,
    compose,
)
from tanggap.inboxes.email.thread import message_id_key
from tanggap.inboxes.models import (
    AdvertKind,
    CanaryAlert,
    CanaryChannel,
    CanaryRun,
    CanaryStatus,
    Inbox,
    InboxAdvert,
    MailDirection,
    MailMessageId,
    MailStatus,
    RawMail,
)
from tanggap.inboxes.selectors import MANAGE_ACTION
from tanggap.inboxes.smtp_client import SmtpRefused, one_line, smtp_server_for, transmit
from tanggap.tickets.models import Ticket
from tanggap.tickets.services import ticket_delete

logger = logging.getLogger(__name__)

DEFAULT_MINUTES = 15  # how long a probe may take to become a ticket, unless the inbox says otherwise
TOKEN_HEADER = "X-Tanggap-Canary"  # noqa: S105  (a header name, not a secret)
SUBJECT = "Tanggap canary check"
REASON_CANARY = "canary"  # RawMail.reason of a probe's mail, so no figure counts it as a customer's
DELETE_REASON = "canary_probe"  # the audit row of the probe ticket's deletion
# The daily run skips a probe sent (by anyone) this recently: running the job twice sends once.
DAILY_GAP = timedelta(hours=20)
# A probe recognised by its subject (a server that rewrote the Message-ID) is looked for among the
# tickets created since it was sent, by the ``created_at`` index: a bounded read.
SUBJECT_LOOKBACK = timedelta(minutes=1)
WAITING = (CanaryStatus.SENT, CanaryStatus.LATE)
LATE_HORIZON = timedelta(days=7)  # how long after its deadline a late probe is still looked for


def _now() -> datetime:
    return timezone.now()


# ---------------------------------------------------------------- where an inbox is advertised


@transaction.atomic
def advert_add(*, actor: Any, inbox: Inbox, kind: str, url: str = "", notes: str = "") -> InboxAdvert:
    """Record one place the inbox is advertised. ``actor`` is None only from the command line."""
    if actor is not None:
        require(actor, MANAGE_ACTION)
    if kind not in AdvertKind.values:
        raise InvalidInput(field="kind")
    url, notes = (url or "").strip(), " ".join((notes or "").split())
    if len(url) > 500 or (url and not url.lower().startswith(("http://", "https://"))):
        raise InvalidInput(field="url")
    if len(notes) > 500:
        raise InvalidInput(field="notes")
    if not url and not notes:
        raise InvalidInput(field="url", reason="url_or_notes")
    advert = InboxAdvert.objects.create(inbox=inbox, kind=kind, url=url, notes=notes)
    audit_record(actor=actor, action="inbox.advert_added", target=inbox, data={"kind": kind, "url": url})
    return advert


@transaction.atomic
def advert_remove(*, actor: Any, inbox: Inbox, advert_id: int) -> None:
    if actor is not None:
        require(actor, MANAGE_ACTION)
    advert = InboxAdvert.objects.filter(pk=advert_id, inbox=inbox).first()
    if advert is None:
        raise NotFound(object="advert")
    data = {"kind": advert.kind, "url": advert.url}
    advert.delete()
    audit_record(actor=actor, action="inbox.advert_removed", target=inbox, data=data)


# ---------------------------------------------------------------- sending probes


def canary_minutes(inbox: Inbox) -> int:
    """How long a probe of ``inbox`` may take: the inbox's own setting, else the site's."""
    site = int(getattr(settings, "TANGGAP_CANARY_MINUTES", DEFAULT_MINUTES) or DEFAULT_MINUTES)
    return int(inbox.canary_minutes or site)


def canary_inboxes(inbox_ids: Sequence[int] | None = None) -> list[Inbox]:
    """Active inboxes with the canary on and at least one place they are advertised."""
    qs = Inbox.objects.filter(is_active=True, canary_enabled=True).filter(
        Exists(InboxAdvert.objects.filter(inbox=OuterRef("pk")))
    )
    if inbox_ids is not None:
        qs = qs.filter(pk__in=list(inbox_ids))
    return list(qs.order_by("name"))


def probe_channels(inbox: Inbox) -> list[str]:
    """What a probe of ``inbox`` goes through: its address, and its web form when that is open."""
    channels = [CanaryChannel.EMAIL.value]
    if inbox.form_enabled and inbox.form_key:
        channels.append(CanaryChannel.FORM.value)
    return channels


def _domain(inbox: Inbox) -> str:
    domain = str(getattr(settings, "TANGGAP_MAIL_DOMAIN", "") or "") or inbox.address.rpartition("@")[2]
    return ascii_domain(domain) or "tanggap.invalid"


def _probe_text(token: str) -> str:
    return (
        "This is an automatic test message from Tanggap's dead-zone canary. It checks that mail to this\n"
        "address still becomes a ticket; the ticket is removed as soon as it is recognised.\n"
        "Please do not answer it.\n\n"
        f"Token: {token}\n"
    )


def probe_mail(inbox: Inbox, token: str, message_id: str, at: datetime) -> bytes:
    """The probe's bytes: from the inbox to itself, marked as machine mail, the token in a header."""
    raw = compose(
        OutgoingMail(
            sender=Mailbox(inbox.address, inbox.name),
            to=(Mailbox(inbox.address, inbox.name),),
            subject=f"{SUBJECT} {token}",
            message_id=message_id,
            date=at,
            text=_probe_text(token),
            auto_submitted=AUTO_GENERATED,
        )
    )
    return f"{TOKEN_HEADER}: {token}\r\n".encode("ascii") + raw


def _send_email(run: CanaryRun, inbox: Inbox) -> str:
    server = smtp_server_for(inbox)
    raw = probe_mail(inbox, run.token, run.mail_message_id, run.sent_at)
    return transmit(
        server,
        sender=ascii_address(inbox.address),
        recipients=[ascii_address(inbox.address)],
        raw=raw,
        helo=_domain(inbox),
    )


def _submit_form(run: CanaryRun, inbox: Inbox) -> None:
    from tanggap.inboxes.webform import Submission, form_submit

    result = form_submit(
        inbox=inbox,
        submission=Submission(
            name="Tanggap canary",
            email=inbox.address,
            subject=f"{SUBJECT} {run.token}",
            message=_probe_text(run.token),
        ),
        nonce=run.token,
        client="canary",
    )
    # The form stores and processes in one go; the check recognises the row like any other arrival.
    CanaryRun.objects.filter(pk=run.pk).update(
        raw_mail=result.raw_mail, mail_message_id=message_id_key(result.raw_mail.mail_message_id)
    )


def _send_error(exc: BaseException) -> str:
    if isinstance(exc, SmtpRefused):
        return one_line(f"{exc.reason}: {exc.detail}" if exc.detail else exc.reason)
    if isinstance(exc, smtplib.SMTPResponseException):
        return one_line(f"{exc.smtp_code} {one_line(exc.smtp_error)}")
    return one_line(f"{type(exc).__name__}: {exc}")


def canary_probe(
    *, inbox: Inbox, channel: str, trigger: str = "schedule", actor: Any = None, now: datetime | None = None
) -> CanaryRun:
    """Send one probe now. The run is written (and committed) before the mail leaves, so a probe that
    arrives at once is always recognised; a probe that cannot be sent is ``failed`` with the reason."""
    if channel not in CanaryChannel.values:
        raise InvalidInput(field="channel")
    at = now or _now()
    token = secrets.token_hex(12)
    run = CanaryRun.objects.create(
        inbox=inbox,
        channel=channel,
        token=token,
        mail_message_id=f"canary.{token}@{_domain(inbox)}" if channel == CanaryChannel.EMAIL else "",
        trigger=trigger,
        requested_by=actor if getattr(actor, "pk", None) else None,
        sent_at=at,
        deadline=at + timedelta(minutes=canary_minutes(inbox)),
    )
    try:
        if channel == CanaryChannel.EMAIL:
            _send_email(run, inbox)
        else:
            _submit_form(run, inbox)
    except Exception as exc:  # SmtpRefused, SMTP errors, network errors, RetryLater, ComposeError …
        error = _send_error(exc)
        logger.warning("canary probe of inbox %s (%s) could not be sent: %s", inbox.pk, channel, error)
        CanaryRun.objects.filter(pk=run.pk).update(status=CanaryStatus.FAILED, error=error)
        run.status, run.error = CanaryStatus.FAILED, error
    return run


def canary_run(
    *,
    actor: Any = None,
    inbox_ids: Sequence[int] | None = None,
    trigger: str = "schedule",
    now: datetime | None = None,
) -> list[CanaryRun]:
    """Probe every advertised inbox (or those of ``inbox_ids``) through each of its channels.

    Idempotent: a channel whose probe is still waiting gets no second one, and the daily run skips a
    channel probed in the last 20 hours. ``actor`` None is the scheduler or the command line."""
    if actor is not None:
        require(actor, MANAGE_ACTION)
    at = now or _now()
    runs: list[CanaryRun] = []
    for inbox in canary_inboxes(inbox_ids):
        for channel in probe_channels(inbox):
            recent = CanaryRun.objects.filter(inbox=inbox, channel=channel)
            if recent.filter(status=CanaryStatus.SENT, arrived_at__isnull=True).exists():
                continue
            if trigger == "schedule" and recent.filter(sent_at__gt=at - DAILY_GAP).exists():
                continue
            runs.append(canary_probe(inbox=inbox, channel=channel, trigger=trigger, actor=actor, now=at))
    if actor is not None and runs:
        audit_record(
            actor=actor,
            action="canary.run",
            target=runs[0].inbox,
            data={"probes": [run.pk for run in runs], "trigger": trigger},
        )
    return runs


# ---------------------------------------------------------------- recognising arrivals


@dataclass(frozen=True, slots=True)
class CheckReport:
    arrived: int = 0
    late: int = 0
    waiting: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"arrived": self.arrived, "late": self.late, "waiting": self.waiting}


def _arrival(run: CanaryRun) -> tuple[int | None, RawMail | None]:
    """The ticket and raw mail the probe became, if it has arrived through the intake."""
    ticket_id: int | None = None
    if run.raw_mail_id is not None:  # a form probe: its row is known
        row = RawMail.objects.filter(pk=run.raw_mail_id).first()
        if row is not None and row.status == MailStatus.PROCESSED and row.ticket_id is not None:
            return row.ticket_id, row
        return None, None
    if run.mail_message_id:
        ticket_id = (
            MailMessageId.objects.filter(
                inbox_id=run.inbox_id,
                message_id=message_id_key(run.mail_message_id),
                direction=MailDirection.INBOUND,
            )
            .values_list("ticket_id", flat=True)
            .first()
        )
    if ticket_id is None:
        # A server on the way may have rewritten the Message-ID: the token is in the subject too.
        ticket_id = (
            Ticket.objects.filter(created_at__gte=run.sent_at - SUBJECT_LOOKBACK, subject__contains=run.token)
            .values_list("pk", flat=True)
            .first()
        )
    if ticket_id is None:
        return None, None
    row = RawMail.objects.filter(inbox_id=run.inbox_id, ticket_id=ticket_id).order_by("id").first()
    return ticket_id, row


@transaction.atomic
def _mark_arrived(run: CanaryRun, ticket_id: int, row: RawMail | None, at: datetime) -> None:
    locked = CanaryRun.objects.select_for_update().filter(pk=run.pk, arrived_at__isnull=True).first()
    if locked is None:
        return  # another check got there first
    if row is not None:
        RawMail.objects.filter(pk=row.pk).update(reason=REASON_CANARY)
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is not None:
        ticket_delete(actor=None, ticket=ticket, reason=DELETE_REASON)
    locked.arrived_at = at
    locked.ticket_number = ticket_id
    locked.raw_mail = row
    if locked.status == CanaryStatus.SENT:
        locked.status = CanaryStatus.ARRIVED
    locked.save(update_fields=["arrived_at", "ticket_number", "raw_mail", "status"])
    # The inbox answers again: it is no longer dead and its alerts are over.
    Inbox.objects.filter(pk=run.inbox_id, dead_since__isnull=False).update(dead_since=None)
    CanaryAlert.objects.filter(inbox_id=run.inbox_id, resolved_at__isnull=True).update(resolved_at=at)


@transaction.atomic
def _mark_late(run: CanaryRun, at: datetime) -> bool:
    updated = CanaryRun.objects.filter(pk=run.pk, status=CanaryStatus.SENT, arrived_at__isnull=True).update(
        status=CanaryStatus.LATE
    )
    if not updated:
        return False
    Inbox.objects.filter(pk=run.inbox_id, dead_since__isnull=True).update(dead_since=run.deadline)
    CanaryAlert.objects.get_or_create(run=run, defaults={"inbox_id": run.inbox_id, "created_at": at})
    logger.warning(
        "inbox %s is dead: canary probe %s did not arrive by %s", run.inbox_id, run.pk, run.deadline
    )
    return True


def canary_check(*, now: datetime | None = None) -> CheckReport:
    """Recognise probes that came back as tickets (delete those tickets), and mark the probes whose
    deadline passed late: their inbox dead, with an alert for the admins. Safe to run at any time."""
    at = now or _now()
    arrived = late = waiting = 0
    # Probes still on their way, and late ones for a week after their deadline (a late arrival still
    # makes the inbox healthy); older late probes are given up, so they cannot crowd out new ones.
    pending = list(
        CanaryRun.objects.filter(arrived_at__isnull=True, status__in=list(WAITING))
        .filter(Q(status=CanaryStatus.SENT) | Q(deadline__gt=at - LATE_HORIZON))
        .order_by("deadline", "id")[:500]
    )
    for run in pending:
        ticket_id, row = _arrival(run)
        if ticket_id is not None:
            _mark_arrived(run, ticket_id, row, at)
            arrived += 1
        elif run.status == CanaryStatus.SENT and run.deadline <= at:
            late += int(_mark_late(run, at))
        else:
            waiting += 1
    return CheckReport(arrived=arrived, late=late, waiting=waiting)


# ---------------------------------------------------------------- the admins' alerts


def canary_alerts_open(*, user: Any) -> list[CanaryAlert]:
    """Alerts an admin has not acknowledged and whose inbox is still dead (the workspace banner)."""
    from tanggap.accounts.permissions import can

    if not can(user, MANAGE_ACTION):
        return []
    return list(
        CanaryAlert.objects.filter(resolved_at__isnull=True, acknowledged_at__isnull=True)
        .select_related("inbox", "run")
        .order_by("-created_at", "-id")[:10]
    )


@transaction.atomic
def canary_alert_acknowledge(*, actor: Any, alert_id: int) -> CanaryAlert:
    require(actor, MANAGE_ACTION)
    alert = CanaryAlert.objects.select_for_update().filter(pk=alert_id).first()
    if alert is None:
        raise NotFound(object="alert")
    if alert.acknowledged_at is None:
        alert.acknowledged_at = _now()
        alert.acknowledged_by = actor
        alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
        audit_record(actor=actor, action="canary.alert_acknowledged", target=alert.inbox)
    return alert


def canary_wait(runs: Sequence[CanaryRun], *, poll: Any = None, interval: float = 5.0) -> list[CanaryRun]:
    """Check until every run arrived, was late or failed (``tanggap canary run --wait``). ``poll`` is
    called before each check (the command line polls IMAP inboxes itself)."""
    import time

    ids = [run.pk for run in runs]
    while True:
        if poll is not None:
            poll()
        canary_check()
        current = list(CanaryRun.objects.filter(pk__in=ids).order_by("pk"))
        if all(run.status != CanaryStatus.SENT for run in current):
            return current
        time.sleep(interval)


@transaction.atomic
def inbox_canary_update(
    *, actor: Any, inbox: Inbox, canary_enabled: bool, canary_minutes: int | None
) -> Inbox:
    """Turn the inbox's probes on or off and set how long one may take (None: the site's default)."""
    if actor is not None:
        require(actor, MANAGE_ACTION)
    if canary_minutes is not None and not 1 <= canary_minutes <= 1440:
        raise InvalidInput(field="canary_minutes")
    locked = Inbox.objects.select_for_update().get(pk=inbox.pk)
    locked.canary_enabled = bool(canary_enabled)
    locked.canary_minutes = canary_minutes
    changes = ["canary_enabled", "canary_minutes"]
    if not locked.canary_enabled and locked.dead_since is not None:
        # No more probes: nothing will ever say it is alive again, so it stops being reported dead.
        locked.dead_since = None
        changes.append("dead_since")
        CanaryAlert.objects.filter(inbox=locked, resolved_at__isnull=True).update(resolved_at=_now())
    locked.save(update_fields=changes)
    audit_record(
        actor=actor,
        action="inbox.canary_updated",
        target=locked,
        data={"canary_enabled": locked.canary_enabled, "canary_minutes": canary_minutes},
    )
    return locked
