"""Reading the service-recovery policy and the offers made under it (docs/recovery.md).

Leads manage policies: admins every team's and the workspace defaults, supervisors their own teams'
(they see the defaults too). An agent on a ticket sees the policies that apply to it. The report
follows the analytics rule: leads see every offer, everyone else their own.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from tanggap.accounts.models import Team
from tanggap.accounts.permissions import can, can_for_team
from tanggap.accounts.selectors import user_team_ids
from tanggap.analytics.selectors import ReportFilter, report_scope
from tanggap.assist.coach import RULES, THOROUGHNESS_CODES
from tanggap.assist.coaching import customer_messages_before
from tanggap.assist.models import FAILURE_TYPES, CoachOutcome, RecoveryOffer, RecoveryPolicy
from tanggap.core.errors import NotFound, PermissionDenied
from tanggap.core.text import guess_language
from tanggap.tickets.models import Ticket
from tanggap.tickets.selectors import ticket_get_for_agent

MANAGE_ACTION = "recovery.manage"
OFFER_ACTION = "recovery.offer"
LANGUAGES = ("id", "en")


# ---------------------------------------------------------------- words


def failure_type_label(failure_type: str) -> str:
    """The failure type's name on screen: translated for the known ones, else the slug as words."""
    known = FAILURE_TYPES.get(failure_type)
    return str(known) if known is not None else failure_type.replace("_", " ").replace("-", " ")


def format_amount(amount: int, currency: str, language: str = "id") -> str:
    """``Rp50.000`` (Indonesian) or ``Rp50,000`` (English); other currencies as ``USD 25``."""
    digits = f"{int(amount):,}"
    if not (language or "").startswith("en"):
        digits = digits.replace(",", ".")
    return f"Rp{digits}" if currency == "IDR" else f"{currency} {digits}"


def customer_language(ticket: Ticket) -> str:
    """The language to word an offer in: the ticket's, else the site's."""
    if ticket.language in LANGUAGES:
        return str(ticket.language)
    site = (settings.LANGUAGE_CODE or "id").split("-")[0].lower()
    return site if site in LANGUAGES else "id"


# ---------------------------------------------------------------- managing policies


def recovery_can_manage(user: Any, team_id: int | None) -> bool:
    """Whether ``user`` may change the policies of ``team_id`` (None: the workspace default)."""
    if team_id is None:
        return can(user, MANAGE_ACTION) and bool(user.is_admin)
    return can_for_team(user, MANAGE_ACTION, team_id)


def recovery_policies_for_admin(*, user: Any) -> QuerySet[RecoveryPolicy]:
    """The policies a lead manages or sees: admins every one; supervisors the workspace defaults and
    their own teams'. Workspace defaults first, then by team name, each in its order."""
    if not can(user, MANAGE_ACTION):
        raise PermissionDenied(action=MANAGE_ACTION)
    qs = RecoveryPolicy.objects.select_related("team")
    if not user.is_admin:
        qs = qs.filter(Q(team__isnull=True) | Q(team_id__in=user_team_ids(user)))
    return qs.order_by(F("team__name").asc(nulls_first=True), "team_id", "position", "failure_type", "id")


