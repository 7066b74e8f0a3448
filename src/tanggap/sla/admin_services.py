"""Writing business calendars, team calendars, response-target policies and the off-hours roster
(the admin pages). A change that moves clocks marks the active tickets concerned ``derived_stale``:
the minute sweep works their clocks out again."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils.translation import gettext

from tanggap.accounts.models import Team, User
from tanggap.accounts.permissions import require
from tanggap.core.audit import audit_record
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput, PermissionDenied
from tanggap.customers.models import normalise_tier
from tanggap.inboxes.models import Inbox
from tanggap.sla import clock, targets
from tanggap.sla.models import BusinessCalendar, Policy, RosterShift, TeamCalendar
from tanggap.sla.selectors import ROSTER_ACTION, roster_can_manage
from tanggap.tickets.models import ACTIVE_CONDITION, Channel, Priority, Ticket
from tanggap.tickets.timeline import normalise_tag

MANAGE_ACTION = "sla.manage"
MAX_TARGET_MINUTES = 365 * 24 * 60
MAX_DAYS_OFF = 1000
MAX_CONDITION_VALUES = 200
# The policies offered when there are none: the first answer to an e-mail or a web form within an
# hour, to a chat within three minutes (docs/sla.md).
DEFAULT_POLICIES = (
    ("email_web", [Channel.EMAIL.value, Channel.WEB.value], 60),
    ("chat", [Channel.CHAT.value], 3),
)

# The fields of a calendar that move clocks (its name does not).
_CLOCK_FIELDS = frozenset({"time_zone", "hours", "always_open", "public_holidays", "days_off"})


# --- marking clocks for the sweep ------------------------------------------------------------------


def _mark_stale(condition: Q | None = None) -> int:
    """Flag the active tickets matching ``condition`` (all when None) for the sweep."""
    qs = Ticket.objects.filter(ACTIVE_CONDITION, derived_stale=False)
    if condition is not None:
        qs = qs.filter(condition)
    return qs.update(derived_stale=True)


def _teams_on_default() -> Q:
    """Tickets whose clocks run on the default calendar: no team, or a team without a calendar."""
    return Q(team__isnull=True) | ~Q(team_id__in=TeamCalendar.objects.values("team_id"))


def _mark_calendar_tickets(team_ids: Iterable[int], default: bool) -> None:
    condition = Q(team_id__in=sorted(set(team_ids)))
    if default:
        condition |= _teams_on_default()
    _mark_stale(condition)


# --- calendars ---------------------------------------------------------------------------------------


def _clean_name(name: str, model: type[BusinessCalendar] | type[Policy], exclude_pk: int | None) -> str:
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise InvalidInput("a name of 1 to 100 characters is needed", field="name")
    others = model.objects.all() if exclude_pk is None else model.objects.exclude(pk=exclude_pk)
    if others.filter(name__iexact=name).exists():
        raise ApplicationError(ErrorCode.CONFLICT, "that name is taken", field="name")
    return name


def _clean_hours(hours: Mapping[Any, Iterable[str]]) -> dict[str, list[str]]:
    """Weekly hours as stored: ``{"0": ["08:00-12:00", …]}``, each interval re-written as HH:MM-HH:MM,
    days without hours left out. Refuses what ``clock.parse_hours`` or ``clock.Calendar`` refuse."""
    out: dict[str, list[str]] = {}
    for key, intervals in hours.items():
        try:
            weekday = int(key)
        except (TypeError, ValueError):
            raise InvalidInput("weekdays are 0 (Monday) to 6 (Sunday)", field="hours") from None
        texts = [text.strip() for text in intervals if text and text.strip()]
        if not texts:
            continue
        try:
            parsed = clock.parse_hours({weekday: texts})[weekday]
        except ValueError as exc:
            raise InvalidInput(str(exc), field="hours") from None
        out[str(weekday)] = [
            f"{start:%H:%M}-{'24:00' if end == time(0) else f'{end:%H:%M}'}" for start, end in parsed
        ]
    return dict(sorted(out.items()))


def _clean_zone(time_zone: str) -> str:
    try:
        clock.Calendar(zone=time_zone, always_open=True)
    except ValueError:
        raise InvalidInput("unknown time zone", field="time_zone") from None
    return time_zone


def _clean_days_off(days_off: Iterable[date | str]) -> list[str]:
    out: set[str] = set()
    for day in days_off:
        try:
            value = day if isinstance(day, date) else date.fromisoformat(str(day).strip())
        except ValueError:
            raise InvalidInput("days off are dates (YYYY-MM-DD)", field="days_off") from None
        out.add(value.isoformat())
    if len(out) > MAX_DAYS_OFF:
        raise InvalidInput("too many days off", field="days_off")
    return sorted(out)


def _check_calendar(row: BusinessCalendar) -> None:
    """The stored calendar must make a clock (hours, zone and days off together)."""
    try:
        weekly = clock.parse_hours({int(day): texts for day, texts in row.hours.items()})
        clock.Calendar(
            zone=row.time_zone,
            weekly=weekly,
            holidays=frozenset(date.fromisoformat(day) for day in row.days_off),
            always_open=row.always_open,
        )
    except ValueError as exc:
        field = "hours" if "zone" not in str(exc) else "time_zone"
        raise InvalidInput(str(exc), field=field) from None


def _clean_team_links(
    teams: Sequence[tuple[Team, User | None]],
) -> dict[int, int | None]:
    links: dict[int, int | None] = {}
    for team, supervisor in teams:
        if supervisor is not None and not supervisor.is_active:
            raise InvalidInput("the supervisor is not active", field="supervisor")
        links[team.pk] = supervisor.pk if supervisor is not None else None
    return links


def _save_calendar(row: BusinessCalendar) -> None:
    try:
        with transaction.atomic():
            if row.is_default:
                # One default at a time (a unique constraint holds it): the new one replaces the old.
                BusinessCalendar.objects.filter(is_default=True).exclude(pk=row.pk).update(is_default=False)
            row.save()
    except IntegrityError:
        raise ApplicationError(ErrorCode.CONFLICT, "that name is taken", field="name") from None


def _set_team_links(row: BusinessCalendar, links: Mapping[int, int | None]) -> set[int]:
    """Make ``links`` (team id -> supervisor id) the teams on ``row``. Returns the teams whose
    calendar changed (moved here, or moved off to the default)."""
    before = {
        link.team_id: link
        for link in TeamCalendar.objects.filter(Q(calendar=row) | Q(team_id__in=list(links)))
    }
    moved: set[int] = set()
    for team_id, supervisor_id in links.items():
        link = before.get(team_id)
        if link is None:
            TeamCalendar.objects.create(team_id=team_id, calendar=row, supervisor_id=supervisor_id)
            moved.add(team_id)
        elif link.calendar_id != row.pk or link.supervisor_id != supervisor_id:
            if link.calendar_id != row.pk:
                moved.add(team_id)
            TeamCalendar.objects.filter(team_id=team_id).update(calendar=row, supervisor_id=supervisor_id)
    dropped = [
        team_id for team_id, link in before.items() if link.calendar_id == row.pk and team_id not in links
    ]
    if dropped:
        TeamCalendar.objects.filter(team_id__in=dropped).delete()
        moved.update(dropped)
    return moved


@transaction.atomic
def calendar_create(
    *,
    actor: Any,
    name: str,
    time_zone: str = "Asia/Jakarta",
    hours: Mapping[Any, Iterable[str]] | None = None,
    always_open: bool = False,
    public_holidays: bool = True,
    days_off: Iterable[date | str] = (),
    is_default: bool = False,
    teams: Sequence[tuple[Team, User | None]] = (),
) -> BusinessCalendar:
    """A new business calendar, used by ``teams`` (each with its supervisor, or None)."""
    require(actor, MANAGE_ACTION)
    row = BusinessCalendar(
        name=_clean_name(name, BusinessCalendar, None),
        time_zone=_clean_zone(time_zone),
        hours=_clean_hours(hours if hours is not None else {day: ["08:00-17:00"] for day in range(5)}),
        always_open=always_open,
        public_holidays=public_holidays,
        days_off=_clean_days_off(days_off),
        is_default=is_default,
    )
    _check_calendar(row)
    links = _clean_team_links(teams)
    _save_calendar(row)
    moved = _set_team_links(row, links)
    _mark_calendar_tickets(moved, default=is_default)
    audit_record(
        actor=actor,
        action="calendar.created",
        target=row,
        data={"teams": sorted(links), "default": is_default},
    )
    return row


@transaction.atomic
def calendar_update(
    *,
    actor: Any,
    calendar: BusinessCalendar,
    name: str | None = None,
    time_zone: str | None = None,
    hours: Mapping[Any, Iterable[str]] | None = None,
    always_open: bool | None = None,
    public_holidays: bool | None = None,
    days_off: Iterable[date | str] | None = None,
    is_default: bool | None = None,
    teams: Sequence[tuple[Team, User | None]] | None = None,
) -> BusinessCalendar:
    """Change a calendar (arguments left None stay); ``teams``, when given, become the teams that use
    it. The active tickets whose clocks run on it, before or after, are worked out again."""
    require(actor, MANAGE_ACTION)
    row = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    was_default = row.is_default
    changed: dict[str, Any] = {}
    values = {
        "name": None if name is None else _clean_name(name, BusinessCalendar, row.pk),
        "time_zone": None if time_zone is None else _clean_zone(time_zone),
        "hours": None if hours is None else _clean_hours(hours),
        "always_open": always_open,
        "public_holidays": public_holidays,
        "days_off": None if days_off is None else _clean_days_off(days_off),
        "is_default": is_default,
    }
    for attr, value in values.items():
        if value is not None and value != getattr(row, attr):
            setattr(row, attr, value)
            changed[attr] = True
    _check_calendar(row)
    if changed:
        _save_calendar(row)
    moved: set[int] = set()
    if teams is not None:
        links = _clean_team_links(teams)
        before = set(TeamCalendar.objects.filter(calendar=row).values_list("team_id", "supervisor_id"))
        moved = _set_team_links(row, links)
        if before != set(links.items()):
            changed["teams"] = sorted(links)
    clocks_changed = bool(set(changed) & _CLOCK_FIELDS)
    default_changed = was_default != row.is_default
    affected = set(moved)
    if clocks_changed:
        affected |= set(TeamCalendar.objects.filter(calendar=row).values_list("team_id", flat=True))
    if affected or default_changed or (clocks_changed and row.is_default):
        _mark_calendar_tickets(affected, default=default_changed or (clocks_changed and row.is_default))
    if changed:
        audit_record(actor=actor, action="calendar.updated", target=row, data=changed)
    return row


@transaction.atomic
def calendar_delete(*, actor: Any, calendar: BusinessCalendar) -> None:
    """Delete a calendar no team uses. Deleting the default moves tickets of no team to 24/7."""
    require(actor, MANAGE_ACTION)
    row = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    if TeamCalendar.objects.filter(calendar=row).exists():
        raise ApplicationError(ErrorCode.CONFLICT, "teams use this calendar", field="teams")
    audit_record(actor=actor, action="calendar.deleted", target=row, data={"name": row.name})
    if row.is_default:
        _mark_stale(_teams_on_default())
    row.delete()


# --- policies ----------------------------------------------------------------------------------------


def _clean_choices(values: Iterable[Any], allowed: Iterable[Any], field: str, kind: type = str) -> list[Any]:
    allowed_set = set(allowed)
    out = []
    for value in values:
        try:
            value = kind(value)
        except (TypeError, ValueError):
            raise InvalidInput(f"unknown {field} value", field=field) from None
        if value not in allowed_set:
            raise InvalidInput(f"unknown {field} value", field=field)
        if value not in out:
            out.append(value)
    return sorted(out)


def _clean_texts(values: Iterable[str], field: str, normalise: Any = None) -> list[str]:
    out: list[str] = []
    for value in values:
        text = normalise(value) if normalise else " ".join(str(value).split())[:100]
        if text and text not in out:
            out.append(text)
    if len(out) > MAX_CONDITION_VALUES:
        raise InvalidInput(f"too many {field}", field=field)
    return sorted(out)


def _clean_minutes(value: int | None, field: str) -> int | None:
    if value is None:
        return None
    if not 0 < int(value) <= MAX_TARGET_MINUTES:
        raise InvalidInput("a target is 1 minute to 1 year", field=field)
    return int(value)


def _clean_policy(values: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise a policy's fields (those present in ``values``)."""
    out = dict(values)
    if "channels" in out:
        out["channels"] = _clean_choices(out["channels"], Channel.values, "channels")
    if "priorities" in out:
        out["priorities"] = _clean_choices(out["priorities"], Priority.values, "priorities", int)
    if "inboxes" in out:
        ids = list(out["inboxes"])
        known = Inbox.objects.filter(pk__in=[int(i) for i in ids if str(i).isdigit()]).values_list(
            "pk", flat=True
        )
        out["inboxes"] = _clean_choices(ids, list(known), "inboxes", int)
    if "tiers" in out:
        out["tiers"] = _clean_texts(out["tiers"], "tiers", normalise_tier)
    if "tags" in out:
        out["tags"] = _clean_texts(out["tags"], "tags", normalise_tag)
    if "intents" in out:
        out["intents"] = _clean_choices(out["intents"], targets.INTENTS, "intents")
    if "sentiments" in out:
        out["sentiments"] = _clean_choices(out["sentiments"], targets.SENTIMENTS, "sentiments")
    if out.get("min_anger") is not None:
        try:
            out["min_anger"] = round(float(out["min_anger"]), 4)
        except (TypeError, ValueError):
            raise InvalidInput("anger is a share from 0 to 1", field="min_anger") from None
        if not 0 <= out["min_anger"] <= 1:  # NaN is refused too
            raise InvalidInput("anger is a share from 0 to 1", field="min_anger")
    for field in ("first_response_minutes", "next_response_minutes", "resolution_minutes"):
        if field in out:
            out[field] = _clean_minutes(out[field], field)
    if out.get("breach_priority") is not None and out["breach_priority"] not in Priority.values:
        raise InvalidInput("unknown priority", field="breach_priority")
    assignee = out.get("breach_assignee")
    if assignee is not None and not assignee.is_active:
        raise InvalidInput("the agent is not active", field="breach_assignee")
    return out


