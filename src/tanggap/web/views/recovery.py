"""Service recovery in the workspace: the leads' page to set what each team offers per failure type
(anyone else gets a 404), recording an offer from the ticket page's side panel, the timeline's
sentence for it, and the report of offers and amounts with its CSV (docs/recovery.md)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from tanggap.accounts.selectors import team_get
from tanggap.analytics.selectors import default_filter
from tanggap.assist import recovery, selectors
from tanggap.assist.models import (
    FAILURE_TYPES,
    MAX_AMOUNT,
    MAX_FAILURE_TYPE,
    MAX_LABEL,
    RecoveryKind,
    RecoveryPolicy,
)
from tanggap.core.errors import ApplicationError, NotFound
from tanggap.web.views.common import AuthedRequest, error_message, not_found_as_404, parse_int, require_action
from tanggap.web.views.reports import report_period
from tanggap.web.views.tickets import ticket_action

MANAGE = selectors.MANAGE_ACTION
DEFAULT_KEY = "default"


# ---------------------------------------------------------------- words


def offer_event_sentence(actor: Any, data: dict[str, Any]) -> SafeString:
    """The timeline's line for a ``recovery_offered`` event: "Dewi offered a Rp50,000 shopping
    voucher (late delivery)"."""
    label = data.get("label") or selectors.format_amount(
        int(data.get("amount") or 0), str(data.get("currency") or "IDR")
    )
    return format_html(
        _("{actor} offered {offer} ({failure})"),
        actor=actor,
        offer=label,
        failure=selectors.failure_type_label(str(data.get("failure_type", ""))),
    )


def _error_text(exc: ApplicationError) -> str:
    return str(exc.message) if exc.details.get("field") else error_message(exc)


# ---------------------------------------------------------------- the form


