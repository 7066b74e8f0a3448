"""The dead-zone audit (admins only): every inbox with where it is advertised, its last customer
mail, its oldest unanswered ticket, the share of its tickets answered within target, its polling
health and its canary; the tickets behind each figure; and the canary's buttons.

The figures read ``inboxes`` and ``sla`` (the clocks' breaches), and ``inboxes`` may not import
``sla`` (the layers contract), so the queries live here, in the entry point above both. Each is one
statement for all inboxes, bounded by an index: the latest mail by ``rawmail_inbox_received_idx``,
unanswered tickets by the active tickets' partial index, answered ones by ``created_at`` over the
window. The inbox a ticket came in through is its first ``RawMail``'s (e-mail and web form alike).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, When, Window
from django.db.models.functions import Coalesce, RowNumber
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST, require_safe

from tanggap.core.errors import ApplicationError, ErrorCode
from tanggap.inboxes.canary import (
    REASON_CANARY,
    advert_add,
    advert_remove,
    canary_alert_acknowledge,
    canary_check,
    canary_minutes,
    canary_run,
    probe_channels,
)
from tanggap.inboxes.imap import imap_states
from tanggap.inboxes.models import AdvertKind, CanaryRun, CanaryStatus, Inbox, InboxAdvert, RawMail
from tanggap.inboxes.selectors import MANAGE_ACTION, inbox_list
from tanggap.sla.models import TicketClock
from tanggap.tickets.models import Ticket
from tanggap.tickets.workflow import ACTIVE_VALUES, Status
from tanggap.web.views.common import (
    AuthedRequest,
    error_message,
    page_number,
    paginate,
    parse_int,
    require_action,
)
from tanggap.web.views.inboxes import imap_error_sentence, inbox_or_404

# "% answered within target" looks at the tickets created in this window.
TARGET_WINDOW = timedelta(days=30)
# Statuses in which the next move is ours: a ticket pending the customer or on hold is answered.
WAITING_ON_US = (Status.NEW.value, Status.OPEN.value)
FIRST_RESPONSE = "first_response"  # the kind sla.TicketClock.breached names

TICKET_KINDS: dict[str, Any] = {
    "unanswered": gettext_lazy("Unanswered tickets"),
    "met": gettext_lazy("Answered within target"),
    "missed": gettext_lazy("Answered after the target"),
}


def _first_inbox() -> Subquery:
    """The inbox a ticket came in through: its first stored mail's (by the ``ticket`` index)."""
    return Subquery(RawMail.objects.filter(ticket_id=OuterRef("pk")).order_by("id").values("inbox_id")[:1])


def _unanswered() -> Any:  # QuerySet[Ticket] with annotations the type checker cannot see
    """Tickets waiting for our answer, read through the active tickets' partial index."""
    return (
        Ticket.objects.filter(merged_into__isnull=True, status__literal_in=ACTIVE_VALUES)
        .filter(status__in=WAITING_ON_US)
        .filter(
            Q(last_agent_reply_at__isnull=True) | Q(last_agent_reply_at__lt=F("last_customer_message_at"))
        )
        # Never answered: waiting since it was opened; answered before: since the customer wrote again.
        .annotate(
            waiting_since=Case(
                When(last_agent_reply_at__isnull=True, then=F("created_at")),
                default=Coalesce(F("last_customer_message_at"), F("created_at")),
            ),
            inbox_id=_first_inbox(),
        )
    )


def _answered(since: datetime) -> Any:  # as _unanswered
    """Tickets created since ``since`` that got a first answer and had a first-response target."""
    return (
        Ticket.objects.filter(
            created_at__gte=since, first_response_at__isnull=False, merged_into__isnull=True
        )
        .filter(
            Exists(
                TicketClock.objects.filter(
                    ticket_id=OuterRef("pk"), policy__first_response_minutes__isnull=False
                )
            )
        )
        .annotate(
            inbox_id=_first_inbox(),
            missed=Exists(
                TicketClock.objects.filter(ticket_id=OuterRef("pk"), breached__icontains=FIRST_RESPONSE)
            ),
        )
    )


@dataclass
class AuditRow:
    inbox: Inbox
    adverts: list[InboxAdvert]
    last_received_at: datetime | None
    oldest_ticket_id: int | None = None
    oldest_since: datetime | None = None
    unanswered: int = 0
    answered: int = 0
    met: int = 0
    imap: Any = None
    imap_error: str = ""
    runs: list[CanaryRun] = field(default_factory=list)
    minutes: int = 15

    @property
    def percent_met(self) -> int | None:
        return round(100 * self.met / self.answered) if self.answered else None

    @property
    def missed(self) -> int:
        return self.answered - self.met

    @property
    def advertised(self) -> bool:
        return bool(self.adverts)