def _check_policy(row: Policy) -> None:
    if not any((row.first_response_minutes, row.next_response_minutes, row.resolution_minutes)):
        raise InvalidInput("a policy needs at least one target", field="targets")
    if not 0 < row.warn_percent < row.escalate_percent < 100:
        raise InvalidInput("0 < warn_percent < escalate_percent < 100", field="warn_percent")
    if (
        row.breach_team is not None
        and row.breach_assignee_id is not None
        and not row.breach_team.members.filter(pk=row.breach_assignee_id).exists()
    ):
        raise InvalidInput("the agent is not in the team", field="breach_assignee")


def _save_policy(row: Policy) -> None:
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:
        raise ApplicationError(ErrorCode.CONFLICT, "that name is taken", field="name") from None


@transaction.atomic
def policy_create(
    *,
    actor: Any,
    name: str,
    channels: Sequence[str] = (),
    priorities: Sequence[int] = (),
    inboxes: Sequence[int] = (),
    tiers: Sequence[str] = (),
    tags: Sequence[str] = (),
    intents: Sequence[str] = (),
    sentiments: Sequence[str] = (),
    min_anger: float | None = None,
    first_response_minutes: int | None = None,
    next_response_minutes: int | None = None,
    resolution_minutes: int | None = None,
    warn_percent: int = 75,
    escalate_percent: int = 90,
    pause_on_hold: bool = True,
    breach_priority: int | None = None,
    breach_team: Team | None = None,
    breach_assignee: User | None = None,
    is_active: bool = True,
) -> Policy:
    """A new policy, tried after the existing ones. Every active ticket's clocks are worked out again."""
    require(actor, MANAGE_ACTION)
    values = _clean_policy(
        {
            "channels": channels,
            "priorities": priorities,
            "inboxes": inboxes,
            "tiers": tiers,
            "tags": tags,
            "intents": intents,
            "sentiments": sentiments,
            "min_anger": min_anger,
            "first_response_minutes": first_response_minutes,
            "next_response_minutes": next_response_minutes,
            "resolution_minutes": resolution_minutes,
            "breach_priority": breach_priority,
            "breach_assignee": breach_assignee,
        }
    )
    last = Policy.objects.aggregate(last=Max("position"))["last"]
    row = Policy(
        name=_clean_name(name, Policy, None),
        position=0 if last is None else last + 1,
        warn_percent=warn_percent,
        escalate_percent=escalate_percent,
        pause_on_hold=pause_on_hold,
        breach_team=breach_team,
        is_active=is_active,
        **values,
    )
    _check_policy(row)
    _save_policy(row)
    _mark_stale()
    audit_record(actor=actor, action="policy.created", target=row)
    return row


