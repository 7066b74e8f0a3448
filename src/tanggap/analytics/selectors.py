"""Reading the dashboards' figures, for a user: leads (admins, supervisors) see every figure;
everyone else sees the figures of the tickets assigned to them. Each function is one grouped query
over ``TicketFigure`` per kind of time (indexed by day), so its cost follows the days asked for,
not the size of the database; medians and p90s come from the bucket counts (``stats``)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tanggap.accounts.models import Team, User
from tanggap.accounts.permissions import can
from tanggap.analytics import stats
from tanggap.analytics.models import TicketFigure
from tanggap.core.errors import InvalidInput, NotFound, PermissionDenied
from tanggap.inboxes.models import Inbox
from tanggap.tickets.models import WAITING, Channel, Ticket

# The longest range: each query reads every ticket of its range, and 92 days of a million tickets over
# two years (~125,000) stay under 500 ms on SQLite and PostgreSQL (bench/README.md).
MAX_DAYS = 92
DIMENSIONS = ("day", "week", "agent", "team", "inbox", "channel", "period")
METRICS = ("first_response", "resolution")
OUTCOMES = ("all", "done", "waiting", "met", "breached")
# A customer waiting for an answer: under 1 h, 1-4 h, 4-24 h, 1-3 days, longer.
AGE_BANDS = (3600, 4 * 3600, 24 * 3600, 3 * 24 * 3600)
ANY_AGE = len(AGE_BANDS) + 1  # every waiting customer, whatever the age
AGE_LABELS = (_("under 1 hour"), _("1-4 hours"), _("4-24 hours"), _("1-3 days"), _("over 3 days"))
PERIODS = {
    (False, True): _("Weekday, business hours"),
    (False, False): _("Weekday, outside business hours"),
    (True, True): _("Weekend, business hours"),
    (True, False): _("Weekend, outside business hours"),
}
DRILL_LIMIT = 500


@dataclass(frozen=True, slots=True)
class ReportFilter:
    """Which tickets a figure counts: created on ``start``..``end`` (local days, both included), of one
    team, agent, inbox or channel when given."""

    start: date
    end: date
    team_id: int | None = None
    agent_id: int | None = None
    inbox_id: int | None = None
    channel: str = ""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(slots=True)
class Group:
    """One row of a report: a day, a week, an agent … with both kinds of time."""

    key: str | None
    label: str
    tickets: int = 0
    first_response: stats.Summary = stats.EMPTY
    resolution: stats.Summary = stats.EMPTY
    outlier: str = ""  # stats.Direction of the first-response median, for agents


EARLIEST, LATEST = date(1970, 1, 1), date(2200, 1, 1)


def default_filter(*, today: date | None = None) -> ReportFilter:
    """The last four weeks up to ``today`` (default: today)."""
    today = today or timezone.localdate()
    return ReportFilter(start=max(today, EARLIEST + timedelta(days=27)) - timedelta(days=27), end=today)


def report_scope(*, user: Any, filters: ReportFilter) -> ReportFilter:
    """``filters`` as ``user`` may ask them: raises ``PermissionDenied`` for someone else's figures
    asked by an agent, ``InvalidInput`` for a reversed or too long range and ``NotFound`` for a team,
    agent or inbox that does not exist. An agent's filter is narrowed to their own tickets."""
    if not can(user, "report.view"):
        raise PermissionDenied(action="report.view")
    for name, day in (("start", filters.start), ("end", filters.end)):
        if not EARLIEST <= day < LATEST:
            raise InvalidInput(_("Choose a date between 1970 and 2200."), field=name)
    if filters.end < filters.start:
        raise InvalidInput(_("The end date is before the start date."), field="end")
    if filters.days > MAX_DAYS:
        raise InvalidInput(_("Choose at most 92 days."), field="start")
    if filters.channel and filters.channel not in Channel.values:
        raise InvalidInput(_("That channel does not exist."), field="channel")
    if not can(user, "report.view_all"):
        if filters.agent_id not in (None, user.pk):
            raise PermissionDenied(action="report.view_all")
        filters = replace(filters, agent_id=user.pk)
    for model, value, name in (
        (Team, filters.team_id, "team"),
        (User, filters.agent_id, "agent"),
        (Inbox, filters.inbox_id, "inbox"),
    ):
        if value is not None and not model.objects.filter(pk=value).exists():
            raise NotFound(object=name)
    return filters


