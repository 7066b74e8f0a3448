"""Admin pages for response targets: business calendars, policies (in the order they are tried) and
each team's off-hours roster. Leads (admins and supervisors) see them; admins change them, and a
supervisor plans the rosters of their own teams. Anyone else gets a 404, as if the pages did not
exist."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import WEEKDAYS_ABBR
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from tanggap.accounts.models import Team, User
from tanggap.accounts.permissions import can
from tanggap.accounts.selectors import agent_choices, team_choices
from tanggap.core.errors import ApplicationError, ErrorCode
from tanggap.sla import admin_services as services
from tanggap.sla import selectors
from tanggap.tickets.models import Channel, Priority
from tanggap.web.assist_labels import INTENT_LABELS, SENTIMENT_LABELS, percent
from tanggap.web.forms_sla import (
    CalendarForm,
    PolicyForm,
    ShiftForm,
    calendar_initial,
    format_minutes,
    policy_initial,
)
from tanggap.web.views.common import (
    AuthedRequest,
    error_message,
    not_found_as_404,
    parse_int,
    require_action,
)

VIEW = selectors.VIEW_ACTION
MANAGE = services.MANAGE_ACTION
ROSTER = services.ROSTER_ACTION

# The services' refusals, per field, as sentences about calendars, policies and shifts.
_ERRORS: dict[tuple[str, str], Any] = {
    (ErrorCode.CONFLICT, "name"): gettext_lazy("That name is already taken."),
    (ErrorCode.INVALID_INPUT, "name"): gettext_lazy("Choose a name of at most 100 characters."),
    (ErrorCode.INVALID_INPUT, "hours"): gettext_lazy("The weekly hours are not valid."),
    (ErrorCode.INVALID_INPUT, "time_zone"): gettext_lazy("That time zone does not exist."),
    (ErrorCode.INVALID_INPUT, "days_off"): gettext_lazy("The days off are not valid dates."),
    (ErrorCode.INVALID_INPUT, "supervisor"): gettext_lazy("The supervisor is not an active agent."),
    (ErrorCode.CONFLICT, "teams"): gettext_lazy("Teams use this calendar: give them another one first."),
    (ErrorCode.INVALID_INPUT, "targets"): gettext_lazy("Give at least one target."),
    (ErrorCode.INVALID_INPUT, "warn_percent"): gettext_lazy(
        "The warnings must come in order: 0 < assignee < supervisor < 100 percent."
    ),
    (ErrorCode.INVALID_INPUT, "breach_assignee"): gettext_lazy(
        "The agent to assign on breach must be active and in the team tickets move to."
    ),
    (ErrorCode.INVALID_INPUT, "agent"): gettext_lazy("The agent is not an active member of the team."),
    (ErrorCode.INVALID_INPUT, "ends_at"): gettext_lazy("A shift ends after it starts."),
    (ErrorCode.INVALID_INPUT, "min_anger"): gettext_lazy("Give the anger as a percentage from 0 to 100."),
}


def _message(exc: ApplicationError) -> str:
    key = (exc.code, str(exc.details.get("field", "")))
    return str(_ERRORS[key]) if key in _ERRORS else error_message(exc)


def hours_summary(hours: dict[str, list[str]]) -> list[str]:
    """Weekly hours in few words: ``["Mon–Fri 08:00-17:00", "Sat 08:00-12:00"]`` (days in a row with
    the same hours together; closed days left out)."""
    out: list[str] = []
    run: list[int] = []

    def flush() -> None:
        if run:
            days = str(WEEKDAYS_ABBR[run[0]])
            if len(run) > 1:
                days += "–" + str(WEEKDAYS_ABBR[run[-1]])
            out.append(f"{days} {', '.join(hours[str(run[0])])}")

    for day in range(7):
        intervals = hours.get(str(day))
        if run and intervals and intervals == hours.get(str(run[-1])):
            run.append(day)
            continue
        flush()
        run = [day] if intervals else []
    flush()
    return out


def _require_manage(request: HttpRequest, action: str = MANAGE) -> None:
    """A lead may see the page; only those who may change it may post to it."""
    if not can(request.user, action):
        raise PermissionDenied


# --- calendars ---------------------------------------------------------------------------------------


@login_required
@require_action(VIEW)
def calendars(request: AuthedRequest) -> HttpResponse:
    rows = [(row, hours_summary(row.hours or {})) for row in selectors.calendar_list(user=request.user)]
    return render(
        request, "web/admin/calendars.html", {"calendars": rows, "can_manage": can(request.user, MANAGE)}
    )


def _calendar_form(request: AuthedRequest, calendar: Any, *, read_only: bool = False) -> CalendarForm:
    links = selectors.team_calendar_links(user=request.user)
    teams = [
        (
            pk,
            name,
            links[pk].calendar.name
            if pk in links and links[pk].calendar_id != getattr(calendar, "pk", None)
            else "",
        )
        for pk, name in team_choices(user=request.user)
    ]
    initial: dict[str, Any] = {"public_holidays": True, "time_zone": "Asia/Jakarta"}
    if calendar is not None:
        own = [(link.team_id, link.supervisor_id) for link in calendar.teams.all()]
        initial = calendar_initial(calendar, own)
    else:
        initial.update({f"hours_{day}": "08:00-17:00" for day in range(5)})
    return CalendarForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        teams=teams,
        agents=agent_choices(user=request.user),
        read_only=read_only,
    )


def _calendar_arguments(data: dict[str, Any]) -> dict[str, Any]:
    teams = Team.objects.in_bulk([pk for pk, _sup in data["teams"]])
    supervisors = User.objects.in_bulk([sup for _pk, sup in data["teams"] if sup])
    return {
        "name": data["name"],
        "time_zone": data["time_zone"],
        "hours": data["hours"],
        "always_open": data["always_open"],
        "public_holidays": data["public_holidays"],
        "days_off": data["days_off"],
        "is_default": data["is_default"],
        "teams": [
            (teams[pk], supervisors.get(sup) if sup else None) for pk, sup in data["teams"] if pk in teams
        ],
    }


def _saved(
    request: AuthedRequest,
    form: forms.Form,
    save: Callable[[dict[str, Any]], Any],
    done: str,
    target: str,
) -> HttpResponse | None:
    """For a valid posted form: ``save(cleaned_data)`` through its service, then the flash ``done``
    (with the saved row's ``name``) and a redirect to ``target``. None to show the form again: not
    posted, not valid, or refused by the service (its message on the form)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        row = save(form.cleaned_data)
    except ApplicationError as exc:
        form.add_error(None, _message(exc))
        return None
    messages.success(request, done % {"name": row.name})
    return redirect(target)


def _holidays_context() -> dict[str, Any]:
    return {"holidays": selectors.public_holidays(start=timezone.localdate())}


@login_required
@require_action(MANAGE)
def calendar_new(request: AuthedRequest) -> HttpResponse:
    form = _calendar_form(request, None)
    saved = _saved(
        request,
        form,
        lambda data: services.calendar_create(actor=request.user, **_calendar_arguments(data)),
        _("Calendar %(name)s created."),
        "web:admin_calendars",
    )
    return saved or render(
        request,
        "web/admin/calendar_form.html",
        {"form": form, "calendar": None, "can_manage": True, **_holidays_context()},
    )


@login_required
@require_action(VIEW)
def calendar_edit(request: AuthedRequest, calendar_id: int) -> HttpResponse:
    with not_found_as_404():
        calendar = selectors.calendar_get(user=request.user, calendar_id=calendar_id)
    can_manage = can(request.user, MANAGE)
    if request.method == "POST":
        _require_manage(request)
    form = _calendar_form(request, calendar, read_only=not can_manage)
    saved = _saved(
        request,
        form,
        lambda data: services.calendar_update(
            actor=request.user, calendar=calendar, **_calendar_arguments(data)
        ),
        _("Calendar %(name)s saved."),
        "web:admin_calendars",
    )
    return saved or render(
        request,
        "web/admin/calendar_form.html",
        {"form": form, "calendar": calendar, "can_manage": can_manage, **_holidays_context()},
    )


@login_required
@require_action(MANAGE)
@require_POST
def calendar_delete(request: AuthedRequest, calendar_id: int) -> HttpResponse:
    with not_found_as_404():
        calendar = selectors.calendar_get(user=request.user, calendar_id=calendar_id)
    try:
        services.calendar_delete(actor=request.user, calendar=calendar)
    except ApplicationError as exc:
        messages.error(request, _message(exc))
        return redirect("web:admin_calendar", calendar.pk)
    messages.success(request, _("Calendar %(name)s deleted.") % {"name": calendar.name})
    return redirect("web:admin_calendars")


# --- policies ----------------------------------------------------------------------------------------


@login_required
@require_action(VIEW)
def policies(request: AuthedRequest) -> HttpResponse:
    inbox_names = dict(selectors.inbox_choices(user=request.user))
    rows = [_policy_row(row, inbox_names) for row in selectors.policy_list(user=request.user)]
    return render(
        request, "web/admin/policies.html", {"policies": rows, "can_manage": can(request.user, MANAGE)}
    )


def _policy_row(policy: Any, inbox_names: dict[int, str]) -> dict[str, Any]:
    """What the policy list shows of one policy, in words."""
    channels, priorities = dict(Channel.choices), dict(Priority.choices)
    conditions = [
        *(str(channels.get(c, c)) for c in policy.channels),
        *(str(priorities.get(int(p), p)) for p in policy.priorities),
        *(inbox_names.get(int(i), f"#{i}") for i in policy.inboxes),
        *(f"#{tag}" for tag in policy.tags),
        *(_("tier %(tier)s") % {"tier": tier} for tier in policy.tiers),
        *(str(INTENT_LABELS.get(i, i)) for i in policy.intents),
        *(
            _("sentiment %(sentiment)s") % {"sentiment": SENTIMENT_LABELS.get(s, s)}
            for s in policy.sentiments
        ),
    ]
    if policy.min_anger is not None:
        conditions.append(_("anger at least %(percent)s %%") % {"percent": percent(policy.min_anger)})
    targets = [
        (_("First response"), format_minutes(policy.first_response_minutes)),
        (_("Next response"), format_minutes(policy.next_response_minutes)),
        (_("Resolution"), format_minutes(policy.resolution_minutes)),
    ]
    actions = []
    if policy.breach_priority:
        actions.append(
            _("priority to %(priority)s") % {"priority": priorities.get(policy.breach_priority, "?")}
        )
    if policy.breach_team is not None:
        actions.append(_("move to %(team)s") % {"team": policy.breach_team.name})
    if policy.breach_assignee is not None:
        actions.append(_("assign to %(agent)s") % {"agent": policy.breach_assignee.label})
    return {
        "policy": policy,
        "conditions": conditions,
        "targets": [(label, value) for label, value in targets if value],
        "actions": actions,
    }


def _policy_arguments(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": data["name"],
        "channels": data["channels"],
        "priorities": data["priorities"],
        "inboxes": data["inboxes"],
        "tiers": data["tiers"],
        "tags": data["tags"],
        "intents": data["intents"],
        "sentiments": data["sentiments"],
        "min_anger": None if data["min_anger"] is None else data["min_anger"] / 100,
        "first_response_minutes": data["first_response"],
        "next_response_minutes": data["next_response"],
        "resolution_minutes": data["resolution"],
        "warn_percent": data["warn_percent"],
        "escalate_percent": data["escalate_percent"],
        "pause_on_hold": data["pause_on_hold"],
        "breach_priority": data["breach_priority"],
        "breach_team": data["breach_team"],
        "breach_assignee": data["breach_assignee"],
        "is_active": data["is_active"],
    }


@login_required
@require_action(MANAGE)
def policy_new(request: AuthedRequest) -> HttpResponse:
    form = PolicyForm(
        request.POST if request.method == "POST" else None, inboxes=selectors.inbox_choices(user=request.user)
    )
    saved = _saved(
        request,
        form,
        lambda data: services.policy_create(actor=request.user, **_policy_arguments(data)),
        _("Policy %(name)s created."),
        "web:admin_policies",
    )
    return saved or render(
        request, "web/admin/policy_form.html", {"form": form, "policy": None, "can_manage": True}
    )


@login_required
@require_action(VIEW)
def policy_edit(request: AuthedRequest, policy_id: int) -> HttpResponse:
    with not_found_as_404():
        policy = selectors.policy_get(user=request.user, policy_id=policy_id)
    can_manage = can(request.user, MANAGE)
    if request.method == "POST":
        _require_manage(request)
    form = PolicyForm(
        request.POST if request.method == "POST" else None,
        initial=policy_initial(policy),
        inboxes=selectors.inbox_choices(user=request.user),
        read_only=not can_manage,
    )
    saved = _saved(
        request,
        form,
        lambda data: services.policy_update(actor=request.user, policy=policy, **_policy_arguments(data)),
        _("Policy %(name)s saved."),
        "web:admin_policies",
    )
    return saved or render(
        request, "web/admin/policy_form.html", {"form": form, "policy": policy, "can_manage": can_manage}
    )


@login_required
@require_action(MANAGE)
@require_POST
def policy_move(request: AuthedRequest, policy_id: int) -> HttpResponse:
    with not_found_as_404():
        policy = selectors.policy_get(user=request.user, policy_id=policy_id)
    services.policy_move(actor=request.user, policy=policy, up=request.POST.get("direction") != "down")
    return redirect(reverse("web:admin_policies") + f"#policy-{policy.pk}")


@login_required
@require_action(MANAGE)
@require_POST
def policy_active(request: AuthedRequest, policy_id: int) -> HttpResponse:
    with not_found_as_404():
        policy = selectors.policy_get(user=request.user, policy_id=policy_id)
    active = request.POST.get("active") == "1"
    row = services.policy_set_active(actor=request.user, policy=policy, is_active=active)
    if active:
        messages.success(request, _("Policy %(name)s is active again.") % {"name": row.name})
    else:
        messages.success(request, _("Policy %(name)s deactivated.") % {"name": row.name})
    return redirect("web:admin_policies")


@login_required
@require_action(MANAGE)
@require_POST
def policy_defaults(request: AuthedRequest) -> HttpResponse:
    made = services.policies_create_defaults(actor=request.user)
    if made:
        messages.success(request, _("The default policies were created."))
    return redirect("web:admin_policies")


# --- the roster --------------------------------------------------------------------------------------


@login_required
@require_action(VIEW)
def roster(request: AuthedRequest) -> HttpResponse:
    teams = team_choices(user=request.user)
    team_id = parse_int(request.GET.get("team")) or (teams[0][0] if teams else None)
    if team_id is None:
        return render(request, "web/admin/roster.html", {"teams": teams, "roster": None})
    with not_found_as_404():
        plan = selectors.roster_get(user=request.user, team_id=team_id)
    return _render_roster(request, plan, ShiftForm(members=plan.members))


def _render_roster(request: AuthedRequest, plan: selectors.Roster, form: ShiftForm) -> HttpResponse:
    # Times on the page are the calendar's wall-clock times, as the shift form reads them.
    with timezone.override(plan.zone):
        return render(
            request,
            "web/admin/roster.html",
            {
                "teams": team_choices(user=request.user),
                "roster": plan,
                "form": form,
                "can_manage": plan.can_manage,
            },
        )


@login_required
@require_action(ROSTER)
@require_POST
def roster_shift_add(request: AuthedRequest, team_id: int) -> HttpResponse:
    with not_found_as_404():
        plan = selectors.roster_get(user=request.user, team_id=team_id)
    if not plan.can_manage:  # a supervisor, of a team they are not in
        raise PermissionDenied
    form = ShiftForm(request.POST, members=plan.members)
    # The times typed are wall-clock times in the calendar's zone.
    with timezone.override(plan.zone):
        valid = form.is_valid()
    if valid:
        data = form.cleaned_data
        try:
            services.roster_shift_add(
                actor=request.user,
                team=plan.team,
                agent=User.objects.get(pk=data["agent"]),
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                note=data["note"],
            )
        except ApplicationError as exc:
            form.add_error(None, _message(exc))
        else:
            messages.success(request, _("Shift added."))
            return redirect(reverse("web:admin_roster") + f"?team={plan.team.pk}")
    return _render_roster(request, plan, form)


@login_required
@require_action(ROSTER)
@require_POST
def roster_shift_remove(request: AuthedRequest, shift_id: int) -> HttpResponse:
    with not_found_as_404():
        shift = selectors.shift_get(user=request.user, shift_id=shift_id)
    if not selectors.roster_can_manage(request.user, shift.team_id):
        raise PermissionDenied
    services.roster_shift_remove(actor=request.user, shift=shift)
    messages.success(request, _("Shift removed."))
    return redirect(reverse("web:admin_roster") + f"?team={shift.team_id}")
