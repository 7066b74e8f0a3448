"""Reading calendars, policies and the off-hours roster for the admin pages, and who is on shift
(``on_shift``, for the sweep's warnings about unassigned tickets out of hours)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Prefetch, QuerySet
from django.utils import timezone, translation
from holidays import country_holidays

from tanggap.accounts.models import Team, User
from tanggap.accounts.permissions import can, can_for_team
from tanggap.core.errors import NotFound, PermissionDenied
from tanggap.inboxes.models import Inbox
from tanggap.sla import clock, roster
from tanggap.sla.alerting import on_shift_by_team
from tanggap.sla.models import BusinessCalendar, Policy, RosterShift, TeamCalendar
from tanggap.sla.services import calendar_of

VIEW_ACTION = "sla.view"
ROSTER_DAYS = 14
ROSTER_ACTION = "roster.manage"
BREAK_MAX = timedelta(hours=2)  # closed stretches up to this long between open hours are breaks
# The languages the holidays package names Indonesia's holidays in, by interface language.
_HOLIDAY_LANGUAGES = {"id": "id", "en": "en_US"}


def _require_view(user: Any) -> None:
    if not can(user, VIEW_ACTION):
        raise PermissionDenied(action=VIEW_ACTION)


def _team_links() -> Prefetch[Any]:
    return Prefetch(
        "teams", queryset=TeamCalendar.objects.select_related("team", "supervisor").order_by("team__name")
    )


def calendar_list(*, user: Any) -> QuerySet[BusinessCalendar]:
    """Every calendar by name, each with its teams (``calendar.teams.all()``: ``TeamCalendar`` rows
    with the team and supervisor)."""
    _require_view(user)
    return BusinessCalendar.objects.prefetch_related(_team_links()).order_by("name")


def calendar_get(*, user: Any, calendar_id: int) -> BusinessCalendar:
    _require_view(user)
    try:
        return BusinessCalendar.objects.prefetch_related(_team_links()).get(pk=calendar_id)
    except (BusinessCalendar.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(object="calendar") from None


def team_calendar_links(*, user: Any) -> dict[int, TeamCalendar]:
    """Each team's calendar link, by team id (teams without a calendar are missing)."""
    _require_view(user)
    return {link.team_id: link for link in TeamCalendar.objects.select_related("calendar", "supervisor")}


def policy_list(*, user: Any) -> QuerySet[Policy]:
    """Every policy in the order they are tried (inactive ones too)."""
    _require_view(user)
    return Policy.objects.select_related("breach_team", "breach_assignee").order_by("position", "id")