def _figures(filters: ReportFilter) -> QuerySet[TicketFigure]:
    qs = TicketFigure.objects.filter(day__gte=filters.start, day__lte=filters.end)
    if filters.agent_id is not None:
        qs = qs.filter(agent_id=filters.agent_id)
    if filters.team_id is not None:
        qs = qs.filter(team_id=filters.team_id)
    if filters.inbox_id is not None:
        qs = qs.filter(inbox_id=filters.inbox_id)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    return qs


_KEYS: dict[str, tuple[str, ...]] = {
    "total": (),
    "day": ("day",),
    "week": ("day",),
    "agent": ("agent_id",),
    "team": ("team_id",),
    "inbox": ("inbox_id",),
    "channel": ("channel",),
    "period": ("weekend", "in_hours"),
}


def _key_sql(dimension: str) -> tuple[str, ...]:
    """The SQL expressions a dimension groups by (only our own constants, never input)."""
    if dimension == "week":  # the week's Monday
        if connection.vendor == "postgresql":
            return ("CAST(date_trunc('week', day) AS date)",)
        return ("date(day, 'weekday 0', '-6 days')",)
    return _KEYS[dimension]


def _key_text(dimension: str, values: tuple[Any, ...]) -> str | None:
    if dimension == "total":
        return None
    if dimension in ("day", "week"):
        return str(values[0])[:10]  # a date (PostgreSQL) or its ISO text (SQLite)
    if dimension == "period":
        return ("weekend" if values[0] else "weekday") + ("-hours" if values[1] else "-outside")
    return None if values[0] is None else str(values[0])


def _where(filters: ReportFilter) -> tuple[str, list[Any]]:
    ops = connection.ops
    conditions = ["day >= %s", "day <= %s"]
    params: list[Any] = [ops.adapt_datefield_value(filters.start), ops.adapt_datefield_value(filters.end)]
    for column, value in (
        ("agent_id", filters.agent_id),
        ("team_id", filters.team_id),
        ("inbox_id", filters.inbox_id),
        ("channel", filters.channel or None),
    ):
        if value is not None:
            conditions.append(f"{column} = %s")
            params.append(value)
    return " AND ".join(conditions), params


def _summaries_sql(filters: ReportFilter, dimension: str) -> tuple[str, list[Any], int]:
    """One statement giving, per group and kind of time, the median's and p90's buckets and the
    counts: ``(key columns…, metric, median bucket, p90 bucket, tickets, with the time, with a target,
    within it)``. Bucket counts are grouped first (a scan of the covering index ``figure_day_idx``
    over the range), then a running sum per group finds the bucket that holds each rank, so only one
    row per group leaves the database. Nearest rank: the first bucket whose running count ``c`` has
    ``2c >= n`` (median) or ``10c >= 9n`` (p90), in integers. Only our own constants go into the SQL."""
    keys = _key_sql(dimension)
    where, params = _where(filters)
    aliases = [f"k{i}" for i in range(len(keys))]
    selected = "".join(f"{expr} AS {alias}, " for expr, alias in zip(keys, aliases, strict=True))
    grouped = "".join(f"{expr}, " for expr in keys)
    carried = "".join(f"{alias}, " for alias in aliases)
    table = TicketFigure._meta.db_table
    parts = []
    for metric in METRICS:
        parts.append(
            f"SELECT {selected}'{metric}' AS m, {metric}_bucket AS b, COUNT(*) AS n,"  # noqa: S608
            f" SUM(CASE WHEN {metric}_met IS NULL THEN 0 ELSE 1 END) AS t,"
            f" SUM(CASE WHEN {metric}_met THEN 1 ELSE 0 END) AS w"
            f" FROM {table} WHERE {where} GROUP BY {grouped}{metric}_bucket"
        )
    done = "CASE WHEN b IS NULL THEN 0 ELSE n END"
    sql = (
        f"WITH h AS ({' UNION ALL '.join(parts)}),"  # noqa: S608
        f" c AS (SELECT {carried}m, b, n, t, w,"
        f" SUM({done}) OVER (PARTITION BY {carried}m ORDER BY b ROWS UNBOUNDED PRECEDING) AS cum,"
        f" SUM({done}) OVER (PARTITION BY {carried}m) AS total FROM h)"
        f" SELECT {carried}m,"
        " MIN(CASE WHEN b IS NOT NULL AND 2 * cum >= total THEN b END),"
        " MIN(CASE WHEN b IS NOT NULL AND 10 * cum >= 9 * total THEN b END),"
        # Decided targets: met, or missed, answered or not (a breach still waiting counts as a miss).
        f" SUM(n), SUM({done}), SUM(t), SUM(w)"
        f" FROM c GROUP BY {carried}m"
    )
    return sql, params * len(METRICS), len(keys)


