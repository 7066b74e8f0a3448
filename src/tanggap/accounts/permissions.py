"""Who may do what: one table of actions per role, checked by services and selectors."""

from __future__ import annotations

from typing import Any

from tanggap.accounts.models import Role
from tanggap.core.errors import PermissionDenied

ALL_ROLES = frozenset(Role)
STAFF = frozenset({Role.ADMIN, Role.SUPERVISOR, Role.AGENT})
LEADS = frozenset({Role.ADMIN, Role.SUPERVISOR})

# action -> roles allowed. Stable codes; the UI hides what a role may not do, services enforce it.
ACTIONS: dict[str, frozenset[Role]] = {
    "ticket.view": ALL_ROLES,
    "ticket.create": ALL_ROLES,
    "ticket.reply": ALL_ROLES,
    "ticket.note": ALL_ROLES,
    "ticket.update": ALL_ROLES,
    "ticket.transition": ALL_ROLES,
    "ticket.assign": STAFF,
    "ticket.bulk": STAFF,
    "ticket.merge": STAFF,
    "customer.view": ALL_ROLES,
    "customer.update": STAFF,
    "customer.merge": LEADS,
    "team.manage": frozenset({Role.ADMIN}),
    "agent.manage": frozenset({Role.ADMIN}),
    "webhook.manage": frozenset({Role.ADMIN}),
    "inbox.manage": frozenset({Role.ADMIN}),
    # Response-time dashboards: everyone sees their own figures; leads see every agent, team and inbox.
    "report.view": ALL_ROLES,
    "report.view_all": LEADS,
    # Business calendars, response-target policies and the off-hours roster: leads see, admins change
    # calendars and policies; leads plan rosters (a supervisor, those of the teams they belong to).
    "sla.view": LEADS,
    "sla.manage": frozenset({Role.ADMIN}),
    "roster.manage": LEADS,
    # Triggers (an event, conditions, actions): leads build, order, test and switch them off.
    "trigger.manage": LEADS,
    # Macros (canned replies with actions): everyone applies the ones they may see; leads write them.
    "macro.use": ALL_ROLES,
    "macro.manage": LEADS,
    # Presence and routing: everyone sets their own presence; leads set another agent's (one who left
    # without signing out), what agents can take (capacity, languages, skills) and how teams route.
    "presence.manage": LEADS,
    "availability.manage": LEADS,
    "routing.manage": LEADS,
    # Service recovery: leads set what is offered per failure type (a supervisor, for their own teams;
    # the workspace default, admins); staff record an offer on a ticket (it costs money: not trainees).
    "recovery.manage": LEADS,
    "recovery.offer": STAFF,
}


def can(user: Any, action: str) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return Role(user.role) in ACTIONS[action]


def require(user: Any, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied(action=action)


def can_for_team(user: Any, action: str, team_id: int) -> bool:
    """Whether ``user`` may do a team-scoped ``action`` for ``team_id``: an admin, for any team; a
    supervisor, for the teams they belong to."""
    if not can(user, action):
        return False
    if user.is_superuser or user.role == Role.ADMIN:
        return True
    return bool(user.teams.filter(pk=team_id).exists())
