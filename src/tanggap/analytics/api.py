"""The reports API: the dashboards' figures as JSON. Agents get their own figures; admins and
supervisors everyone's (asking for another agent's figures without that right is 403)."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from tanggap.analytics import selectors
from tanggap.analytics.stats import Summary
from tanggap.api.schemas import Id, request_user

router = Router(tags=["reports"])

ChannelName = Literal["email", "web", "chat", "phone", "sms", "whatsapp", "social", "api"]


class ReportParams(Schema):
    start: date | None = Field(None, description="First day (local), default 27 days before `end`.")
    end: date | None = Field(None, description="Last day (local, included), default today. At most 92 days.")
    team: Id | None = None
    agent: Id | None = Field(None, description="Only leads may ask for another agent's figures.")
    inbox: Id | None = None
    channel: ChannelName | None = None


class ResponseTimeParams(ReportParams):
    dimension: Literal["total", "day", "week", "agent", "team", "inbox", "channel", "period"] = Field(
        "total",
        description="How to group: `week` keys are Mondays; `period` is weekday/weekend × business "
        "hours/outside them, of the ticket's creation.",
    )


class TimeFigures(Schema):
    count: int = Field(description="Tickets with this time (answered, or resolved).")
    median_seconds: float | None = Field(description="Within 2.5 % (read from log buckets).")
    p90_seconds: float | None
    with_target: int = Field(description="Of them, tickets whose response-target policy set this target.")
    within_target: int
    within_target_percent: float | None


class GroupOut(Schema):
    key: str | None = Field(description="Day or week (ISO date), agent/team/inbox id, channel or period.")
    label: str
    tickets: int
    first_response: TimeFigures
    resolution: TimeFigures
    outlier: Literal["", "slow", "fast"] = Field(
        "", description="For agents: a first-response median far from the others'."
    )


class ResponseTimesOut(Schema):
    start: date
    end: date
    dimension: str
    groups: list[GroupOut]


class AgeBandOut(Schema):
    index: int
    label: str
    count: int


class UnansweredOut(Schema):
    total: int
    bands: list[AgeBandOut]


def _filters(params: ReportParams) -> selectors.ReportFilter:
    default = selectors.default_filter(today=params.end)
    return selectors.ReportFilter(
        start=params.start or default.start,
        end=params.end or default.end,
        team_id=params.team,
        agent_id=params.agent,
        inbox_id=params.inbox,
        channel=params.channel or "",
    )


def time_figures(summary: Summary | None) -> dict[str, Any]:
    if summary is None:
        summary = Summary(count=0, median=None, p90=None, with_target=0, within_target=0)
    percent = summary.within_percent
    return {
        "count": summary.count,
        "median_seconds": None if summary.median is None else round(summary.median, 1),
        "p90_seconds": None if summary.p90 is None else round(summary.p90, 1),
        "with_target": summary.with_target,
        "within_target": summary.within_target,
        "within_target_percent": None if percent is None else round(percent, 1),
    }


@router.get("/reports/response-times", response=ResponseTimesOut, summary="Response and resolution times")
def response_times(request: HttpRequest, params: Query[ResponseTimeParams]) -> Any:
    filters = _filters(params)
    groups = selectors.response_times(user=request_user(request), filters=filters, dimension=params.dimension)
    return {
        "start": filters.start,
        "end": filters.end,
        "dimension": params.dimension,
        "groups": [
            {
                "key": g.key,
                "label": g.label,
                "tickets": g.tickets,
                "first_response": time_figures(g.first_response),
                "resolution": time_figures(g.resolution),
                "outlier": g.outlier,
            }
            for g in groups
        ],
    }


@router.get("/reports/unanswered", response=UnansweredOut, summary="Customers waiting for an answer, by age")
def unanswered(request: HttpRequest, params: Query[ReportParams]) -> Any:
    bands = selectors.unanswered_by_age(user=request_user(request), filters=_filters(params))
    return {
        "total": sum(b.count for b in bands),
        "bands": [{"index": b.index, "label": b.label, "count": b.count} for b in bands],
    }
