"""The acknowledgement: when a customer's message opens a ticket, a mail confirms receipt with the
ticket number, says in two sentences how the team works and gives an honest estimate of the first
answer (``estimate.py``, docs/acknowledgement.md).

``on_ticket_created`` (subscribed in ``apps.py``) calls ``acknowledgement_send``, which sends at most
once per ticket through ``inboxes.outbound.mail_send_automatic`` (loop guards, ``Auto-Submitted``,
threading) and writes what it promised, or why it kept quiet, on the ticket's timeline.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import dateformat, formats, timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tanggap.accounts.permissions import require
from tanggap.automations import estimate as core
from tanggap.core.audit import audit_record
from tanggap.core.errors import InvalidInput
from tanggap.core.process_cache import ProcessCache
from tanggap.inboxes.models import Inbox, InboxLanguage, MailSource, RawMail
from tanggap.inboxes.outbound import inbox_for_ticket, mail_send_automatic
from tanggap.inboxes.selectors import MANAGE_ACTION
from tanggap.sla import clock
from tanggap.sla.models import BusinessCalendar
from tanggap.sla.selectors import team_calendar_row
from tanggap.sla.services import ALWAYS_OPEN, calendar_of
from tanggap.tickets.models import Channel, Message, MessageKind, Status, Ticket
from tanggap.tickets.services import ticket_event_add

logger = logging.getLogger(__name__)

CHANNELS = frozenset({Channel.EMAIL.value, Channel.WEB.value})
LANGUAGES = frozenset(InboxLanguage.values)
MAX_HOW_CHARS = 600  # two sentences, with room to spare
MAX_SAMPLES = 2000  # the newest tickets of a scope's window: plenty for a p90, bounded in cost
SENT = "acknowledged"
WITHHELD = "acknowledgement_withheld"
EXAMPLE_NUMBER = 1234  # the ticket number in a preview

# Built-in "how we work" sentences, used when the inbox has none of its own in that language.
DEFAULT_HOW: Promise = gettext_lazy(
    "A member of our support team reads every message and answers in the order they arrive. "
    "If you want to add something, just reply to this e-mail so that it stays with your ticket."
)
# Why no acknowledgement went although the inbox sends them (stable codes on the timeline event).
WITHHELD_REASONS: dict[str, Promise] = {
    "auto_reply": gettext_lazy("the message was an automatic reply"),
    "bounce": gettext_lazy("the message was a bounce"),
    "delay": gettext_lazy("the message was a delivery report"),
    "feedback_report": gettext_lazy("the message was a spam report"),
    "list": gettext_lazy("the message came from a mailing list or bulk sender"),
    "system": gettext_lazy("the message was sent by a machine"),
    "answering_automatic": gettext_lazy("the message was sent by a machine"),
    "machine_address": gettext_lazy("the sender's address belongs to a machine"),
    "rate_limited": gettext_lazy("this address already got too many automatic mails"),
    "no_inbox": gettext_lazy("there is no inbox to send from"),
    "no_recipient": gettext_lazy("there is no address to send to (or it is one of ours)"),
}


# ---------------------------------------------------------------- the estimate from the stored history


def _calendar(team_id: int | None, now: datetime, cache: dict[int | None, clock.Calendar]) -> clock.Calendar:
    """The calendar a team's clocks run on (the default one, else 24/7), as ``sla`` uses it."""
    if team_id not in cache:
        if team_id is not None:
            row = team_calendar_row(team_id)[0]
        else:
            row = BusinessCalendar.objects.filter(is_default=True).first()
        years = range(now.year - 1, now.year + 2)
        try:
            cache[team_id] = calendar_of(row, years) if row is not None else ALWAYS_OPEN
        except ValueError:
            logger.warning("the calendar of team %s cannot be read; counting every hour", team_id)
            cache[team_id] = ALWAYS_OPEN
    return cache[team_id]


def _history(
    now: datetime, scope: core.Scope, team_id: int | None, channel: str
) -> list[tuple[int | None, datetime, datetime | None]]:
    """Tickets customers opened in the window and ``scope``, newest first: (team, created, first
    answer or None while still waiting). Tickets an agent opened, merged ones, tickets opened by
    machine mail only, and tickets closed with no answer (spam, duplicates) say nothing about
    answering."""
    by_agent = Message.objects.filter(
        ticket=OuterRef("pk"), kind=MessageKind.EVENT, event_code="created_by_agent"
    )
    by_person = Message.objects.filter(ticket=OuterRef("pk"), kind=MessageKind.CUSTOMER, automatic="")
    rows = Ticket.objects.filter(
        created_at__gte=now - core.WINDOW, created_at__lte=now, merged_into__isnull=True
    )
    if scope != core.Scope.WORKSPACE:
        rows = rows.filter(team_id=team_id) if team_id is not None else rows.filter(team__isnull=True)
    if scope == core.Scope.TEAM_CHANNEL:
        rows = rows.filter(channel=channel)
    rows = (
        rows.filter(Q(first_response_at__isnull=False) | Q(status__in=[Status.NEW, Status.OPEN]))
        .filter(Exists(by_person))
        .exclude(Exists(by_agent))
        .order_by("-created_at")
    )
    return list(rows.values_list("team_id", "created_at", "first_response_at")[:MAX_SAMPLES])


