"""The tickets API: list, create, read, change, answer, note, merge, bulk actions; and the inbound
endpoint through which integrations deliver customer messages (``message_receive``).

Operations are thin: validate, resolve referenced objects through selectors, call one service,
render. A ticket the caller may not see is 404 on every operation.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Literal

from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import field_validator, model_validator

from tanggap.accounts.selectors import agent_get, team_get
from tanggap.api.pagination import keyset_page, offset_page
from tanggap.api.schemas import Id, Limit, Offset, Ref, Text, Timestamp, request_user
from tanggap.core.errors import InvalidInput, NotFound
from tanggap.customers.selectors import customer_get_for_agent
from tanggap.tickets import selectors, services
from tanggap.tickets.inbound import MAX_SUBJECT, MAX_TEXT, InboundAttachment, InboundMessage, Sender
from tanggap.tickets.models import Message, Ticket

router = Router(tags=["tickets"])
inbound_router = Router(tags=["inbound"])

TicketId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The ticket number.")]

StatusName = Literal["new", "open", "pending", "on_hold", "solved", "closed"]
ChannelName = Literal["email", "web", "chat", "phone", "sms", "whatsapp", "social", "api"]
PriorityValue = Annotated[int, Field(ge=1, le=4, description="1 low, 2 normal, 3 high, 4 urgent.")]
TagName = Annotated[str, Text(64, min_length=1, strip=True)]
MAX_HTML = 4 * MAX_TEXT


# ---------------------------------------------------------------- output


class AgentRef(Schema):
    id: int
    username: str
    name: str


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int
    sha256: str


class TicketOut(Schema):
    id: int
    number: int
    subject: str
    status: str
    priority: int
    channel: str
    language: str
    customer: Ref
    team: Ref | None
    assignee: AgentRef | None
    tags: list[str]
    message_count: int
    created_at: datetime
    updated_at: datetime
    last_customer_message_at: datetime | None
    last_agent_reply_at: datetime | None
    first_response_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None
    merged_into_id: int | None
    follow_up_of_id: int | None


class TicketPage(Schema):
    items: list[TicketOut]
    limit: int
    offset: int
    has_more: bool
    next_cursor: str | None = Field(None, description="Pass as `cursor` to get the next page.")


class MessageOut(Schema):
    id: int
    ticket_id: int
    kind: str
    author: AgentRef | None
    customer_id: int | None
    channel: str
    body_text: str = Field(description="The whole text, quoted history included.")
    visible_text: str = Field(
        description="The sender's own reply: `body_text` without the quoted history and signature "
        "found after it when the message arrived (the whole text when none was found)."
    )
    body_html: str
    event_code: str
    event_data: dict[str, Any]
    delivery_status: str
    attachments: list[AttachmentOut]
    created_at: datetime


class MessagePage(Schema):
    items: list[MessageOut]
    limit: int
    offset: int
    has_more: bool


def _agent_ref(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "username": user.username, "name": user.label}


def ticket_out(ticket: Ticket) -> dict[str, Any]:
    # Tags come from the queue's prefetch when there is one; otherwise one query.
    tags = sorted(tag.name for tag in ticket.tags.all())
    return {
        "id": ticket.pk,
        "number": ticket.pk,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "language": ticket.language,
        "customer": {"id": ticket.customer.pk, "name": str(ticket.customer)},
        "team": {"id": ticket.team.pk, "name": ticket.team.name} if ticket.team else None,
        "assignee": _agent_ref(ticket.assignee),
        "tags": tags,
        "message_count": ticket.message_count,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "last_customer_message_at": ticket.last_customer_message_at,
        "last_agent_reply_at": ticket.last_agent_reply_at,
        "first_response_at": ticket.first_response_at,
        "solved_at": ticket.solved_at,
        "closed_at": ticket.closed_at,
        "merged_into_id": ticket.merged_into_id,
        "follow_up_of_id": ticket.follow_up_of_id,
    }


def message_out(message: Message) -> dict[str, Any]:
    return {
        "id": message.pk,
        "ticket_id": message.ticket_id,
        "kind": message.kind,
        "author": _agent_ref(message.author),
        "customer_id": message.customer_id,
        "channel": message.channel,
        "body_text": message.body_text,
        "visible_text": message.visible_text,
        "body_html": message.body_html,
        "event_code": message.event_code,
        "event_data": message.event_data,
        "delivery_status": message.delivery_status,
        "attachments": [
            {
                "id": a.pk,
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": a.sha256,
            }
            for a in message.attachments.all()
        ],
        "created_at": message.created_at,
    }


# ---------------------------------------------------------------- input


class TicketListParams(Schema):
    view: Literal["all", "mine", "unassigned"] = "all"
    status: StatusName | Literal["active", "any"] = Field(
        "active", description="A status, `active` (not solved or closed) or `any`."
    )
    team: Id | None = None
    assignee: Id | None = None
    priority: PriorityValue | None = None
    customer: Id | None = None
    tag: TagName | None = None
    channel: ChannelName | None = None
    sort: Literal[
        "-updated_at", "updated_at", "-created_at", "created_at", "-priority", "priority", "due_at"
    ] = Field(
        "-updated_at",
        description="`due_at`: the earliest response target running out first (overdue at the top), "
        "tickets without a running clock last, as the workspace's queue sorts.",
    )
    limit: Limit = 25
    offset: Offset = 0
    cursor: Annotated[str, Text(512)] | None = Field(None, description="`next_cursor` of the previous page.")


class TicketCreateIn(Schema):
    customer_id: Id
    subject: Annotated[str, Text(MAX_SUBJECT)] = ""
    text: Annotated[str, Text(MAX_TEXT, min_length=1)]
    html: Annotated[str, Text(MAX_HTML)] = ""
    channel: ChannelName = "phone"
    team_id: Id | None = None
    priority: PriorityValue = 2
    assignee_id: Id | None = None
    tags: list[TagName] = Field(default_factory=list, max_length=30)
    as_reply: bool = Field(False, description="The first message is the agent's (an outbound conversation).")


class TicketPatchIn(Schema):
    """Only the fields sent are changed. ``assignee_id`` or ``team_id`` null clears them."""

    subject: Annotated[str, Text(MAX_SUBJECT)] | None = None
    priority: PriorityValue | None = None
    tags: list[TagName] | None = Field(None, max_length=30)
    status: StatusName | None = None
    assignee_id: Id | None = None
    team_id: Id | None = None


class ReplyIn(Schema):
    text: Annotated[str, Text(MAX_TEXT, min_length=1)]
    html: Annotated[str, Text(MAX_HTML)] = ""
    status_after: StatusName | None = Field(
        None, description="Default: pending when the ticket was new or open."
    )


class NoteIn(Schema):
    text: Annotated[str, Text(MAX_TEXT, min_length=1)]


class MergeIn(Schema):
    target_id: Id = Field(description="The ticket this one is merged into.")


class BulkIn(Schema):
    ids: list[Id] = Field(min_length=1, max_length=100)
    action: Literal["assign", "close", "status"]
    assignee_id: Id | None = Field(None, description="For `assign`; null unassigns.")
    status: StatusName | None = Field(None, description="For `status`.")

    @model_validator(mode="after")
    def _status_needed(self) -> BulkIn:
        if self.action == "status" and not self.status:
            raise ValueError("the status action needs a status")
        return self


class BulkFailure(Schema):
    id: int
    code: str


class BulkOut(Schema):
    done: list[int]
    failed: list[BulkFailure]


# ---------------------------------------------------------------- helpers


def _team(user: Any, team_id: int | None) -> Any:
    if team_id is None:
        return None
    try:
        return team_get(user=user, team_id=team_id)
    except NotFound:
        raise InvalidInput(_("No such team."), field="team_id") from None


def _agent(user: Any, agent_id: int | None, field: str = "assignee_id") -> Any:
    if agent_id is None:
        return None
    try:
        return agent_get(user=user, agent_id=agent_id)
    except NotFound:
        raise InvalidInput(_("No such agent."), field=field) from None


# ---------------------------------------------------------------- operations


@router.get("/tickets", response=TicketPage, summary="List tickets")
def list_tickets(request: HttpRequest, params: Query[TicketListParams]) -> Any:
    """The queue, filtered and sorted. Page with `limit`/`offset`, or with `cursor` for deep pages.
    There is no total count; `has_more` says whether another page exists."""
    user = request_user(request)
    filters = selectors.QueueFilter(
        view=params.view,
        team_id=params.team,
        status=params.status,
        priority=params.priority,
        assignee_id=params.assignee,
        customer_id=params.customer,
        tag=params.tag or "",
        channel=params.channel or "",
        sort=params.sort,
    )
    qs = selectors.ticket_list_for_queue(user=user, filters=filters)
    page = keyset_page(qs, limit=params.limit, offset=params.offset, cursor=params.cursor)
    return {**page.as_dict(), "items": [ticket_out(t) for t in page.items]}


@router.post("/tickets", response={201: TicketOut}, summary="Create a ticket")
def create_ticket(request: HttpRequest, payload: TicketCreateIn) -> Any:
    user = request_user(request)
    try:
        customer = customer_get_for_agent(user=user, customer_id=payload.customer_id)
    except NotFound:
        raise InvalidInput(_("No such customer."), field="customer_id") from None
    ticket = services.ticket_create(
        actor=user,
        customer=customer,
        subject=payload.subject,
        text=payload.text,
        html=payload.html,
        channel=payload.channel,
        team=_team(user, payload.team_id),
        priority=payload.priority,
        assignee=_agent(user, payload.assignee_id),
        tags=payload.tags,
        as_reply=payload.as_reply,
    )
    return Status(201, ticket_out(ticket))


@router.post("/tickets/bulk", response=BulkOut, summary="Apply one action to many tickets")
def bulk_tickets(request: HttpRequest, payload: BulkIn) -> Any:
    """All tickets must exist and be visible to the caller (else 404 and nothing changes); each
    ticket is then changed on its own, and refusals are listed in `failed` with their code."""
    user = request_user(request)
    ids = list(dict.fromkeys(payload.ids))
    tickets = {t.pk: t for t in selectors.ticket_visible_qs(user).filter(pk__in=ids)}
    missing = [pk for pk in ids if pk not in tickets]
    if missing:
        raise NotFound(object="ticket", ids=missing)
    result = services.ticket_bulk(
        actor=user,
        tickets=[tickets[pk] for pk in ids],
        action=payload.action,
        assignee=_agent(user, payload.assignee_id),
        status=payload.status or "",
    )
    return {"done": result.done, "failed": [{"id": pk, "code": code} for pk, code in result.failed.items()]}


@router.get("/tickets/{ticket_id}", response=TicketOut, summary="Get a ticket")
def get_ticket(request: HttpRequest, ticket_id: TicketId) -> Any:
    return ticket_out(selectors.ticket_get_for_agent(user=request_user(request), ticket_id=ticket_id))


@router.patch("/tickets/{ticket_id}", response=TicketOut, summary="Change a ticket")
def update_ticket(request: HttpRequest, ticket_id: TicketId, payload: TicketPatchIn) -> Any:
    """Subject, priority and tags change through `ticket_update`, the status through the workflow
    (`ticket_transition`, 409 when the move is not allowed), assignee and team through
    `ticket_assign`. All or nothing."""
    user = request_user(request)
    sent = payload.model_fields_set
    ticket = selectors.ticket_get_for_agent(user=user, ticket_id=ticket_id)
    with transaction.atomic():
        if sent & {"subject", "priority", "tags"}:
            ticket = services.ticket_update(
                actor=user,
                ticket=ticket,
                subject=payload.subject,
                priority=payload.priority,
                tags=payload.tags,
            )
        if sent & {"assignee_id", "team_id"}:
            assignee = _agent(user, payload.assignee_id) if "assignee_id" in sent else ticket.assignee
            team = _team(user, payload.team_id) if "team_id" in sent else services.UNSET
            ticket = services.ticket_assign(actor=user, ticket=ticket, assignee=assignee, team=team)
        if "status" in sent and payload.status is not None:
            ticket = services.ticket_transition(actor=user, ticket=ticket, status=payload.status)
    return ticket_out(ticket)


@router.get("/tickets/{ticket_id}/messages", response=MessagePage, summary="A ticket's timeline")
def list_messages(request: HttpRequest, ticket_id: TicketId, limit: Limit = 50, offset: Offset = 0) -> Any:
    """Customer messages, replies, internal notes and system events, oldest first."""
    user = request_user(request)
    ticket = selectors.ticket_get_for_agent(user=user, ticket_id=ticket_id)
    page = offset_page(selectors.ticket_timeline(user=user, ticket=ticket), limit=limit, offset=offset)
    return {**page.as_dict(), "items": [message_out(m) for m in page.items]}


@router.post("/tickets/{ticket_id}/replies", response={201: MessageOut}, summary="Answer the customer")
def send_reply(request: HttpRequest, ticket_id: TicketId, payload: ReplyIn) -> Any:
    user = request_user(request)
    ticket = selectors.ticket_get_for_agent(user=user, ticket_id=ticket_id)
    message = services.reply_send(
        actor=user, ticket=ticket, text=payload.text, html=payload.html, status_after=payload.status_after
    )
    return Status(201, message_out(message))


@router.post("/tickets/{ticket_id}/notes", response={201: MessageOut}, summary="Add an internal note")
def add_note(request: HttpRequest, ticket_id: TicketId, payload: NoteIn) -> Any:
    user = request_user(request)
    ticket = selectors.ticket_get_for_agent(user=user, ticket_id=ticket_id)
    return Status(201, message_out(services.note_add(actor=user, ticket=ticket, text=payload.text)))


@router.post("/tickets/{ticket_id}/merge", response=TicketOut, summary="Merge into another ticket")
def merge_ticket(request: HttpRequest, ticket_id: TicketId, payload: MergeIn) -> Any:
    """Moves this ticket's messages to `target_id` and closes this one. Returns the target."""
    user = request_user(request)
    source = selectors.ticket_get_for_agent(user=user, ticket_id=ticket_id)
    target = selectors.ticket_get_for_agent(user=user, ticket_id=payload.target_id)
    target = services.ticket_merge(actor=user, source=source, target=target)
    return ticket_out(selectors.ticket_get_for_agent(user=user, ticket_id=target.pk))


