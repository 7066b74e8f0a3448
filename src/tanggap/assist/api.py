"""The service-recovery API: leads manage the policy (what is offered per failure type; a supervisor,
for their own teams; the workspace default, admins), staff record an offer on a ticket and read the
offers made on it, and the report counts offers and amounts (leads: everyone's; others: their own)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status

from tanggap.accounts.selectors import team_get
from tanggap.analytics.selectors import default_filter
from tanggap.api.pagination import offset_page
from tanggap.api.schemas import Id, Limit, Offset, Ref, Text, request_user
from tanggap.assist import recovery, selectors
from tanggap.assist.models import MAX_AMOUNT, MAX_FAILURE_TYPE, MAX_LABEL, RecoveryOffer, RecoveryPolicy
from tanggap.core.errors import InvalidInput, NotFound
from tanggap.tickets.selectors import ticket_get_for_agent

router = Router(tags=["service recovery"])

ObjectId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Kind = Literal["voucher", "credit", "refund_shipping", "other"]
FailureType = Annotated[str, Text(MAX_FAILURE_TYPE, min_length=1, strip=True)]
Label = Annotated[str, Text(MAX_LABEL)]
Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]
Amount = Annotated[int, Field(ge=1, le=MAX_AMOUNT)]
Position = Annotated[int, Field(ge=0, le=recovery.MAX_POSITION)]


class PolicyOut(Schema):
    id: int
    team: Ref | None = Field(description="None: the workspace default, for teams without their own.")
    failure_type: str = Field(description="A slug, e.g. late_delivery, damaged_item, billing_error.")
    failure_type_label: str
    label_id: str = Field(description="How the offer reads to an Indonesian-speaking customer.")
    label_en: str
    kind: str
    amount: int = Field(description="Whole units of the currency (rupiah for IDR).")
    currency: str
    is_active: bool
    position: int
    created_at: datetime
    updated_at: datetime


class PolicyPage(Schema):
    items: list[PolicyOut]
    limit: int
    offset: int
    has_more: bool


class PolicyIn(Schema):
    team_id: int | None = Field(None, ge=1, le=2**63 - 1, description="None: the workspace default (admins).")
    failure_type: FailureType
    kind: Kind
    amount: Amount
    currency: Currency = "IDR"
    label_id: Label = ""
    label_en: Label = ""
    is_active: bool = True
    position: Position = 0


class PolicyPatchIn(Schema):
    team_id: int | None = Field(None, ge=1, le=2**63 - 1)
    failure_type: FailureType | None = None
    kind: Kind | None = None
    amount: Amount | None = None
    currency: Currency | None = None
    label_id: Label | None = None
    label_en: Label | None = None
    is_active: bool | None = None
    position: Position | None = None


class PolicyListParams(Schema):
    limit: Limit = 50
    offset: Offset = 0


class OfferIn(Schema):
    policy_id: Id = Field(description="A policy that applies to the ticket (GET …/recovery-policies).")
    language: Literal["id", "en"] | None = Field(
        None, description="The wording to record; default the ticket's language."
    )


class OfferOut(Schema):
    id: int
    ticket_id: int
    policy_id: int | None = Field(description="None once the policy was deleted; the offer stays.")
    team: Ref | None = Field(description="The ticket's team when the offer was made.")
    failure_type: str
    kind: str
    amount: int
    currency: str
    label: str = Field(description="The offer as worded for the customer.")
    language: str
    offered_by: Ref | None
    created_at: datetime


class ReportParams(Schema):
    start: date | None = Field(None, description="First day (local), default 27 days before `end`.")
    end: date | None = Field(None, description="Last day (local, included), default today. At most 92 days.")
    team: Id | None = Field(None, description="Only this team's tickets (the offers or replies on them).")


class OfferGroupOut(Schema):
    key: str | None = Field(description="The failure type, the team id (None: no team) or the currency.")
    label: str
    currency: str
    offers: int
    amount: int = Field(description="The sum of the amounts offered, in whole units of the currency.")


class CoachRuleOut(Schema):
    rule: str = Field(description="thank_vs_sorry, real_apology, honesty, thoroughness or blame.")
    used: int = Field(description="Suggestions the agent put into the draft.")
    set_aside: int = Field(description='Findings the agent overruled ("Ignore", "It is answered").')
    sent: int = Field(description="Findings still on the reply as sent.")
    set_aside_share: float | None = Field(description="set_aside of all three; None when there are none.")


class CoachKindOut(CoachRuleOut):
    code: str = Field(
        description="What the draft lacked: thoroughness.no_time, no_amount, no_steps, put_off, or "
        "thoroughness.unanswered (judged by words alone)."
    )


class CoachQuestionOut(Schema):
    ticket_id: int
    question: str
    agent_id: int | None
    at: datetime


class CoachReportOut(Schema):
    start: date
    end: date
    agent_id: int | None = Field(description="Set when only the caller's own replies are counted.")
    team_id: int | None
    replies: int = Field(description="Replies sent with the coach on the page and at least one finding.")
    rules: list[CoachRuleOut]
    thoroughness: list[CoachKindOut] = Field(
        description="The thoroughness findings by what the draft lacked; empty when there are none."
    )
    set_aside_questions: list[CoachQuestionOut] = Field(
        description="The latest questions an agent said were answered (at most 50)."
    )


class ReportOut(Schema):
    start: date
    end: date
    agent_id: int | None = Field(description="Set when only the caller's own offers are counted.")
    team_id: int | None
    by_failure_type: list[OfferGroupOut]
    by_team: list[OfferGroupOut]
    totals: list[OfferGroupOut] = Field(description="Per currency.")


def policy_out(policy: RecoveryPolicy) -> dict[str, Any]:
    return {
        "id": policy.pk,
        "team": {"id": policy.team.pk, "name": policy.team.name} if policy.team else None,
        "failure_type": policy.failure_type,
        "failure_type_label": selectors.failure_type_label(policy.failure_type),
        "label_id": policy.label_id,
        "label_en": policy.label_en,
        "kind": policy.kind,
        "amount": policy.amount,
        "currency": policy.currency,
        "is_active": policy.is_active,
        "position": policy.position,
        "created_at": policy.created_at,
        "updated_at": policy.updated_at,
    }


def offer_out(offer: RecoveryOffer) -> dict[str, Any]:
    by = offer.offered_by
    return {
        "id": offer.pk,
        "ticket_id": offer.ticket_id,
        "policy_id": offer.policy_id,
        "team": {"id": offer.team.pk, "name": offer.team.name} if offer.team else None,
        "failure_type": offer.failure_type,
        "kind": offer.kind,
        "amount": offer.amount,
        "currency": offer.currency,
        "label": offer.label,
        "language": offer.language,
        "offered_by": {"id": by.pk, "name": by.label} if by else None,
        "created_at": offer.created_at,
    }


def _team(user: Any, team_id: int | None) -> Any:
    if team_id is None:
        return None
    try:
        return team_get(user=user, team_id=team_id)
    except NotFound:
        raise InvalidInput(field="team_id") from None


@router.get("/recovery-policies", response=PolicyPage, summary="List the service-recovery policies (leads)")
def list_policies(request: HttpRequest, params: Query[PolicyListParams]) -> Any:
    """Workspace defaults first, then each team's. Admins see every team; supervisors the defaults and
    their own teams'."""
    qs = selectors.recovery_policies_for_admin(user=request_user(request))
    page = offset_page(qs, limit=params.limit, offset=params.offset)
    return {**page.as_dict(), "items": [policy_out(p) for p in page.items]}


