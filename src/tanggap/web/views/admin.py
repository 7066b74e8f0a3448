"""Product admin pages: agents (roles, teams, active, password) and teams. Admins only; a 404 for
everyone else, as if the pages did not exist."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from tanggap.accounts.selectors import agent_get, agent_list, team_get, team_list
from tanggap.accounts.services import agent_create, agent_update, team_create, team_update
from tanggap.core.errors import ApplicationError
from tanggap.web.forms import AgentForm, TeamEditForm
from tanggap.web.views.common import AuthedRequest, flash_error, not_found_as_404, require_action


@login_required
@require_action("agent.manage")
def agents(request: AuthedRequest) -> HttpResponse:
    return render(request, "web/admin/agents.html", {"agents": list(agent_list(user=request.user))})


@login_required
@require_action("agent.manage")
def agent_new(request: AuthedRequest) -> HttpResponse:
    form = AgentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agent = agent_create(
                actor=request.user,
                username=data["username"],
                password=data["password"],
                email=data["email"],
                display_name=data["display_name"],
                role=data["role"],
                teams=list(data["teams"]),
            )
            if not data["is_active"]:
                agent_update(actor=request.user, agent=agent, is_active=False)
        except ApplicationError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("Agent %(name)s created.") % {"name": agent.label})
            return redirect("web:admin_agents")
    return render(request, "web/admin/agent_form.html", {"form": form, "agent": None})


@login_required
@require_action("agent.manage")
def agent_edit(request: AuthedRequest, agent_id: int) -> HttpResponse:
    with not_found_as_404():
        agent = agent_get(user=request.user, agent_id=agent_id)
    initial = {
        "username": agent.username,
        "display_name": agent.display_name,
        "email": agent.email,
        "role": agent.role,
        "teams": list(agent.teams.all()),
        "is_active": agent.is_active,
    }
    form = AgentForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            agent_update(
                actor=request.user,
                agent=agent,
                display_name=data["display_name"],
                email=data["email"],
                role=data["role"],
                teams=list(data["teams"]),
                is_active=data["is_active"],
                password=data["password"] or None,
            )
        except ApplicationError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("Agent %(name)s saved.") % {"name": agent.label})
            return redirect("web:admin_agents")
    return render(request, "web/admin/agent_form.html", {"form": form, "agent": agent})


@login_required
@require_action("team.manage")
def teams(request: AuthedRequest) -> HttpResponse:
    return render(request, "web/admin/teams.html", {"teams": list(team_list(user=request.user))})


@login_required
@require_action("team.manage")
def team_new(request: AuthedRequest) -> HttpResponse:
    form = TeamEditForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team = team_create(
                actor=request.user,
                name=data["name"],
                description=data["description"],
                members=list(data["members"]),
            )
        except ApplicationError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("Team %(name)s created.") % {"name": team.name})
            return redirect("web:admin_teams")
    return render(request, "web/admin/team_form.html", {"form": form, "team": None})


@login_required
@require_action("team.manage")
def team_edit(request: AuthedRequest, team_id: int) -> HttpResponse:
    with not_found_as_404():
        team = team_get(user=request.user, team_id=team_id)
    initial = {"name": team.name, "description": team.description, "members": list(team.members.all())}
    form = TeamEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team_update(
                actor=request.user,
                team=team,
                name=data["name"],
                description=data["description"],
                members=list(data["members"]),
            )
        except ApplicationError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("Team %(name)s saved.") % {"name": team.name})
            return redirect("web:admin_teams")
    return render(request, "web/admin/team_form.html", {"form": form, "team": team})
