"""Writing customers: find-or-create by identity, edit, add identities, merge."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import ForeignKey, ForeignObjectRel
from django.utils import timezone

from tanggap.accounts.permissions import require
from tanggap.core import events
from tanggap.core.audit import audit_entry, audit_record, audit_record_many
from tanggap.core.bulk import insert_many
from tanggap.core.errors import ApplicationError, ErrorCode, InvalidInput, NotFound
from tanggap.customers.identities import InvalidIdentity, normalise
from tanggap.customers.models import (
    BounceSeverity,
    Customer,
    Identity,
    IdentityKind,
    Organisation,
    normalise_tier,
)
from tanggap.customers.selectors import customer_survivor


def _normalised(kind: str, value: str) -> str:
    try:
        return normalise(kind, value)
    except InvalidIdentity as exc:
        raise InvalidInput(str(exc), field="identity") from exc


def customer_find_or_create(*, kind: str, value: str, name: str = "") -> tuple[Customer, bool]:
    """The customer who owns this identity, created with it when new. Safe under concurrency:
    the identity's unique constraint decides who wins."""
    value = _normalised(kind, value)
    try:
        with transaction.atomic():
            found = customers_find_or_create(senders=[(kind, value, name)])[0]
    except IntegrityError:
        # Another worker created this identity between our check and our insert: theirs wins.
        identity = Identity.objects.select_related("customer").filter(kind=kind, value=value).first()
        if identity is None:
            raise
        return customer_survivor(identity.customer), False
    if isinstance(found, ApplicationError):
        raise found
    return found


def customers_find_or_create(
    *, senders: Sequence[tuple[str, str, str]]
) -> list[tuple[Customer, bool] | ApplicationError]:
    """``customer_find_or_create`` for many ``(kind, value, name)`` at once, in order: one read of the
    identities and one insert of the new customers and of their identities, whatever the count. The
    same new identity twice is one customer (named by its first sender). Call inside a transaction;
    an ``IntegrityError`` means another worker created one of them first (try again, or one by one)."""
    results: list[tuple[Customer, bool] | ApplicationError | None] = [None] * len(senders)
    keys: list[tuple[str, str] | None] = []
    for index, (kind, value, _name) in enumerate(senders):
        try:
            keys.append((kind, _normalised(kind, value)))
        except InvalidInput as exc:
            keys.append(None)
            results[index] = exc
    wanted: dict[str, set[str]] = {}
    for key in keys:
        if key is not None:
            wanted.setdefault(key[0], set()).add(key[1])
    known: dict[tuple[str, str], Customer] = {}
    for kind, values in wanted.items():
        ordered = sorted(values)
        for start in range(0, len(ordered), 500):
            rows = Identity.objects.select_related("customer").filter(
                kind=kind, value__in=ordered[start : start + 500]
            )
            known.update({(kind, row.value): customer_survivor(row.customer) for row in rows})
    new: dict[tuple[str, str], Customer] = {}
    for index, key in enumerate(keys):
        if key is None or key in known or key in new:
            continue
        new[key] = Customer(name=" ".join(senders[index][2].split())[:200])
    if new:
        insert_many(list(new.values()))
        insert_many(
            [
                Identity(customer=customer, kind=kind, value=value, is_primary=True)
                for (kind, value), customer in new.items()
            ]
        )
        audit_record_many(
            audit_entry(actor=None, action="customer.created", target=customer, data={"via": kind})
            for (kind, _value), customer in new.items()
        )
    first_of: set[tuple[str, str]] = set()
    for index, key in enumerate(keys):
        if key is None:
            continue
        if key in known:
            results[index] = (known[key], False)
        else:
            results[index] = (new[key], key not in first_of)
            first_of.add(key)
    return [r for r in results if r is not None]


