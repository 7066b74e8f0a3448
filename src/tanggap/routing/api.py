"""The routing API: an agent's presence (their own; leads set anyone's), what an agent can take
(capacity, languages, skills; leads change it) and how a team routes (leads of the team)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema

from tanggap.accounts.models import Availability, Team
from tanggap.accounts.presence import availability_of, availability_update, presence_set
from tanggap.accounts.selectors import agent_get, team_get
from tanggap.api.schemas import request_user
from tanggap.core.errors import PermissionDenied
from tanggap.routing.selectors import MANAGE_ACTION, routing_can_manage, team_routing
from tanggap.routing.services import MAX_REBALANCE_MINUTES, team_routing_update

router = Router(tags=["presence and routing"])

ObjectId = Annotated[int, Path(ge=1, le=2**63 - 1)]
PresenceName = Literal["online", "away", "offline"]
StrategyName = Literal["least_loaded", "round_robin"]


class PresenceOut(Schema):
    agent_id: int
    status: PresenceName
    idle: bool = Field(description="Away because idle (back online at the next request), not by hand.")
    status_changed_at: datetime | None
    last_activity_at: datetime | None
    capacity: dict[str, int] = Field(description='The most open tickets per channel, e.g. {"email": 10}.')
    languages: list[str]
    skills: list[str]


class PresenceIn(Schema):
    status: PresenceName


class AvailabilityPatchIn(Schema):
    status: PresenceName | None = None
    capacity: dict[str, int] | None = Field(None, description="Channels left out do not get tickets.")
    languages: list[Literal["id", "en"]] | None = Field(None, max_length=2)
    skills: list[Annotated[str, Field(max_length=64)]] | None = Field(None, max_length=30)


class TeamRoutingOut(Schema):
    team_id: int
    enabled: bool
    strategy: StrategyName
    sticky: bool
    rebalance_minutes: int | None
    lane_tiers: list[str]
    angry_first: bool = Field(description="Waiting tickets of angry customers go out first.")
    angry_threshold: float = Field(description="The customer's anger (0-1) from which they go first.")


class TeamRoutingPatchIn(Schema):
    enabled: bool | None = None
    strategy: StrategyName | None = None
    sticky: bool | None = None
    rebalance_minutes: int | None = Field(
        None, ge=0, le=MAX_REBALANCE_MINUTES, description="0 switches reassignment off."
    )
    lane_tiers: list[Annotated[str, Field(max_length=32)]] | None = Field(None, max_length=10)
    angry_first: bool | None = None
    angry_threshold: float | None = Field(None, gt=0, le=1)


def _presence_out(row: Availability) -> dict[str, Any]:
    return {
        "agent_id": row.user_id,
        "status": row.status,
        "idle": row.idle,
        "status_changed_at": row.status_changed_at,
        "last_activity_at": row.last_activity_at,
        "capacity": row.capacity or {},
        "languages": row.languages or [],
        "skills": row.skills or [],
    }


def _routing_out(team: Team) -> dict[str, Any]:
    row = team_routing(team.pk)
    return {
        "team_id": team.pk,
        "enabled": row.enabled,
        "strategy": row.strategy,
        "sticky": row.sticky,
        "rebalance_minutes": row.rebalance_minutes,
        "lane_tiers": row.lane_tiers or [],
        "angry_first": row.angry_first,
        "angry_threshold": row.angry_threshold,
    }


@router.get("/me/presence", response=PresenceOut, summary="The caller's presence")
def my_presence(request: HttpRequest) -> Any:
    return _presence_out(availability_of(request_user(request)))


@router.put("/me/presence", response=PresenceOut, summary="Set the caller's presence")
def set_my_presence(request: HttpRequest, payload: PresenceIn) -> Any:
    user = request_user(request)
    return _presence_out(presence_set(actor=user, status=payload.status))


@router.get(
    "/agents/{agent_id}/availability", response=PresenceOut, summary="An agent's presence and capacity"
)
def get_availability(request: HttpRequest, agent_id: ObjectId) -> Any:
    agent = agent_get(user=request_user(request), agent_id=agent_id)
    return _presence_out(availability_of(agent))


@router.patch(
    "/agents/{agent_id}/availability",
    response=PresenceOut,
    summary="Change an agent's presence or capacity (leads)",
)
def update_availability(request: HttpRequest, agent_id: ObjectId, payload: AvailabilityPatchIn) -> Any:
    user = request_user(request)
    agent = agent_get(user=user, agent_id=agent_id)
    if payload.capacity is not None or payload.languages is not None or payload.skills is not None:
        availability_update(
            actor=user,
            agent=agent,
            capacity=payload.capacity,
            languages=payload.languages,
            skills=payload.skills,
        )
    if payload.status is not None:
        presence_set(actor=user, agent=agent, status=payload.status)
    return _presence_out(availability_of(agent))


@router.get("/teams/{team_id}/routing", response=TeamRoutingOut, summary="How a team routes (its leads)")
def get_team_routing(request: HttpRequest, team_id: ObjectId) -> Any:
    user = request_user(request)
    team = team_get(user=user, team_id=team_id)
    if not routing_can_manage(user, team.pk):
        raise PermissionDenied(action=MANAGE_ACTION)
    return _routing_out(team)


@router.patch(
    "/teams/{team_id}/routing", response=TeamRoutingOut, summary="Change how a team routes (its leads)"
)
def update_team_routing(request: HttpRequest, team_id: ObjectId, payload: TeamRoutingPatchIn) -> Any:
    user = request_user(request)
    team = team_get(user=user, team_id=team_id)
    fields = payload.model_fields_set
    team_routing_update(
        actor=user,
        team=team,
        enabled=payload.enabled,
        strategy=payload.strategy,
        sticky=payload.sticky,
        rebalance_minutes=(payload.rebalance_minutes or None) if "rebalance_minutes" in fields else ...,
        lane_tiers=payload.lane_tiers,
        angry_first=payload.angry_first,
        angry_threshold=payload.angry_threshold,
    )
    return _routing_out(team)