@transaction.atomic
def policy_update(*, actor: Any, policy: Policy, **fields: Any) -> Policy:
    """Change a policy's fields (any of ``policy_create``'s but ``actor``); every active ticket's
    clocks are worked out again when something changed."""
    require(actor, MANAGE_ACTION)
    allowed = {
        "name", "channels", "priorities", "inboxes", "tiers", "tags", "intents", "sentiments", "min_anger",
        "first_response_minutes",
        "next_response_minutes", "resolution_minutes", "warn_percent", "escalate_percent", "pause_on_hold",
        "breach_priority", "breach_team", "breach_assignee", "is_active",
    }  # fmt: skip
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"policy_update() got unexpected arguments {sorted(unknown)}")
    row = Policy.objects.select_for_update().get(pk=policy.pk)
    values = _clean_policy(fields)
    if "name" in values:
        values["name"] = _clean_name(values["name"], Policy, row.pk)
    changed = {}
    for attr, value in values.items():
        current = getattr(row, attr)
        if value != current:
            setattr(row, attr, value)
            changed[attr] = True
    if not changed:
        return row
    _check_policy(row)
    _save_policy(row)
    if set(changed) - {"name"}:
        _mark_stale()
    audit_record(actor=actor, action="policy.updated", target=row, data=changed)
    return row


