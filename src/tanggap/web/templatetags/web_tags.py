"""Template helpers of the agent workspace: times, system-event sentences, capped queue counts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from html import escape
from typing import Any

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from tanggap.accounts.selectors import team_choices, user_teams
from tanggap.sla.notices import unread_alert_count
from tanggap.tickets.models import Message, Priority, Status
from tanggap.tickets.selectors import TicketRow, ticket_queue_counts
from tanggap.web.assist_labels import EMOTION_LABELS, INTENT_LABELS, SENTIMENT_LABELS
from tanggap.web.links import cached_reverse
from tanggap.web.templatetags.report_tags import duration
from tanggap.web.views import common

register = template.Library()


@lru_cache(maxsize=8192)
def _formatted(local: datetime, language: str | None) -> tuple[str, str, str]:
    """ISO, the full and the short local date and time of an instant: pure in its inputs, and lists
    show the same instants again and again, so each is formatted once."""
    return (
        local.isoformat(timespec="seconds"),
        date_format(local, "DATETIME_FORMAT"),
        date_format(local, "SHORT_DATETIME_FORMAT"),
    )


@register.filter
def when(value: datetime | None) -> SafeString | str:
    """A ``<time>`` element: relative text, the exact local time on hover, ISO in ``datetime``."""
    if not value:
        return ""
    iso, exact, short = _formatted(timezone.localtime(value), get_language())
    now = timezone.now()
    seconds = (now - value).total_seconds()
    if abs(seconds) < 60:
        text = _("just now")
    elif seconds > 0:
        text = _("%(time)s ago") % {"time": timesince(value, now, depth=1)}
    else:
        text = short
    return format_html('<time datetime="{}" title="{}">{}</time>', iso, exact, text)


def _span(value: timedelta) -> str:
    return duration(value.total_seconds())


@register.simple_tag
def time_left(due_at: datetime | None, warn_at: datetime | None = None) -> SafeString | str:
    """How long until a response target runs out, in colour: overdue (red), past its warning
    (amber), in time (green). The due instant on hover; nothing when no clock runs."""
    if due_at is None:
        return ""
    iso, exact, _short = _formatted(timezone.localtime(due_at), get_language())
    left = due_at - timezone.now()
    if left <= timedelta(0):
        state, text = "over", _("overdue by %(time)s") % {"time": _span(-left)}
    else:
        state = "soon" if warn_at is not None and warn_at <= timezone.now() else "ok"
        text = _("%(time)s left") % {"time": _span(left)}
    title = _("Due %(when)s") % {"when": exact}
    return format_html('<time class="due due-{}" datetime="{}" title="{}">{}</time>', state, iso, title, text)


_ALERT_LEVELS = {
    "warning": gettext_lazy("Warning"),
    "escalation": gettext_lazy("Escalation"),
    "breach": gettext_lazy("Breach"),
}
_CLOCK_KINDS = {
    "first_response": gettext_lazy("First response"),
    "next_response": gettext_lazy("Next response"),
    "resolution": gettext_lazy("Resolution"),
}


@register.filter
def alert_level_label(value: str) -> str:
    return str(_ALERT_LEVELS.get(value, value))


@register.filter
def clock_kind_label(value: str) -> str:
    return str(_CLOCK_KINDS.get(value, value))


@register.filter
def breach_action_label(value: str) -> str:
    """A breach action's code (``priority:4``, ``team:7``, ``assignee:3``, ``failed:code``) in words."""
    name, _sep, arg = value.partition(":")
    if name == "priority":
        return _("priority raised to %(priority)s") % {"priority": priority_label(arg)}
    if name == "team":
        return _("moved to another team")
    if name == "assignee":
        return _("reassigned")
    return _("a breach action could not run (%(reason)s)") % {"reason": arg}


@register.simple_tag(takes_context=True)
def unread_alerts(context: dict[str, Any]) -> int:
    request = context.get("request")
    return unread_alert_count(user=getattr(request, "user", None)) if request is not None else 0


@register.filter
def status_label(value: str) -> str:
    try:
        return str(Status(value).label)
    except ValueError:
        return value


@register.filter
def priority_label(value: Any) -> str:
    try:
        return str(Priority(int(value)).label)
    except (TypeError, ValueError):
        return str(value)