def response_times(*, user: Any, filters: ReportFilter, dimension: str = "total") -> list[Group]:
    """First-response and resolution times of the tickets in ``filters``, grouped by ``dimension``
    ("total" for one group), in the dimension's order: one statement, plus one for labels."""
    if dimension not in _KEYS:
        raise InvalidInput(field="dimension")
    filters = report_scope(user=user, filters=filters)
    sql, params, width = _summaries_sql(filters, dimension)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    groups: dict[str | None, Group] = {}
    for row in rows:
        key = _key_text(dimension, row[:width])
        metric, median, p90, tickets, count, targeted, within = row[width:]
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(key=key, label="")
        summary = stats.Summary(
            count=int(count or 0),
            median=None if median is None else stats.bucket_value(median),
            p90=None if p90 is None else stats.bucket_value(p90),
            with_target=int(targeted or 0),
            within_target=int(within or 0),
        )
        setattr(group, metric, summary)
        if metric == "first_response":
            group.tickets = int(tickets or 0)
    out = list(groups.values())
    _label(dimension, out)
    if dimension == "agent":
        medians = {
            int(g.key): (g.first_response.median, g.first_response.count)
            for g in out
            if g.key is not None and g.first_response.median is not None
        }
        for agent_id, (direction, _z) in stats.outliers(medians).items():
            next(g for g in out if g.key == str(agent_id)).outlier = str(direction)
    if dimension in ("day", "week"):
        out.sort(key=lambda g: g.key or "")
    elif dimension == "period":
        order = ["weekday-hours", "weekday-outside", "weekend-hours", "weekend-outside"]
        out.sort(key=lambda g: order.index(g.key or ""))
    else:
        out.sort(key=lambda g: (g.key is None, str(g.label).lower()))
    return out


def _label(dimension: str, groups: Iterable[Group]) -> None:
    groups = list(groups)
    ids = [int(g.key) for g in groups if g.key is not None and dimension in ("agent", "team", "inbox")]
    names: dict[str, str] = {}
    if dimension == "agent":
        names = {
            str(pk): User.label_of(*rest)
            for pk, *rest in User.objects.filter(pk__in=ids).values_list(
                "pk", "display_name", "first_name", "last_name", "username"
            )
        }
    elif dimension == "team":
        names = {str(pk): name for pk, name in Team.objects.filter(pk__in=ids).values_list("pk", "name")}
    elif dimension == "inbox":
        names = {str(pk): name for pk, name in Inbox.objects.filter(pk__in=ids).values_list("pk", "name")}
    elif dimension == "channel":
        names = {value: str(label) for value, label in Channel.choices}
    none_label = {
        "agent": _("Unassigned"),
        "team": _("No team"),
        "inbox": _("No inbox (not e-mail)"),
        "total": _("All tickets"),
    }
    for group in groups:
        if dimension == "period":
            weekend, hours = (group.key or "").split("-")
            group.label = str(PERIODS[(weekend == "weekend", hours == "hours")])
        elif group.key is None:
            group.label = str(none_label.get(dimension, "—"))
        elif dimension in ("day", "week"):
            group.label = group.key
        else:
            group.label = names.get(group.key, group.key)


@dataclass(frozen=True, slots=True)
class AgeBand:
    index: int
    label: str
    count: int


def _waiting(user: Any, filters: ReportFilter) -> QuerySet[Ticket]:
    """Active tickets whose customer wrote last (no reply since), of the filter's team, agent and
    channel (an inbox is not a column of a ticket: ignored here). The condition is written exactly
    as the partial index's (``tickets.models.WAITING``), so SQLite uses the index."""
    qs = Ticket.objects.filter(WAITING)
    if filters.agent_id is not None:
        qs = qs.filter(assignee_id=filters.agent_id)
    if filters.team_id is not None:
        qs = qs.filter(team_id=filters.team_id)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    return qs


def unanswered_by_age(*, user: Any, filters: ReportFilter, now: datetime | None = None) -> list[AgeBand]:
    """Customers waiting for an answer now, by how long they have waited (``AGE_BANDS``): one count
    per band in one query, over the waiting tickets' partial index (``ticket_waiting_idx``: a range
    of it per band, read without the table). The date range does not apply: waiting is now."""
    filters = report_scope(user=user, filters=filters)
    now = now or timezone.now()
    # A band holds the waits under its limit and at or over the one before (``stats.age_band``).
    limits = [now - timedelta(seconds=seconds) for seconds in AGE_BANDS]
    bands = [
        Q(last_customer_message_at__gt=limits[0]),
        *(
            Q(last_customer_message_at__lte=newer, last_customer_message_at__gt=older)
            for newer, older in itertools.pairwise(limits)
        ),
        Q(last_customer_message_at__lte=limits[-1]),
    ]
    counts = _waiting(user, filters).aggregate(
        **{f"band{index}": Count("pk", filter=band) for index, band in enumerate(bands)}
    )
    return [
        AgeBand(index=i, label=str(AGE_LABELS[i]), count=counts[f"band{i}"] or 0) for i in range(len(bands))
    ]