@transaction.atomic
def customer_create(
    *,
    actor: Any,
    name: str,
    identities: list[tuple[str, str]],
    organisation: Organisation | None = None,
    language: str = "",
    notes: str = "",
) -> Customer:
    require(actor, "customer.update")
    if not identities:
        raise InvalidInput("a customer needs at least one identity", field="identities")
    customer = Customer.objects.create(
        name=name.strip()[:200], organisation=organisation, language=language, notes=notes
    )
    for index, (kind, value) in enumerate(identities):
        identity_add(actor=actor, customer=customer, kind=kind, value=value, primary=index == 0)
    audit_record(actor=actor, action="customer.created", target=customer)
    return customer


@transaction.atomic
def customer_update(
    *,
    actor: Any,
    customer: Customer,
    name: str | None = None,
    notes: str | None = None,
    language: str | None = None,
    organisation: Organisation | bool | None = False,
    tier: str | None = None,
) -> Customer:
    """Change what is given (None, or False for ``organisation``: unchanged). A new ``tier`` is
    announced (``customer.tier_changed``) so the customer's open tickets get their response
    targets chosen again."""
    require(actor, "customer.update")
    changed: dict[str, Any] = {}
    if name is not None and name != customer.name:
        customer.name, changed["name"] = name.strip()[:200], True
    if notes is not None and notes != customer.notes:
        customer.notes, changed["notes"] = notes, True
    if language is not None and language != customer.language:
        customer.language, changed["language"] = language, language
    if organisation is not False and organisation != customer.organisation:
        customer.organisation = organisation if isinstance(organisation, Organisation) else None
        changed["organisation"] = customer.organisation_id
    if tier is not None and normalise_tier(tier) != customer.tier:
        customer.tier = changed["tier"] = normalise_tier(tier)
        events.publish("customer.tier_changed", {"customer_id": customer.pk, "tier": customer.tier})
    if changed:
        customer.save()
        audit_record(actor=actor, action="customer.updated", target=customer, data=changed)
    return customer


def _identity_taken(owner_id: int) -> ApplicationError:
    return ApplicationError(
        ErrorCode.CONFLICT,
        "this identity belongs to another customer; merge them instead",
        customer_id=owner_id,
    )


@transaction.atomic
def identity_add(*, actor: Any, customer: Customer, kind: str, value: str, primary: bool = False) -> Identity:
    require(actor, "customer.update")
    if customer.merged_into_id:
        raise ApplicationError(
            ErrorCode.CONFLICT, "this customer was merged into another", customer_id=customer.merged_into_id
        )
    value = _normalised(kind, value)
    owner = Identity.objects.filter(kind=kind, value=value).select_related("customer").first()
    if owner is not None:
        if owner.customer_id == customer.pk:
            return owner
        raise _identity_taken(owner.customer_id)
    if primary:
        # One primary identity per kind: the new one replaces the old as the address we write to.
        Identity.objects.filter(customer=customer, kind=kind, is_primary=True).update(is_primary=False)
    try:
        with transaction.atomic():
            identity = Identity.objects.create(customer=customer, kind=kind, value=value, is_primary=primary)
    except IntegrityError:
        winner = Identity.objects.filter(kind=kind, value=value).first()
        if winner is None:
            raise
        if winner.customer_id == customer.pk:
            return winner
        raise _identity_taken(winner.customer_id) from None
    audit_record(actor=actor, action="customer.identity_added", target=customer, data={"kind": kind})
    return identity


MAX_BOUNCE_DETAIL = 500