def estimate_tiers(
    *, team_id: int | None, channel: str, now: datetime, cache: dict[int | None, clock.Calendar] | None = None
) -> list[core.Tier]:
    """The history of the inbox's team and channel, then of the team, then of the workspace, each
    ticket measured in business time on its own team's calendar. A wider scope is read only when the
    narrower one has too few answered tickets (``core.MIN_SAMPLES``)."""
    cache = {} if cache is None else cache
    tiers: list[core.Tier] = []
    for scope in core.Scope:  # narrowest first
        answered: list[timedelta] = []
        waiting: list[timedelta] = []
        for ticket_team, created_at, answered_at in _history(now, scope, team_id, channel):
            calendar = _calendar(ticket_team, now, cache)
            duration = clock.business_time_between(calendar, created_at, answered_at or now)
            (answered if answered_at is not None else waiting).append(max(duration, timedelta(0)))
        tiers.append(core.Tier(scope, answered, waiting))
        if len(answered) >= core.MIN_SAMPLES:
            break
    return tiers


def estimate_for(*, team_id: int | None, channel: str, now: datetime | None = None) -> core.Estimate:
    """The first-answer estimate for a new ticket of ``channel`` in ``team_id``'s queue, now."""
    now = now or timezone.now()
    cache: dict[int | None, clock.Calendar] = {}
    tiers = estimate_tiers(team_id=team_id, channel=channel, now=now, cache=cache)
    return core.estimate(tiers=tiers, calendar=_calendar(team_id, now, cache), now=now)


# ---------------------------------------------------------------- wording


def _duration_words(duration: timedelta) -> str:
    minutes = round(duration / timedelta(minutes=1))
    if minutes < 60:
        return ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}
    if minutes < 24 * 60:
        hours = minutes / 60
        whole = hours == int(hours)
        shown = formats.number_format(hours, decimal_pos=0 if whole else 1)
        # "1.5 hours" takes the plural, as any fraction does.
        return ngettext("%(count)s hour", "%(count)s hours", int(hours) if whole else 2) % {"count": shown}
    days = minutes // (24 * 60)
    return ngettext("%(count)s day", "%(count)s days", days) % {"count": days}


def _instant_words(local_due: datetime, day: str) -> str:
    at = f"{local_due:%H:%M} {local_due.tzname() or ''}".strip()
    if day == core.Day.TODAY:
        return _("%(time)s today") % {"time": at}
    if day == core.Day.TOMORROW:
        return _("%(time)s tomorrow") % {"time": at}
    if day == core.Day.WEEKDAY:
        return _("%(weekday)s %(time)s") % {"weekday": dateformat.format(local_due, "l"), "time": at}
    return _("%(date)s %(time)s") % {"date": dateformat.format(local_due, "j F Y"), "time": at}


def promise_sentence(estimate: core.Estimate) -> str:
    """The estimate as one sentence to the customer, in the active language."""
    if estimate.kind == core.Kind.WITHIN and estimate.duration is not None:
        return _("Our first answer usually comes within %(duration)s.") % {
            "duration": _duration_words(estimate.duration)
        }
    if estimate.kind == core.Kind.BY and estimate.local_due is not None and estimate.day is not None:
        return _("You can expect our first answer by %(when)s.") % {
            "when": _instant_words(estimate.local_due, estimate.day)
        }
    return _("We answer as soon as possible during our working hours.")


def how_we_work(inbox: Inbox, language: str) -> str:
    """The inbox's own two sentences in ``language``, else the built-in ones (in the active language)."""
    own = (inbox.ack_how_id if language == InboxLanguage.INDONESIAN else inbox.ack_how_en).strip()
    return own or str(DEFAULT_HOW)


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    language: str
    subject: str
    text: str
    promise: str
    estimate: core.Estimate


