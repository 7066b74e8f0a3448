"""Customers: the searchable list and the customer page (profile, identities, every ticket, merge)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from tanggap.accounts.permissions import can
from tanggap.core.errors import ApplicationError, NotFound
from tanggap.customers.models import Customer
from tanggap.customers.selectors import customer_get_for_agent, customer_list
from tanggap.customers.services import customer_merge, customer_update, identity_add
from tanggap.tickets.selectors import tickets_for_customer
from tanggap.web.forms import CustomerForm, CustomerMergeForm, IdentityForm
from tanggap.web.views.common import AuthedRequest, flash_error, not_found_as_404, page_number, paginate

CUSTOMER_TICKETS_SHOWN = 200


def get_customer(request: AuthedRequest, customer_id: int) -> Customer:
    with not_found_as_404():
        return customer_get_for_agent(user=request.user, customer_id=customer_id)


@require_safe
@login_required
def customers(request: AuthedRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:200]
    page = paginate(customer_list(user=request.user, query=query), page_number(request))
    return render(request, "web/customers.html", {"page": page, "query": query})


@login_required
def customer_page(request: AuthedRequest, customer_id: int) -> HttpResponse:
    customer = get_customer(request, customer_id)
    if request.method == "POST":
        return _customer_update(request, customer)
    tickets = list(
        tickets_for_customer(user=request.user, customer_id=customer.pk)[: CUSTOMER_TICKETS_SHOWN + 1]
    )
    form = CustomerForm(
        initial={
            "name": customer.name,
            "language": customer.language,
            "tier": customer.tier,
            "notes": customer.notes,
        }
    )
    return render(
        request,
        "web/customer.html",
        {
            "customer": customer,
            "identities": list(customer.identities.all()),
            "tickets": tickets[:CUSTOMER_TICKETS_SHOWN],
            "more_tickets": len(tickets) > CUSTOMER_TICKETS_SHOWN,
            "form": form,
            "identity_form": IdentityForm(),
            "merge_form": CustomerMergeForm(),
            "can_edit": can(request.user, "customer.update") and not customer.merged_into_id,
            "can_merge": can(request.user, "customer.merge") and not customer.merged_into_id,
        },
    )


def _customer_update(request: AuthedRequest, customer: Customer) -> HttpResponse:
    form = CustomerForm(request.POST)
    if form.is_valid():
        try:
            customer_update(
                actor=request.user,
                customer=customer,
                name=form.cleaned_data["name"],
                notes=form.cleaned_data["notes"],
                language=form.cleaned_data["language"],
                tier=form.cleaned_data["tier"],
            )
        except ApplicationError as exc:
            flash_error(request, exc)
        else:
            messages.success(request, _("Customer saved."))
    else:
        messages.error(request, _("Check the form and try again."))
    return redirect("web:customer", customer.pk)


@require_POST
@login_required
def customer_identity_add(request: AuthedRequest, customer_id: int) -> HttpResponse:
    customer = get_customer(request, customer_id)
    form = IdentityForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the form and try again."))
        return redirect("web:customer", customer.pk)
    try:
        identity_add(
            actor=request.user,
            customer=customer,
            kind=form.cleaned_data["kind"],
            value=form.cleaned_data["value"],
        )
    except ApplicationError as exc:
        if exc.details.get("customer_id"):
            messages.error(
                request,
                _("Customer #%(number)s already has this identity: merge the two instead.")
                % {"number": exc.details["customer_id"]},
            )
        else:
            flash_error(request, exc)
    else:
        messages.success(request, _("Identity added."))
    return redirect("web:customer", customer.pk)


@require_POST
@login_required
def customer_merge_into(request: AuthedRequest, customer_id: int) -> HttpResponse:
    customer = get_customer(request, customer_id)
    form = CustomerMergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a customer number."))
        return redirect("web:customer", customer.pk)
    try:
        target = customer_get_for_agent(user=request.user, customer_id=form.cleaned_data["target"])
    except NotFound:
        messages.error(request, _("There is no customer with that number."))
        return redirect("web:customer", customer.pk)
    try:
        customer_merge(actor=request.user, source=customer, target=target)
    except ApplicationError as exc:
        flash_error(request, exc)
        return redirect("web:customer", customer.pk)
    messages.success(request, _("Customer #%(number)d was merged into this one.") % {"number": customer.pk})
    return redirect("web:customer", target.pk)
