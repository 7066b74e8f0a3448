"""Writing the service-recovery policy (leads) and recording an offer on a ticket (staff).

After a real failure the apology should cost something: each team says what it offers per failure
type (a voucher, credit, a shipping refund), admins set the workspace default for teams that have not.
Recording an offer copies the policy's values onto a ``RecoveryOffer`` (reports count it) and writes
one ``recovery_offered`` event on the ticket's timeline. docs/recovery.md.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tanggap.accounts.models import Team
from tanggap.accounts.permissions import require
from tanggap.assist import selectors
from tanggap.assist.models import (
    MAX_AMOUNT,
    MAX_FAILURE_TYPE,
    MAX_LABEL,
    RecoveryKind,
    RecoveryOffer,
    RecoveryPolicy,
)
from tanggap.core.audit import audit_record
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput, PermissionDenied
from tanggap.tickets.models import Status, Ticket
from tanggap.tickets.selectors import ticket_get_for_agent
from tanggap.tickets.services import ticket_event_add

MANAGE = selectors.MANAGE_ACTION
OFFER = selectors.OFFER_ACTION
UNSET: Any = object()
EVENT_CODE = "recovery_offered"
_FAILURE_TYPE = re.compile(r"^[a-z0-9]+(?:[_-][a-z0-9]+)*$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_POSITION = 10_000


# ---------------------------------------------------------------- checking what a lead wrote


def _clean_failure_type(value: str) -> str:
    value = "_".join((value or "").strip().lower().replace("-", " ").split())
    if not value or len(value) > MAX_FAILURE_TYPE or not _FAILURE_TYPE.match(value):
        raise InvalidInput(
            _("Name the failure type with letters, digits and underscores (at most 40), e.g. late_delivery."),
            field="failure_type",
        )
    return value


def _clean_label(value: str, language: str) -> str:
    value = " ".join((value or "").replace("\x00", "").split())
    if len(value) > MAX_LABEL:
        raise InvalidInput(
            _("The wording is too long (at most %(limit)d characters).") % {"limit": MAX_LABEL},
            field=f"label_{language}",
            limit=MAX_LABEL,
        )
    return value


def _clean_kind(value: str) -> str:
    if value not in RecoveryKind.values:
        raise InvalidInput(_("Choose a voucher, credit, shipping refund or other."), field="kind")
    return value


def _clean_amount(value: Any) -> int:
    amount = -1
    if isinstance(value, str) and value.strip().isdigit():
        amount = int(value.strip())
    elif isinstance(value, int) and not isinstance(value, bool):
        amount = value
    if not 1 <= amount <= MAX_AMOUNT:
        raise InvalidInput(
            _("The amount must be a whole number between 1 and %(limit)s.") % {"limit": f"{MAX_AMOUNT:,}"},
            field="amount",
        )
    return amount


def _clean_currency(value: str) -> str:
    value = (value or "").strip().upper()
    if not _CURRENCY.match(value):
        raise InvalidInput(_("Write the currency as three letters, e.g. IDR."), field="currency")
    return value


def _clean_position(value: Any) -> int:
    try:
        position = int(value)
    except (TypeError, ValueError):
        position = -1
    if not 0 <= position <= MAX_POSITION:
        raise InvalidInput(field="position")
    return position


def _check_team(actor: Any, team: Team | None) -> Team | None:
    if team is not None and not isinstance(team, Team):
        raise InvalidInput(field="team")
    if not selectors.recovery_can_manage(actor, None if team is None else team.pk):
        raise PermissionDenied(action=MANAGE, team_id=None if team is None else team.pk)
    return team


def _check_whole(policy: RecoveryPolicy) -> None:
    if not policy.label_id and not policy.label_en:
        raise InvalidInput(
            _("Write how the offer reads to the customer in at least one language."), field="label"
        )
    taken = RecoveryPolicy.objects.filter(team=policy.team, failure_type=policy.failure_type)
    if policy.pk:
        taken = taken.exclude(pk=policy.pk)
    if taken.exists():
        raise ApplicationError(
            ErrorCode.CONFLICT,
            _("There is already a policy for this failure type here: change that one."),
            field="failure_type",
        )


# ---------------------------------------------------------------- managing the policy


@transaction.atomic
def recovery_policy_create(
    *,
    actor: Any,
    failure_type: str,
    kind: str,
    amount: int,
    label_id: str = "",
    label_en: str = "",
    team: Team | None = None,
    currency: str = "IDR",
    is_active: bool = True,
    position: int = 0,
) -> RecoveryPolicy:
    """A new policy for ``team`` (None: the workspace default, admins only; a supervisor, for the
    teams they belong to)."""
    require(actor, MANAGE)
    policy = RecoveryPolicy(
        team=_check_team(actor, team),
        failure_type=_clean_failure_type(failure_type),
        label_id=_clean_label(label_id, "id"),
        label_en=_clean_label(label_en, "en"),
        kind=_clean_kind(kind),
        amount=_clean_amount(amount),
        currency=_clean_currency(currency),
        is_active=bool(is_active),
        position=_clean_position(position),
    )
    _check_whole(policy)
    policy.save()
    audit_record(
        actor=actor,
        action="recovery_policy.created",
        target=policy,
        data={
            "team_id": policy.team_id,
            "failure_type": policy.failure_type,
            "kind": policy.kind,
            "amount": policy.amount,
            "currency": policy.currency,
        },
    )
    return policy


@transaction.atomic
def recovery_policy_update(
    *,
    actor: Any,
    policy: RecoveryPolicy,
    failure_type: str | None = None,
    kind: str | None = None,
    amount: int | None = None,
    label_id: str | None = None,
    label_en: str | None = None,
    team: Team | None = UNSET,
    currency: str | None = None,
    is_active: bool | None = None,
    position: int | None = None,
) -> RecoveryPolicy:
    """Change what is given; ``None`` (``team``: left out) keeps a field. The actor must be allowed
    to manage both the policy's team and, when it moves, the new one. Offers made before keep what
    was offered."""
    require(actor, MANAGE)
    policy = RecoveryPolicy.objects.select_for_update(of=("self",)).select_related("team").get(pk=policy.pk)
    _check_team(actor, policy.team)
    values: dict[str, Any] = {}
    if team is not UNSET:
        values["team"] = _check_team(actor, team)
    if failure_type is not None:
        values["failure_type"] = _clean_failure_type(failure_type)
    if kind is not None:
        values["kind"] = _clean_kind(kind)
    if amount is not None:
        values["amount"] = _clean_amount(amount)
    if label_id is not None:
        values["label_id"] = _clean_label(label_id, "id")
    if label_en is not None:
        values["label_en"] = _clean_label(label_en, "en")
    if currency is not None:
        values["currency"] = _clean_currency(currency)
    if is_active is not None:
        values["is_active"] = bool(is_active)
    if position is not None:
        values["position"] = _clean_position(position)
    changed = sorted(key for key, value in values.items() if getattr(policy, key) != value)
    for key in changed:
        setattr(policy, key, values[key])
    if changed:
        _check_whole(policy)
        policy.save()
        audit_record(
            actor=actor,
            action="recovery_policy.updated",
            target=policy,
            data={"changed": changed, "team_id": policy.team_id, "failure_type": policy.failure_type},
        )
    return policy


@transaction.atomic
def recovery_policy_delete(*, actor: Any, policy: RecoveryPolicy) -> None:
    """Delete a policy; the offers made under it stay (and stay counted), without the link."""
    require(actor, MANAGE)
    policy = RecoveryPolicy.objects.select_for_update(of=("self",)).select_related("team").get(pk=policy.pk)
    _check_team(actor, policy.team)
    audit_record(
        actor=actor,
        action="recovery_policy.deleted",
        target=policy,
        data={"team_id": policy.team_id, "failure_type": policy.failure_type},
    )
    policy.delete()


# ---------------------------------------------------------------- recording an offer


@transaction.atomic
def recovery_offer_record(
    *, actor: Any, ticket: Ticket, policy_id: int, language: str | None = None
) -> RecoveryOffer:
    """Record that ``actor`` offered the customer of ``ticket`` what policy ``policy_id`` says.

    The ticket must be one the actor may see (``NotFound``) and still open to work (not closed or
    merged: ``conflict``); the policy must be active and apply to the ticket's team, its own or the
    workspace default (``invalid_input``); one offer per failure type per ticket (``conflict``). The
    offer is worded in ``language`` ("id"/"en"), else the ticket's. Writes the offer, one
    ``recovery_offered`` timeline event and an audit row."""
    require(actor, OFFER)
    ticket = ticket_get_for_agent(user=actor, ticket_id=ticket.pk, for_update=True)
    if ticket.merged_into_id or ticket.status == Status.CLOSED:
        raise ApplicationError(
            ErrorCode.CONFLICT, _("A closed or merged ticket cannot take a recovery offer."), field="ticket"
        )
    policy = selectors.recovery_policy_for_ticket(ticket=ticket, policy_id=policy_id)
    if policy is None:
        raise InvalidInput(_("That recovery offer does not apply to this ticket."), field="policy_id")
    # The ticket's row lock (above) makes this check and the insert one step for concurrent clicks.
    if RecoveryOffer.objects.filter(ticket_id=ticket.pk, failure_type=policy.failure_type).exists():
        raise ApplicationError(
            ErrorCode.CONFLICT,
            _("A recovery offer for this failure was already made on this ticket."),
            field="failure_type",
        )
    wording = language if language in selectors.LANGUAGES else selectors.customer_language(ticket)
    now = timezone.now()
    offer = RecoveryOffer.objects.create(
        ticket=ticket,
        policy=policy,
        team_id=ticket.team_id,
        failure_type=policy.failure_type,
        kind=policy.kind,
        amount=policy.amount,
        currency=policy.currency,
        label=policy.label(wording),
        language=wording,
        offered_by=actor,
        created_at=now,
    )
    data = {
        "offer_id": offer.pk,
        "policy_id": policy.pk,
        "failure_type": offer.failure_type,
        "kind": offer.kind,
        "amount": offer.amount,
        "currency": offer.currency,
        "label": offer.label,
        "language": offer.language,
    }
    ticket_event_add(ticket=ticket, code=EVENT_CODE, data=data, actor=actor, at=now)
    audit_record(actor=actor, action="recovery_offer.recorded", target=ticket, data=data)
    return offer