@router.post("/recovery-policies", response={201: PolicyOut}, summary="Create a service-recovery policy")
def create_policy(request: HttpRequest, payload: PolicyIn) -> Any:
    """Leads: an admin for any team or the workspace default (`team_id` null), a supervisor for their
    own teams (403 otherwise). One policy per failure type per team (409)."""
    user = request_user(request)
    policy = recovery.recovery_policy_create(
        actor=user,
        team=_team(user, payload.team_id),
        failure_type=payload.failure_type,
        kind=payload.kind,
        amount=payload.amount,
        currency=payload.currency,
        label_id=payload.label_id,
        label_en=payload.label_en,
        is_active=payload.is_active,
        position=payload.position,
    )
    return Status(201, policy_out(policy))


@router.get("/recovery-policies/{policy_id}", response=PolicyOut, summary="Get a service-recovery policy")
def get_policy(request: HttpRequest, policy_id: ObjectId) -> Any:
    return policy_out(selectors.recovery_policy_get(user=request_user(request), policy_id=policy_id))


@router.patch(
    "/recovery-policies/{policy_id}", response=PolicyOut, summary="Change a service-recovery policy"
)
def update_policy(request: HttpRequest, policy_id: ObjectId, payload: PolicyPatchIn) -> Any:
    """Fields left out stay; `team_id` null moves the policy to the workspace default (admins).
    Offers made before keep what was offered."""
    user = request_user(request)
    policy = selectors.recovery_policy_get(user=user, policy_id=policy_id)
    sent = payload.model_fields_set
    policy = recovery.recovery_policy_update(
        actor=user,
        policy=policy,
        team=_team(user, payload.team_id) if "team_id" in sent else recovery.UNSET,
        failure_type=payload.failure_type,
        kind=payload.kind,
        amount=payload.amount,
        currency=payload.currency,
        label_id=payload.label_id,
        label_en=payload.label_en,
        is_active=payload.is_active,
        position=payload.position,
    )
    return policy_out(selectors.recovery_policy_get(user=user, policy_id=policy.pk))


