"""Reading agents and teams."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from tanggap.accounts.models import ApiToken, Team, User
from tanggap.accounts.permissions import can
from tanggap.core.errors import NotFound


def agent_list(*, user: Any, active_only: bool = False) -> QuerySet[User]:
    if not can(user, "ticket.view"):
        return User.objects.none()
    qs = User.objects.prefetch_related("teams").order_by("display_name", "username")
    return qs.filter(is_active=True) if active_only else qs


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