def recovery_policy_get(*, user: Any, policy_id: int) -> RecoveryPolicy:
    """One policy a lead may see (``NotFound`` otherwise, like a ticket)."""
    try:
        return recovery_policies_for_admin(user=user).get(pk=policy_id)
    except (RecoveryPolicy.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound(object="recovery_policy") from None


def recovery_manageable_teams(*, user: Any) -> list[tuple[int | None, str]]:
    """The teams whose policies ``user`` may change, as ``(id, name)``; ``None`` is the workspace
    default (admins only)."""
    if not can(user, MANAGE_ACTION):
        return []
    if user.is_admin:
        return [(None, ""), *Team.objects.order_by("name").values_list("id", "name")]
    return list(Team.objects.filter(pk__in=user_team_ids(user)).order_by("name").values_list("id", "name"))


# ---------------------------------------------------------------- on a ticket


def applicable_policies(team_id: int | None) -> list[RecoveryPolicy]:
    """The team's own active policies, then the workspace defaults for the failure types the team has
    no row for. A team's switched-off row hides the default: the team chose to offer nothing."""
    rows = list(
        RecoveryPolicy.objects.filter(
            Q(team__isnull=True) | Q(team_id=team_id) if team_id else Q(team__isnull=True)
        )
        .select_related("team")
        .order_by("position", "failure_type", "id")
    )
    own_types = {row.failure_type for row in rows if row.team_id is not None}
    own = [row for row in rows if row.team_id is not None and row.is_active]
    defaults = [
        row for row in rows if row.team_id is None and row.is_active and row.failure_type not in own_types
    ]
    return own + defaults


def recovery_policies_for_ticket(*, user: Any, ticket: Ticket) -> list[RecoveryPolicy]:
    """The active policies that apply to ``ticket`` (``NotFound`` for a ticket the user may not see;
    empty for a user who may not make offers)."""
    ticket = ticket_get_for_agent(user=user, ticket_id=ticket.pk)
    if not can(user, OFFER_ACTION):
        return []
    return applicable_policies(ticket.team_id)


def recovery_policy_for_ticket(*, ticket: Ticket, policy_id: Any) -> RecoveryPolicy | None:
    """The policy ``policy_id`` when it applies to ``ticket`` now, else None (no access check: the
    caller has checked the ticket)."""
    return next((p for p in applicable_policies(ticket.team_id) if p.pk == policy_id), None)


def recovery_offers_for_ticket(*, user: Any, ticket: Ticket) -> QuerySet[RecoveryOffer]:
    """The offers made on ``ticket``, oldest first (``NotFound`` for a ticket the user may not see)."""
    ticket = ticket_get_for_agent(user=user, ticket_id=ticket.pk)
    return (
        RecoveryOffer.objects.filter(ticket_id=ticket.pk)
        .select_related("offered_by")
        .order_by("created_at", "id")
    )


def recovery_ticket_panel(*, user: Any, ticket: Ticket) -> tuple[list[RecoveryPolicy], list[RecoveryOffer]]:
    """What the ticket page shows: the policies that apply (empty for a role that may not make
    offers) and the offers made. ``ticket`` must come from ``ticket_get_for_agent`` for ``user`` (the
    page has checked access; this adds no query for it)."""
    policies = applicable_policies(ticket.team_id) if can(user, OFFER_ACTION) else []
    offers = list(
        RecoveryOffer.objects.filter(ticket_id=ticket.pk)
        .select_related("offered_by")
        .order_by("created_at", "id")
    )
    return policies, offers


# ---------------------------------------------------------------- the report


@dataclass(slots=True)
class OfferGroup:
    """One row of the report: a failure type or a team, in one currency."""

    key: str | None
    label: str
    currency: str
    offers: int = 0
    amount: int = 0


@dataclass(slots=True)
class RecoveryReport:
    start: date
    end: date
    agent_id: int | None
    team_id: int | None
    by_failure_type: list[OfferGroup] = field(default_factory=list)
    by_team: list[OfferGroup] = field(default_factory=list)
    totals: list[OfferGroup] = field(default_factory=list)

    @property
    def offers(self) -> int:
        return sum(group.offers for group in self.totals)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def recovery_offers_report(
    *, user: Any, start: date, end: date, team_id: int | None = None
) -> RecoveryReport:
    """Offers made on local days ``start``..``end`` (both included), counted and summed per failure
    type and per team (the ticket's team when the offer was made), each per currency. Leads see
    every offer, others only their own; ranges and teams are checked as the other reports do
    (``InvalidInput``, ``PermissionDenied``, ``NotFound``)."""
    scope = report_scope(user=user, filters=ReportFilter(start=start, end=end, team_id=team_id))
    qs = RecoveryOffer.objects.filter(
        created_at__gte=_day_start(scope.start), created_at__lt=_day_start(scope.end + timedelta(days=1))
    )
    if scope.agent_id is not None:
        qs = qs.filter(offered_by_id=scope.agent_id)
    if scope.team_id is not None:
        qs = qs.filter(team_id=scope.team_id)
    report = RecoveryReport(start=scope.start, end=scope.end, agent_id=scope.agent_id, team_id=scope.team_id)
    per_type = qs.values("failure_type", "currency").annotate(n=Count("id"), total=Sum("amount"))
    report.by_failure_type = sorted(
        (
            OfferGroup(
                key=row["failure_type"],
                label=failure_type_label(row["failure_type"]),
                currency=row["currency"],
                offers=row["n"],
                amount=row["total"] or 0,
            )
            for row in per_type
        ),
        key=lambda g: (-g.offers, g.label, g.currency),
    )
    per_team = qs.values("team_id", "team__name", "currency").annotate(n=Count("id"), total=Sum("amount"))
    report.by_team = sorted(
        (
            OfferGroup(
                key=None if row["team_id"] is None else str(row["team_id"]),
                label=row["team__name"] or "",
                currency=row["currency"],
                offers=row["n"],
                amount=row["total"] or 0,
            )
            for row in per_team
        ),
        key=lambda g: (g.key is None, g.label, g.currency),
    )
    totals: dict[str, OfferGroup] = defaultdict(lambda: OfferGroup(key=None, label="", currency=""))
    for group in report.by_failure_type:
        total = totals[group.currency]
        total.key = total.currency = group.currency
        total.offers += group.offers
        total.amount += group.amount
    report.totals = sorted(totals.values(), key=lambda g: g.currency)
    return report


def recovery_report_teams(*, user: Any) -> list[tuple[int, str]]:
    """The teams a report may be narrowed to (leads)."""
    if not can(user, "report.view_all"):
        return []
    return list(Team.objects.order_by("name").values_list("id", "name"))


# ---------------------------------------------------------------- the coach on sent replies


@dataclass(slots=True)
class CoachRuleRow:
    """One rule's findings on sent replies: suggestions used, findings set aside, sent as flagged."""

    rule: str
    used: int = 0
    set_aside: int = 0
    sent: int = 0
    code: str = ""  # set on the rows of one kind of finding ("thoroughness.no_time")

    @property
    def shown(self) -> int:
        return self.used + self.set_aside + self.sent

    @property
    def set_aside_share(self) -> float | None:
        """The share of the findings agents overruled: their count of the rule's false alarms."""
        return self.set_aside / self.shown if self.shown else None

    def as_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            **({"code": self.code} if self.code else {}),
            "used": self.used,
            "set_aside": self.set_aside,
            "sent": self.sent,
            "set_aside_share": self.set_aside_share,
        }


