"""Triggers: writing them, in order, and trying one on a ticket without writing anything (the dry
run). Running them on ticket events is ``firing.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from tanggap.accounts.models import Team, User
from tanggap.accounts.permissions import require
from tanggap.automations import rules
from tanggap.automations.firing import ticket_facts
from tanggap.automations.models import Trigger, TriggerEvent, TriggerNotice
from tanggap.core.audit import audit_record
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput
from tanggap.core.slugs import normalise_tag
from tanggap.tickets.models import Channel, Priority, Status, Ticket
from tanggap.webhooks.models import WebhookSubscription

logger = logging.getLogger(__name__)

MANAGE_ACTION = "trigger.manage"
MAX_TRIGGERS = 200
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


# ---------------------------------------------------------------- dry runs


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
