"""Triggers run on ticket events.

Each ticket event (after commit) is a *cause*. The active triggers for its event are
tried in position order, each on the ticket as the earlier ones left it; a trigger whose conditions
all hold runs its actions through the ticket services as Tanggap itself (actor None), and the firing
is written to the timeline (``trigger_fired``), with any action that failed. The events those
actions publish do not start a new round: while a cause is being worked on a ticket, events about
that ticket from Tanggap itself join the cause (so an "updated" trigger still sees a tag another
trigger added), each trigger fires at most once per ticket per cause, and ``MAX_FIRINGS`` stops a
runaway chain with a logged warning and a timeline note.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tanggap.accounts.models import Team, User
from tanggap.automations import rules
from tanggap.automations.models import Trigger, TriggerEvent, TriggerNotice
from tanggap.core import events
from tanggap.core.audit import audit_record
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput
from tanggap.inboxes.outbound import mail_send_automatic
from tanggap.tickets.models import Message, MessageKind, Ticket
from tanggap.tickets.selectors import ticket_visible_qs
from tanggap.tickets.services import ticket_assign, ticket_event_add, ticket_transition, ticket_update
from tanggap.tickets.timeline import UNSET
from tanggap.webhooks.models import WebhookSubscription
from tanggap.webhooks.selectors import event_data
from tanggap.webhooks.services import webhook_deliver

logger = logging.getLogger(__name__)

MAX_FIRINGS = 20  # per cause: a chain longer than this is a loop someone built by accident
WEBHOOK_EVENT = "trigger.fired"

# core event name -> the trigger event it starts
EVENT_OF: dict[str, str] = {
    events.TICKET_CREATED: TriggerEvent.TICKET_CREATED,
    events.MESSAGE_RECEIVED: TriggerEvent.MESSAGE_RECEIVED,
    events.TICKET_UPDATED: TriggerEvent.TICKET_UPDATED,
    events.TICKET_STATUS_CHANGED: TriggerEvent.STATUS_CHANGED,
    events.TICKET_ASSIGNED: TriggerEvent.ASSIGNED,
    events.MESSAGE_CLASSIFIED: TriggerEvent.MESSAGE_CLASSIFIED,
}


# ---------------------------------------------------------------- facts


def _event_message(ticket: Ticket, payload: Mapping[str, Any]) -> Message | None:
    message_id = payload.get("message_id")
    if message_id is not None:
        found = Message.objects.filter(pk=message_id, ticket_id=ticket.pk).first()
        if found is not None:
            return found
    return (
        Message.objects.filter(ticket_id=ticket.pk, kind=MessageKind.CUSTOMER)
        .order_by("-created_at", "-id")
        .first()
    )


def ticket_facts(ticket: Ticket, payload: Mapping[str, Any] | None = None) -> rules.Facts:
    """The ticket as a trigger sees it: its fields, tags, the customer's tier, what assist read (the
    ticket's columns) and the event's message (else the customer's latest)."""
    message = _event_message(ticket, payload or {})
    return rules.Facts(
        channel=ticket.channel,
        priority=int(ticket.priority),
        status=ticket.status,
        team_id=ticket.team_id,
        assignee_id=ticket.assignee_id,
        tags=frozenset(ticket.tags.values_list("name", flat=True)),
        language=ticket.language or "",
        subject=ticket.subject,
        message=message.body_text if message is not None else "",
        tier=ticket.customer.tier or "",
        automatic=bool(message is not None and message.automatic),
        number=ticket.pk,
        customer_name=ticket.customer.name or "",
        sentiment=ticket.sentiment,
        emotion=ticket.emotion,
        anger=ticket.anger,
        intents=frozenset(intent for intent in ticket.intents.split(",") if intent),
    )


# ---------------------------------------------------------------- evaluation


@dataclass(slots=True)
class _Cause:
    ticket_id: int
    origin: str
    budget: rules.Budget
    queue: deque[tuple[str, dict[str, Any]]] = field(default_factory=deque)
    changed: bool = False  # a firing changed the ticket since the queue was last worked
    stopped: bool = False
    waiting: bool = False  # for the events of its actions, delivered after the current callback


_local = threading.local()


def _causes() -> dict[int, _Cause]:
    causes: dict[int, _Cause] | None = getattr(_local, "causes", None)
    if causes is None:
        causes = _local.causes = {}
    return causes


def on_ticket_event(name: str, payload: dict[str, Any]) -> None:
    """The ``core.events`` subscriber (registered in ``apps.py``)."""
    if name not in EVENT_OF:
        return
    try:
        ticket_id = int(payload["ticket_id"])
    except (KeyError, TypeError, ValueError):
        return
    causes = _causes()
    current = causes.get(ticket_id)
    if current is not None and current.waiting and not transaction.get_connection().in_atomic_block:
        # It waited for a transaction that has ended without running its callbacks (rolled back).
        current = None
    if current is not None and payload.get("actor_id") is None:
        # Tanggap's own change to a ticket whose cause is being worked (a trigger's action, or
        # what another subscriber did in reaction to it): part of the same cause, not a new round.
        current.queue.append((name, payload))
        return
    cause = _Cause(ticket_id=ticket_id, origin=name, budget=rules.Budget(cap=MAX_FIRINGS))
    cause.queue.append((name, payload))
    causes[ticket_id] = cause
    _drain(cause, current)


def _drain(cause: _Cause, outer: _Cause | None) -> None:
    try:
        while cause.queue and not cause.stopped:
            name, payload = cause.queue.popleft()
            _run_event(cause, name, payload)
    except Exception:
        logger.exception("triggers failed on ticket %s", cause.ticket_id)
        cause.stopped = True
    if cause.stopped:
        cause.queue.clear()  # what the chain would have done next
    if cause.changed and transaction.get_connection().in_atomic_block:
        # Dispatched inside a transaction (a test's, or a caller's): the events our actions
        # published are delivered after this callback, so keep the cause open until they are.
        cause.changed, cause.waiting = False, True
        transaction.on_commit(lambda: _drain(cause, outer))
        return
    cause.waiting = False
    causes = _causes()
    if causes.get(cause.ticket_id) is cause:
        if outer is None:
            causes.pop(cause.ticket_id, None)
        else:
            causes[cause.ticket_id] = outer


def _new_message_on_existing_ticket(ticket: Ticket, payload: Mapping[str, Any]) -> bool:
    """``message.received`` counts as "the customer writes again" only when the ticket was there
    before the message (its first message is the ``ticket_created`` event's)."""
    message_id = payload.get("message_id")
    if message_id is None:
        return False
    return (
        Message.objects.filter(ticket_id=ticket.pk, pk__lt=message_id)
        .exclude(kind=MessageKind.EVENT)
        .exists()
    )


def _run_event(cause: _Cause, name: str, payload: dict[str, Any]) -> None:
    event = EVENT_OF[name]
    candidates = list(Trigger.objects.filter(is_active=True, event=event).order_by("position", "id"))
    if not candidates:
        return
    ticket = Ticket.objects.select_related("customer").filter(pk=cause.ticket_id).first()
    if ticket is None or ticket.merged_into_id:
        return
    if event == TriggerEvent.MESSAGE_RECEIVED and not _new_message_on_existing_ticket(ticket, payload):
        return
    facts: rules.Facts | None = None
    for trigger in candidates:
        if not cause.budget.may_fire(trigger.pk, ticket.pk):
            continue
        if facts is None:  # read again after each firing: later triggers see what earlier ones did
            ticket.refresh_from_db()
            facts = ticket_facts(ticket, payload)
        if not rules.matches(trigger.conditions, facts):
            continue
        steps, _after = rules.plan(trigger.actions, facts)
        if not any(step.changes for step in steps):
            continue  # nothing to do: no firing, no timeline noise
        if not cause.budget.spend(trigger.pk, ticket.pk):
            _stop(cause, trigger, ticket)
            return
        _fire(trigger, ticket, name, payload, facts)
        cause.changed = True
        facts = None


def _stop(cause: _Cause, trigger: Trigger, ticket: Ticket) -> None:
    cause.stopped = True
    cause.queue.clear()
    logger.warning(
        "trigger chain on ticket %s stopped after %s firings (next: trigger %s %r): a loop?",
        ticket.pk,
        cause.budget.count,
        trigger.pk,
        trigger.name,
    )
    ticket_event_add(
        ticket=ticket,
        code="triggers_stopped",
        data={"firings": cause.budget.count, "trigger_id": trigger.pk, "trigger": trigger.name},
    )


def _fire(trigger: Trigger, ticket: Ticket, name: str, payload: dict[str, Any], facts: rules.Facts) -> None:
    """Run the trigger's actions, each on its own (one failing leaves the others done), and write
    the firing to the timeline with what was done and what failed."""
    done: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    with transaction.atomic():
        for action in trigger.actions:
            try:
                with transaction.atomic():
                    result = _act(action, ticket, trigger, name, payload, facts)
                if result is not None:
                    done.append(result)
            except ApplicationError as exc:
                failed.append(
                    {
                        "type": action["type"],
                        "error": str(exc.code),
                        "field": str(exc.details.get("field", "")),
                    }
                )
            except Exception as exc:  # a bug or an outage must not lose the firing's record
                logger.exception(
                    "trigger %s: action %s failed on ticket %s", trigger.pk, action["type"], ticket.pk
                )
                failed.append(
                    {"type": action["type"], "error": "internal_error", "field": type(exc).__name__}
                )
            ticket = Ticket.objects.select_related("customer").get(pk=ticket.pk)
        ticket_event_add(
            ticket=ticket,
            code="trigger_fired",
            data={"trigger_id": trigger.pk, "trigger": trigger.name, "done": done, "failed": failed},
        )
        Trigger.objects.filter(pk=trigger.pk).update(
            fire_count=F("fire_count") + 1, last_fired_at=timezone.now()
        )
        audit_record(
            actor=None,
            action="trigger.fired",
            target=ticket,
            data={"trigger_id": trigger.pk, "done": len(done), "failed": len(failed)},
        )
    if failed:
        logger.warning(
            "trigger %s on ticket %s: %s action(s) failed: %s", trigger.pk, ticket.pk, len(failed), failed
        )


def _act(
    action: Mapping[str, Any],
    ticket: Ticket,
    trigger: Trigger,
    name: str,
    payload: Mapping[str, Any],
    facts: rules.Facts,
) -> dict[str, Any] | None:
    """Do one action through the owning context's services; what was done, or None for no change."""
    kind = action["type"]
    if kind == "assign":
        team: Any = UNSET
        if action.get("team") is not None:
            team = Team.objects.filter(pk=action["team"]).first()
            if team is None:
                raise InvalidInput("the team no longer exists", field="team")
        assignee = ticket.assignee
        if action.get("agent") is not None:
            assignee = User.objects.filter(pk=action["agent"], is_active=True).first()
            if assignee is None:
                raise InvalidInput("the agent is not active", field="assignee")
        before = (ticket.team_id, ticket.assignee_id)
        after = ticket_assign(actor=None, ticket=ticket, assignee=assignee, team=team, reason="trigger")
        if (after.team_id, after.assignee_id) == before:
            return None
        return {
            "type": kind,
            "team": after.team.name if after.team else "",
            "agent": after.assignee.label if after.assignee else "",
        }
    if kind in {"add_tag", "remove_tag"}:
        tags = set(ticket.tags.values_list("name", flat=True))
        wanted = tags | {action["value"]} if kind == "add_tag" else tags - {action["value"]}
        if wanted == tags:
            return None
        ticket_update(actor=None, ticket=ticket, tags=sorted(wanted))
        return {"type": kind, "tag": action["value"]}
    if kind == "set_priority":
        if ticket.priority == action["value"]:
            return None
        ticket_update(actor=None, ticket=ticket, priority=action["value"])
        return {"type": kind, "priority": action["value"]}
    if kind == "set_status":
        if ticket.status == action["value"]:
            return None
        ticket_transition(actor=None, ticket=ticket, status=action["value"])
        return {"type": kind, "status": action["value"]}
    if kind == "send_mail":
        fresh = ticket_facts(ticket, payload)
        answering = _event_message(ticket, payload) if payload.get("message_id") is not None else None
        result = mail_send_automatic(
            ticket=ticket,
            answering=answering,
            subject=rules.render_mail(action.get("subject") or "", fresh),
            text=rules.render_mail(action["body"], fresh),
        )
        if result.mail is None:
            raise ApplicationError(ErrorCode.CONFLICT, field=result.refused or "refused")
        return {"type": kind}
    if kind == "notify":
        recipients: set[int] = set(action.get("agents") or [])
        if action.get("assignee") and ticket.assignee_id is not None:
            recipients.add(ticket.assignee_id)
        now = timezone.now()
        notices = [
            TriggerNotice(
                trigger=trigger,
                trigger_name=trigger.name,
                ticket=ticket,
                user=user,
                text=action["text"],
                created_at=now,
            )
            for user in User.objects.filter(pk__in=sorted(recipients), is_active=True)
            if ticket_visible_qs(user).filter(pk=ticket.pk).exists()
        ]
        if not notices:
            raise InvalidInput("nobody to notify", field="agents")
        TriggerNotice.objects.bulk_create(notices)
        return {"type": kind, "agents": [notice.user.label for notice in notices]}
    # webhook
    subscription = WebhookSubscription.objects.filter(pk=action["endpoint"]).first()
    if subscription is None:
        raise InvalidInput("the webhook no longer exists", field="endpoint")
    data = event_data(name, dict(payload)) or {}
    data["trigger"] = {"id": trigger.pk, "name": trigger.name}
    webhook_deliver(subscription=subscription, event=WEBHOOK_EVENT, data=data)
    return {"type": kind, "endpoint": subscription.name}
