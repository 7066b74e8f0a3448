"""The triggers API (leads only; 403 for others): list, create, change, delete, reorder, and a dry
run of a trigger on a ticket that writes nothing."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Router, Schema, Status

from tanggap.accounts.permissions import require
from tanggap.api.schemas import Text, request_user
from tanggap.automations import selectors, triggers
from tanggap.automations.models import Trigger

router = Router(tags=["triggers"])

ObjectId = Annotated[int, Path(ge=1, le=2**63 - 1)]
EventName = Literal[
    "ticket_created", "message_received", "ticket_updated", "status_changed", "assigned", "message_classified"
]
Rules = Annotated[list[dict[str, Any]], Field(max_length=20)]

_RULES_HELP = (
    'Conditions (all must hold): `{"field", "op", "value"}`; fields channel, priority, status, team, '
    "assignee, tags, language, subject, message, tier, automatic, sentiment, emotion, anger (a share 0-1), "
    "intent (docs/triggers.md). Actions, in order: "
    '`{"type": ...}`; assign (agent, team), add_tag, remove_tag (value), set_priority (value 1-4), '
    "set_status (value), send_mail (subject, body), notify (agents, assignee, text), webhook (endpoint)."
)


class TriggerOut(Schema):
    id: int
    name: str
    event: str
    conditions: list[dict[str, Any]]
    actions: list[dict[str, Any]]
    position: int
    is_active: bool
    fire_count: int
    last_fired_at: datetime | None
    created_at: datetime
    updated_at: datetime


class TriggerList(Schema):
    items: list[TriggerOut]


class TriggerIn(Schema):
    name: Annotated[str, Text(100, min_length=1, strip=True)]
    event: EventName
    conditions: Rules = Field(default_factory=list, description=_RULES_HELP)
    actions: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=10)]
    is_active: bool = True


class TriggerPatchIn(Schema):
    name: Annotated[str, Text(100, min_length=1, strip=True)] | None = None
    event: EventName | None = None
    conditions: Rules | None = None
    actions: Annotated[list[dict[str, Any]], Field(min_length=1, max_length=10)] | None = None
    is_active: bool | None = None


class ReorderIn(Schema):
    ids: Annotated[list[Annotated[int, Field(ge=1, le=2**63 - 1)]], Field(max_length=200)] = Field(
        description="Every trigger's id, once each, in the order they should be tried."
    )


class TestIn(Schema):
    ticket: Annotated[int, Field(ge=1, le=2**63 - 1)] = Field(description="The ticket's number.")


class ConditionResult(Schema):
    field: str
    op: str
    value: Any = None
    holds: bool


class StepOut(Schema):
    type: str
    changes: bool = Field(description="False when the action would change nothing on this ticket.")
    detail: dict[str, Any]


class TestOut(Schema):
    trigger: int
    ticket: int
    matches: bool = Field(description="Every condition holds: the trigger would fire.")
    conditions: list[ConditionResult]
    actions: list[StepOut]


def trigger_out(trigger: Trigger) -> dict[str, Any]:
    return {
        "id": trigger.pk,
        "name": trigger.name,
        "event": trigger.event,
        "conditions": list(trigger.conditions),
        "actions": list(trigger.actions),
        "position": trigger.position,
        "is_active": trigger.is_active,
        "fire_count": trigger.fire_count,
        "last_fired_at": trigger.last_fired_at,
        "created_at": trigger.created_at,
        "updated_at": trigger.updated_at,
    }


def _lead(request: HttpRequest) -> Any:
    user = request_user(request)
    require(user, triggers.MANAGE_ACTION)  # 403 for agents (the pages answer 404)
    return user


def _get(request: HttpRequest, trigger_id: int) -> Trigger:
    return selectors.trigger_get(user=_lead(request), trigger_id=trigger_id)


@router.get("/triggers", response=TriggerList, summary="List triggers in the order they are tried")
def list_triggers(request: HttpRequest) -> Any:
    return {"items": [trigger_out(t) for t in selectors.trigger_list(user=_lead(request))]}


@router.post("/triggers", response={201: TriggerOut}, summary="Create a trigger (tried after the others)")
def create_trigger(request: HttpRequest, payload: TriggerIn) -> Any:
    trigger = triggers.trigger_create(
        actor=_lead(request),
        name=payload.name,
        event=payload.event,
        conditions=payload.conditions,
        actions=payload.actions,
        is_active=payload.is_active,
    )
    return Status(201, trigger_out(trigger))


@router.post("/triggers/reorder", response=TriggerList, summary="Put every trigger in a new order")
def reorder_triggers(request: HttpRequest, payload: ReorderIn) -> Any:
    ordered = triggers.triggers_reorder(actor=_lead(request), trigger_ids=payload.ids)
    return {"items": [trigger_out(t) for t in ordered]}


@router.get("/triggers/{trigger_id}", response=TriggerOut, summary="Get a trigger")
def get_trigger(request: HttpRequest, trigger_id: ObjectId) -> Any:
    return trigger_out(_get(request, trigger_id))


@router.patch("/triggers/{trigger_id}", response=TriggerOut, summary="Change a trigger or switch it off")
def update_trigger(request: HttpRequest, trigger_id: ObjectId, payload: TriggerPatchIn) -> Any:
    trigger = triggers.trigger_update(
        actor=request_user(request),
        trigger=_get(request, trigger_id),
        name=payload.name,
        event=payload.event,
        conditions=payload.conditions,
        actions=payload.actions,
        is_active=payload.is_active,
    )
    return trigger_out(trigger)


@router.delete("/triggers/{trigger_id}", response={204: None}, summary="Delete a trigger")
def delete_trigger(request: HttpRequest, trigger_id: ObjectId) -> Any:
    triggers.trigger_delete(actor=request_user(request), trigger=_get(request, trigger_id))
    return Status(204, None)


@router.post("/triggers/{trigger_id}/test", response=TestOut, summary="Dry run: what a trigger would do")
def test_trigger(request: HttpRequest, trigger_id: ObjectId, payload: TestIn) -> Any:
    """Which conditions hold on the ticket now and what each action would do. Nothing is written."""
    user = _lead(request)
    trigger = selectors.trigger_get(user=user, trigger_id=trigger_id)
    ticket = selectors.trigger_ticket(user=user, number=payload.ticket)
    run = triggers.trigger_dry_run(actor=user, trigger=trigger, ticket=ticket)
    return {
        "trigger": trigger.pk,
        "ticket": ticket.pk,
        "matches": run.matches,
        "conditions": [
            {"field": c["field"], "op": c["op"], "value": c.get("value"), "holds": holds}
            for c, holds in run.conditions
        ],
        "actions": [{"type": s.type, "changes": s.changes, "detail": s.detail} for s in run.steps],
    }