@dataclass(frozen=True, slots=True)
class Cell:
    """The tickets behind one figure: a group of a dimension (``key`` as in ``Group.key``), and of
    them those with a kind of time (``metric``) in a state: all, done (answered or resolved),
    waiting (not yet), met or breached (the target). ``age`` picks a band of unanswered tickets
    (``ANY_AGE``: all of them)."""

    dimension: str = "total"
    key: str | None = None
    metric: str = "first_response"
    outcome: str = "all"
    age: int | None = None


def figure_ticket_ids(
    *, user: Any, filters: ReportFilter, cell: Cell, now: datetime | None = None, limit: int = DRILL_LIMIT
) -> tuple[list[int], int]:
    """The newest ``limit`` ticket ids behind a figure, and how many there are in all."""
    filters = report_scope(user=user, filters=filters)
    if cell.age is not None:
        if not 0 <= cell.age <= ANY_AGE:
            raise InvalidInput(field="age")
        now = now or timezone.now()
        waiting = _waiting(user, filters)
        if cell.age != ANY_AGE:
            limits = (0, *AGE_BANDS)
            waiting = waiting.filter(last_customer_message_at__lte=now - timedelta(seconds=limits[cell.age]))
            if cell.age < len(AGE_BANDS):
                oldest = now - timedelta(seconds=AGE_BANDS[cell.age])
                waiting = waiting.filter(last_customer_message_at__gt=oldest)
        found = list(
            waiting.order_by("-last_customer_message_at", "-pk").values_list("pk", flat=True)[: limit + 1]
        )
        return found[:limit], (len(found) if len(found) <= limit else waiting.count())
    if cell.dimension not in _KEYS or cell.metric not in METRICS or cell.outcome not in OUTCOMES:
        raise InvalidInput(field="figure")
    qs = _figures(filters)
    try:
        qs = _cell_filter(qs, cell)
    except (ValueError, TypeError):
        raise InvalidInput(field="key") from None
    bucket, met = f"{cell.metric}_bucket", f"{cell.metric}_met"
    qs = {
        "all": qs,
        "done": qs.filter(**{f"{bucket}__isnull": False}),
        "waiting": qs.filter(**{f"{bucket}__isnull": True}),
        "met": qs.filter(**{met: True}),
        "breached": qs.filter(**{met: False}),
    }[cell.outcome]
    ids = list(qs.order_by("-day", "-ticket_id").values_list("ticket_id", flat=True)[: limit + 1])
    return ids[:limit], (len(ids) if len(ids) <= limit else qs.count())


def _cell_filter(qs: QuerySet[TicketFigure], cell: Cell) -> QuerySet[TicketFigure]:
    key = cell.key
    if cell.dimension == "total":
        return qs
    if cell.dimension in ("day", "week"):
        first = date.fromisoformat(key or "")
        last = first + timedelta(days=6 if cell.dimension == "week" else 0)
        return qs.filter(day__gte=first, day__lte=last)
    if cell.dimension == "period":
        weekend, hours = (key or "").split("-")
        if weekend not in ("weekday", "weekend") or hours not in ("hours", "outside"):
            raise ValueError(key)
        return qs.filter(weekend=weekend == "weekend", in_hours=hours == "hours")
    column = _KEYS[cell.dimension][0]
    if key is None:
        return qs.filter(**{f"{column}__isnull": True})
    return qs.filter(**{column: key if cell.dimension == "channel" else int(key)})


def report_choices(*, user: Any) -> dict[str, list[tuple[Any, str]]]:
    """What the filter form offers ``user``: teams, agents and inboxes for leads; channels for all."""
    out: dict[str, list[tuple[Any, str]]] = {"channels": [(v, str(label)) for v, label in Channel.choices]}
    if can(user, "report.view_all"):
        out["teams"] = list(Team.objects.order_by("name").values_list("pk", "name"))
        out["agents"] = [
            (pk, User.label_of(*rest))
            for pk, *rest in User.objects.filter(is_active=True)
            .order_by("username")
            .values_list("pk", "display_name", "first_name", "last_name", "username")
        ]
        out["inboxes"] = list(Inbox.objects.order_by("name").values_list("pk", "name"))
    return out
