"""Writing macros (leads) and applying one to a ticket (any agent who may see both).

Applying changes the ticket only through ``tanggap.tickets.services`` (status, priority, tags,
assignee), then adds one ``macro_applied`` event to the timeline saying which macro and what it
changed, counts the use, and returns the rendered text for the agent to edit and send.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from tanggap.accounts.models import Team
from tanggap.accounts.permissions import require
from tanggap.core.audit import audit_record
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput
from tanggap.core.slugs import normalise_tag
from tanggap.macros import selectors
from tanggap.macros.models import MAX_BODY, MAX_NAME, MAX_TAGS, Macro
from tanggap.macros.render import LANGUAGES, VARIABLES, choose_variant, first_name, render, unknown_variables
from tanggap.tickets import workflow
from tanggap.tickets.models import Priority, Status, Ticket
from tanggap.tickets.selectors import ticket_get_for_agent
from tanggap.tickets.services import ticket_assign, ticket_event_add, ticket_transition, ticket_update

MANAGE = selectors.MANAGE_ACTION
USE = selectors.USE_ACTION
# The statuses a macro may set: never back to "new", and "closed" only by the workflow after solved.
MACRO_STATUSES = (Status.OPEN, Status.PENDING, Status.ON_HOLD, Status.SOLVED)
UNSET: Any = object()


# ---------------------------------------------------------------- checking what a lead wrote


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME:
        raise InvalidInput(_("Choose a name of at most 100 characters."), field="name")
    return name


def _clean_body(text: str, language: str) -> str:
    text = (text or "").replace("\x00", "").replace("\r\n", "\n").strip()
    if len(text) > MAX_BODY:
        raise InvalidInput(
            _("The text is too long (at most %(limit)d characters).") % {"limit": MAX_BODY},
            field=f"body_{language}",
            limit=MAX_BODY,
        )
    unknown = unknown_variables(text)
    if unknown:
        raise InvalidInput(
            _("Unknown variable “%(name)s”. You can use: %(known)s.")
            % {"name": "{{ " + unknown[0][:40] + " }}", "known": ", ".join(VARIABLES)},
            field=f"body_{language}",
            variable=unknown[0][:40],
        )
    return text


def _clean_status(status: str) -> str:
    status = (status or "").strip()
    if status and status not in MACRO_STATUSES:
        raise InvalidInput(_("A macro cannot set that status."), field="set_status")
    return status


def _clean_priority(priority: int | None) -> int | None:
    if priority in (None, 0, ""):
        return None
    if priority not in Priority.values:
        raise InvalidInput(_("That priority does not exist."), field="set_priority")
    return int(priority)  # type: ignore[arg-type]


def _clean_tags(names: Sequence[str], field_name: str) -> list[str]:
    if isinstance(names, str):
        names = names.split(",")
    clean = sorted({tag for tag in (normalise_tag(str(n)) for n in names) if tag})
    if len(clean) > MAX_TAGS:
        raise InvalidInput(
            _("At most %(limit)d tags.") % {"limit": MAX_TAGS}, field=field_name, limit=MAX_TAGS
        )
    return clean


def _check_whole(macro: Macro) -> None:
    if not macro.body_id and not macro.body_en:
        raise InvalidInput(_("Write the text in at least one language."), field="body")
    both = set(macro.add_tags) & set(macro.remove_tags)
    if both:
        raise InvalidInput(
            _("A tag cannot be both added and removed: %(tags)s.") % {"tags": ", ".join(sorted(both))},
            field="remove_tags",
        )


def _check_team(team: Team | None) -> Team | None:
    if team is not None and not isinstance(team, Team):
        raise InvalidInput(field="team")
    return team


# ---------------------------------------------------------------- managing macros


@transaction.atomic
def macro_create(
    *,
    actor: Any,
    name: str,
    body_id: str = "",
    body_en: str = "",
    team: Team | None = None,
    set_status: str = "",
    set_priority: int | None = None,
    add_tags: Sequence[str] = (),
    remove_tags: Sequence[str] = (),
    assign_to_self: bool = False,
    is_active: bool = True,
) -> Macro:
    """A new macro, placed last."""
    require(actor, MANAGE)
    macro = Macro(
        name=_clean_name(name),
        team=_check_team(team),
        body_id=_clean_body(body_id, "id"),
        body_en=_clean_body(body_en, "en"),
        set_status=_clean_status(set_status),
        set_priority=_clean_priority(set_priority),
        add_tags=_clean_tags(add_tags, "add_tags"),
        remove_tags=_clean_tags(remove_tags, "remove_tags"),
        assign_to_self=bool(assign_to_self),
        is_active=bool(is_active),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _check_whole(macro)
    # Two leads creating at once may share a position: harmless, the list is ordered by (position, id).
    last = Macro.objects.aggregate(last=Max("position"))["last"]
    macro.position = 0 if last is None else last + 1
    macro.save()
    audit_record(actor=actor, action="macro.created", target=macro, data={"name": macro.name})
    return macro


@transaction.atomic
def macro_update(
    *,
    actor: Any,
    macro: Macro,
    name: str | None = None,
    body_id: str | None = None,
    body_en: str | None = None,
    team: Team | None = UNSET,
    set_status: str | None = None,
    set_priority: int | None = UNSET,
    add_tags: Sequence[str] | None = None,
    remove_tags: Sequence[str] | None = None,
    assign_to_self: bool | None = None,
    is_active: bool | None = None,
) -> Macro:
    """Change what is given; ``None`` (``team`` and ``set_priority``: left out) keeps a field."""
    require(actor, MANAGE)
    macro = Macro.objects.select_for_update().get(pk=macro.pk)
    values: dict[str, Any] = {}
    if name is not None:
        values["name"] = _clean_name(name)
    if body_id is not None:
        values["body_id"] = _clean_body(body_id, "id")
    if body_en is not None:
        values["body_en"] = _clean_body(body_en, "en")
    if team is not UNSET:
        values["team"] = _check_team(team)
    if set_status is not None:
        values["set_status"] = _clean_status(set_status)
    if set_priority is not UNSET:
        values["set_priority"] = _clean_priority(set_priority)
    if add_tags is not None:
        values["add_tags"] = _clean_tags(add_tags, "add_tags")
    if remove_tags is not None:
        values["remove_tags"] = _clean_tags(remove_tags, "remove_tags")
    if assign_to_self is not None:
        values["assign_to_self"] = bool(assign_to_self)
    if is_active is not None:
        values["is_active"] = bool(is_active)
    changed = sorted(key for key, value in values.items() if getattr(macro, key) != value)
    for key in changed:
        setattr(macro, key, values[key])
    if changed:
        _check_whole(macro)
        macro.save()
        audit_record(actor=actor, action="macro.updated", target=macro, data={"changed": changed})
    return macro


def macro_set_active(*, actor: Any, macro: Macro, is_active: bool) -> Macro:
    """Switch a macro off (kept, hidden from the composer) or on again."""
    return macro_update(actor=actor, macro=macro, is_active=is_active)


@transaction.atomic
def macro_move(*, actor: Any, macro: Macro, up: bool) -> Macro:
    """Move a macro one place earlier (``up``) or later in the list agents pick from."""
    require(actor, MANAGE)
    rows = list(Macro.objects.select_for_update().order_by("position", "id").only("id", "position"))
    index = next((i for i, row in enumerate(rows) if row.pk == macro.pk), None)
    if index is None:
        return macro
    other = index - 1 if up else index + 1
    if 0 <= other < len(rows):
        rows[index], rows[other] = rows[other], rows[index]
        for position, row in enumerate(rows):
            if row.position != position:
                Macro.objects.filter(pk=row.pk).update(position=position)
        audit_record(actor=actor, action="macro.moved", target=macro, data={"position": other})
    macro.refresh_from_db()
    return macro


@transaction.atomic
def macro_delete(*, actor: Any, macro: Macro) -> None:
    require(actor, MANAGE)
    audit_record(actor=actor, action="macro.deleted", target=macro, data={"name": macro.name})
    macro.delete()


# ---------------------------------------------------------------- applying a macro


@dataclass(frozen=True, slots=True)
class Applied:
    """What applying a macro gave: the text for the reply box, its language, and what changed on
    the ticket (stable keys: ``status``/``priority`` as ``{"from", "to"}``, ``tags_added``,
    ``tags_removed``, ``assignee_id``/``assignee``)."""

    ticket: Ticket
    text: str
    language: str
    changes: dict[str, Any] = field(default_factory=dict)


def variable_values(*, ticket: Ticket, agent: Any) -> dict[str, str | None]:
    """The values of the variables for ``agent`` answering ``ticket``."""
    customer_name = " ".join((ticket.customer.name or "").split())
    agent_name = agent.label if agent is not None else ""
    return {
        "customer.first_name": first_name(customer_name),
        "customer.name": customer_name,
        "ticket.number": str(ticket.pk),
        "ticket.subject": ticket.subject,
        "agent.first_name": (getattr(agent, "first_name", "") or first_name(agent_name)),
        "agent.name": agent_name,
    }


def macro_preview(*, macro_text: str, ticket: Ticket | None, agent: Any, language: str) -> str:
    """The text as it would read (for the management page's live preview); nothing is written."""
    if ticket is not None:
        values = variable_values(ticket=ticket, agent=agent)
    else:
        values = {
            "customer.first_name": "Siti",
            "customer.name": "Siti Rahmawati",
            "ticket.number": "1042",
            "ticket.subject": "Pesanan belum sampai" if language == "id" else "Order not delivered",
            "agent.first_name": getattr(agent, "first_name", "") or first_name(getattr(agent, "label", "")),
            "agent.name": getattr(agent, "label", ""),
        }
    return render(macro_text[:MAX_BODY], values, language=language)


@transaction.atomic
def macro_apply(*, actor: Any, ticket: Ticket, macro: Macro, language: str | None = None) -> Applied:
    """Apply ``macro`` to ``ticket`` for ``actor``: its actions through the ticket services, one
    ``macro_applied`` timeline event, one more use counted. Returns the rendered text.

    ``language`` "id"/"en" chooses the variant; otherwise the ticket's language (then its inbox's,
    then the site's). An empty variant falls back to the other one. Nothing is written when any
    action is refused (one transaction)."""
    require(actor, USE)
    ticket = ticket_get_for_agent(user=actor, ticket_id=ticket.pk, for_update=True)
    macro = selectors.macro_get_for_agent(user=actor, macro_id=macro.pk)
    if ticket.merged_into_id or ticket.status == Status.CLOSED:
        raise ApplicationError(
            ErrorCode.INVALID_TRANSITION, _("A closed or merged ticket cannot take a macro."), field="ticket"
        )
    changes: dict[str, Any] = {}
    if macro.set_status and macro.set_status != ticket.status:
        if not workflow.can_transition(ticket.status, macro.set_status):
            raise ApplicationError(
                ErrorCode.INVALID_TRANSITION,
                _("This macro sets a status the ticket cannot move to from its current one."),
                field="set_status",
            )
        before = ticket.status
        ticket = ticket_transition(actor=actor, ticket=ticket, status=macro.set_status)
        changes["status"] = {"from": before, "to": ticket.status}
    update: dict[str, Any] = {}
    if macro.set_priority and macro.set_priority != ticket.priority:
        changes["priority"] = {"from": ticket.priority, "to": macro.set_priority}
        update["priority"] = macro.set_priority
    if macro.add_tags or macro.remove_tags:
        current = set(ticket.tags.values_list("name", flat=True))
        wanted = (current | set(macro.add_tags)) - set(macro.remove_tags)
        if wanted != current:
            update["tags"] = sorted(wanted)
            if wanted - current:
                changes["tags_added"] = sorted(wanted - current)
            if current - wanted:
                changes["tags_removed"] = sorted(current - wanted)
    if update:
        ticket = ticket_update(actor=actor, ticket=ticket, **update)
    if macro.assign_to_self and ticket.assignee_id != actor.pk:
        ticket = ticket_assign(actor=actor, ticket=ticket, assignee=actor)
        changes["assignee_id"] = actor.pk
        changes["assignee"] = actor.label
    wanted_language = language if language in LANGUAGES else selectors.ticket_language(ticket)
    variant = choose_variant(
        bodies={"id": macro.body_id, "en": macro.body_en},
        wanted=wanted_language,
        default=selectors.site_language(),
    )
    text = render(variant.text, variable_values(ticket=ticket, agent=actor), language=variant.language)
    now = timezone.now()
    ticket_event_add(
        ticket=ticket,
        code="macro_applied",
        actor=actor,
        at=now,
        data={"macro_id": macro.pk, "macro": macro.name, "language": variant.language, "changes": changes},
    )
    Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + 1, last_used_at=now)
    audit_record(
        actor=actor,
        action="macro.applied",
        target=ticket,
        data={"macro_id": macro.pk, "changed": sorted(changes)},
    )
    return Applied(ticket=ticket, text=text, language=variant.language, changes=changes)