@transaction.atomic
def policy_move(*, actor: Any, policy: Policy, up: bool) -> Policy:
    """Move a policy one place earlier (``up``) or later in the order policies are tried."""
    require(actor, MANAGE_ACTION)
    rows = list(Policy.objects.select_for_update().order_by("position", "id"))
    index = next(i for i, row in enumerate(rows) if row.pk == policy.pk)
    other = index - 1 if up else index + 1
    if not 0 <= other < len(rows):
        return rows[index]
    rows[index], rows[other] = rows[other], rows[index]
    for position, row in enumerate(rows):
        if row.position != position:
            Policy.objects.filter(pk=row.pk).update(position=position)
            row.position = position
    _mark_stale()
    audit_record(actor=actor, action="policy.moved", target=rows[other], data={"position": other})
    return rows[other]


def policy_set_active(*, actor: Any, policy: Policy, is_active: bool) -> Policy:
    """Deactivate (or activate again) a policy: a deactivated one is kept but never chosen."""
    return policy_update(actor=actor, policy=policy, is_active=is_active)


@transaction.atomic
def policies_create_defaults(*, actor: Any) -> list[Policy]:
    """The default policies when there are none at all: e-mail and web form, first response within
    60 minutes; chat within 3. Does nothing when a policy exists (active or not)."""
    require(actor, MANAGE_ACTION)
    if Policy.objects.select_for_update().exists():
        return []
    names = {"email_web": gettext("E-mail and web form"), "chat": gettext("Chat")}
    return [
        policy_create(actor=actor, name=names[key], channels=channels, first_response_minutes=minutes)
        for key, channels, minutes in DEFAULT_POLICIES
    ]


