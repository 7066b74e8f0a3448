"""The queue: filtered, sorted, paged lists of tickets, and bulk actions on a selection."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from tanggap.accounts.permissions import can
from tanggap.accounts.selectors import agent_choices, team_choices
from tanggap.sla.notices import warn_instants
from tanggap.tickets.models import Channel, Priority, Status
from tanggap.tickets.selectors import QueueFilter, ticket_list_for_queue, ticket_rows, ticket_visible_qs
from tanggap.tickets.services import ticket_bulk
from tanggap.web.assist_labels import INTENT_LABELS, SENTIMENT_LABELS
from tanggap.web.forms import BulkForm
from tanggap.web.templatetags.web_tags import ANGRY
from tanggap.web.views.common import (
    AuthedRequest,
    page_errors,
    page_number,
    paginate,
    parse_int,
    safe_back,
)

VIEWS = {
    "all": gettext_lazy("All tickets"),
    "mine": gettext_lazy("Mine"),
    "unassigned": gettext_lazy("Unassigned"),
}
SORTS = {
    "due": ("due_at", gettext_lazy("Due soonest")),
    "recent": ("-updated_at", gettext_lazy("Recent activity")),
    "oldest": ("updated_at", gettext_lazy("Oldest activity")),
    "created": ("-created_at", gettext_lazy("Newest created")),
    "priority": ("-priority", gettext_lazy("Priority")),
}
DEFAULT_SORT = "due"


def signal_choices() -> dict[str, list[tuple[str, str]]]:
    return {
        "sentiments": [(key, str(label)) for key, label in SENTIMENT_LABELS.items()],
        "intents": [(key, str(label)) for key, label in INTENT_LABELS.items()],
    }


STATUS_CHOICES = [("active", gettext_lazy("Active")), *Status.choices, ("any", gettext_lazy("Any status"))]


def queue_filter(request: AuthedRequest) -> QueueFilter:
    get = request.GET
    view = get.get("view", "all")
    status = get.get("status", "active")
    sort = get.get("sort", DEFAULT_SORT)
    priority = parse_int(get.get("priority"))
    channel = get.get("channel", "")
    sentiment = get.get("sentiment", "")
    intent = get.get("intent", "")
    return QueueFilter(
        view=view if view in VIEWS else "all",
        team_id=parse_int(get.get("team")),
        status=status if status in {"active", "any", *Status.values} else "active",
        priority=priority if priority in Priority.values else None,
        customer_id=parse_int(get.get("customer")),
        tag=get.get("tag", "").strip()[:64],
        channel=channel if channel in Channel.values else "",
        sort=SORTS.get(sort, SORTS[DEFAULT_SORT])[0],
        ticket_ids=ticket_ids(get.get("ids", "")),
        sentiment=sentiment if sentiment in SENTIMENT_LABELS else "",
        intent=intent if intent in INTENT_LABELS else "",
        min_anger=ANGRY if get.get("angry") == "1" else None,
    )


MAX_IDS = 500


def ticket_ids(text: str) -> tuple[int, ...]:
    """``ids=12,15,40``: at most ``MAX_IDS`` ticket numbers; anything else in the list is ignored."""
    numbers = (parse_int(part) for part in text.split(",")[:MAX_IDS] if part.strip())
    return tuple(sorted({n for n in numbers if n is not None and 0 < n < 2**63}))


@require_GET
@login_required
def queue(request: AuthedRequest) -> HttpResponse:
    filters = queue_filter(request)
    tickets = ticket_list_for_queue(user=request.user, filters=filters)
    page = paginate(tickets, page_number(request), rows=ticket_rows)
    can_bulk = can(request.user, "ticket.bulk")
    teams = team_choices(user=request.user)
    sort = request.GET.get("sort", DEFAULT_SORT)
    return render(
        request,
        "web/queue.html",
        {
            "page": page,
            "filters": filters,
            "view_label": VIEWS[filters.view],
            "views": VIEWS,
            "sorts": [(key, label) for key, (_order, label) in SORTS.items()],
            "sort": sort if sort in SORTS else DEFAULT_SORT,
            "warn_at": warn_instants([row.id for row in page.items]),
            "statuses": STATUS_CHOICES,
            **signal_choices(),
            "priorities": Priority.choices,
            "channels": Channel.choices,
            "teams": teams,
            "team_name": next((name for pk, name in teams if pk == filters.team_id), ""),
            "can_bulk": can_bulk,
            "agents": agent_choices(user=request.user) if can_bulk else [],
        },
    )


@require_POST
@login_required
@page_errors
def bulk(request: AuthedRequest) -> HttpResponse:
    form = BulkForm(request.POST)
    back = safe_back(request, "web:queue")
    if not form.is_valid() or not form.ticket_ids:
        messages.error(request, _("Choose tickets and an action."))
        return redirect(back)
    # Only tickets the user may see; any other number is simply not there.
    tickets = list(ticket_visible_qs(request.user).filter(pk__in=form.ticket_ids).order_by("pk"))
    action = form.cleaned_data["action"]
    if action == "close":
        result = ticket_bulk(actor=request.user, tickets=tickets, action="close")
    else:
        assignee = {"assign_me": request.user, "assign": form.cleaned_data["assignee"], "unassign": None}[
            action
        ]
        result = ticket_bulk(actor=request.user, tickets=tickets, action="assign", assignee=assignee)
    failed = len(result.failed) + len(form.ticket_ids) - len(tickets)
    done = len(result.done)
    if done:
        messages.success(
            request,
            ngettext("%(count)d ticket updated.", "%(count)d tickets updated.", done) % {"count": done},
        )
    if failed:
        messages.warning(
            request,
            ngettext(
                "%(count)d ticket could not be changed.", "%(count)d tickets could not be changed.", failed
            )
            % {"count": failed},
        )
    return redirect(back)