# ---------------------------------------------------------------- inbound messages


class SenderIn(Schema):
    kind: Literal["email", "phone", "handle"]
    value: Annotated[str, Text(320, min_length=1, strip=True)] = Field(
        description="An e-mail address, a phone number (E.164 or Indonesian) or `network:handle`."
    )
    name: Annotated[str, Text(200)] = ""


class AttachmentIn(Schema):
    filename: Annotated[str, Text(255, min_length=1)]
    content_type: Annotated[str, Text(255)] = "application/octet-stream"
    data_base64: Annotated[str, Text(8 * 1024 * 1024, min_length=1)]

    @field_validator("data_base64")
    @classmethod
    def _base64(cls, value: str) -> str:
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("not valid base64") from None
        return value


class InboundIn(Schema):
    channel: ChannelName = "api"
    sender: SenderIn
    subject: Annotated[str, Text(MAX_SUBJECT)] = ""
    text: Annotated[str, Text(MAX_TEXT)] = ""
    html: Annotated[str, Text(MAX_HTML)] = ""
    idempotency_key: Annotated[str, Text(255, min_length=1)] | None = Field(
        None, description="The channel's stable id of the message; sending it again stores it once."
    )
    ticket_id: Id | None = Field(None, description="Thread to this ticket (a closed one gets a follow-up).")
    external_id: Annotated[str, Text(998)] = ""
    language: Literal["", "id", "en"] = ""
    received_at: Timestamp | None = None
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=10)


