"""Reading agents and teams."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from tanggap.accounts.models import ApiToken, Team, User
from tanggap.accounts.permissions import can
from tanggap.core.errors import NotFound


def user_teams(user: Any) -> tuple[tuple[int, str], ...]:
    """The user's own teams as ``(id, name)``, by name: read once per user object, and a request's user
    object lives for one request (the services that change memberships forget it)."""
    cached: tuple[tuple[int, str], ...] | None = getattr(user, "_tanggap_teams", None)
    if cached is None:
        cached = tuple(user.teams.order_by("name").values_list("id", "name")) if user.pk else ()
        user._tanggap_teams = cached
    return cached


def user_team_ids(user: Any) -> list[int]:
    return [team_id for team_id, _name in user_teams(user)]


def forget_user_teams(*users: Any) -> None:
    for user in users:
        user.__dict__.pop("_tanggap_teams", None)


def team_choices(*, user: Any) -> tuple[tuple[int, str], ...]:
    """Every team as ``(id, name)`` for pickers and filters, read once per user object like ``user_teams``."""
    cached: tuple[tuple[int, str], ...] | None = getattr(user, "_tanggap_team_choices", None)
    if cached is None:
        cached = tuple(team_list(user=user).prefetch_related(None).values_list("id", "name"))
        user._tanggap_team_choices = cached
    return cached


def agent_list(*, user: Any, active_only: bool = False) -> QuerySet[User]:
    if not can(user, "ticket.view"):
        return User.objects.none()
    qs = User.objects.prefetch_related("teams").order_by("display_name", "username")
    return qs.filter(is_active=True) if active_only else qs


def agent_choices(*, user: Any, team_id: int | None = None) -> list[tuple[int, str]]:
    """Active agents as ``(id, label)`` for pickers, optionally only one team's members: plain values,
    since a picker on every queue and ticket page may list hundreds of agents."""
    qs = agent_list(user=user, active_only=True).prefetch_related(None)
    if team_id is not None:
        qs = qs.filter(teams=team_id)
    rows = qs.values_list("id", "display_name", "first_name", "last_name", "username")
    return [
        (pk, User.label_of(display, first, last, username)) for pk, display, first, last, username in rows
    ]


def agent_get(*, user: Any, agent_id: int) -> User:
    if not can(user, "ticket.view"):
        raise NotFound(object="agent")
    try:
        return User.objects.prefetch_related("teams").get(pk=agent_id)
    except (User.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(object="agent") from None


def team_list(*, user: Any) -> QuerySet[Team]:
    if not can(user, "ticket.view"):
        return Team.objects.none()
    return Team.objects.prefetch_related("members").order_by("name")


def team_get(*, user: Any, team_id: int) -> Team:
    if not can(user, "ticket.view"):
        raise NotFound(object="team")
    try:
        return Team.objects.prefetch_related("members").get(pk=team_id)
    except (Team.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(object="team") from None


def api_tokens_for(*, user: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user, revoked_at__isnull=True)
