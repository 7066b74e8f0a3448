"""Template helpers of the agent workspace: times, system-event sentences, capped queue counts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from tanggap.accounts.selectors import team_list
from tanggap.tickets.models import Message, Priority, Status
from tanggap.tickets.selectors import QueueFilter, ticket_list_for_queue
from tanggap.web.views.common import capped_count

register = template.Library()

QUEUE_VIEWS = ("mine", "unassigned", "all")


@register.filter
def when(value: datetime | None) -> SafeString | str:
    """A ``<time>`` element: relative text, the exact local time on hover, ISO in ``datetime``."""
    if not value:
        return ""
    local = timezone.localtime(value)
    now = timezone.now()
    if abs((now - value).total_seconds()) < 60:
        text = _("just now")
    elif value <= now:
        text = _("%(time)s ago") % {"time": timesince(value, now, depth=1)}
    else:
        text = date_format(local, "SHORT_DATETIME_FORMAT")
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        local.isoformat(timespec="seconds"),
        date_format(local, "DATETIME_FORMAT"),
        text,
    )


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
    if code == "created_by_agent":
        return format_html(_("{actor} created this ticket"), actor=actor)
    if code == "follow_up_created":
        return format_html(
            _("Follow-up of closed ticket {ticket}"), ticket=_ticket_link(data.get("follow_up_of"))
        )
    return format_html("{} ({})", actor, code)


@register.simple_tag(takes_context=True)
def queue_counts(context: dict[str, Any]) -> dict[str, str]:
    """Active tickets per queue view, each count capped so the nav costs the same on any table size."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    counts: dict[str, str] = {}
    for view in QUEUE_VIEWS:
        n, capped = capped_count(
            ticket_list_for_queue(user=user, filters=QueueFilter(view=view, status="active"))
        )
        counts[view] = f"{n - 1}+" if capped else str(n)
    return counts


@register.simple_tag(takes_context=True)
def nav_teams(context: dict[str, Any]) -> list[Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    if user.is_admin:
        return list(team_list(user=user).prefetch_related(None))
    return list(user.teams.all())


@register.filter
def initials(name: str) -> str:
    parts = [p for p in str(name).split() if p]
    return ("".join(p[0] for p in parts[:2]) or "?").upper()
