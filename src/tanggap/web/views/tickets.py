"""The ticket page and every action on it. Each action is a plain form POST that redirects back to the
ticket (so it works without JavaScript); htmx swaps in the parts of the page that changed."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from tanggap.accounts.permissions import can
from tanggap.accounts.selectors import agent_choices, agent_list, team_choices, team_list
from tanggap.assist.coaching import reply_check
from tanggap.assist.outcomes import coach_outcomes_record
from tanggap.assist.recovery import recovery_offer_record
from tanggap.core.blobs import default_store
from tanggap.core.errors import ApplicationError, NotFound
from tanggap.customers.services import customer_find_or_create
from tanggap.sla.notices import ticket_clocks
from tanggap.tickets import workflow
from tanggap.tickets.models import Attachment, DeliveryStatus, MessageKind, Priority, Status, Ticket
from tanggap.tickets.selectors import (
    ticket_get_for_agent,
    ticket_others_present,
    ticket_timeline,
    tickets_for_customer,
)
from tanggap.tickets.services import (
    note_add,
    reply_send,
    ticket_assign,
    ticket_create,
    ticket_merge,
    ticket_presence_leave,
    ticket_presence_ping,
    ticket_transition,
    ticket_update,
)
from tanggap.web.forms import (
    AssignForm,
    MergeForm,
    NewTicketForm,
    NoteForm,
    PriorityForm,
    ReplyForm,
    StatusForm,
    TagsForm,
    TeamForm,
)
from tanggap.web.views.common import AuthedRequest, flash_error, not_found_as_404

OTHER_TICKETS_SHOWN = 50


def get_ticket(request: AuthedRequest, ticket_id: int) -> Ticket:
    with not_found_as_404():
        return ticket_get_for_agent(user=request.user, ticket_id=ticket_id)


def _team_agents(request: AuthedRequest, ticket: Ticket) -> list[tuple[int, str]]:
    """Who can take the ticket: its team's active agents (everyone's when it has no team), and the
    current assignee even when they left the team."""
    found = agent_choices(user=request.user, team_id=ticket.team_id)
    if ticket.assignee is not None and all(pk != ticket.assignee_id for pk, _label in found):
        found.append((ticket.assignee.pk, ticket.assignee.label))
    return found


def _render_ticket(
    request: AuthedRequest,
    ticket: Ticket,
    *,
    reply_form: ReplyForm | None = None,
    note_form: NoteForm | None = None,
    tab: str = "reply",
) -> HttpResponse:
    others = list(
        tickets_for_customer(user=request.user, customer_id=ticket.customer_id, exclude_id=ticket.pk)[
            : OTHER_TICKETS_SHOWN + 1
        ]
    )
    tags = [t.name for t in ticket.tags.all()]
    allowed = workflow.allowed_targets(ticket.status)
    context = {
        "ticket": ticket,
        # With each reply's outgoing mail, for its delivery on the timeline (no query of its own).
        "timeline": list(
            ticket_timeline(user=request.user, ticket=ticket).select_related("outbound_mail", "signals")
        ),
        "customer": ticket.customer,
        "identities": list(ticket.customer.identities.all()),
        "other_tickets": others[:OTHER_TICKETS_SHOWN],
        "more_other_tickets": len(others) > OTHER_TICKETS_SHOWN,
        "status_choices": [(s.value, Status(s.value).label) for s in allowed],
        "priorities": Priority.choices,
        "agents": _team_agents(request, ticket),
        "teams": team_choices(user=request.user),
        "tags_text": ", ".join(tags),
        "tags": tags,
        "reply_form": reply_form or ReplyForm(initial={"status": Status.PENDING}),
        "note_form": note_form or NoteForm(),
        "tab": tab,
        "closed": ticket.status == Status.CLOSED,
        "can_assign": can(request.user, "ticket.assign"),
        "can_merge": can(request.user, "ticket.merge") and not ticket.merged_into_id,
        "kinds": MessageKind,
        "clocks": ticket_clocks(ticket_id=ticket.pk),
    }
    return render(request, "web/ticket.html", context)


def ticket_action(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A POST on one ticket: 404 when the user may not see it, an application error becomes a flash
    message and the ticket page again (never a 500)."""

    @wraps(view)
    def wrapper(request: AuthedRequest, ticket_id: int) -> HttpResponse:
        # Access first, method second: any request for a ticket the user may not see is a 404.
        ticket = get_ticket(request, ticket_id)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            return view(request, ticket)
        except ApplicationError as exc:
            flash_error(request, exc)
            return redirect("web:ticket", ticket.pk)

    return login_required(wrapper)


