"""Triggers: writing them (services) and running them on ticket events (evaluation).

Evaluation: each ticket event (after commit) is a *cause*. The active triggers for its event are
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from tanggap.accounts.models import Team, User
from tanggap.accounts.permissions import require
from tanggap.automations import rules
from tanggap.automations.models import Trigger, TriggerEvent, TriggerNotice
from tanggap.core import events
from tanggap.core.audit import audit_record
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput
from tanggap.core.slugs import normalise_tag
from tanggap.inboxes.outbound import mail_send_automatic
from tanggap.tickets.models import Channel, Message, MessageKind, Priority, Status, Ticket
from tanggap.tickets.selectors import ticket_visible_qs
from tanggap.tickets.services import ticket_assign, ticket_event_add, ticket_transition, ticket_update
from tanggap.tickets.timeline import UNSET
from tanggap.webhooks.models import WebhookSubscription
from tanggap.webhooks.selectors import event_data
from tanggap.webhooks.services import webhook_deliver

logger = logging.getLogger(__name__)

MANAGE_ACTION = "trigger.manage"
MAX_TRIGGERS = 200
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

# RuleError codes as sentences (the API returns them too, in the user's language).
_RULE_MESSAGES: dict[str, Any] = {
    "invalid": _("A value is not valid: choose one from the list."),
    "required": _("A value is missing."),
    "too_long": _("A text is too long."),
    "too_many": _("Too many rows."),
    "unknown_key": _("An unknown setting was sent."),
    "unknown_field": _("That condition does not exist."),
    "unknown_op": _("That comparison does not fit the condition."),
    "unknown_type": _("That action does not exist."),
    "not_in_team": _("The agent is not a member of the chosen team."),
    "duplicate": _("Assign, set priority and set status may each appear only once."),
    "unknown_variable": _("The mail uses an unknown variable."),
}
_PART_LABELS: dict[str, Any] = {"conditions": _("Condition"), "actions": _("Action")}


def _located(part: str, number: int, problem: Any) -> str:
    return _("%(part)s %(number)s: %(problem)s") % {
        "part": _PART_LABELS[part],
        "number": number,
        "problem": problem,
    }


def _rule_error(exc: rules.RuleError) -> InvalidInput:
    message: Any = _RULE_MESSAGES.get(exc.code, _("The input is not valid."))
    if exc.index is not None:
        # Still lazy: translated in the language of whoever reads it (the page, the API caller).
        message = lazy(_located, str)(exc.part, exc.index + 1, message)
    return InvalidInput(message, field=exc.part, index=exc.index, key=exc.key, reason=exc.code)


def _choices() -> rules.Choices:
    agents = User.objects.filter(is_active=True)
    admins = set(agents.filter(role="admin").values_list("pk", flat=True)) | set(
        agents.filter(is_superuser=True).values_list("pk", flat=True)
    )
    team_agents: dict[int, set[int]] = {pk: set(admins) for pk in Team.objects.values_list("pk", flat=True)}
    for team_id, user_id in User.teams.through.objects.filter(user__is_active=True).values_list(
        "team_id", "user_id"
    ):
        team_agents.setdefault(team_id, set(admins)).add(user_id)
    return rules.Choices(
        channels=frozenset(Channel.values),
        statuses=frozenset(Status.values),
        priorities=frozenset(Priority.values),
        team_ids=frozenset(team_agents),
        agent_ids=frozenset(agents.values_list("pk", flat=True)),
        webhook_ids=frozenset(WebhookSubscription.objects.values_list("pk", flat=True)),
        team_agents=team_agents,
        normalise_tag=normalise_tag,
    )


def _clean_name(name: str, exclude: int | None) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise InvalidInput(_("Choose a name of at most 100 characters."), field="name")
    same = Trigger.objects.filter(name__iexact=name)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if same.exists():
        raise ApplicationError(
            ErrorCode.CONFLICT, _("A trigger with that name already exists."), field="name"
        )
    return name


def _clean_event(event: str) -> str:
    if event not in TriggerEvent.values:
        raise InvalidInput(_("Choose the event the trigger waits for."), field="event")
    return event


def _clean_rules(conditions: Any, actions: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    choices = _choices()
    try:
        return rules.clean_conditions(conditions, choices), rules.clean_actions(actions, choices)
    except rules.RuleError as exc:
        raise _rule_error(exc) from None


# ---------------------------------------------------------------- services


@transaction.atomic
def trigger_create(
    *,
    actor: Any,
    name: str,
    event: str,
    conditions: Sequence[Mapping[str, Any]],
    actions: Sequence[Mapping[str, Any]],
    is_active: bool = True,
) -> Trigger:
    """A new trigger, tried after the existing ones."""
    require(actor, MANAGE_ACTION)
    clean_name, clean_event = _clean_name(name, None), _clean_event(event)
    clean_conditions, clean_actions = _clean_rules(conditions, actions)
    if Trigger.objects.count() >= MAX_TRIGGERS:
        raise ApplicationError(ErrorCode.TOO_LARGE, _("There are too many triggers."), limit=MAX_TRIGGERS)
    last = Trigger.objects.aggregate(last=Max("position"))["last"]
    try:
        with transaction.atomic():
            trigger = Trigger.objects.create(
                name=clean_name,
                event=clean_event,
                conditions=clean_conditions,
                actions=clean_actions,
                position=0 if last is None else last + 1,
                is_active=bool(is_active),
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:
        raise ApplicationError(
            ErrorCode.CONFLICT, _("A trigger with that name already exists."), field="name"
        ) from None
    audit_record(actor=actor, action="trigger.created", target=trigger, data={"name": trigger.name})
    return trigger


@transaction.atomic
def trigger_update(
    *,
    actor: Any,
    trigger: Trigger,
    name: str | None = None,
    event: str | None = None,
    conditions: Sequence[Mapping[str, Any]] | None = None,
    actions: Sequence[Mapping[str, Any]] | None = None,
    is_active: bool | None = None,
) -> Trigger:
    """Change what was given; the rest stays."""
    require(actor, MANAGE_ACTION)
    trigger = Trigger.objects.select_for_update().get(pk=trigger.pk)
    changed: list[str] = []
    if name is not None:
        trigger.name = _clean_name(name, trigger.pk)
        changed.append("name")
    if event is not None:
        trigger.event = _clean_event(event)
        changed.append("event")
    if conditions is not None or actions is not None:
        clean_conditions, clean_actions = _clean_rules(
            trigger.conditions if conditions is None else conditions,
            trigger.actions if actions is None else actions,
        )
        trigger.conditions, trigger.actions = clean_conditions, clean_actions
        changed += ["conditions", "actions"]
    if is_active is not None:
        trigger.is_active = bool(is_active)
        changed.append("is_active")
    if changed:
        try:
            with transaction.atomic():
                trigger.save()
        except IntegrityError:
            raise ApplicationError(
                ErrorCode.CONFLICT, _("A trigger with that name already exists."), field="name"
            ) from None
        audit_record(
            actor=actor, action="trigger.updated", target=trigger, data={"changed": sorted(set(changed))}
        )
    return trigger


def trigger_set_active(*, actor: Any, trigger: Trigger, is_active: bool) -> Trigger:
    """Switch a trigger off (it is kept, and never fires) or on again."""
    return trigger_update(actor=actor, trigger=trigger, is_active=is_active)


@transaction.atomic
def trigger_delete(*, actor: Any, trigger: Trigger) -> None:
    require(actor, MANAGE_ACTION)
    audit_record(actor=actor, action="trigger.deleted", target=trigger, data={"name": trigger.name})
    trigger.delete()


def _renumber(rows: list[Trigger]) -> None:
    for position, row in enumerate(rows):
        if row.position != position:
            Trigger.objects.filter(pk=row.pk).update(position=position)
            row.position = position


@transaction.atomic
def trigger_move(*, actor: Any, trigger: Trigger, up: bool) -> Trigger:
    """Move a trigger one place earlier (``up``) or later in the order triggers are tried."""
    require(actor, MANAGE_ACTION)
    rows = list(Trigger.objects.select_for_update().order_by("position", "id"))
    index = next((i for i, row in enumerate(rows) if row.pk == trigger.pk), None)
    if index is None:
        raise InvalidInput(field="trigger")
    other = index - 1 if up else index + 1
    if 0 <= other < len(rows):
        rows[index], rows[other] = rows[other], rows[index]
    _renumber(rows)
    moved = next(row for row in rows if row.pk == trigger.pk)
    audit_record(actor=actor, action="trigger.moved", target=moved, data={"position": moved.position})
    return moved


@transaction.atomic
def triggers_reorder(*, actor: Any, trigger_ids: Sequence[int]) -> list[Trigger]:
    """Put every trigger in the order given: ``trigger_ids`` names each trigger exactly once."""
    require(actor, MANAGE_ACTION)
    rows = {row.pk: row for row in Trigger.objects.select_for_update().order_by("position", "id")}
    if len(trigger_ids) != len(rows) or set(trigger_ids) != set(rows):
        raise InvalidInput(_("Name every trigger exactly once."), field="order")
    ordered = [rows[pk] for pk in trigger_ids]
    _renumber(ordered)
    if ordered:
        audit_record(
            actor=actor, action="triggers.reordered", target=ordered[0], data={"order": list(trigger_ids)}
        )
    return ordered


@transaction.atomic
def trigger_notices_mark_read(*, user: Any, notice_ids: Sequence[int] | None = None) -> int:
    """Mark the user's own notices read (all of them when ``notice_ids`` is None)."""
    qs = TriggerNotice.objects.filter(user_id=user.pk, read_at__isnull=True)
    if notice_ids is not None:
        qs = qs.filter(pk__in=list(notice_ids)[:500])
    return qs.update(read_at=timezone.now())


# ---------------------------------------------------------------- facts and dry runs


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


@dataclass(frozen=True, slots=True)
class DryRun:
    """What a trigger would do to a ticket now: each condition and whether it holds, and each step."""

    trigger: Trigger
    ticket: Ticket
    conditions: list[tuple[dict[str, Any], bool]]
    matches: bool
    steps: list[rules.Step]


def trigger_dry_run(*, actor: Any, trigger: Trigger, ticket: Ticket) -> DryRun:
    """Try ``trigger`` on ``ticket`` (which the caller read through a selector) without writing
    anything: the test page and the API's test endpoint."""
    require(actor, MANAGE_ACTION)
    facts = ticket_facts(ticket)
    held = rules.check(trigger.conditions, facts)
    steps, _after = rules.plan(trigger.actions, facts)
    return DryRun(
        trigger=trigger,
        ticket=ticket,
        conditions=list(zip(trigger.conditions, held, strict=True)),
        matches=all(held),
        steps=steps,
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