def _actor(message: Message) -> str:
    return message.author.label if message.author else _("Tanggap")


def _ticket_link(number: Any) -> SafeString:
    try:
        url = reverse("web:ticket", args=[int(number)])
    except (TypeError, ValueError):
        return format_html("#{}", number)
    return format_html('<a href="{}">#{}</a>', url, number)


_ROUTING_REASONS = {
    "sticky_owner": gettext_lazy("the customer's previous agent, online with room"),
    "least_loaded": gettext_lazy("the available agent with the least open work"),
    "round_robin": gettext_lazy("next in turn among the available agents"),
}
_ROUTING_CAUSES = {
    "arrival": gettext_lazy("on arrival"),
    "available": gettext_lazy("when an agent had room"),
    "queue": gettext_lazy("from the waiting queue"),
    "rebalanced": gettext_lazy("after the customer waited too long without an answer"),
}


def routing_sentence(assignee: str, data: dict[str, Any]) -> SafeString:
    """Why routing gave the ticket to this agent, in words."""
    reason = _ROUTING_REASONS.get(str(data.get("reason", "")), str(data.get("reason", "")))
    cause = _ROUTING_CAUSES.get(str(data.get("routing", "")), "")
    extra = []
    if data.get("language"):
        extra.append(_("writes %(language)s") % {"language": str(data["language"]).upper()})
    if data.get("skills"):
        extra.append(_("skills: %(skills)s") % {"skills": ", ".join(str(s) for s in data["skills"])})
    return format_html(
        _("Routing assigned the ticket to {assignee} {cause}: {reason}{extra}"),
        assignee=assignee,
        cause=cause,
        reason=reason,
        extra=f" ({'; '.join(str(e) for e in extra)})" if extra else "",
    )


@register.filter
def event_sentence(message: Message) -> SafeString:
    """A short translated sentence for a system event, built from its stable code and data."""
    data: dict[str, Any] = message.event_data or {}
    actor = _actor(message)
    code = message.event_code
    if code == "status_changed":
        status = status_label(data.get("status", ""))
        if data.get("reason") == "customer_replied":
            return format_html(_("Reopened as {status} because the customer wrote again"), status=status)
        return format_html(
            _("{actor} changed the status from {previous} to {status}"),
            actor=actor,
            previous=status_label(data.get("previous", "")),
            status=status,
        )
    if code == "assigned":
        assignee = data.get("assignee", "")
        if message.author_id and message.author_id == data.get("assignee_id"):
            return format_html(_("{actor} took the ticket"), actor=actor)
        if data.get("routing"):
            return routing_sentence(assignee, data)
        return format_html(_("{actor} assigned the ticket to {assignee}"), actor=actor, assignee=assignee)
    if code == "unassigned":
        return format_html(_("{actor} unassigned the ticket"), actor=actor)
    if code == "team_changed":
        if not data.get("team"):
            return format_html(
                _("{actor} removed the ticket from team {previous}"),
                actor=actor,
                previous=data.get("previous", ""),
            )
        return format_html(_("{actor} moved the ticket to team {team}"), actor=actor, team=data["team"])
    if code == "priority_changed":
        return format_html(
            _("{actor} changed the priority from {previous} to {priority}"),
            actor=actor,
            previous=priority_label(data.get("previous")),
            priority=priority_label(data.get("priority")),
        )
    if code == "tags_changed":
        parts = []
        if data.get("added"):
            parts.append(_("added %(tags)s") % {"tags": ", ".join(data["added"])})
        if data.get("removed"):
            parts.append(_("removed %(tags)s") % {"tags": ", ".join(data["removed"])})
        return format_html(_("{actor} changed the tags: {changes}"), actor=actor, changes="; ".join(parts))
    if code == "merged_in":
        count = int(data.get("messages") or 0)
        return format_html(
            ngettext(
                "{actor} merged ticket {source} ({subject}) into this one, with {count} message",
                "{actor} merged ticket {source} ({subject}) into this one, with {count} messages",
                count,
            ),
            actor=actor,
            source=_ticket_link(data.get("source_id")),
            subject=data.get("subject", ""),
            count=count,
        )
    if code == "merged_into":
        return format_html(
            _("{actor} merged this ticket into {target}"),
            actor=actor,
            target=_ticket_link(data.get("target_id")),
        )
    if code == "macro_applied":
        from tanggap.web.views.macros import change_phrases  # the flash shows the same phrases

        phrases = change_phrases(data.get("changes") or {})
        if phrases:
            return format_html(
                _("{actor} applied the macro {macro}: {changes}"),
                actor=actor,
                macro=data.get("macro", ""),
                changes="; ".join(phrases),
            )
        return format_html(_("{actor} applied the macro {macro}"), actor=actor, macro=data.get("macro", ""))
    if code in ("acknowledged", "acknowledgement_withheld"):
        from tanggap.automations.acknowledge import event_promise, withheld_reason

        if code == "acknowledged":
            return format_html(
                _("Acknowledgement sent to {address}, promising the first answer {promise}"),
                address=data.get("to", ""),
                promise=event_promise(data),
            )
        return format_html(
            _("No acknowledgement sent: {reason}"), reason=withheld_reason(data.get("reason", ""))
        )
    if code == "created_by_agent":
        return format_html(_("{actor} created this ticket"), actor=actor)
    if code == "follow_up_created":
        return format_html(
            _("Follow-up of closed ticket {ticket}"), ticket=_ticket_link(data.get("follow_up_of"))
        )
    if code == "recovery_offered":
        from tanggap.web.views.recovery import offer_event_sentence

        return offer_event_sentence(actor, data)
    if code in ("trigger_fired", "triggers_stopped"):
        from tanggap.web.views.automations import trigger_event_sentence

        return trigger_event_sentence(code, data)
    return format_html("{} ({})", actor, code)