def dead_zone_rows(*, user: Any, now: datetime | None = None) -> list[AuditRow]:
    """One row per inbox, in a fixed number of queries whatever the number of inboxes and tickets."""
    now = now or timezone.now()
    latest_mail = RawMail.objects.filter(inbox_id=OuterRef("pk")).exclude(reason=REASON_CANARY)
    inboxes = list(
        inbox_list(user=user)
        .prefetch_related("adverts")
        .annotate(
            last_received_at=Subquery(latest_mail.order_by("-received_at").values("received_at")[:1]),
        )
    )
    rows = {
        inbox.pk: AuditRow(
            inbox=inbox,
            adverts=list(inbox.adverts.all()),
            last_received_at=inbox.last_received_at,  # type: ignore[attr-defined]
            minutes=canary_minutes(inbox),
        )
        for inbox in inboxes
    }
    # The oldest unanswered ticket of each inbox, and how many wait.
    oldest = (
        _unanswered()
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("inbox_id")], order_by=[F("waiting_since").asc(), F("id").asc()]
            )
        )
        .filter(rank=1)
        .values_list("inbox_id", "pk", "waiting_since")
    )
    for inbox_id, ticket_id, since in oldest:
        if inbox_id in rows:
            rows[inbox_id].oldest_ticket_id, rows[inbox_id].oldest_since = ticket_id, since
    for inbox_id, count in (
        _unanswered().values("inbox_id").annotate(n=Count("pk")).values_list("inbox_id", "n")
    ):
        if inbox_id in rows:
            rows[inbox_id].unanswered = count
    answered = (
        _answered(now - TARGET_WINDOW)
        .values("inbox_id")
        .annotate(total=Count("pk"), met=Count("pk", filter=Q(missed=False)))
        .values_list("inbox_id", "total", "met")
    )
    for inbox_id, total, met in answered:
        if inbox_id in rows:
            rows[inbox_id].answered, rows[inbox_id].met = total, met
    states = imap_states(rows)
    for inbox_id, state in states.items():
        rows[inbox_id].imap = state
        rows[inbox_id].imap_error = imap_error_sentence(state.last_error) if state.last_error else ""
    # The latest probe of each inbox and channel.
    latest_runs = (
        CanaryRun.objects.filter(inbox_id__in=list(rows))
        .annotate(
            rank=Window(
                RowNumber(),
                partition_by=[F("inbox_id"), F("channel")],
                order_by=[F("sent_at").desc(), F("id").desc()],
            )
        )
        .filter(rank=1)
        .order_by("inbox_id", "channel")
    )
    for run in latest_runs:
        rows[run.inbox_id].runs.append(run)
    return list(rows.values())


def dead_zone_tickets(*, inbox: Inbox, kind: str, now: datetime | None = None) -> Any:
    """The tickets behind one figure of one inbox, oldest waiting (or newest answered) first."""
    now = now or timezone.now()
    if kind == "unanswered":
        return _unanswered().filter(inbox_id=inbox.pk).order_by("waiting_since", "id")
    qs = _answered(now - TARGET_WINDOW).filter(inbox_id=inbox.pk, missed=(kind == "missed"))
    return qs.order_by("-created_at", "-id")


# ---------------------------------------------------------------- pages


@login_required
@require_action(MANAGE_ACTION)
@require_safe
def dead_zones(request: AuthedRequest) -> HttpResponse:
    rows = dead_zone_rows(user=request.user)
    return render(
        request,
        "web/admin/dead_zones.html",
        {
            "rows": rows,
            "window_days": TARGET_WINDOW.days,
            "now": timezone.now(),
            "statuses": CanaryStatus,
            "probe_channels": {row.inbox.pk: probe_channels(row.inbox) for row in rows},
        },
    )


@login_required
@require_action(MANAGE_ACTION)
@require_safe
def dead_zone_ticket_list(request: AuthedRequest, inbox_id: int) -> HttpResponse:
    inbox = inbox_or_404(request, inbox_id)
    kind = request.GET.get("kind", "unanswered")
    if kind not in TICKET_KINDS:
        raise Http404
    tickets = dead_zone_tickets(inbox=inbox, kind=kind).select_related("customer")
    page = paginate(tickets, page_number(request))
    return render(
        request,
        "web/admin/dead_zone_tickets.html",
        {
            "inbox": inbox,
            "kind": kind,
            "kind_label": TICKET_KINDS[kind],
            "kinds": TICKET_KINDS,
            "page": page,
            "window_days": TARGET_WINDOW.days,
        },
    )


