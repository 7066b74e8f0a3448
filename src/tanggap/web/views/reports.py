"""Response-time dashboards: figures, charts, the tickets behind each figure, CSV export."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET

from tanggap.accounts.permissions import can
from tanggap.analytics import selectors, stats
from tanggap.analytics.selectors import Cell, Group, ReportFilter
from tanggap.core.errors import ApplicationError, NotFound
from tanggap.web.views.common import AuthedRequest, error_message, parse_int

FILTER_PARAMS = ("start", "end", "team", "agent", "inbox", "channel")


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value or "")
    except ValueError:
        return None


def report_period(request: AuthedRequest) -> tuple[date, date]:
    """The days a report asks for (``start``, ``end``), by default the usual period up to today."""
    end = _date(request.GET.get("end")) or timezone.localdate()
    return _date(request.GET.get("start")) or selectors.default_filter(today=end).start, end


def report_filter(request: AuthedRequest) -> ReportFilter:
    get = request.GET
    start, end = report_period(request)
    return ReportFilter(
        start=start,
        end=end,
        team_id=parse_int(get.get("team")),
        agent_id=parse_int(get.get("agent")),
        inbox_id=parse_int(get.get("inbox")),
        channel=get.get("channel", "")[:16],
    )


def _params(filters: ReportFilter) -> dict[str, str]:
    out = {"start": filters.start.isoformat(), "end": filters.end.isoformat()}
    for name, value in (("team", filters.team_id), ("agent", filters.agent_id), ("inbox", filters.inbox_id)):
        if value is not None:
            out[name] = str(value)
    if filters.channel:
        out["channel"] = filters.channel
    return out


def _link(filters: ReportFilter, **cell: Any) -> str:
    params = _params(filters) | {k: str(v) for k, v in cell.items() if v is not None}
    return f"{reverse('web:reports_tickets')}?{urlencode(params)}"


def _with_links(filters: ReportFilter, dimension: str, groups: list[Group]) -> list[dict[str, Any]]:
    rows = []
    for group in groups:
        key = "" if group.key is None else group.key

        def link(metric: str, outcome: str, key: str = key) -> str:
            return _link(filters, dimension=dimension, key=key, metric=metric, outcome=outcome)

        rows.append(
            {
                "group": group,
                "all": link("first_response", "all"),
                "first_response": link("first_response", "done"),
                "first_response_breached": link("first_response", "breached"),
                "resolution": link("resolution", "done"),
                "resolution_breached": link("resolution", "breached"),
            }
        )
    return rows


def _chart(groups: list[Group], filters: ReportFilter, dimension: str) -> dict[str, Any]:
    """What ``reports.js`` draws: per day (or week) the median and p90 of each kind of time in
    minutes, the least-squares trend of the medians, and the link behind each point."""
    start = datetime(filters.start.year, filters.start.month, filters.start.day, tzinfo=UTC)
    end = datetime(filters.end.year, filters.end.month, filters.end.day, tzinfo=UTC) + timedelta(days=1)
    # The whole period on the x axis, with or without figures in it.
    out: dict[str, Any] = {"x": [], "links": [], "range": [int(start.timestamp()), int(end.timestamp())]}
    for metric in selectors.METRICS:
        out[metric] = {"median": [], "p90": [], "trend": [], "within": []}
    for group in groups:
        day = date.fromisoformat(group.key or "")
        out["x"].append(int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()))
        out["links"].append(_link(filters, dimension=dimension, key=group.key, metric="first_response"))
        for metric in selectors.METRICS:
            summary: stats.Summary | None = getattr(group, metric)
            series = out[metric]
            series["median"].append(_minutes(summary.median if summary else None))
            series["p90"].append(_minutes(summary.p90 if summary else None))
            series["within"].append(
                None
                if summary is None or summary.within_percent is None
                else round(summary.within_percent, 1)
            )
    for metric in selectors.METRICS:
        points = [(x, y) for x, y in zip(out["x"], out[metric]["median"], strict=True) if y is not None]
        line = stats.linear_trend(points)
        out[metric]["trend"] = [None if line is None else round(line[0] * x + line[1], 2) for x in out["x"]]
    return out


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 2)


@require_GET
@login_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    filters = report_filter(request)
    try:
        filters = selectors.report_scope(user=request.user, filters=filters)
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, error_message(exc))
        filters = selectors.report_scope(user=request.user, filters=selectors.default_filter())
    user = request.user
    sections = {}
    dimensions = ["team", "inbox", "channel"]
    if can(user, "report.view_all"):
        dimensions.insert(0, "agent")
    for dimension in ("total", "day", "week", "period", *dimensions):
        sections[dimension] = selectors.response_times(user=user, filters=filters, dimension=dimension)
    bands = selectors.unanswered_by_age(user=user, filters=filters)
    labels = {
        "agent": _("Per agent"),
        "team": _("Per team"),
        "inbox": _("Per inbox"),
        "channel": _("Per channel"),
    }
    total = sections["total"][0] if sections["total"] else Group(key=None, label="")
    return render(
        request,
        "web/reports/dashboard.html",
        {
            "filters": filters,
            "params": _params(filters),
            "choices": selectors.report_choices(user=user),
            "view_all": can(user, "report.view_all"),
            "total": total,
            "total_links": _with_links(filters, "total", [total])[0],
            "periods": _with_links(filters, "period", sections["period"]),
            "weeks": _with_links(filters, "week", sections["week"]),
            "tables": [(d, labels[d], _with_links(filters, d, sections[d])) for d in dimensions],
            "daily_chart": _chart(sections["day"], filters, "day"),
            "bands": [(band, _link(filters, age=band.index)) for band in bands],
            "unanswered": sum(band.count for band in bands),
            "unanswered_link": _link(filters, age=selectors.ANY_AGE),
            "exports": [
                (f"{reverse('web:reports_export')}?{urlencode(_params(filters) | {'dimension': d})}", label)
                for d, label in [
                    ("day", _("Per day")),
                    ("week", _("Per week")),
                    ("period", _("Per period")),
                    *((d, labels[d]) for d in dimensions),
                ]
            ],
        },
    )


@require_GET
@login_required
def tickets(request: AuthedRequest) -> HttpResponse:
    """The tickets behind a figure, shown in the queue (the newest ``DRILL_LIMIT`` of them)."""
    get = request.GET
    age = get.get("age")
    cell = Cell(
        dimension=get.get("dimension", "total"),
        key=get.get("key") or None,
        metric=get.get("metric", "first_response"),
        outcome=get.get("outcome", "all"),
        age=None if age is None else (int(age) if age.isdigit() else -1),
    )
    back = f"{reverse('web:reports')}?{urlencode(_params(report_filter(request)))}"
    try:
        ids, count = selectors.figure_ticket_ids(user=request.user, filters=report_filter(request), cell=cell)
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, error_message(exc))
        return redirect(back)
    if not ids:
        messages.info(request, _("No tickets behind that figure."))
        return redirect(back)
    if count > len(ids):
        messages.info(
            request,
            ngettext(
                "Showing the newest %(shown)d of %(count)d ticket behind that figure.",
                "Showing the newest %(shown)d of %(count)d tickets behind that figure.",
                count,
            )
            % {"shown": len(ids), "count": count},
        )
    query = urlencode({"status": "any", "sort": "created", "ids": ",".join(map(str, ids))})
    return redirect(f"{reverse('web:queue')}?{query}")


CSV_COLUMNS = (
    "key",
    "label",
    "tickets",
    "first_response_count",
    "first_response_median_seconds",
    "first_response_p90_seconds",
    "first_response_with_target",
    "first_response_within_target",
    "first_response_within_target_percent",
    "resolution_count",
    "resolution_median_seconds",
    "resolution_p90_seconds",
    "resolution_with_target",
    "resolution_within_target",
    "resolution_within_target_percent",
    "outlier",
)


def _cell(value: Any) -> Any:
    if isinstance(value, float):
        return f"{value:.1f}"
    text = "" if value is None else str(value)
    # A spreadsheet runs a cell that starts with =, +, - or @ as a formula (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@require_GET
@login_required
def export(request: AuthedRequest) -> HttpResponse:
    dimension = request.GET.get("dimension", "day")
    try:
        if dimension not in selectors.DIMENSIONS:
            raise NotFound(object="dimension")
        if dimension == "agent" and not can(request.user, "report.view_all"):
            raise NotFound(object="dimension")
        filters = report_filter(request)
        groups = selectors.response_times(user=request.user, filters=filters, dimension=dimension)
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, error_message(exc))
        return redirect("web:reports")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"response-times-{dimension}-{filters.start}-{filters.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for group in groups:
        row: list[Any] = [group.key, group.label, group.tickets]
        for metric in selectors.METRICS:
            summary: stats.Summary | None = getattr(group, metric)
            if summary is None:
                row += [0, None, None, 0, 0, None]
            else:
                row += [
                    summary.count,
                    summary.median,
                    summary.p90,
                    summary.with_target,
                    summary.within_target,
                    summary.within_percent,
                ]
        row.append(group.outlier)
        writer.writerow([_cell(value) for value in row])
    return response


__all__ = ["dashboard", "export", "report_filter", "tickets"]
