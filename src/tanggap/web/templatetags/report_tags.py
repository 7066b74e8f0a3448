"""Filters of the response-time dashboards: durations and shares as people read them."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """``95`` → "2 min", ``5400`` → "1 h 30 min", ``200000`` → "2 d 7 h"; "—" for no figure."""
    if not isinstance(seconds, int | float):
        return "—"
    minutes = round(seconds / 60)
    if seconds < 60:
        return _("%(n)d s") % {"n": round(seconds)}
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes} if minutes else _("%(h)d h") % {"h": hours}
    days, hours = divmod(hours, 24)
    return _("%(d)d d %(h)d h") % {"d": days, "h": hours} if hours else _("%(d)d d") % {"d": days}


@register.filter
def percent(value: float | None) -> str:
    return f"{value:.0f} %" if isinstance(value, int | float) else "—"