def acknowledgement_compose(
    *, inbox: Inbox, number: int, subject: str, customer_name: str, language: str, estimate: core.Estimate
) -> Acknowledgement:
    """The acknowledgement of ticket ``number`` in ``language`` ("id" or "en")."""
    language = language if language in LANGUAGES else inbox.language
    with translation.override(language):
        words = (customer_name or "").split()
        # A customer known only by an address has no name to greet.
        first_name = words[0][:60] if words and "@" not in words[0] else ""
        greeting = _("Hello %(name)s,") % {"name": first_name} if first_name else _("Hello,")
        receipt = _(
            "We have received your message. Its ticket number is #%(number)s; please keep it in the "
            "subject when you write to us about this."
        ) % {"number": number}
        promise = promise_sentence(estimate)
        parts = [greeting, receipt, how_we_work(inbox, language), promise]
        if inbox.signature.strip():
            parts.append(inbox.signature.strip())
        return Acknowledgement(
            language=language,
            subject=subject or _("Your message"),
            text="\n\n".join(parts) + "\n",
            promise=promise,
            estimate=estimate,
        )


def _language_of(ticket: Ticket, inbox: Inbox) -> str:
    return ticket.language if ticket.language in LANGUAGES else inbox.language


def acknowledgement_previews(
    *,
    user: Any,
    inbox: Inbox,
    languages: Sequence[str] = ("id", "en"),
    channel: str = Channel.EMAIL,
    now: datetime | None = None,
) -> list[Acknowledgement]:
    """The acknowledgement a new ticket of ``inbox`` would get now, in each of ``languages`` (with an
    example ticket number). Admins only, like the inbox's other settings."""
    if user is not None:
        require(user, MANAGE_ACTION)
    estimate = estimate_for(team_id=inbox.team_id, channel=channel, now=now)
    return [
        acknowledgement_compose(
            inbox=inbox,
            number=EXAMPLE_NUMBER,
            subject=f"Re: [#{EXAMPLE_NUMBER}] …",
            customer_name="",
            language=language,
            estimate=estimate,
        )
        for language in languages
    ]


# ---------------------------------------------------------------- settings


@transaction.atomic
def acknowledgement_settings_update(
    *, actor: Any, inbox: Inbox, enabled: bool, how_id: str = "", how_en: str = ""
) -> Inbox:
    """Switch an inbox's acknowledgement on or off and set its own "how we work" sentences ("" for
    the built-in ones). ``actor`` is None only from the command line."""
    if actor is not None:
        require(actor, MANAGE_ACTION)
    texts = {}
    for field, value in (("ack_how_id", how_id), ("ack_how_en", how_en)):
        value = " ".join((value or "").split())
        if len(value) > MAX_HOW_CHARS:
            raise InvalidInput(field=field)
        texts[field] = value
    locked = Inbox.objects.select_for_update().get(pk=inbox.pk)
    if (locked.ack_enabled, locked.ack_how_id, locked.ack_how_en) == (
        bool(enabled),
        texts["ack_how_id"],
        texts["ack_how_en"],
    ):
        return locked
    locked.ack_enabled = bool(enabled)
    locked.ack_how_id, locked.ack_how_en = texts["ack_how_id"], texts["ack_how_en"]
    locked.save(update_fields=["ack_enabled", "ack_how_id", "ack_how_en"])
    audit_record(
        actor=actor,
        action="inbox.acknowledgement_changed",
        target=locked,
        data={
            "enabled": locked.ack_enabled,
            "custom_id": bool(texts["ack_how_id"]),
            "custom_en": bool(texts["ack_how_en"]),
        },
    )
    return locked


# ---------------------------------------------------------------- sending


@dataclass(frozen=True, slots=True)
class Outcome:
    sent: bool
    # Why not: a WITHHELD_REASONS code, or "already", "disabled", "imported", "answered", "late",
    # "channel", "agent".
    reason: str = ""


def _event_data(ack: Acknowledgement, to_address: str) -> dict[str, Any]:
    est = ack.estimate
    return {
        "language": ack.language,
        "to": to_address,
        "promise": ack.promise,
        "kind": str(est.kind),
        "minutes": round(est.duration / timedelta(minutes=1)) if est.duration else None,
        "due_at": est.due_at.astimezone(UTC).isoformat() if est.due_at else None,
        "zone": getattr(est.local_due.tzinfo, "key", None) if est.local_due else None,
        "scope": str(est.scope) if est.scope else None,
        "samples": est.samples,
        "quantile_minutes": round(est.quantile / timedelta(minutes=1), 1)
        if est.quantile is not None
        else None,
    }


# A receipt is sent within this long of the customer's message, or not at all.
LATE_AFTER = timedelta(hours=1)


