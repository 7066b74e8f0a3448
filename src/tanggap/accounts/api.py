"""The accounts API: the caller, agents and teams. Reading is open to every agent; creating and
changing agents and teams is for admins (403 otherwise)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import AfterValidator

from tanggap.accounts import selectors, services
from tanggap.accounts.models import Team, User
from tanggap.api.pagination import offset_page
from tanggap.api.schemas import Id, Limit, Offset, Text, request_user
from tanggap.core.errors import InvalidInput

router = Router(tags=["agents and teams"])

ObjectId = Annotated[int, Path(ge=1, le=2**63 - 1)]
RoleName = Literal["admin", "supervisor", "agent", "trainee"]
LanguageCode = Literal["", "id", "en"]


def _email(value: str) -> str:
    if value:
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError("not an e-mail address") from None
    return value


Email = Annotated[str, Text(254, strip=True), AfterValidator(_email)]


class TeamRef(Schema):
    id: int
    name: str


class AgentOut(Schema):
    id: int
    username: str
    display_name: str
    name: str
    email: str
    role: str
    is_active: bool
    language: str
    teams: list[TeamRef]


class AgentPage(Schema):
    items: list[AgentOut]
    limit: int
    offset: int
    has_more: bool


class MemberRef(Schema):
    id: int
    username: str
    name: str


class TeamOut(Schema):
    id: int
    name: str
    slug: str
    description: str
    members: list[MemberRef]


class TeamPage(Schema):
    items: list[TeamOut]
    limit: int
    offset: int
    has_more: bool


class AgentCreateIn(Schema):
    username: Annotated[str, Text(150, min_length=1, strip=True)]
    password: Annotated[str, Text(128, min_length=1)]
    email: Email = ""
    display_name: Annotated[str, Text(150)] = ""
    role: RoleName = "agent"
    team_ids: list[Id] = Field(default_factory=list, max_length=50)
    language: LanguageCode = ""


class AgentPatchIn(Schema):
    display_name: Annotated[str, Text(150)] | None = None
    email: Email | None = None
    role: RoleName | None = None
    team_ids: list[Id] | None = Field(None, max_length=50)
    is_active: bool | None = None
    language: LanguageCode | None = None
    password: Annotated[str, Text(128, min_length=1)] | None = None


class TeamCreateIn(Schema):
    name: Annotated[str, Text(100, min_length=1, strip=True)]
    description: Annotated[str, Text(5000)] = ""
    member_ids: list[Id] = Field(default_factory=list, max_length=500)


class TeamPatchIn(Schema):
    name: Annotated[str, Text(100, min_length=1, strip=True)] | None = None
    description: Annotated[str, Text(5000)] | None = None
    member_ids: list[Id] | None = Field(None, max_length=500)


class AgentListParams(Schema):
    active_only: bool = False
    limit: Limit = 50
    offset: Offset = 0


class PageParams(Schema):
    limit: Limit = 50
    offset: Offset = 0


def agent_out(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": user.display_name,
        "name": user.label,
        "email": user.email,
        "role": user.role,
        "is_active": user.is_active,
        "language": user.language,
        "teams": [{"id": t.pk, "name": t.name} for t in user.teams.all()],
    }


def team_out(team: Team) -> dict[str, Any]:
    return {
        "id": team.pk,
        "name": team.name,
        "slug": team.slug,
        "description": team.description,
        "members": [{"id": m.pk, "username": m.username, "name": m.label} for m in team.members.all()],
    }


def _teams(user: Any, ids: Sequence[int] | None) -> list[Team] | None:
    if ids is None:
        return None
    found = list(selectors.team_list(user=user).filter(pk__in=set(ids)))
    missing = sorted(set(ids) - {t.pk for t in found})
    if missing:
        raise InvalidInput(_("No such team."), field="team_ids", ids=missing)
    return found


def _members(user: Any, ids: Sequence[int] | None) -> list[User] | None:
    if ids is None:
        return None
    found = list(selectors.agent_list(user=user).filter(pk__in=set(ids)))
    missing = sorted(set(ids) - {u.pk for u in found})
    if missing:
        raise InvalidInput(_("No such agent."), field="member_ids", ids=missing)
    return found


@router.get("/me", response=AgentOut, summary="The caller")
def me(request: HttpRequest) -> Any:
    user = request_user(request)
    return agent_out(selectors.agent_get(user=user, agent_id=user.pk))


@router.get("/agents", response=AgentPage, summary="List agents")
def list_agents(request: HttpRequest, params: Query[AgentListParams]) -> Any:
    qs = selectors.agent_list(user=request_user(request), active_only=params.active_only)
    page = offset_page(qs, limit=params.limit, offset=params.offset)
    return {**page.as_dict(), "items": [agent_out(u) for u in page.items]}


@router.post("/agents", response={201: AgentOut}, summary="Create an agent (admins)")
def create_agent(request: HttpRequest, payload: AgentCreateIn) -> Any:
    user = request_user(request)
    agent = services.agent_create(
        actor=user,
        username=payload.username,
        password=payload.password,
        email=payload.email,
        display_name=payload.display_name,
        role=payload.role,
        teams=_teams(user, payload.team_ids) or [],
        language=payload.language,
    )
    return Status(201, agent_out(selectors.agent_get(user=user, agent_id=agent.pk)))


@router.get("/agents/{agent_id}", response=AgentOut, summary="Get an agent")
def get_agent(request: HttpRequest, agent_id: ObjectId) -> Any:
    return agent_out(selectors.agent_get(user=request_user(request), agent_id=agent_id))


@router.patch("/agents/{agent_id}", response=AgentOut, summary="Change an agent (admins)")
def update_agent(request: HttpRequest, agent_id: ObjectId, payload: AgentPatchIn) -> Any:
    user = request_user(request)
    agent = selectors.agent_get(user=user, agent_id=agent_id)
    services.agent_update(
        actor=user,
        agent=agent,
        display_name=payload.display_name,
        email=payload.email,
        role=payload.role,
        teams=_teams(user, payload.team_ids),
        is_active=payload.is_active,
        language=payload.language,
        password=payload.password,
    )
    return agent_out(selectors.agent_get(user=user, agent_id=agent.pk))


@router.get("/teams", response=TeamPage, summary="List teams")
def list_teams(request: HttpRequest, params: Query[PageParams]) -> Any:
    page = offset_page(
        selectors.team_list(user=request_user(request)), limit=params.limit, offset=params.offset
    )
    return {**page.as_dict(), "items": [team_out(t) for t in page.items]}


@router.post("/teams", response={201: TeamOut}, summary="Create a team (admins)")
def create_team(request: HttpRequest, payload: TeamCreateIn) -> Any:
    user = request_user(request)
    team = services.team_create(
        actor=user,
        name=payload.name,
        description=payload.description,
        members=_members(user, payload.member_ids) or [],
    )
    return Status(201, team_out(selectors.team_get(user=user, team_id=team.pk)))


@router.get("/teams/{team_id}", response=TeamOut, summary="Get a team")
def get_team(request: HttpRequest, team_id: ObjectId) -> Any:
    return team_out(selectors.team_get(user=request_user(request), team_id=team_id))


@router.patch("/teams/{team_id}", response=TeamOut, summary="Change a team (admins)")
def update_team(request: HttpRequest, team_id: ObjectId, payload: TeamPatchIn) -> Any:
    user = request_user(request)
    team = selectors.team_get(user=user, team_id=team_id)
    services.team_update(
        actor=user,
        team=team,
        name=payload.name,
        description=payload.description,
        members=_members(user, payload.member_ids),
    )
    return team_out(selectors.team_get(user=user, team_id=team.pk))
