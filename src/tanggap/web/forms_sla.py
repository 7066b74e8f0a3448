"""Forms of the response-target admin pages: business calendars, policies and roster shifts. They
parse and bound input; ``sla.admin_services`` decides."""

from __future__ import annotations

import itertools
import re
import zoneinfo
from collections.abc import Sequence
from datetime import date, time
from typing import Any

from django import forms
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext_lazy as _

from tanggap.accounts.models import Team, User
from tanggap.sla import clock
from tanggap.tickets.models import Channel, Priority
from tanggap.web.assist_labels import INTENT_LABELS, SENTIMENT_LABELS
from tanggap.web.forms import Form

# Indonesia's three zones first, then every IANA zone this machine knows.
INDONESIAN_ZONES = [
    ("Asia/Jakarta", _("WIB — Western Indonesia (Asia/Jakarta)")),
    ("Asia/Makassar", _("WITA — Central Indonesia (Asia/Makassar)")),
    ("Asia/Jayapura", _("WIT — Eastern Indonesia (Asia/Jayapura)")),
]


def zone_choices() -> list[tuple[Any, Any]]:
    indonesian = {zone for zone, _label in INDONESIAN_ZONES}
    others = sorted(zone for zone in zoneinfo.available_timezones() if zone not in indonesian)
    return [
        (_("Indonesia"), INDONESIAN_ZONES),
        (_("Every time zone"), [(zone, zone.replace("_", " ")) for zone in others]),
    ]


_SPLIT = re.compile(r"[,;\n]+")
_DAY_SPLIT = re.compile(r"[\s,;]+")


def _clean_day(text: str, weekday: int) -> list[str]:
    """One weekday's intervals, e.g. "08:00-12:00, 13:00-17:00", checked with ``clock.parse_hours``."""
    parts = [part.strip() for part in _SPLIT.split(text or "") if part.strip()]
    spans: list[tuple[int, int, str]] = []
    for part in parts:
        try:
            ((start, end),) = clock.parse_hours({weekday: [part]})[weekday]
        except ValueError:
            raise forms.ValidationError(
                _("Write hours like 08:00-17:00 (several separated by commas); “%(text)s” is not."),
                params={"text": part},
            ) from None
        begin = start.hour * 60 + start.minute
        finish = 24 * 60 if end == time(0) else end.hour * 60 + end.minute
        if begin >= finish:
            raise forms.ValidationError(
                _(
                    "%(text)s ends before it starts. Hours across midnight are two intervals: "
                    "22:00-24:00 on one day and 00:00-06:00 on the next."
                ),
                params={"text": part},
            )
        spans.append((begin, finish, part))
    spans.sort()
    for (_b1, f1, first), (b2, _f2, second) in itertools.pairwise(spans):
        if b2 < f1:
            raise forms.ValidationError(
                _("%(first)s and %(second)s overlap."), params={"first": first, "second": second}
            )
    return [part.replace(" ", "") for _b, _f, part in spans]