# --- the roster --------------------------------------------------------------------------------------


@transaction.atomic
def roster_shift_add(
    *, actor: Any, team: Team, agent: User, starts_at: datetime, ends_at: datetime, note: str = ""
) -> RosterShift:
    """Plan ``agent`` (an active member of ``team``) to cover the team from ``starts_at`` to ``ends_at``.
    Admins plan every team; a supervisor, the teams they belong to."""
    _require_roster(actor, team.pk)
    if starts_at.tzinfo is None or ends_at.tzinfo is None:
        raise InvalidInput("shift times must be aware datetimes", field="starts_at")
    if ends_at <= starts_at:
        raise InvalidInput("a shift ends after it starts", field="ends_at")
    if not agent.is_active or not team.members.filter(pk=agent.pk).exists():
        raise InvalidInput("the agent is not an active member of the team", field="agent")
    shift = RosterShift.objects.create(
        team=team,
        agent=agent,
        starts_at=starts_at,
        ends_at=ends_at,
        note=re.sub(r"\s+", " ", note).strip()[:200],
    )
    audit_record(
        actor=actor,
        action="roster.shift_added",
        target=shift,
        data={
            "team": team.pk,
            "agent": agent.pk,
            "starts_at": starts_at.isoformat(),
            "ends_at": ends_at.isoformat(),
        },
    )
    return shift


@transaction.atomic
def roster_shift_remove(*, actor: Any, shift: RosterShift) -> None:
    _require_roster(actor, shift.team_id)
    audit_record(
        actor=actor,
        action="roster.shift_removed",
        target=shift,
        data={"team": shift.team_id, "agent": shift.agent_id, "starts_at": shift.starts_at.isoformat()},
    )
    RosterShift.objects.filter(pk=shift.pk).delete()


def _require_roster(actor: Any, team_id: int) -> None:
    require(actor, ROSTER_ACTION)
    if not roster_can_manage(actor, team_id):
        raise PermissionDenied(action=ROSTER_ACTION)