def policy_get(*, user: Any, policy_id: int) -> Policy:
    _require_view(user)
    try:
        return Policy.objects.select_related("breach_team", "breach_assignee").get(pk=policy_id)
    except (Policy.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(object="policy") from None


def inbox_choices(*, user: Any) -> list[tuple[int, str]]:
    """Every inbox as ``(id, name)``, for a policy's conditions."""
    _require_view(user)
    return list(Inbox.objects.order_by("name").values_list("id", "name"))


def holiday_language() -> str:
    return _HOLIDAY_LANGUAGES.get((translation.get_language() or "en")[:2], "en_US")


def public_holidays(*, start: date, days: int = 366) -> list[tuple[date, str]]:
    """Indonesia's public holidays in ``[start, start + days)`` from the ``holidays`` package, named
    in the interface language when the package has it (Indonesian or English)."""
    stop = start + timedelta(days=days)
    names = country_holidays("ID", years=range(start.year, stop.year + 1), language=holiday_language())
    return sorted((day, str(name)) for day, name in names.items() if start <= day < stop)


# --- the roster ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DayPiece:
    """Off-hours on one local day, covered by ``agents`` (labels) or, when empty, a gap."""

    start: datetime  # local
    end: datetime  # local
    agents: tuple[str, ...]
    left: float  # where the piece starts and how long it is, in percent of the day (for the bar)
    width: float

    @property
    def covered(self) -> bool:
        return bool(self.agents)

    @property
    def label(self) -> str:
        end = (
            "24:00"
            if self.end.time() == time(0) and self.end.date() > self.start.date()
            else f"{self.end:%H:%M}"
        )
        return f"{self.start:%H:%M}–{end}"


@dataclass(slots=True)
class RosterDay:
    day: date
    holiday: str = ""  # the public holiday's name, or empty
    day_off: bool = False  # one of the company's own days off
    pieces: list[DayPiece] = field(default_factory=list)

    @property
    def gaps(self) -> list[DayPiece]:
        return [piece for piece in self.pieces if not piece.covered]


@dataclass(frozen=True, slots=True)
class ShiftRow:
    shift: RosterShift
    agent: str
    start: datetime  # local
    end: datetime  # local


@dataclass(slots=True)
class Roster:
    team: Team
    calendar: BusinessCalendar | None  # the calendar the team's clocks run on (its own or the default)
    own_calendar: bool  # the team's own, not the default
    zone: str
    start: date
    days: list[RosterDay]
    shifts: list[ShiftRow]
    members: list[tuple[int, str]]  # active members, for the shift form
    can_manage: bool = False  # whether the reader may add and remove shifts (``roster_can_manage``)
    off_hours: timedelta = timedelta(0)
    uncovered: timedelta = timedelta(0)

    @property
    def always_open(self) -> bool:
        return self.calendar is None or self.calendar.always_open

    @property
    def uncovered_hours(self) -> float:
        return round(self.uncovered.total_seconds() / 3600, 1)


def team_calendar_row(team_id: int) -> tuple[BusinessCalendar | None, bool]:
    """The calendar a team's clocks run on and whether it is the team's own (else the default, or
    None when there is no calendar at all: every hour counts)."""
    link = TeamCalendar.objects.select_related("calendar").filter(team_id=team_id).first()
    if link is not None:
        return link.calendar, True
    return BusinessCalendar.objects.filter(is_default=True).first(), False


def roster_get(
    *,
    user: Any,
    team_id: int,
    start: date | None = None,
    days: int = ROSTER_DAYS,
    now: datetime | None = None,
) -> Roster:
    """A team's next ``days`` days (from today in the calendar's zone, or ``start``): the hours its
    calendar is closed, cut into pieces covered by roster shifts and gaps, and the shifts."""
    _require_view(user)
    try:
        team = Team.objects.get(pk=team_id)
    except (Team.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(object="team") from None
    row, own = team_calendar_row(team.pk)
    zone = row.time_zone if row is not None else "Asia/Jakarta"
    tz = ZoneInfo(zone)
    now = now or timezone.now()
    start = start or now.astimezone(tz).date()
    stop = start + timedelta(days=days)
    midnights = [
        datetime.combine(start + timedelta(days=n), time(0), tzinfo=tz).astimezone(UTC)
        for n in range(days + 1)
    ]
    window_start, window_stop = midnights[0], midnights[-1]

    shifts = list(
        RosterShift.objects.filter(team=team, ends_at__gt=window_start, starts_at__lt=window_stop).order_by(
            "starts_at", "id"
        )
    )
    members = [
        (pk, User.label_of(*names))
        for pk, *names in User.objects.filter(teams=team, is_active=True)
        .order_by("display_name", "username")
        .values_list("id", "display_name", "first_name", "last_name", "username")
    ]
    labels = dict(members)
    missing = {s.agent_id for s in shifts} - labels.keys()
    if missing:
        for pk, *names in User.objects.filter(pk__in=missing).values_list(
            "id", "display_name", "first_name", "last_name", "username"
        ):
            labels[pk] = User.label_of(*names)

    days_out = [RosterDay(day=start + timedelta(days=n)) for n in range(days)]
    result = Roster(
        team=team,
        calendar=row,
        own_calendar=own,
        zone=zone,
        start=start,
        days=days_out,
        shifts=[
            ShiftRow(s, labels.get(s.agent_id, "?"), s.starts_at.astimezone(tz), s.ends_at.astimezone(tz))
            for s in shifts
        ],
        members=members,
        can_manage=roster_can_manage(user, team.pk),
    )
    if row is None or row.always_open:
        return result
    calendar = calendar_of(row, range(start.year, stop.year + 1))
    if row.public_holidays:
        public = country_holidays("ID", years=range(start.year, stop.year + 1), language=holiday_language())
        for entry in days_out:
            entry.holiday = str(public.get(entry.day, ""))
    days_off = {str(day) for day in row.days_off or ()}
    for entry in days_out:
        entry.day_off = entry.day.isoformat() in days_off
    spans = [(s.starts_at, s.ends_at, s.agent_id) for s in shifts]
    # A short closed stretch between two open ones (a lunch break) is not off-hours to staff.
    closed = [
        (lo, hi)
        for lo, hi in clock.closed_intervals(calendar, window_start, window_stop)
        if hi - lo > BREAK_MAX or lo == window_start or hi == window_stop
    ]
    for index, entry in enumerate(days_out):
        day_start, day_stop = midnights[index], midnights[index + 1]
        length = (day_stop - day_start).total_seconds()
        today = [
            (max(lo, day_start), min(hi, day_stop)) for lo, hi in closed if lo < day_stop and hi > day_start
        ]
        for piece in roster.coverage(today, spans):
            entry.pieces.append(
                DayPiece(
                    start=piece.start.astimezone(tz),
                    end=piece.end.astimezone(tz),
                    agents=tuple(labels.get(agent, "?") for agent in piece.agents),
                    left=round((piece.start - day_start).total_seconds() / length * 100, 3),
                    width=round(piece.length.total_seconds() / length * 100, 3),
                )
            )
            result.off_hours += piece.length
            if not piece.covered:
                result.uncovered += piece.length
    return result


def roster_can_manage(user: Any, team_id: int) -> bool:
    """Whether ``user`` may plan ``team_id``'s roster: an admin, any team's; a supervisor, the
    rosters of the teams they belong to (``roster.manage``)."""
    return can_for_team(user, ROSTER_ACTION, team_id)


def shift_get(*, user: Any, shift_id: int) -> RosterShift:
    _require_view(user)
    try:
        return RosterShift.objects.select_related("team").get(pk=shift_id)
    except (RosterShift.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(object="shift") from None


def on_shift(team_id: int, at: datetime) -> list[User]:
    """``on_shift_by_team`` for one team, as agents."""
    ids = on_shift_by_team([team_id], at).get(team_id, [])
    agents = User.objects.in_bulk(ids)
    return [agents[pk] for pk in ids if pk in agents]