@transaction.atomic
def acknowledgement_send(*, ticket_id: int, now: datetime | None = None) -> Outcome:
    """Acknowledge the customer's message that opened ticket ``ticket_id``, at most once per ticket:
    a delivered-twice event finds the timeline event of the first and does nothing."""
    ticket = (
        Ticket.objects.select_for_update(of=("self",)).select_related("customer").filter(pk=ticket_id).first()
    )
    if ticket is None or ticket.channel not in CHANNELS:
        return Outcome(False, "channel")
    if Message.objects.filter(
        ticket=ticket, kind=MessageKind.EVENT, event_code__in=(SENT, WITHHELD)
    ).exists():
        return Outcome(False, "already")
    if Message.objects.filter(ticket=ticket, kind=MessageKind.EVENT, event_code="created_by_agent").exists():
        return Outcome(False, "agent")
    first = (
        Message.objects.filter(ticket=ticket, kind=MessageKind.CUSTOMER).order_by("created_at", "id").first()
    )
    if first is None:
        return Outcome(False, "agent")
    raw = RawMail.objects.filter(message=first).select_related("inbox").first()
    if raw is not None and raw.source == MailSource.IMPORT:
        # An import of old mail is history, not customers waiting now.
        return Outcome(False, "imported")
    if ticket.first_response_at is not None:
        return Outcome(False, "answered")  # the answer came first: a receipt now would only confuse
    received = raw.received_at if raw is not None else ticket.created_at  # by us, not the mail's Date
    if timezone.now() - received > LATE_AFTER:
        # Its task waited for hours (workers down) or the ticket is old history (demo data): a
        # receipt this late promises an answer time that has already passed.
        return Outcome(False, "late")
    inbox = raw.inbox if raw is not None and raw.inbox.is_active else inbox_for_ticket(ticket)
    if inbox is None:
        return Outcome(False, "no_inbox")  # no inbox to speak for: nothing to send, nothing to say
    if not inbox.ack_enabled:
        return Outcome(False, "disabled")
    now = now or timezone.now()
    at = max(now, ticket.created_at)
    if first.automatic:
        reason = first.automatic if first.automatic in WITHHELD_REASONS else "system"
        ticket_event_add(ticket=ticket, code=WITHHELD, at=at, data={"reason": reason})
        logger.info("no acknowledgement on ticket %s: %s", ticket.pk, reason)
        return Outcome(False, reason)
    ack = acknowledgement_compose(
        inbox=inbox,
        number=ticket.pk,
        subject=ticket.subject,
        customer_name=ticket.customer.name if ticket.customer_id else "",
        language=_language_of(ticket, inbox),
        estimate=estimate_for(team_id=inbox.team_id, channel=ticket.channel, now=now),
    )
    result = mail_send_automatic(ticket=ticket, answering=first, subject=ack.subject, text=ack.text)
    if result.mail is None:
        ticket_event_add(ticket=ticket, code=WITHHELD, at=at, data={"reason": result.refused})
        logger.info("no acknowledgement on ticket %s: %s", ticket.pk, result.refused)
        return Outcome(False, result.refused)
    ticket_event_add(ticket=ticket, code=SENT, at=at, data=_event_data(ack, result.mail.to_address))
    return Outcome(True)


# Whether any active inbox acknowledges (cached a few seconds: asked for every new ticket, and a bulk
# intake with the acknowledgement off everywhere should not queue a task per ticket).
_acknowledging = ProcessCache(5.0, lambda: Inbox.objects.filter(ack_enabled=True, is_active=True).exists())
forget_acknowledging_inboxes = _acknowledging.forget


def on_ticket_created(name: str, payload: dict[str, Any]) -> None:
    """``ticket.created``: acknowledge tickets customers opened (``actor_id`` None); an agent who
    opens a ticket talks to the customer themselves."""
    if payload.get("actor_id") is not None or not _acknowledging.get():
        return
    from tanggap.automations.tasks import acknowledge_task

    acknowledge_task.enqueue(int(payload["ticket_id"]))


# ---------------------------------------------------------------- the ticket page


def event_promise(data: dict[str, Any]) -> str:
    """What an ``acknowledged`` event promised, worded again in the active language (for agents)."""
    kind = data.get("kind")
    if kind == core.Kind.WITHIN and data.get("minutes"):
        return _("within %(duration)s") % {
            "duration": _duration_words(timedelta(minutes=int(data["minutes"])))
        }
    if kind == core.Kind.BY and data.get("due_at"):
        try:
            due = datetime.fromisoformat(str(data["due_at"]))
        except ValueError:
            return str(data.get("promise", ""))
        try:
            local = due.astimezone(ZoneInfo(str(data.get("zone") or "")))
        except (ValueError, ZoneInfoNotFoundError):
            local = timezone.localtime(due)
        return _("by %(when)s") % {"when": formats.date_format(local, "DATETIME_FORMAT")}
    return _("as soon as possible during working hours")


def withheld_reason(code: str) -> str:
    reason = WITHHELD_REASONS.get(code)
    return str(reason) if reason is not None else code
