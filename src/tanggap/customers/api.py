"""The customers API: search, create, read, edit and merge customers."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status

from tanggap.api.pagination import offset_page
from tanggap.api.schemas import Id, Limit, Offset, Ref, Text, request_user
from tanggap.customers import selectors, services
from tanggap.customers.models import Customer

router = Router(tags=["customers"])

CustomerId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class IdentityOut(Schema):
    id: int
    kind: str
    value: str
    is_primary: bool


class CustomerOut(Schema):
    id: int
    name: str
    language: str
    notes: str
    tier: str = Field(
        description="The customer's service tier (e.g. `vip`); response-target policies can be chosen by it."
    )
    organisation: Ref | None
    identities: list[IdentityOut]
    merged_into_id: int | None
    created_at: datetime
    updated_at: datetime


class CustomerPage(Schema):
    items: list[CustomerOut]
    limit: int
    offset: int
    has_more: bool


class IdentityIn(Schema):
    kind: Literal["email", "phone", "handle"]
    value: Annotated[str, Text(320, min_length=1, strip=True)]


class CustomerCreateIn(Schema):
    name: Annotated[str, Text(200)] = ""
    identities: list[IdentityIn] = Field(min_length=1, max_length=20)
    language: Literal["", "id", "en"] = ""
    notes: Annotated[str, Text(20_000)] = ""


class CustomerPatchIn(Schema):
    name: Annotated[str, Text(200)] | None = None
    language: Literal["", "id", "en"] | None = None
    notes: Annotated[str, Text(20_000)] | None = None
    tier: Annotated[str, Text(32)] | None = Field(None, description="Empty to clear; stored in lower case.")


class CustomerMergeIn(Schema):
    target_id: Id = Field(description="The customer this one is merged into.")


class CustomerListParams(Schema):
    q: Annotated[str, Text(200, strip=True)] = Field(
        "", description="Part of a name, e-mail, phone or handle."
    )
    limit: Limit = 25
    offset: Offset = 0


def customer_out(customer: Customer) -> dict[str, Any]:
    org = customer.organisation
    return {
        "id": customer.pk,
        "name": customer.name,
        "language": customer.language,
        "notes": customer.notes,
        "tier": customer.tier,
        "organisation": {"id": org.pk, "name": org.name} if org else None,
        "identities": [
            {"id": i.pk, "kind": i.kind, "value": i.value, "is_primary": i.is_primary}
            for i in customer.identities.all()
        ],
        "merged_into_id": customer.merged_into_id,
        "created_at": customer.created_at,
        "updated_at": customer.updated_at,
    }


def _get(request: HttpRequest, customer_id: int) -> Customer:
    return selectors.customer_get_for_agent(user=request_user(request), customer_id=customer_id)


@router.get("/customers", response=CustomerPage, summary="Search customers")
def list_customers(request: HttpRequest, params: Query[CustomerListParams]) -> Any:
    qs = selectors.customer_list(user=request_user(request), query=params.q)
    page = offset_page(qs, limit=params.limit, offset=params.offset)
    return {**page.as_dict(), "items": [customer_out(c) for c in page.items]}


@router.post("/customers", response={201: CustomerOut}, summary="Create a customer")
def create_customer(request: HttpRequest, payload: CustomerCreateIn) -> Any:
    """409 when one of the identities already belongs to another customer."""
    user = request_user(request)
    customer = services.customer_create(
        actor=user,
        name=payload.name,
        identities=[(i.kind, i.value) for i in payload.identities],
        language=payload.language,
        notes=payload.notes,
    )
    return Status(201, customer_out(_get(request, customer.pk)))


@router.get("/customers/{customer_id}", response=CustomerOut, summary="Get a customer")
def get_customer(request: HttpRequest, customer_id: CustomerId) -> Any:
    return customer_out(_get(request, customer_id))


@router.patch("/customers/{customer_id}", response=CustomerOut, summary="Edit a customer")
def update_customer(request: HttpRequest, customer_id: CustomerId, payload: CustomerPatchIn) -> Any:
    customer = services.customer_update(
        actor=request_user(request),
        customer=_get(request, customer_id),
        name=payload.name,
        language=payload.language,
        notes=payload.notes,
        tier=payload.tier,
    )
    return customer_out(_get(request, customer.pk))


@router.post("/customers/{customer_id}/merge", response=CustomerOut, summary="Merge into another customer")
def merge_customer(request: HttpRequest, customer_id: CustomerId, payload: CustomerMergeIn) -> Any:
    """Moves this customer's identities and tickets to `target_id`. Returns the target."""
    source = _get(request, customer_id)
    target = services.customer_merge(
        actor=request_user(request), source=source, target=_get(request, payload.target_id)
    )
    return customer_out(_get(request, target.pk))
