"""The macros API: every agent lists and applies the macros they may use; leads (admins and
supervisors) create, change, reorder and delete them (403 for others)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status

from tanggap.accounts.permissions import can
from tanggap.accounts.selectors import team_get
from tanggap.api.pagination import offset_page
from tanggap.api.schemas import Limit, Offset, Ref, Text, request_user
from tanggap.core.errors import InvalidInput, NotFound
from tanggap.macros import selectors, services
from tanggap.macros.models import MAX_BODY, MAX_NAME, MAX_TAGS, Macro
from tanggap.tickets.selectors import ticket_get_for_agent

router = Router(tags=["macros"])

ObjectId = Annotated[int, Path(ge=1, le=2**63 - 1)]
MacroStatus = Literal["", "open", "pending", "on_hold", "solved"]
Language = Literal["id", "en"]
TagName = Annotated[str, Text(64, min_length=1, strip=True)]


class MacroOut(Schema):
    id: int
    name: str
    team: Ref | None
    body_id: str
    body_en: str
    set_status: str = Field(description='"" when the macro leaves the status alone.')
    set_priority: int | None
    add_tags: list[str]
    remove_tags: list[str]
    assign_to_self: bool = Field(description="Assign the ticket to the agent applying the macro.")
    is_active: bool
    position: int
    usage_count: int
    last_used_at: datetime | None
    created_at: datetime
    updated_at: datetime


class MacroPage(Schema):
    items: list[MacroOut]
    limit: int
    offset: int
    has_more: bool


class MacroIn(Schema):
    name: Annotated[str, Text(MAX_NAME, min_length=1, strip=True)]
    team_id: int | None = Field(None, ge=1, le=2**63 - 1, description="None: every agent's macro.")
    body_id: Annotated[str, Text(MAX_BODY)] = ""
    body_en: Annotated[str, Text(MAX_BODY)] = ""
    set_status: MacroStatus = ""
    set_priority: int | None = Field(None, ge=1, le=4)
    add_tags: list[TagName] = Field(default_factory=list, max_length=MAX_TAGS)
    remove_tags: list[TagName] = Field(default_factory=list, max_length=MAX_TAGS)
    assign_to_self: bool = False
    is_active: bool = True


class MacroPatchIn(Schema):
    name: Annotated[str, Text(MAX_NAME, min_length=1, strip=True)] | None = None
    team_id: int | None = Field(None, ge=1, le=2**63 - 1)
    body_id: Annotated[str, Text(MAX_BODY)] | None = None
    body_en: Annotated[str, Text(MAX_BODY)] | None = None
    set_status: MacroStatus | None = None
    set_priority: int | None = Field(None, ge=1, le=4)
    add_tags: list[TagName] | None = Field(None, max_length=MAX_TAGS)
    remove_tags: list[TagName] | None = Field(None, max_length=MAX_TAGS)
    assign_to_self: bool | None = None
    is_active: bool | None = None
    position: Literal["up", "down"] | None = Field(None, description="Move one place up or down.")


class ListParams(Schema):
    q: Annotated[str, Text(100)] = Field("", description="Only macros whose name contains this.")
    all: bool = Field(False, description="Leads: every macro, inactive ones too.")
    limit: Limit = 50
    offset: Offset = 0


class ApplyParams(Schema):
    language: Language | None = Field(
        None, description="The variant to use; default the ticket's language (else its inbox's)."
    )


class ApplyOut(Schema):
    ticket_id: int
    macro_id: int
    language: str
    text: str = Field(description="The rendered text, for the agent to edit and send as a reply.")
    changes: dict[str, Any] = Field(
        description="What the actions changed: status/priority as {from, to}, tags_added, tags_removed, "
        "assignee_id and assignee."
    )


def macro_out(macro: Macro) -> dict[str, Any]:
    return {
        "id": macro.pk,
        "name": macro.name,
        "team": {"id": macro.team.pk, "name": macro.team.name} if macro.team else None,
        "body_id": macro.body_id,
        "body_en": macro.body_en,
        "set_status": macro.set_status,
        "set_priority": macro.set_priority,
        "add_tags": list(macro.add_tags),
        "remove_tags": list(macro.remove_tags),
        "assign_to_self": macro.assign_to_self,
        "is_active": macro.is_active,
        "position": macro.position,
        "usage_count": macro.usage_count,
        "last_used_at": macro.last_used_at,
        "created_at": macro.created_at,
        "updated_at": macro.updated_at,
    }


def _team(user: Any, team_id: int | None) -> Any:
    if team_id is None:
        return None
    try:
        return team_get(user=user, team_id=team_id)
    except NotFound:
        raise InvalidInput(field="team_id") from None


@router.get("/macros", response=MacroPage, summary="List the macros you may use")
def list_macros(request: HttpRequest, params: Query[ListParams]) -> Any:
    """Active macros that are everyone's or your team's, in their order. Leads may ask for `all`,
    inactive ones included."""
    user = request_user(request)
    if params.all:
        qs = selectors.macro_list(user=user)
        if params.q:
            qs = qs.filter(name__icontains=" ".join(params.q.split()))
    else:
        qs = selectors.macros_for_agent(user=user, search=params.q)
    page = offset_page(qs, limit=params.limit, offset=params.offset)
    return {**page.as_dict(), "items": [macro_out(m) for m in page.items]}


@router.post("/macros", response={201: MacroOut}, summary="Create a macro (leads)")
def create_macro(request: HttpRequest, payload: MacroIn) -> Any:
    """Variables: `{{ customer.first_name }}`, `{{ customer.name }}`, `{{ ticket.number }}`,
    `{{ ticket.subject }}`, `{{ agent.first_name }}`, `{{ agent.name }}`; any other is refused (422)."""
    user = request_user(request)
    macro = services.macro_create(
        actor=user,
        name=payload.name,
        team=_team(user, payload.team_id),
        body_id=payload.body_id,
        body_en=payload.body_en,
        set_status=payload.set_status,
        set_priority=payload.set_priority,
        add_tags=payload.add_tags,
        remove_tags=payload.remove_tags,
        assign_to_self=payload.assign_to_self,
        is_active=payload.is_active,
    )
    return Status(201, macro_out(macro))


@router.get("/macros/{macro_id}", response=MacroOut, summary="Get a macro")
def get_macro(request: HttpRequest, macro_id: ObjectId) -> Any:
    user = request_user(request)
    if can(user, selectors.MANAGE_ACTION):
        return macro_out(selectors.macro_get(user=user, macro_id=macro_id))
    return macro_out(selectors.macro_get_for_agent(user=user, macro_id=macro_id))


@router.patch("/macros/{macro_id}", response=MacroOut, summary="Change a macro (leads)")
def update_macro(request: HttpRequest, macro_id: ObjectId, payload: MacroPatchIn) -> Any:
    user = request_user(request)
    macro = selectors.macro_get(user=user, macro_id=macro_id)
    sent = payload.model_fields_set
    macro = services.macro_update(
        actor=user,
        macro=macro,
        name=payload.name,
        team=_team(user, payload.team_id) if "team_id" in sent else services.UNSET,
        body_id=payload.body_id,
        body_en=payload.body_en,
        set_status=payload.set_status,
        set_priority=payload.set_priority if "set_priority" in sent else services.UNSET,
        add_tags=payload.add_tags,
        remove_tags=payload.remove_tags,
        assign_to_self=payload.assign_to_self,
        is_active=payload.is_active,
    )
    if payload.position is not None:
        macro = services.macro_move(actor=user, macro=macro, up=payload.position == "up")
    return macro_out(selectors.macro_get(user=user, macro_id=macro.pk))


@router.delete("/macros/{macro_id}", response={204: None}, summary="Delete a macro (leads)")
def delete_macro(request: HttpRequest, macro_id: ObjectId) -> Any:
    user = request_user(request)
    services.macro_delete(actor=user, macro=selectors.macro_get(user=user, macro_id=macro_id))
    return Status(204, None)


@router.post(
    "/tickets/{ticket_id}/macros/{macro_id}/apply",
    response=ApplyOut,
    summary="Apply a macro to a ticket",
)
def apply_macro(
    request: HttpRequest, ticket_id: ObjectId, macro_id: ObjectId, params: Query[ApplyParams]
) -> Any:
    """Runs the macro's actions on the ticket (409 when its status change is not allowed), writes a
    `macro_applied` event on the timeline and returns the rendered text. Nothing is sent: post the
    (edited) text as a reply to send it. 404 for a ticket or macro you may not see."""
    user = request_user(request)
    ticket = ticket_get_for_agent(user=user, ticket_id=ticket_id)
    macro = selectors.macro_get_for_agent(user=user, macro_id=macro_id)
    applied = services.macro_apply(actor=user, ticket=ticket, macro=macro, language=params.language)
    return {
        "ticket_id": applied.ticket.pk,
        "macro_id": macro.pk,
        "language": applied.language,
        "text": applied.text,
        "changes": applied.changes,
    }