@router.delete(
    "/recovery-policies/{policy_id}", response={204: None}, summary="Delete a service-recovery policy"
)
def delete_policy(request: HttpRequest, policy_id: ObjectId) -> Any:
    """The offers made under it stay, and stay counted in the report."""
    user = request_user(request)
    recovery.recovery_policy_delete(
        actor=user, policy=selectors.recovery_policy_get(user=user, policy_id=policy_id)
    )
    return Status(204, None)


@router.get(
    "/tickets/{ticket_id}/recovery-policies",
    response=list[PolicyOut],
    summary="The service-recovery policies that apply to a ticket",
)
def ticket_policies(request: HttpRequest, ticket_id: ObjectId) -> Any:
    """The ticket's team's active policies, then the workspace defaults for the failure types the
    team has not set. Empty for a role that may not make offers."""
    user = request_user(request)
    ticket = ticket_get_for_agent(user=user, ticket_id=ticket_id)
    return [policy_out(p) for p in selectors.recovery_policies_for_ticket(user=user, ticket=ticket)]


@router.get(
    "/tickets/{ticket_id}/recovery-offers", response=list[OfferOut], summary="The offers made on a ticket"
)
def ticket_offers(request: HttpRequest, ticket_id: ObjectId) -> Any:
    user = request_user(request)
    ticket = ticket_get_for_agent(user=user, ticket_id=ticket_id)
    offers = selectors.recovery_offers_for_ticket(user=user, ticket=ticket).select_related("team")
    return [offer_out(o) for o in offers]


@router.post(
    "/tickets/{ticket_id}/recovery-offers",
    response={201: OfferOut},
    summary="Record a service-recovery offer on a ticket",
)
def record_offer(request: HttpRequest, ticket_id: ObjectId, payload: OfferIn) -> Any:
    """Records that you offered the customer what the policy says (it does not send anything: say it
    in your reply) and writes a `recovery_offered` event on the timeline. 422 when the policy does not
    apply to the ticket or is switched off; 409 on a closed or merged ticket, or when an offer for the
    same failure was already made on it; 403 for trainees; 404 for a ticket you may not see."""
    user = request_user(request)
    ticket = ticket_get_for_agent(user=user, ticket_id=ticket_id)
    offer = recovery.recovery_offer_record(
        actor=user, ticket=ticket, policy_id=payload.policy_id, language=payload.language
    )
    offer = RecoveryOffer.objects.select_related("team", "offered_by").get(pk=offer.pk)
    return Status(201, offer_out(offer))


@router.get("/reports/recovery", response=ReportOut, summary="Service-recovery offers and amounts")
def recovery_report(request: HttpRequest, params: Query[ReportParams]) -> Any:
    """Offers made in the period, counted and summed per failure type and per team, each per
    currency. Leads get everyone's offers; others their own."""
    default = default_filter(today=params.end)
    report = selectors.recovery_offers_report(
        user=request_user(request),
        start=params.start or default.start,
        end=params.end or default.end,
        team_id=params.team,
    )

    def groups(items: list[selectors.OfferGroup]) -> list[dict[str, Any]]:
        return [
            {"key": g.key, "label": g.label, "currency": g.currency, "offers": g.offers, "amount": g.amount}
            for g in items
        ]

    return {
        "start": report.start,
        "end": report.end,
        "agent_id": report.agent_id,
        "team_id": report.team_id,
        "by_failure_type": groups(report.by_failure_type),
        "by_team": groups(report.by_team),
        "totals": groups(report.totals),
    }


@router.get(
    "/reports/coach", response=CoachReportOut, summary="What agents did with the reply coach's findings"
)
def coach_report(request: HttpRequest, params: Query[ReportParams]) -> Any:
    """Per rule, the coach's findings on the replies sent in the period: suggestions used, findings
    set aside, findings sent as flagged. Leads get every agent's replies; others their own."""
    default = default_filter(today=params.end)
    report = selectors.coach_outcomes_report(
        user=request_user(request),
        start=params.start or default.start,
        end=params.end or default.end,
        team_id=params.team,
    )
    return {
        "start": report.start,
        "end": report.end,
        "agent_id": report.agent_id,
        "team_id": report.team_id,
        "replies": report.replies,
        "rules": [row.as_json() for row in report.rules],
        "thoroughness": [row.as_json() for row in report.thoroughness],
        "set_aside_questions": [
            {"ticket_id": o.ticket_id, "question": o.quote, "agent_id": o.agent_id, "at": o.created_at}
            for o in report.set_aside_questions
        ],
    }