@register.simple_tag(takes_context=True)
def queue_counts(context: dict[str, Any]) -> dict[str, str]:
    """Active tickets per queue view, each count capped so the nav costs the same on any table size."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    cap = common.COUNT_CAP
    counts = ticket_queue_counts(user=user, cap=cap)
    return {view: f"{n - 1}+" if n >= cap else str(n) for view, n in counts.items()}


@register.simple_tag(takes_context=True)
def nav_teams(context: dict[str, Any]) -> tuple[tuple[int, str], ...]:
    """The teams in the navigation as ``(id, name)``: every team for admins, else the user's own."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ()
    return team_choices(user=user) if user.is_admin else user_teams(user)


@register.simple_tag
def options(choices: Iterable[tuple[Any, Any]], selected: Any = "") -> SafeString:
    """``<option>`` elements for ``(value, label)`` pairs with ``selected`` marked: one call instead of a
    template loop, since pickers can hold hundreds of agents and render on every queue page."""
    chosen = "" if selected is None else str(selected)
    parts = []
    for value, label in choices:
        text = str(value)
        mark = " selected" if text == chosen else ""
        parts.append(f'<option value="{escape(text)}"{mark}>{escape(str(label))}</option>')
    # Every value and label above is escaped.
    return mark_safe("".join(parts))  # noqa: S308