@login_required
@require_action(MANAGE_ACTION)
@require_POST
def dead_zones_probe(request: AuthedRequest) -> HttpResponse:
    """The "Send probes now" button: all advertised inboxes, or the one named."""
    inbox_id = parse_int(request.POST.get("inbox"))
    if inbox_id is not None:
        inbox_or_404(request, inbox_id)
    try:
        runs = canary_run(actor=request.user, inbox_ids=[inbox_id] if inbox_id else None, trigger="manual")
    except ApplicationError as exc:
        messages.error(request, error_message(exc))
        return redirect("web:admin_dead_zones")
    canary_check()  # a web form's probe is a ticket already
    failed = sum(run.status == CanaryStatus.FAILED for run in runs)
    if not runs:
        messages.info(
            request,
            _("No probe was sent: each advertised inbox already has one on its way, or none is advertised."),
        )
    else:
        messages.success(
            request,
            ngettext("%(count)s probe sent.", "%(count)s probes sent.", len(runs) - failed)
            % {"count": len(runs) - failed},
        )
    if failed:
        messages.error(
            request,
            ngettext("%(count)s probe could not be sent.", "%(count)s probes could not be sent.", failed)
            % {"count": failed},
        )
    return redirect("web:admin_dead_zones")


@login_required
@require_action(MANAGE_ACTION)
@require_POST
def canary_alert_ack(request: AuthedRequest, alert_id: int) -> HttpResponse:
    try:
        alert = canary_alert_acknowledge(actor=request.user, alert_id=alert_id)
    except ApplicationError as exc:
        if exc.code == ErrorCode.NOT_FOUND:
            raise Http404 from None
        messages.error(request, error_message(exc))
        return redirect("web:admin_dead_zones")
    messages.success(
        request,
        _("Alert about %(name)s acknowledged. The audit page shows the inbox as dead until a probe arrives.")
        % {"name": alert.inbox.name},
    )
    return redirect("web:admin_dead_zones")


# ---------------------------------------------------------------- where an inbox is advertised


class AdvertForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Where"), choices=AdvertKind.choices)
    url = forms.URLField(label=gettext_lazy("URL"), required=False, max_length=500, assume_scheme="https")
    notes = forms.CharField(label=gettext_lazy("Notes"), required=False, max_length=500)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("url") and not data.get("notes"):
            raise forms.ValidationError(gettext_lazy("Give a URL or a note saying where it is advertised."))
        return data


class CanaryForm(forms.Form):
    canary_enabled = forms.BooleanField(label=gettext_lazy("Send canary probes"), required=False)
    canary_minutes = forms.IntegerField(
        label=gettext_lazy("Deadline (minutes)"),
        required=False,
        min_value=1,
        max_value=1440,
        help_text=gettext_lazy("How long a probe may take to become a ticket. Empty: 15 minutes."),
    )


@login_required
@require_action(MANAGE_ACTION)
@require_POST
def inbox_advert_add(request: AuthedRequest, inbox_id: int) -> HttpResponse:
    inbox = inbox_or_404(request, inbox_id)
    form = AdvertForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    else:
        try:
            advert_add(actor=request.user, inbox=inbox, **form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, error_message(exc))
        else:
            messages.success(request, _("Saved where %(name)s is advertised.") % {"name": inbox.name})
    return redirect(f"{_edit_url(inbox)}#adverts")


@login_required
@require_action(MANAGE_ACTION)
@require_POST
def inbox_advert_remove(request: AuthedRequest, inbox_id: int, advert_id: int) -> HttpResponse:
    inbox = inbox_or_404(request, inbox_id)
    try:
        advert_remove(actor=request.user, inbox=inbox, advert_id=advert_id)
    except ApplicationError as exc:
        if exc.code == ErrorCode.NOT_FOUND:
            raise Http404 from None
        messages.error(request, error_message(exc))
    else:
        messages.success(request, _("Removed."))
    return redirect(f"{_edit_url(inbox)}#adverts")


@login_required
@require_action(MANAGE_ACTION)
@require_POST
def inbox_canary_settings(request: AuthedRequest, inbox_id: int) -> HttpResponse:
    from tanggap.inboxes.canary import inbox_canary_update

    inbox = inbox_or_404(request, inbox_id)
    form = CanaryForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, str(error))
    else:
        inbox_canary_update(actor=request.user, inbox=inbox, **form.cleaned_data)
        messages.success(request, _("Canary settings of %(name)s saved.") % {"name": inbox.name})
    return redirect(f"{_edit_url(inbox)}#adverts")


def _edit_url(inbox: Inbox) -> str:
    from django.urls import reverse

    return reverse("web:admin_inbox_edit", args=[inbox.pk])


def adverts_context(inbox: Inbox) -> dict[str, Any]:
    """What the inbox settings page shows of the registry and the canary."""
    return {
        "adverts": list(inbox.adverts.all()),
        "advert_form": AdvertForm(),
        "canary_form": CanaryForm(
            initial={"canary_enabled": inbox.canary_enabled, "canary_minutes": inbox.canary_minutes}
        ),
        "dead_since": inbox.dead_since,
    }