@dataclass(slots=True)
class CoachReport:
    start: date
    end: date
    agent_id: int | None
    team_id: int | None
    replies: int = 0  # replies sent with the coach on the page and at least one finding
    rules: list[CoachRuleRow] = field(default_factory=list)
    # The thoroughness findings by what the draft lacked (``THOROUGHNESS_CODES``); empty with none.
    thoroughness: list[CoachRuleRow] = field(default_factory=list)
    set_aside_questions: list[CoachOutcome] = field(default_factory=list)


MAX_LISTED_QUESTIONS = 50


def _coach_report(
    *, start: date, end: date, agent_id: int | None, team_id: int | None, rules: tuple[str, ...]
) -> CoachReport:
    qs = CoachOutcome.objects.filter(
        created_at__gte=_day_start(start), created_at__lt=_day_start(end + timedelta(days=1))
    )
    if agent_id is not None:
        qs = qs.filter(agent_id=agent_id)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    report = CoachReport(start=start, end=end, agent_id=agent_id, team_id=team_id)
    per_rule = {rule: CoachRuleRow(rule=rule) for rule in rules}
    per_code = {code: CoachRuleRow(rule="thoroughness", code=code) for code in THOROUGHNESS_CODES}
    for row in qs.values("rule", "code", "outcome").annotate(n=Count("id")):
        if row["outcome"] not in CoachOutcome.Outcome.values:
            continue
        for target in (per_rule.get(row["rule"]), per_code.get(row["code"])):
            if target is not None:
                setattr(target, row["outcome"], getattr(target, row["outcome"]) + row["n"])
    report.rules = list(per_rule.values())
    if "thoroughness" in per_rule and per_rule["thoroughness"].shown:
        report.thoroughness = list(per_code.values())
    report.replies = qs.values("message_id").distinct().count()
    report.set_aside_questions = list(
        qs.filter(rule="thoroughness", outcome=CoachOutcome.Outcome.SET_ASIDE)
        .select_related("agent")
        .order_by("-created_at", "-id")[:MAX_LISTED_QUESTIONS]
    )
    return report