@register.simple_tag
def ticket_row_list(
    rows: Sequence[TicketRow], selectable: bool = False, warn_at: dict[int, datetime] | None = None
) -> SafeString:
    """The ``<li>`` rows of a ticket list (queue, search results).

    Written here rather than as a template loop: the queue and search show 25 rows on every load,
    and Django's template engine spent ~4 ms on them where this takes under one. Every value is
    escaped; the markup is the list's whole look, kept in this one place. ``warn_at``: each ticket's
    warning instant, for the time left's colour.
    """
    warn_at = warn_at or {}
    statuses = dict(Status.choices)
    priorities = dict(Priority.choices)
    priority_title = escape(_("Priority"))
    unassigned = f"<em>{escape(_('Unassigned'))}</em>"
    select = _("Select ticket %(number)s")
    parts = []
    for row in rows:
        number = row.id
        check = (
            f'<input type="checkbox" name="tickets" value="{number}" class="row-check"'
            f' aria-label="{escape(select % {"number": number})}">'
            if selectable
            else ""
        )
        tags = "".join(f'<span class="tag">{escape(tag)}</span>' for tag in row.tags)
        tags += signal_chips(row.sentiment, row.anger, row.intents)
        status, priority = escape(row.status), int(row.priority)
        url = escape(cached_reverse("web:ticket", [number]))
        status_label = escape(str(statuses.get(row.status, "")))
        priority_label = escape(str(priorities.get(row.priority, "")))
        assignee = escape(row.assignee_name) if row.assignee_name else unassigned
        parts.append(
            f'<li class="ticket-row prio-{priority}">{check}'
            f'<div class="row-main"><a class="row-subject" href="{url}">'
            f'<span class="num">#{number}</span> {escape(row.subject)}</a>'
            f'<div class="row-sub"><span class="customer">{escape(row.customer_name)}</span>'
            f"{tags}</div></div>"
            f'<div class="row-meta"><span class="badge status-{status}">{status_label}</span>'
            f' <span class="prio prio-{priority}" title="{priority_title}">{priority_label}</span>'
            f' <span class="team">{escape(row.team_name or "—")}</span>'
            f' <span class="assignee">{assignee}</span>'
            f' <span class="left">{time_left(row.due_at, warn_at.get(number))}</span>'
            f' <span class="updated">{when(row.updated_at)}</span></div></li>'
        )
    # Every value above is escaped (``when`` returns safe, escaped HTML).
    return mark_safe("\n".join(parts))  # noqa: S308


ANGRY = 0.5  # an anger score from which the customer is shown as angry


def signal_chips(sentiment: str, anger: float | None, intents: Sequence[str]) -> str:
    """Small labels for what assist read in the customer's messages (escaped HTML)."""
    labels = signal_labels()
    chips = []
    if anger is not None and anger >= ANGRY:
        title = escape(_("Anger %(percent)s%%") % {"percent": round(anger * 100)})
        chips.append(f'<span class="signal signal-angry" title="{title}">{escape(labels["angry"])}</span>')
    elif sentiment in ("negative", "positive"):
        chips.append(f'<span class="signal signal-{sentiment}">{escape(labels[sentiment])}</span>')
    chips += [
        f'<span class="signal signal-intent">{escape(labels.get(i, i))}</span>'
        for i in intents
        if i != "question"
    ]
    return f'<span class="signals">{"".join(chips)}</span>' if chips else ""


def signal_labels() -> dict[str, str]:
    """Every word a signal chip may show: the condition labels of ``assist_labels`` and the languages."""
    return {
        "angry": _("Angry"),
        **{key: str(label) for key, label in SENTIMENT_LABELS.items()},
        **{key: str(label) for key, label in EMOTION_LABELS.items()},
        **{key: str(label) for key, label in INTENT_LABELS.items()},
        "id": _("Indonesian"),
        "en": _("English"),
        "other": _("Other language"),
    }


@register.simple_tag
def message_signals(message: Any) -> SafeString:
    """Chips for one customer message's signals, and the questions it asks; empty until assist read it."""
    try:
        signals = message.signals
    except ObjectDoesNotExist:
        return mark_safe("")
    labels = signal_labels()
    chips = signal_chips(signals.sentiment, signals.anger, signals.intents)
    language = f'<span class="signal">{escape(labels.get(signals.language, signals.language))}</span>'
    percent = round(signals.anger * 100)
    if signals.emotion:
        emotion = labels.get(signals.emotion, signals.emotion)
        title = escape(
            _("Emotion: %(emotion)s, anger %(percent)s%%") % {"emotion": emotion, "percent": percent}
        )
    else:
        title = escape(_("No particular feeling, anger %(percent)s%%") % {"percent": percent})
    html = f'<span class="signals" title="{title}">{language}</span>{chips}'
    if signals.questions:
        items = "".join(f"<li>{escape(q['text'])}</li>" for q in signals.questions)
        summary = escape(
            ngettext("%(count)s question", "%(count)s questions", len(signals.questions))
            % {"count": len(signals.questions)}
        )
        html += f'<details class="tl-questions"><summary>{summary}</summary><ul>{items}</ul></details>'
    return mark_safe(html)  # noqa: S308 - every value is escaped


@register.filter
def initials(name: str) -> str:
    parts = [p for p in str(name).split() if p]
    return ("".join(p[0] for p in parts[:2]) or "?").upper()