class PolicyForm(forms.Form):
    team = forms.ChoiceField(label=gettext_lazy("For"))
    failure_type = forms.CharField(
        label=gettext_lazy("Failure type"),
        max_length=MAX_FAILURE_TYPE,
        help_text=gettext_lazy(
            "e.g. late_delivery, damaged_item, wrong_item, billing_error, outage, staff_error."
        ),
        widget=forms.TextInput(attrs={"list": "failure-types", "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=RecoveryKind.choices)
    amount = forms.IntegerField(label=gettext_lazy("Amount"), min_value=1, max_value=MAX_AMOUNT)
    currency = forms.CharField(label=gettext_lazy("Currency"), max_length=3, initial="IDR")
    label_id = forms.CharField(
        label=gettext_lazy("How it reads to the customer (Indonesian)"),
        max_length=MAX_LABEL,
        required=False,
        help_text=gettext_lazy("e.g. voucher belanja Rp50.000"),
    )
    label_en = forms.CharField(
        label=gettext_lazy("How it reads to the customer (English)"),
        max_length=MAX_LABEL,
        required=False,
        help_text=gettext_lazy("e.g. a Rp50,000 shopping voucher"),
    )
    position = forms.IntegerField(
        label=gettext_lazy("Position"), min_value=0, max_value=recovery.MAX_POSITION, initial=0
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)

    def __init__(self, *args: Any, teams: Sequence[tuple[int | None, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        team_field: Any = self.fields["team"]
        team_field.choices = [
            (DEFAULT_KEY if pk is None else str(pk), _("Workspace default") if pk is None else name)
            for pk, name in teams
        ]


_FORM_FIELDS = {"failure_type", "kind", "amount", "currency", "label_id", "label_en", "position", "team"}


def _initial(policy: RecoveryPolicy) -> dict[str, Any]:
    return {
        "team": DEFAULT_KEY if policy.team_id is None else str(policy.team_id),
        "failure_type": policy.failure_type,
        "kind": policy.kind,
        "amount": policy.amount,
        "currency": policy.currency,
        "label_id": policy.label_id,
        "label_en": policy.label_en,
        "position": policy.position,
        "is_active": policy.is_active,
    }


def _arguments(request: AuthedRequest, data: dict[str, Any]) -> dict[str, Any]:
    team = None
    if data["team"] != DEFAULT_KEY:
        with not_found_as_404():
            team = team_get(user=request.user, team_id=parse_int(data["team"]) or 0)
    return {
        "team": team,
        "failure_type": data["failure_type"],
        "kind": data["kind"],
        "amount": data["amount"],
        "currency": data["currency"],
        "label_id": data.get("label_id") or "",
        "label_en": data.get("label_en") or "",
        "position": data.get("position") or 0,
        "is_active": bool(data.get("is_active")),
    }


def _form_page(request: AuthedRequest, form: PolicyForm, policy: RecoveryPolicy | None) -> HttpResponse:
    return render(
        request,
        "web/admin/recovery_form.html",
        {
            "form": form,
            "policy": policy,
            "failure_types": [(slug, str(label)) for slug, label in FAILURE_TYPES.items()],
        },
    )


def _save(request: AuthedRequest, form: PolicyForm, policy: RecoveryPolicy | None) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            args = _arguments(request, form.cleaned_data)
            if policy is None:
                policy = recovery.recovery_policy_create(actor=request.user, **args)
                done = _("Recovery offer for %(failure)s created.")
            else:
                policy = recovery.recovery_policy_update(actor=request.user, policy=policy, **args)
                done = _("Recovery offer for %(failure)s saved.")
        except ApplicationError as exc:
            field = str(exc.details.get("field", ""))
            form.add_error(field if field in _FORM_FIELDS else None, _error_text(exc))
        else:
            messages.success(request, done % {"failure": selectors.failure_type_label(policy.failure_type)})
            return redirect(reverse("web:admin_recovery") + f"#policy-{policy.pk}")
    return _form_page(request, form, policy)


# ---------------------------------------------------------------- the leads' pages


@login_required
@require_action(MANAGE)
def policies(request: AuthedRequest) -> HttpResponse:
    """Every policy the lead may see, the workspace default first, then each team's."""
    user = request.user
    rows = list(selectors.recovery_policies_for_admin(user=user))
    manageable = selectors.recovery_manageable_teams(user=user)
    groups: dict[int | None, dict[str, Any]] = {}
    for team_id, name in [(None, ""), *((pk, n) for pk, n in manageable if pk is not None)]:
        groups[team_id] = {
            "team_id": team_id,
            "name": name,
            "can_manage": selectors.recovery_can_manage(user, team_id),
            "policies": [],
        }
    for policy in rows:
        group = groups.setdefault(
            policy.team_id,
            {
                "team_id": policy.team_id,
                "name": policy.team.name if policy.team else "",
                "can_manage": selectors.recovery_can_manage(user, policy.team_id),
                "policies": [],
            },
        )
        group["policies"].append(
            {
                "policy": policy,
                "failure": selectors.failure_type_label(policy.failure_type),
                "amount": selectors.format_amount(policy.amount, policy.currency, get_language()),
            }
        )
    return render(
        request,
        "web/admin/recovery.html",
        {"groups": list(groups.values()), "can_add": bool(manageable)},
    )


@login_required
@require_action(MANAGE)
def policy_new(request: AuthedRequest) -> HttpResponse:
    teams = selectors.recovery_manageable_teams(user=request.user)
    if not teams:
        raise Http404
    wanted = request.GET.get("team", "")
    initial = {"team": wanted} if wanted else {}
    form = PolicyForm(request.POST if request.method == "POST" else None, initial=initial, teams=teams)
    return _save(request, form, None)


def _policy(request: AuthedRequest, policy_id: int) -> RecoveryPolicy:
    """A policy the lead may change: one they may only see (a supervisor and a workspace default)
    is a 404 here, as the pages of another role are."""
    with not_found_as_404():
        policy = selectors.recovery_policy_get(user=request.user, policy_id=policy_id)
    if not selectors.recovery_can_manage(request.user, policy.team_id):
        raise Http404
    return policy


@login_required
@require_action(MANAGE)
def policy_edit(request: AuthedRequest, policy_id: int) -> HttpResponse:
    policy = _policy(request, policy_id)
    teams = selectors.recovery_manageable_teams(user=request.user)
    form = PolicyForm(
        request.POST if request.method == "POST" else None, initial=_initial(policy), teams=teams
    )
    return _save(request, form, policy)


@login_required
@require_action(MANAGE)
@require_POST
def policy_delete(request: AuthedRequest, policy_id: int) -> HttpResponse:
    policy = _policy(request, policy_id)
    failure = selectors.failure_type_label(policy.failure_type)
    recovery.recovery_policy_delete(actor=request.user, policy=policy)
    messages.success(request, _("Recovery offer for %(failure)s deleted.") % {"failure": failure})
    return redirect("web:admin_recovery")


# ---------------------------------------------------------------- recording from the ticket page


@ticket_action
def ticket_offer(request: AuthedRequest, ticket: Any) -> HttpResponse:
    """Record the chosen offer; the ticket page again (htmx swaps the side panel and the timeline)."""
    policy_id = parse_int(request.POST.get("policy"))
    if policy_id is None:
        messages.error(request, _("Choose an offer first."))
        return redirect("web:ticket", ticket.pk)
    try:
        offer = recovery.recovery_offer_record(actor=request.user, ticket=ticket, policy_id=policy_id)
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, _error_text(exc))
        return redirect("web:ticket", ticket.pk)
    messages.success(request, _("Offer recorded: %(offer)s.") % {"offer": offer.label})
    return redirect("web:ticket", ticket.pk)


# ---------------------------------------------------------------- the report


def _report(request: AuthedRequest) -> selectors.RecoveryReport:
    start, end = report_period(request)
    return selectors.recovery_offers_report(
        user=request.user, start=start, end=end, team_id=parse_int(request.GET.get("team"))
    )


def _params(report: selectors.RecoveryReport) -> dict[str, str]:
    params = {"start": report.start.isoformat(), "end": report.end.isoformat()}
    if report.team_id is not None:
        params["team"] = str(report.team_id)
    return params


@require_GET
@login_required
def report(request: AuthedRequest) -> HttpResponse:
    try:
        found = _report(request)
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, error_message(exc))
        today = default_filter()
        found = selectors.recovery_offers_report(user=request.user, start=today.start, end=today.end)
    language = get_language()

    def rows(groups: list[selectors.OfferGroup]) -> list[dict[str, Any]]:
        return [
            {"group": g, "amount": selectors.format_amount(g.amount, g.currency, language)} for g in groups
        ]

    export = reverse("web:reports_recovery_export")
    return render(
        request,
        "web/reports/recovery.html",
        {
            "report": found,
            "view_all": found.agent_id is None,
            "teams": selectors.recovery_report_teams(user=request.user),
            "by_failure_type": rows(found.by_failure_type),
            "by_team": rows(found.by_team),
            "totals": rows(found.totals),
            "exports": [
                (f"{export}?{urlencode(_params(found) | {'dimension': d})}", label)
                for d, label in (("failure_type", _("Per failure type")), ("team", _("Per team")))
            ],
        },
    )


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A spreadsheet runs a cell that starts with =, +, - or @ as a formula (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@require_GET
@login_required
def report_export(request: AuthedRequest) -> HttpResponse:
    dimension = request.GET.get("dimension", "failure_type")
    if dimension not in ("failure_type", "team"):
        raise Http404
    try:
        found = _report(request)
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, error_message(exc))
        return redirect("web:reports_recovery")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"recovery-{dimension}-{found.start}-{found.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    writer = csv.writer(response)
    writer.writerow(("key", "label", "currency", "offers", "amount"))
    groups = found.by_failure_type if dimension == "failure_type" else found.by_team
    for group in groups:
        writer.writerow(
            [_cell(v) for v in (group.key, group.label, group.currency, group.offers, group.amount)]
        )
    return response