def coach_outcomes_report(
    *, user: Any, start: date, end: date, team_id: int | None = None, rules: tuple[str, ...] = RULES
) -> CoachReport:
    """What agents did with the coach's findings on the replies they sent on local days
    ``start``..``end``, per rule (``rules``, in that order), with the latest questions agents said
    were answered. Leads see every agent's replies, others their own; ranges and teams are checked
    as the other reports do (``InvalidInput``, ``PermissionDenied``, ``NotFound``)."""
    scope = report_scope(user=user, filters=ReportFilter(start=start, end=end, team_id=team_id))
    return _coach_report(
        start=scope.start, end=scope.end, agent_id=scope.agent_id, team_id=scope.team_id, rules=rules
    )


def coach_outcomes_everyone(
    *, start: date, end: date, team_id: int | None = None, rules: tuple[str, ...] = RULES
) -> CoachReport:
    """The same report over every agent, for the operator's command line (no user to check)."""
    return _coach_report(start=start, end=end, agent_id=None, team_id=team_id, rules=rules)


def coach_set_aside_answer_rows(*, start: date, end: date) -> list[dict[str, Any]]:
    """The thoroughness findings agents set aside (and those sent as flagged) on replies sent on local
    days ``start``..``end``, in the answer set's shape (``tests/assist/answer_pairs.jsonl``): per reply,
    the customer's messages it answered, its text, and each flagged question with the agent's verdict
    ("answered": true where the agent set it aside, false where the reply went out with it flagged,
    which the agent did not dispute but may not have read). For the operator's command line."""
    outcomes = (
        CoachOutcome.objects.filter(
            rule="thoroughness",
            outcome__in=[CoachOutcome.Outcome.SET_ASIDE, CoachOutcome.Outcome.SENT],
            created_at__gte=_day_start(start),
            created_at__lt=_day_start(end + timedelta(days=1)),
        )
        .select_related("message")
        .order_by("message_id", "id")
    )
    by_reply: dict[int, list[CoachOutcome]] = defaultdict(list)
    for outcome in outcomes:
        by_reply[outcome.message_id].append(outcome)
    rows = []
    for items in by_reply.values():
        reply = items[0].message
        asked = customer_messages_before(reply.ticket_id, reply)
        customer = "\n\n".join(m.visible_text for m in asked)
        rows.append(
            {
                "id": f"ticket-{reply.ticket_id}-message-{reply.pk}",
                "split": "field",
                "lang": guess_language(customer) or "",
                "customer": customer,
                "reply": reply.body_text,
                "questions": [
                    {
                        "text": o.quote,
                        "answered": o.outcome == CoachOutcome.Outcome.SET_ASIDE,
                        "agent": o.outcome,
                        "finding": o.code,
                    }
                    for o in items
                ],
            }
        )
    return rows