@login_required
def ticket_page(request: AuthedRequest, ticket_id: int) -> HttpResponse:
    ticket = get_ticket(request, ticket_id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return _render_ticket(request, ticket, tab=request.GET.get("tab", "reply"))


@ticket_action
def ticket_reply(request: AuthedRequest, ticket: Ticket) -> HttpResponse:
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a reply first."))
        return _render_ticket(request, ticket, reply_form=form)
    # The coach's findings on the text as sent, read before the reply answers the customer's
    # messages; only when the coach was on the page (its situation field rides with the form).
    coached = "coach_situation" in request.POST
    review = (
        reply_check(
            user=request.user,
            ticket=ticket,
            draft=form.cleaned_data["text"],
            situation=request.POST.get("coach_situation", "auto"),
        )
        if coached
        else None
    )
    try:
        reply = reply_send(
            actor=request.user,
            ticket=ticket,
            text=form.cleaned_data["text"],
            status_after=form.cleaned_data["status"],
        )
    except ApplicationError as exc:
        flash_error(request, exc)
        return _render_ticket(request, get_ticket(request, ticket.pk), reply_form=form)
    if review is not None:
        coach_outcomes_record(
            actor=request.user,
            message=reply,
            findings=review.findings,
            situation=review.situation,
            used=request.POST.getlist("coach_used"),
            set_aside=request.POST.getlist("coach_dismissed"),
        )
    policy_id = request.POST.get("recovery_policy", "")
    if policy_id.isdigit() and len(policy_id) < 12:
        # The agent took the coach's apology with the team's recovery offer: the offer is on the record.
        try:
            recovery_offer_record(actor=request.user, ticket=ticket, policy_id=int(policy_id))
        except ApplicationError as exc:
            flash_error(request, exc)
    if reply.delivery_status == DeliveryStatus.FAILED:
        messages.warning(request, _("The reply is saved, but it could not be sent: see why on the reply."))
    else:
        messages.success(request, _("Reply sent."))
    return redirect("web:ticket", ticket.pk)


@ticket_action
def ticket_note(request: AuthedRequest, ticket: Ticket) -> HttpResponse:
    form = NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a note first."))
        return _render_ticket(request, ticket, note_form=form, tab="note")
    try:
        note_add(actor=request.user, ticket=ticket, text=form.cleaned_data["text"])
    except ApplicationError as exc:
        flash_error(request, exc)
        return _render_ticket(request, ticket, note_form=form, tab="note")
    messages.success(request, _("Note added."))
    return redirect(reverse("web:ticket", args=[ticket.pk]) + "?tab=note")


@ticket_action
def ticket_status(request: AuthedRequest, ticket: Ticket) -> HttpResponse:
    form = StatusForm(request.POST)
    if form.is_valid():
        ticket_transition(actor=request.user, ticket=ticket, status=form.cleaned_data["status"])
    else:
        messages.error(request, _("That status does not exist."))
    return redirect("web:ticket", ticket.pk)


@ticket_action
def ticket_priority(request: AuthedRequest, ticket: Ticket) -> HttpResponse:
    form = PriorityForm(request.POST)
    if form.is_valid():
        ticket_update(actor=request.user, ticket=ticket, priority=form.cleaned_data["priority"])
    else:
        messages.error(request, _("That priority does not exist."))
    return redirect("web:ticket", ticket.pk)


@ticket_action
def ticket_assignee(request: AuthedRequest, ticket: Ticket) -> HttpResponse:
    if request.POST.get("assignee") == "me":
        assignee = request.user
    else:
        form = AssignForm(request.POST, agents=agent_list(user=request.user, active_only=True))
        if not form.is_valid():
            messages.error(request, _("That agent does not exist or is not active."))
            return redirect("web:ticket", ticket.pk)
        assignee = form.cleaned_data["assignee"]
    ticket_assign(actor=request.user, ticket=ticket, assignee=assignee)
    return redirect("web:ticket", ticket.pk)


@ticket_action
def ticket_team(request: AuthedRequest, ticket: Ticket) -> HttpResponse:
    form = TeamForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That team does not exist."))
        return redirect("web:ticket", ticket.pk)
    ticket = ticket_assign(
        actor=request.user, ticket=ticket, assignee=ticket.assignee, team=form.cleaned_data["team"]
    )
    try:
        get_ticket(request, ticket.pk)
    except Http404:
        # Moved to a team the user is not in: the ticket is gone from their view.
        messages.success(request, _("Ticket #%(number)d moved to another team.") % {"number": ticket.pk})
        return redirect("web:queue")
    return redirect("web:ticket", ticket.pk)


@ticket_action
def ticket_tags(request: AuthedRequest, ticket: Ticket) -> HttpResponse:
    form = TagsForm(request.POST)
    if form.is_valid():
        ticket_update(actor=request.user, ticket=ticket, tags=form.cleaned_data["tags"])
    else:
        messages.error(request, _("Those tags are too long."))
    return redirect("web:ticket", ticket.pk)


@ticket_action
def ticket_merge_into(request: AuthedRequest, ticket: Ticket) -> HttpResponse:
    form = MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a ticket number."))
        return redirect("web:ticket", ticket.pk)
    try:
        target = ticket_get_for_agent(user=request.user, ticket_id=form.cleaned_data["target"])
    except NotFound:
        messages.error(request, _("There is no ticket with that number."))
        return redirect("web:ticket", ticket.pk)
    ticket_merge(actor=request.user, source=ticket, target=target)
    messages.success(request, _("Ticket #%(source)d was merged into this one.") % {"source": ticket.pk})
    return redirect("web:ticket", target.pk)


@ticket_action
def ticket_presence(request: AuthedRequest, ticket: Ticket) -> HttpResponse:
    replying = request.POST.get("replying", "") in {"1", "true", "on"}
    ticket_presence_ping(actor=request.user, ticket=ticket, replying=replying)
    others = ticket_others_present(user=request.user, ticket=ticket)
    return render(request, "web/partials/presence.html", {"others": others, "ticket": ticket})


@ticket_action
def ticket_leave(request: AuthedRequest, ticket: Ticket) -> HttpResponse:
    ticket_presence_leave(actor=request.user, ticket=ticket)
    return HttpResponse(status=204)


@login_required
def ticket_attachment(request: AuthedRequest, ticket_id: int, attachment_id: int) -> HttpResponseBase:
    ticket = get_ticket(request, ticket_id)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    attachment = Attachment.objects.filter(pk=attachment_id, message__ticket=ticket).first()
    if attachment is None:
        raise Http404
    try:
        data = default_store().get(attachment.sha256)
    except (OSError, ValueError):
        raise Http404 from None
    # Always a download, never rendered in our origin: the bytes came from a customer.
    return download_response(data, attachment.filename)


def download_response(data: bytes, filename: str) -> FileResponse:
    """Bytes a customer sent, as a download the browser never renders or sniffs."""
    response = FileResponse(
        io.BytesIO(data), as_attachment=True, filename=filename, content_type="application/octet-stream"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def ticket_new(request: AuthedRequest) -> HttpResponse:
    teams = team_list(user=request.user).prefetch_related(None)
    if not request.user.is_admin:
        teams = teams.filter(members=request.user)
    form = NewTicketForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        kind, value = form.identity()
        try:
            customer, _created = customer_find_or_create(
                kind=kind, value=value, name=form.cleaned_data["name"]
            )
            ticket = ticket_create(
                actor=request.user,
                customer=customer,
                subject=form.cleaned_data["subject"],
                text=form.cleaned_data["text"],
                channel=form.cleaned_data["channel"],
                team=form.cleaned_data["team"],
                priority=form.cleaned_data["priority"],
            )
        except ApplicationError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("Ticket #%(number)d created.") % {"number": ticket.pk})
            return redirect("web:ticket", ticket.pk)
    return render(request, "web/ticket_new.html", {"form": form})