class CalendarForm(Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    time_zone = forms.ChoiceField(label=_("Time zone"), initial="Asia/Jakarta")
    always_open = forms.BooleanField(
        label=_("Open 24/7"),
        required=False,
        help_text=_("Every hour counts towards the targets; the weekly hours and holidays are not used."),
    )
    public_holidays = forms.BooleanField(
        label=_("Closed on Indonesian public holidays"), required=False, initial=True
    )
    days_off = forms.CharField(
        label=_("Company days off"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "2026-12-24\n2026-12-31"}),
        help_text=_(
            "Dates the company is closed besides the public holidays (e.g. cuti bersama), "
            "as YYYY-MM-DD, one per line or separated by commas."
        ),
    )
    is_default = forms.BooleanField(
        label=_("Default calendar"),
        required=False,
        help_text=_(
            "Used by tickets of no team and of teams without a calendar. Only one calendar is the default."
        ),
    )

    def __init__(
        self,
        *args: Any,
        teams: Sequence[tuple[int, str, str]] = (),
        agents: Sequence[tuple[int, str]] = (),
        read_only: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = zone_choices()  # type: ignore[attr-defined]
        for weekday, label in WEEKDAYS.items():
            self.fields[f"hours_{weekday}"] = forms.CharField(
                label=label,
                required=False,
                max_length=500,
                widget=forms.TextInput(attrs={"placeholder": "08:00-12:00, 13:00-17:00"}),
            )
        self.teams = list(teams)  # (id, name, the other calendar it uses now or "")
        supervisor_choices = [("", _("No supervisor")), *agents]
        for team_id, name, _other in self.teams:
            self.fields[f"team_{team_id}"] = forms.BooleanField(label=name, required=False)
            self.fields[f"supervisor_{team_id}"] = forms.TypedChoiceField(
                label=_("Supervisor of %(team)s") % {"team": name},
                choices=supervisor_choices,
                coerce=int,
                empty_value=None,
                required=False,
            )
        if read_only:
            for form_field in self.fields.values():
                form_field.disabled = True

    def hours_fields(self) -> list[forms.BoundField]:
        return [self[f"hours_{weekday}"] for weekday in WEEKDAYS]

    def team_rows(self) -> list[tuple[forms.BoundField, forms.BoundField, str]]:
        return [(self[f"team_{pk}"], self[f"supervisor_{pk}"], other) for pk, _name, other in self.teams]

    def clean_days_off(self) -> list[date]:
        out = []
        for text in _DAY_SPLIT.split(self.cleaned_data["days_off"] or ""):
            if not text:
                continue
            try:
                out.append(date.fromisoformat(text))
            except ValueError:
                raise forms.ValidationError(
                    _("“%(text)s” is not a date; write dates like 2026-12-24."), params={"text": text}
                ) from None
        return sorted(set(out))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        hours: dict[int, list[str]] = {}
        for weekday in WEEKDAYS:
            name = f"hours_{weekday}"
            if name not in cleaned:
                continue
            try:
                intervals = _clean_day(cleaned[name], weekday)
            except forms.ValidationError as exc:
                self.add_error(name, exc)
                continue
            if intervals:
                hours[weekday] = intervals
        cleaned["hours"] = hours
        has_errors = any(f"hours_{weekday}" in self.errors for weekday in WEEKDAYS)
        if not has_errors and not hours and not cleaned.get("always_open"):
            raise forms.ValidationError(_("Give business hours on at least one day, or choose Open 24/7."))
        cleaned["teams"] = [
            (pk, cleaned.get(f"supervisor_{pk}"))
            for pk, _name, _other in self.teams
            if cleaned.get(f"team_{pk}")
        ]
        return cleaned


def calendar_initial(row: Any, links: list[tuple[int, int | None]]) -> dict[str, Any]:
    initial: dict[str, Any] = {
        "name": row.name,
        "time_zone": row.time_zone,
        "always_open": row.always_open,
        "public_holidays": row.public_holidays,
        "days_off": "\n".join(row.days_off or ()),
        "is_default": row.is_default,
    }
    for weekday in WEEKDAYS:
        initial[f"hours_{weekday}"] = ", ".join((row.hours or {}).get(str(weekday), []))
    for team_id, supervisor_id in links:
        initial[f"team_{team_id}"] = True
        initial[f"supervisor_{team_id}"] = supervisor_id or ""
    return initial


# --- policies ----------------------------------------------------------------------------------------

_DURATION = re.compile(
    r"(?:(?P<hours>\d{1,6})\s*(?:h|hr|hrs|hours?|j|jam))?\s*(?:(?P<minutes>\d{1,6})\s*(?:m|min|mins|minutes?|menit))?",
    re.IGNORECASE,
)


def parse_minutes(text: str) -> int | None:
    """ "90", "90m", "1h", "1h 30m", "2 jam" … as minutes; None for empty text. ValueError otherwise."""
    text = (text or "").strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    match = _DURATION.fullmatch(text)
    if not match or not (match["hours"] or match["minutes"]):
        raise ValueError(text)
    return int(match["hours"] or 0) * 60 + int(match["minutes"] or 0)


def format_minutes(minutes: int | None) -> str:
    if not minutes:
        return ""
    hours, rest = divmod(minutes, 60)
    return " ".join(part for part in (f"{hours}h" if hours else "", f"{rest}m" if rest else "") if part)


class MinutesField(forms.CharField):
    """A span of business time: minutes, or hours and minutes ("1h 30m")."""

    default_error_messages = {
        "invalid": _("Write a time like 90, 90m, 1h or 1h 30m."),
        "range": _("A target is from 1 minute to 1 year."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 40)
        kwargs.setdefault(
            "help_text", _("Business time: minutes, or hours and minutes like 1h 30m. Empty: no target.")
        )
        super().__init__(**kwargs)

    def clean(self, value: Any) -> int | None:  # type: ignore[override]
        text = super().clean(value)
        try:
            minutes = parse_minutes(text)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        if minutes is not None and not 0 < minutes <= 365 * 24 * 60:
            raise forms.ValidationError(self.error_messages["range"], code="range")
        return minutes


def _comma_list(text: str) -> list[str]:
    return [part.strip() for part in _SPLIT.split(text or "") if part.strip()]


class PolicyForm(Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    channels = forms.MultipleChoiceField(
        label=_("Channels"), choices=Channel.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    priorities = forms.TypedMultipleChoiceField(
        label=_("Priorities"),
        choices=Priority.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    inboxes = forms.TypedMultipleChoiceField(
        label=_("Inboxes"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple
    )
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=2000,
        help_text=_("Separated by commas; a ticket with any one of them matches."),
    )
    tiers = forms.CharField(
        label=_("Customer tiers"),
        required=False,
        max_length=2000,
        help_text=_("Separated by commas, e.g. gold, platinum."),
    )
    intents = forms.MultipleChoiceField(
        label=_("Customer's intents"),
        choices=list(INTENT_LABELS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What assist found in the customer's messages so far; any one of them matches."),
    )
    sentiments = forms.MultipleChoiceField(
        label=_("Sentiment of the customer's latest message"),
        choices=list(SENTIMENT_LABELS.items()),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    min_anger = forms.IntegerField(
        label=_("Customer at least this angry (%)"),
        min_value=0,
        max_value=100,
        required=False,
        help_text=_(
            "How angry assist read the customer's latest message, 0 to 100. Empty: any; a ticket "
            "assist has not read does not match."
        ),
    )
    first_response = MinutesField(label=_("First response"))
    next_response = MinutesField(label=_("Next response"))
    resolution = MinutesField(label=_("Resolution"))
    warn_percent = forms.IntegerField(
        label=_("Warn the assignee at (% of the target)"), min_value=1, max_value=98, initial=75
    )
    escalate_percent = forms.IntegerField(
        label=_("Warn the supervisor at (% of the target)"), min_value=2, max_value=99, initial=90
    )
    pause_on_hold = forms.BooleanField(
        label=_("Pause the clocks while on hold (waiting on a third party)"),
        required=False,
        initial=True,
        help_text=_("Waiting on the customer always pauses them."),
    )
    breach_priority = forms.TypedChoiceField(
        label=_("On breach, raise the priority to"),
        choices=[("", _("Leave as it is")), *Priority.choices],
        coerce=int,
        empty_value=None,
        required=False,
    )
    breach_team = forms.ModelChoiceField(
        label=_("On breach, move to team"),
        queryset=Team.objects.order_by("name"),
        required=False,
        empty_label=_("Leave as it is"),
    )
    breach_assignee = forms.ModelChoiceField(
        label=_("On breach, assign to"),
        queryset=User.objects.filter(is_active=True).order_by("display_name", "username"),
        required=False,
        empty_label=_("Leave as it is"),
    )

    def __init__(
        self,
        *args: Any,
        inboxes: Sequence[tuple[int, str]] = (),
        read_only: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["inboxes"].choices = inboxes  # type: ignore[attr-defined]
        if read_only:
            for form_field in self.fields.values():
                form_field.disabled = True

    def clean_tags(self) -> list[str]:
        return _comma_list(self.cleaned_data["tags"])

    def clean_tiers(self) -> list[str]:
        return _comma_list(self.cleaned_data["tiers"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        targets = ("first_response", "next_response", "resolution")
        if all(name in cleaned for name in targets) and not any(cleaned[name] for name in targets):
            raise forms.ValidationError(_("Give at least one target."))
        warn, escalate = cleaned.get("warn_percent"), cleaned.get("escalate_percent")
        if warn is not None and escalate is not None and warn >= escalate:
            self.add_error(
                "escalate_percent",
                _("Warn the supervisor later than the assignee: give a larger percentage."),
            )
        return cleaned


def policy_initial(row: Any) -> dict[str, Any]:
    return {
        "name": row.name,
        "is_active": row.is_active,
        "channels": row.channels,
        "priorities": row.priorities,
        "inboxes": row.inboxes,
        "tags": ", ".join(row.tags),
        "tiers": ", ".join(row.tiers),
        "intents": row.intents,
        "sentiments": row.sentiments,
        "min_anger": None if row.min_anger is None else round(row.min_anger * 100),
        "first_response": format_minutes(row.first_response_minutes),
        "next_response": format_minutes(row.next_response_minutes),
        "resolution": format_minutes(row.resolution_minutes),
        "warn_percent": row.warn_percent,
        "escalate_percent": row.escalate_percent,
        "pause_on_hold": row.pause_on_hold,
        "breach_priority": row.breach_priority or "",
        "breach_team": row.breach_team_id,
        "breach_assignee": row.breach_assignee_id,
    }


# --- the roster ----------------------------------------------------------------------------------------

_LOCAL_INPUT = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class ShiftForm(Form):
    """A roster shift. Times are read in the calendar's zone: validate inside ``timezone.override``."""

    agent = forms.TypedChoiceField(label=_("Agent"), coerce=int)
    starts_at = forms.DateTimeField(
        label=_("Starts"),
        input_formats=_LOCAL_INPUT,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    ends_at = forms.DateTimeField(
        label=_("Ends"),
        input_formats=_LOCAL_INPUT,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args: Any, members: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agent"].choices = members  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if starts is not None and ends is not None and ends <= starts:
            self.add_error("ends_at", _("A shift ends after it starts."))
        return cleaned