@transaction.atomic
def identity_mark_bounced(
    *, address: str, hard: bool, reason: str, detail: str = "", at: datetime | None = None
) -> Identity | None:
    """Record that mail to an e-mail identity bounced. Only known identities are marked (a bounce
    names whatever address failed, not necessarily a customer's). A hard mark stays until a later
    hard one replaces it: a soft failure after a hard one says nothing new about the address."""
    try:
        value = normalise("email", address)
    except InvalidIdentity:
        return None
    identity = Identity.objects.select_for_update().filter(kind=IdentityKind.EMAIL, value=value).first()
    if identity is None:
        return None
    severity = BounceSeverity.HARD if hard else BounceSeverity.SOFT
    if identity.bounce_severity == BounceSeverity.HARD and severity == BounceSeverity.SOFT:
        return identity
    identity.bounce_severity = severity
    identity.bounce_reason = (reason or "")[:32]
    identity.bounce_detail = " ".join((detail or "").split())[:MAX_BOUNCE_DETAIL]
    identity.bounced_at = at or timezone.now()
    identity.save(update_fields=["bounce_severity", "bounce_reason", "bounce_detail", "bounced_at"])
    audit_record(
        actor=None,
        action="customer.identity_bounced",
        target=identity.customer,
        data={"identity_id": identity.pk, "severity": severity, "reason": identity.bounce_reason},
    )
    return identity


def _fields_pointing_at_customers() -> list[ForeignKey]:
    """Every foreign key to Customer in any installed app, including hidden ones (``related_name="+"``),
    which ``_meta.related_objects`` leaves out."""
    fields: list[ForeignKey] = []
    for relation in Customer._meta.get_fields(include_hidden=True):
        if isinstance(relation, ForeignObjectRel) and isinstance(relation.field, ForeignKey):
            fields.append(relation.field)
    return fields


@transaction.atomic
def customer_merge(*, actor: Any, source: Customer, target: Customer) -> Customer:
    """Fold ``source`` into ``target``: identities, tickets and everything else that points at the
    customer move to ``target``; ``source`` stays as a pointer so old links still resolve."""
    require(actor, "customer.merge")
    if source.pk == target.pk:
        raise InvalidInput("a customer cannot be merged into itself")
    # Lock both rows in a fixed order (by id) so two merges of the same pair cannot deadlock.
    locked = {
        c.pk: c
        for c in Customer.objects.select_for_update().filter(pk__in=[source.pk, target.pk]).order_by("pk")
    }
    if source.pk not in locked or target.pk not in locked:
        raise NotFound(object="customer")
    source, target = locked[source.pk], locked[target.pk]
    if source.merged_into_id or target.merged_into_id:
        raise ApplicationError(ErrorCode.CONFLICT, "one of these customers was already merged")
    Identity.objects.filter(customer=source).update(customer=target, is_primary=False)
    # Move every relation that points at the customer, whichever context owns it, without this
    # context having to know the others. (Other customers merged into the source earlier now point
    # straight at the survivor: pointers never chain.)
    moved: dict[str, int] = {}
    for field in _fields_pointing_at_customers():
        manager = field.model._default_manager
        if field.unique and manager.filter(**{field.name: target}).exists():
            continue  # one-to-one and the survivor has its own: the source's stays with the pointer
        count = manager.filter(**{field.name: source}).update(**{field.name: target})
        if count and field.model is not Identity:
            moved[f"{field.model._meta.label_lower}.{field.name}"] = count
    if not target.organisation_id and source.organisation_id:
        target.organisation_id = source.organisation_id
    if not target.name and source.name:
        target.name = source.name
    if not target.language and source.language:
        target.language = source.language
    if source.notes:
        target.notes = f"{target.notes}\n\n{source.notes}".strip()
    target.save()
    source.merged_into = target
    source.save(update_fields=["merged_into", "updated_at"])
    audit_record(
        actor=actor, action="customer.merged", target=target, data={"source_id": source.pk, "moved": moved}
    )
    events.publish(
        events.CUSTOMER_MERGED, {"source_id": source.pk, "target_id": target.pk, "actor_id": actor.pk}
    )
    return target


@transaction.atomic
def organisation_create(*, actor: Any, name: str, domain: str = "", notes: str = "") -> Organisation:
    """A company our customers belong to; ``domain`` links new e-mail senders to it later."""
    require(actor, "customer.update")
    name = name.strip()
    if not name or len(name) > 200:
        raise InvalidInput(field="name")
    organisation = Organisation.objects.create(name=name, domain=domain.strip().lower()[:200], notes=notes)
    audit_record(actor=actor, action="organisation.created", target=organisation)
    return organisation