class InboundOut(Schema):
    ticket_id: int
    message_id: int
    ticket_created: bool
    duplicate: bool


@inbound_router.post(
    "/messages", response={200: InboundOut, 201: InboundOut}, summary="Deliver a customer message"
)
def receive_message(request: HttpRequest, payload: InboundIn) -> Any:
    """For integrations (chat, SMS, forms): the message goes through the same path as e-mail. 201
    when stored, 200 when `idempotency_key` was seen before (nothing stored twice)."""
    user = request_user(request)
    if payload.ticket_id is not None:
        selectors.ticket_get_for_agent(user=user, ticket_id=payload.ticket_id)
    inbound = InboundMessage(
        channel=payload.channel,
        sender=Sender(kind=payload.sender.kind, value=payload.sender.value, name=payload.sender.name),
        text=payload.text,
        idempotency_key=payload.idempotency_key,
        subject=payload.subject,
        html=payload.html,
        received_at=payload.received_at,
        ticket_id=payload.ticket_id,
        external_id=payload.external_id,
        language=payload.language,
        attachments=tuple(
            InboundAttachment(
                filename=a.filename, content_type=a.content_type, data=base64.b64decode(a.data_base64)
            )
            for a in payload.attachments
        ),
    )
    result = services.message_receive(inbound=inbound)
    body = {
        "ticket_id": result.ticket.pk,
        "message_id": result.message.pk,
        "ticket_created": result.ticket_created,
        "duplicate": result.duplicate,
    }
    return Status(200 if result.duplicate else 201, body)
