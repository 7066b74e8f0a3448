"""Trigger pages for leads (admins and supervisors): the list in order (move, switch off), the
builder (condition and action rows), the dry-run test page; and every agent's trigger notices.
Anyone else gets a 404 on the trigger pages, as if they did not exist."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from tanggap.automations import rules, selectors
from tanggap.automations import triggers as services
from tanggap.automations.models import Trigger, TriggerEvent
from tanggap.core.errors import ApplicationError, NotFound
from tanggap.tickets.models import Channel, Priority, Status
from tanggap.web.assist_labels import EMOTION_LABELS, INTENT_LABELS, SENTIMENT_LABELS, percent, share
from tanggap.web.views.common import AuthedRequest, error_message, not_found_as_404, parse_int, require_action

MANAGE = services.MANAGE_ACTION

FIELD_LABELS: dict[str, Any] = {
    "channel": gettext_lazy("Channel"),
    "priority": gettext_lazy("Priority"),
    "status": gettext_lazy("Status"),
    "team": gettext_lazy("Team"),
    "assignee": gettext_lazy("Assignee"),
    "tags": gettext_lazy("Tags"),
    "language": gettext_lazy("Language"),
    "subject": gettext_lazy("Subject"),
    "message": gettext_lazy("Message text"),
    "tier": gettext_lazy("Customer tier"),
    "automatic": gettext_lazy("Message is automatic"),
    "sentiment": gettext_lazy("Customer's sentiment"),
    "emotion": gettext_lazy("Customer's emotion"),
    "anger": gettext_lazy("Customer's anger"),
    "intent": gettext_lazy("Customer's intents"),
}
OP_LABELS: dict[str, Any] = {
    "is": gettext_lazy("is"),
    "is_not": gettext_lazy("is not"),
    "at_least": gettext_lazy("is at least"),
    "at_most": gettext_lazy("is at most"),
    "is_empty": gettext_lazy("is empty"),
    "is_not_empty": gettext_lazy("is not empty"),
    "include": gettext_lazy("include"),
    "exclude": gettext_lazy("do not include"),
    "contains": gettext_lazy("contains"),
    "not_contains": gettext_lazy("does not contain"),
    "is_true": gettext_lazy("yes"),
    "is_false": gettext_lazy("no"),
}
ACTION_LABELS: dict[str, Any] = {
    "assign": gettext_lazy("Assign to"),
    "add_tag": gettext_lazy("Add tag"),
    "remove_tag": gettext_lazy("Remove tag"),
    "set_priority": gettext_lazy("Set priority"),
    "set_status": gettext_lazy("Set status"),
    "send_mail": gettext_lazy("Send a mail to the customer"),
    "notify": gettext_lazy("Notify agents"),
    "webhook": gettext_lazy("Call a webhook"),
}
# Condition fields whose value is picked from a list (the builder shows a select for them).
CHOICE_FIELDS = ("channel", "priority", "status", "team", "assignee", "sentiment", "emotion", "intent")
MAX_ROWS = 20


# --- words for conditions, actions and firings --------------------------------------------------------


def _names(choices: selectors.BuilderChoices | None) -> dict[str, dict[Any, str]]:
    return {
        "channel": {k: str(v) for k, v in Channel.choices},
        "priority": {k: str(v) for k, v in Priority.choices},
        "status": {k: str(v) for k, v in Status.choices},
        "team": dict(choices.teams) if choices else {},
        "assignee": dict(choices.agents) if choices else {},
        "webhook": dict(choices.webhooks) if choices else {},
        "sentiment": {k: str(v) for k, v in SENTIMENT_LABELS.items()},
        "emotion": {k: str(v) for k, v in EMOTION_LABELS.items()},
        "intent": {k: str(v) for k, v in INTENT_LABELS.items()},
    }


def describe_condition(condition: Mapping[str, Any], names: Mapping[str, Mapping[Any, str]]) -> str:
    name, op, value = condition.get("field", ""), condition.get("op", ""), condition.get("value")
    label, verb = FIELD_LABELS.get(name, name), OP_LABELS.get(op, op)
    if op in rules.NO_VALUE_OPS:
        return f"{label} {verb}"
    if name in names:
        value = names[name].get(value, f"#{value}")
    elif name == "anger":
        value = f"{percent(value)} %"
    return f"{label} {verb} “{value}”"


def describe_action(action: Mapping[str, Any], names: Mapping[str, Mapping[Any, str]]) -> str:
    kind = action.get("type", "")
    label = ACTION_LABELS.get(kind, kind)
    if kind == "assign":
        parts = []
        if action.get("team") is not None:
            parts.append(
                _("team %(team)s") % {"team": names["team"].get(action["team"], f"#{action['team']}")}
            )
        if action.get("agent") is not None:
            parts.append(names["assignee"].get(action["agent"], f"#{action['agent']}"))
        return f"{label} {', '.join(parts)}"
    if kind in {"add_tag", "remove_tag"}:
        return f"{label} {action.get('value', '')}"
    if kind == "set_priority":
        return f"{label}: {names['priority'].get(action.get('value'), action.get('value'))}"
    if kind == "set_status":
        return f"{label}: {names['status'].get(action.get('value'), action.get('value'))}"
    if kind == "notify":
        who = [names["assignee"].get(a, f"#{a}") for a in action.get("agents") or []]
        if action.get("assignee"):
            who.append(_("the assignee"))
        return f"{label}: {', '.join(who)}"
    if kind == "webhook":
        return f"{label}: {names['webhook'].get(action.get('endpoint'), '#' + str(action.get('endpoint')))}"
    return str(label)


def _done_words(item: Mapping[str, Any]) -> str:
    kind = item.get("type", "")
    if kind == "assign":
        target = ", ".join(part for part in (item.get("team"), item.get("agent")) if part)
        return _("assigned to %(target)s") % {"target": target or _("nobody")}
    if kind == "add_tag":
        return _("added tag %(tag)s") % {"tag": item.get("tag", "")}
    if kind == "remove_tag":
        return _("removed tag %(tag)s") % {"tag": item.get("tag", "")}
    if kind == "set_priority":
        return _("priority set to %(priority)s") % {
            "priority": dict(Priority.choices).get(int(item.get("priority") or 0), item.get("priority"))
        }
    if kind == "set_status":
        return _("status set to %(status)s") % {
            "status": dict(Status.choices).get(str(item.get("status")), "")
        }
    if kind == "send_mail":
        return _("mail sent to the customer")
    if kind == "notify":
        return _("notified %(agents)s") % {"agents": ", ".join(item.get("agents") or [])}
    if kind == "webhook":
        return _("webhook %(name)s called") % {"name": item.get("endpoint", "")}
    return str(kind)


def trigger_event_sentence(code: str, data: Mapping[str, Any]) -> SafeString:
    """The ticket page's sentence for a trigger's timeline entry (``web_tags.event_sentence``)."""
    if code == "triggers_stopped":
        return format_html(
            _("Triggers stopped after {count} firings before {trigger}: check the triggers for a loop"),
            count=data.get("firings", 0),
            trigger=data.get("trigger", ""),
        )
    done = [_done_words(item) for item in data.get("done") or [] if isinstance(item, Mapping)]
    failed = [
        str(ACTION_LABELS.get(item.get("type", ""), item.get("type", "")))
        for item in data.get("failed") or []
        if isinstance(item, Mapping)
    ]
    sentence = format_html(
        _("Trigger {trigger} ran: {actions}"),
        trigger=data.get("trigger", ""),
        actions="; ".join(done) or _("nothing changed"),
    )
    if failed:
        sentence = format_html(
            '{} <strong class="trigger-failed">{}</strong>',
            sentence,
            _("Failed: %(actions)s") % {"actions": ", ".join(failed)},
        )
    return sentence


# --- the list ---------------------------------------------------------------------------------------


@require_GET
@login_required
@require_action(MANAGE)
def trigger_list(request: AuthedRequest) -> HttpResponse:
    choices = selectors.builder_choices(user=request.user)
    names = _names(choices)
    rows = [
        {
            "trigger": trigger,
            "event": TriggerEvent(trigger.event).label
            if trigger.event in TriggerEvent.values
            else trigger.event,
            "conditions": [describe_condition(c, names) for c in trigger.conditions],
            "actions": [describe_action(a, names) for a in trigger.actions],
        }
        for trigger in selectors.trigger_list(user=request.user)
    ]
    return render(request, "web/admin/triggers.html", {"rows": rows})


def _get(request: AuthedRequest, trigger_id: int) -> Trigger:
    with not_found_as_404():
        return selectors.trigger_get(user=request.user, trigger_id=trigger_id)


@require_POST
@login_required
@require_action(MANAGE)
def trigger_move(request: AuthedRequest, trigger_id: int) -> HttpResponse:
    trigger = services.trigger_move(
        actor=request.user, trigger=_get(request, trigger_id), up=request.POST.get("direction") != "down"
    )
    return redirect(reverse("web:admin_triggers") + f"#trigger-{trigger.pk}")


@require_POST
@login_required
@require_action(MANAGE)
def trigger_active(request: AuthedRequest, trigger_id: int) -> HttpResponse:
    active = request.POST.get("active") == "1"
    trigger = services.trigger_set_active(
        actor=request.user, trigger=_get(request, trigger_id), is_active=active
    )
    if active:
        messages.success(request, _("Trigger %(name)s is on.") % {"name": trigger.name})
    else:
        messages.success(request, _("Trigger %(name)s is switched off.") % {"name": trigger.name})
    return redirect(reverse("web:admin_triggers") + f"#trigger-{trigger.pk}")


@require_POST
@login_required
@require_action(MANAGE)
def trigger_delete(request: AuthedRequest, trigger_id: int) -> HttpResponse:
    trigger = _get(request, trigger_id)
    name = trigger.name
    services.trigger_delete(actor=request.user, trigger=trigger)
    messages.success(request, _("Trigger %(name)s deleted.") % {"name": name})
    return redirect("web:admin_triggers")


# --- the builder ------------------------------------------------------------------------------------


def _indexes(data: QueryDict, prefix: str) -> list[int]:
    """The row numbers the form sent (``c-3-field`` …), in order, at most ``MAX_ROWS``."""
    found: set[int] = set()
    for key in data:
        parts = key.split("-")
        if len(parts) == 3 and parts[0] == prefix and parts[1].isdigit() and len(parts[1]) <= 3:
            found.add(int(parts[1]))
    return sorted(found)[: MAX_ROWS + 1]


def _condition_from(data: QueryDict, n: int) -> dict[str, Any] | None:
    name = data.get(f"c-{n}-field", "")
    if not name:
        return None  # an empty row
    value: Any = data.get(f"c-{n}-{name}" if name in CHOICE_FIELDS else f"c-{n}-value", "")
    if name == "anger":  # typed as a percentage, stored as a share
        value = share(data.get(f"c-{n}-anger", ""))
    return {"field": name, "op": data.get(f"c-{n}-op", ""), "value": value}


def _action_from(data: QueryDict, n: int) -> dict[str, Any] | None:
    kind = data.get(f"a-{n}-type", "")
    if not kind:
        return None
    get = lambda key: data.get(f"a-{n}-{key}", "")  # noqa: E731
    if kind == "assign":
        return {"type": kind, "agent": get("agent") or None, "team": get("team") or None}
    if kind in {"add_tag", "remove_tag"}:
        return {"type": kind, "value": get("tag")}
    if kind == "set_priority":
        return {"type": kind, "value": get("priority")}
    if kind == "set_status":
        return {"type": kind, "value": get("status")}
    if kind == "send_mail":
        return {"type": kind, "subject": get("subject"), "body": get("body")}
    if kind == "notify":
        return {
            "type": kind,
            "agents": data.getlist(f"a-{n}-agents")[:50],
            "assignee": get("notify_assignee") == "1",
            "text": get("text"),
        }
    if kind == "webhook":
        return {"type": kind, "endpoint": get("endpoint")}
    return {"type": kind}


def _rows_from(data: QueryDict) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    conditions = [c for n in _indexes(data, "c") if (c := _condition_from(data, n)) is not None]
    actions = [a for n in _indexes(data, "a") if (a := _action_from(data, n)) is not None]
    return conditions, actions


def _builder(
    request: AuthedRequest,
    *,
    trigger: Trigger | None,
    values: dict[str, Any],
    conditions: Sequence[Mapping[str, Any]],
    actions: Sequence[Mapping[str, Any]],
    error: str = "",
    bad: tuple[str, int | None] | None = None,
    status: int = 200,
) -> HttpResponse:
    choices = selectors.builder_choices(user=request.user)
    condition_rows = [
        {"n": n, "c": c, "bad": bad == ("conditions", n), "percent": percent(c.get("value"))}
        for n, c in enumerate(conditions)
    ]
    action_rows = [{"n": n, "a": a, "bad": bad == ("actions", n)} for n, a in enumerate(actions)]
    if not action_rows:
        action_rows = [{"n": 0, "a": {}, "bad": False}]
    return render(
        request,
        "web/admin/trigger_form.html",
        {
            "trigger": trigger,
            "values": values,
            "condition_rows": condition_rows,
            "action_rows": action_rows,
            "next_condition": len(condition_rows),
            "next_action": len(action_rows),
            "error": error,
            "events": TriggerEvent.choices,
            "fields": list(FIELD_LABELS.items()),
            "ops": [
                (op, label, " ".join(f for f, ops in rules.CONDITIONS.items() if op in ops))
                for op, label in OP_LABELS.items()
            ],
            "action_types": list(ACTION_LABELS.items()),
            "channels": Channel.choices,
            "priorities": Priority.choices,
            "statuses": Status.choices,
            "teams": choices.teams,
            "agents": choices.agents,
            "webhooks": choices.webhooks,
            "choice_fields": CHOICE_FIELDS,
            "sentiments": list(SENTIMENT_LABELS.items()),
            "emotions": list(EMOTION_LABELS.items()),
            "intents": list(INTENT_LABELS.items()),
        },
        status=status,
    )


def _save(request: AuthedRequest, trigger: Trigger | None) -> HttpResponse:
    data = request.POST
    conditions, actions = _rows_from(data)
    values: dict[str, Any] = {
        "name": data.get("name", "")[:200],
        "event": data.get("event", ""),
        "is_active": data.get("is_active") == "1",
    }
    adding = data.get("add")
    if adding in {"condition", "action"}:  # the no-script way to get another row
        if adding == "condition":
            conditions.append({})
        else:
            actions.append({})
        return _builder(request, trigger=trigger, values=values, conditions=conditions, actions=actions)
    try:
        if trigger is None:
            trigger = services.trigger_create(
                actor=request.user,
                name=values["name"],
                event=values["event"],
                conditions=conditions,
                actions=actions,
                is_active=values["is_active"],
            )
            messages.success(request, _("Trigger %(name)s created.") % {"name": trigger.name})
        else:
            trigger = services.trigger_update(
                actor=request.user,
                trigger=trigger,
                name=values["name"],
                event=values["event"],
                conditions=conditions,
                actions=actions,
                is_active=values["is_active"],
            )
            messages.success(request, _("Trigger %(name)s saved.") % {"name": trigger.name})
    except ApplicationError as exc:
        part, index = str(exc.details.get("field", "")), exc.details.get("index")
        return _builder(
            request,
            trigger=trigger,
            values=values,
            conditions=conditions,
            actions=actions,
            error=error_message(exc),
            bad=(part, index if isinstance(index, int) else None),
            status=422,
        )
    return redirect(reverse("web:admin_triggers") + f"#trigger-{trigger.pk}")


@login_required
@require_action(MANAGE)
def trigger_new(request: AuthedRequest) -> HttpResponse:
    if request.method == "POST":
        return _save(request, None)
    return _builder(
        request,
        trigger=None,
        values={"name": "", "event": TriggerEvent.TICKET_CREATED, "is_active": True},
        conditions=[{}],
        actions=[{}],
    )


@login_required
@require_action(MANAGE)
def trigger_edit(request: AuthedRequest, trigger_id: int) -> HttpResponse:
    trigger = _get(request, trigger_id)
    if request.method == "POST":
        return _save(request, trigger)
    return _builder(
        request,
        trigger=trigger,
        values={"name": trigger.name, "event": trigger.event, "is_active": trigger.is_active},
        conditions=trigger.conditions,
        actions=trigger.actions,
    )


# --- the test page ----------------------------------------------------------------------------------


def _step_words(step: rules.Step, names: Mapping[str, Mapping[Any, str]]) -> str:
    detail = step.detail
    if step.type == "send_mail":
        return _("would send “%(subject)s”: %(body)s") % {
            "subject": detail["subject"],
            "body": detail["body"],
        }
    if step.type == "notify":
        who = [names["assignee"].get(a, f"#{a}") for a in detail.get("agents") or []]
        return _("would notify %(agents)s: %(text)s") % {
            "agents": ", ".join(who) or _("nobody"),
            "text": detail["text"],
        }
    if step.type == "assign":
        return describe_action({"type": "assign", **detail}, names)
    action = {"type": step.type, "value": next(iter(detail.values()), None)}
    if step.type == "webhook":
        action = {"type": "webhook", "endpoint": detail.get("endpoint")}
    return describe_action(action, names)


def _signal_words(ticket: Any, names: Mapping[str, Mapping[Any, str]]) -> list[tuple[Any, str]]:
    """What assist read on the ticket, for the test page (the values its conditions compare)."""
    intents = [names["intent"].get(i, i) for i in ticket.intents.split(",") if i]
    found = [
        ("sentiment", names["sentiment"].get(ticket.sentiment, "")),
        ("emotion", names["emotion"].get(ticket.emotion, "")),
        ("anger", f"{percent(ticket.anger)} %" if ticket.anger is not None else ""),
        ("intent", ", ".join(intents)),
    ]
    return [(FIELD_LABELS[name], text) for name, text in found if text]


@require_GET
@login_required
@require_action(MANAGE)
def trigger_test(request: AuthedRequest, trigger_id: int) -> HttpResponse:
    trigger = _get(request, trigger_id)
    raw = request.GET.get("ticket", "").strip().lstrip("#")
    context: dict[str, Any] = {"trigger": trigger, "number": raw[:20], "run": None, "error": ""}
    if raw:
        number = parse_int(raw)
        try:
            if number is None:
                raise NotFound(object="ticket")
            ticket = selectors.trigger_ticket(user=request.user, number=number)
        except NotFound:
            context["error"] = _("No ticket with that number that you can see.")
        else:
            run = services.trigger_dry_run(actor=request.user, trigger=trigger, ticket=ticket)
            names = _names(selectors.builder_choices(user=request.user))
            context["run"] = run
            context["conditions"] = [(describe_condition(c, names), holds) for c, holds in run.conditions]
            context["steps"] = [(_step_words(step, names), step.changes) for step in run.steps]
            context["signals"] = _signal_words(ticket, names)
    return render(request, "web/admin/trigger_test.html", context)


# --- notices ----------------------------------------------------------------------------------------


@require_GET
@login_required
def trigger_notices(request: AuthedRequest) -> HttpResponse:
    unread_only = request.GET.get("show") == "unread"
    return render(
        request,
        "web/admin/trigger_notices.html",
        {
            "notices": selectors.notices_for(user=request.user, unread_only=unread_only),
            "unread_only": unread_only,
        },
    )


@require_POST
@login_required
def trigger_notices_read(request: AuthedRequest) -> HttpResponse:
    one = parse_int(request.POST.get("notice"))
    services.trigger_notices_mark_read(user=request.user, notice_ids=None if one is None else [one])
    return redirect("web:trigger_notices")
