"""Routing pages for leads: each team's routing settings with its agents' presence and open work
(the board), and what each agent can take. A supervisor sees and changes their own teams; anyone
else gets a 404, as if the pages did not exist."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from tanggap.accounts.models import CAPACITY_CHANNELS, Team, User
from tanggap.accounts.permissions import can
from tanggap.accounts.presence import availability_of, availability_update, presence_set
from tanggap.core.errors import ApplicationError
from tanggap.routing.selectors import routing_can_manage, team_board, team_routing
from tanggap.routing.services import team_routing_update
from tanggap.web.forms_routing import AvailabilityForm, TeamRoutingForm
from tanggap.web.views.common import AuthedRequest, error_message, flash_error


def _team(request: AuthedRequest, team_id: int) -> Team:
    team = Team.objects.filter(pk=team_id).first()
    if team is None or not routing_can_manage(request.user, team.pk):
        raise Http404
    return team


@login_required
def routing_teams(request: AuthedRequest) -> HttpResponse:
    if not can(request.user, "routing.manage"):
        raise Http404
    teams = [t for t in Team.objects.order_by("name") if routing_can_manage(request.user, t.pk)]
    settings = {t.pk: team_routing(t.pk) for t in teams}
    rows = [(team, settings[team.pk]) for team in teams]
    return render(request, "web/admin/routing_teams.html", {"rows": rows})


@login_required
def routing_team(request: AuthedRequest, team_id: int) -> HttpResponse:
    team = _team(request, team_id)
    current = team_routing(team.pk)
    if request.method == "POST":
        form = TeamRoutingForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            threshold = data["angry_threshold"]  # a percentage, stored as a share
            try:
                team_routing_update(
                    actor=request.user,
                    team=team,
                    enabled=data["enabled"],
                    strategy=data["strategy"],
                    sticky=data["sticky"],
                    rebalance_minutes=data["rebalance_minutes"],
                    lane_tiers=data["lane_tiers"],
                    angry_first=data["angry_first"],
                    angry_threshold=None if threshold is None else threshold / 100,
                )
            except ApplicationError as exc:
                form.add_error(None, error_message(exc))
            else:
                messages.success(request, _("Routing of %(name)s saved.") % {"name": team.name})
                return redirect("web:routing_team", team_id=team.pk)
    else:
        form = TeamRoutingForm(
            initial={
                "enabled": current.enabled,
                "strategy": current.strategy,
                "sticky": current.sticky,
                "rebalance_minutes": current.rebalance_minutes,
                "lane_tiers": ", ".join(current.lane_tiers),
                "angry_first": current.angry_first,
                "angry_threshold": round(current.angry_threshold * 100),
            }
        )
    board = team_board(user=request.user, team_id=team.pk)
    return render(
        request,
        "web/admin/routing_team.html",
        {"team": team, "form": form, "board": board, "routing": current},
    )


def _agent_in_team(request: AuthedRequest, team: Team, agent_id: int) -> User:
    agent = User.objects.filter(pk=agent_id, teams=team, is_active=True).first()
    if agent is None:
        raise Http404
    return agent


@login_required
def routing_agent(request: AuthedRequest, team_id: int, agent_id: int) -> HttpResponse:
    team = _team(request, team_id)
    agent = _agent_in_team(request, team, agent_id)
    row = availability_of(agent)
    if request.method == "POST":
        form = AvailabilityForm(request.POST)
        if form.is_valid():
            try:
                availability_update(
                    actor=request.user,
                    agent=agent,
                    capacity=form.capacity(),
                    languages=form.cleaned_data["languages"],
                    skills=form.cleaned_data["skills"],
                )
            except ApplicationError as exc:
                form.add_error(None, error_message(exc))
            else:
                messages.success(request, _("What %(name)s can take was saved.") % {"name": agent.label})
                return redirect("web:routing_team", team_id=team.pk)
    else:
        initial = {f"capacity_{c}": (row.capacity or {}).get(c, 0) for c in CAPACITY_CHANNELS}
        initial.update(languages=row.languages, skills=", ".join(row.skills))
        form = AvailabilityForm(initial=initial)
    return render(request, "web/admin/routing_agent.html", {"team": team, "agent": agent, "form": form})


@login_required
@require_POST
def routing_agent_presence(request: AuthedRequest, team_id: int, agent_id: int) -> HttpResponse:
    """A lead sets another agent's presence (one who left without signing out)."""
    team = _team(request, team_id)
    agent = _agent_in_team(request, team, agent_id)
    try:
        presence_set(actor=request.user, agent=agent, status=request.POST.get("status", ""))
    except ApplicationError as exc:
        flash_error(request, exc)
    return redirect("web:routing_team", team_id=team.pk)
