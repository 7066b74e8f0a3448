"""The reply coach beside the reply box: the draft is checked as the agent types (htmx, debounced)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy

from tanggap.assist.coaching import reply_check
from tanggap.assist.selectors import recovery_policies_for_ticket
from tanggap.tickets.models import Ticket
from tanggap.web.views.common import AuthedRequest
from tanggap.web.views.tickets import ticket_action

RULE_LABELS = {
    "thank_vs_sorry": gettext_lazy("Thank, don't apologise"),
    "real_apology": gettext_lazy("A real apology"),
    "honesty": gettext_lazy("Honest promises"),
    "thoroughness": gettext_lazy("Unanswered question"),
    "blame": gettext_lazy("Blame or argument"),
}
SITUATION_LABELS = {
    "none": gettext_lazy("No delay or failure"),
    "minor_delay": gettext_lazy("A small delay"),
    "failure": gettext_lazy("A real failure"),
}


MAX_DISMISSED = 50


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


def dismissal_key(rule: str, quote: str) -> str:
    """What names a finding the agent dismissed while writing this draft: its rule and its words."""
    return f"{rule}|{' '.join(quote.split())}"[:500]


@ticket_action
def ticket_coach(request: AuthedRequest, ticket: Ticket) -> HttpResponse:
    draft = request.POST.get("text", "")
    situation = request.POST.get("coach_situation", "auto")
    policies = recovery_policies_for_ticket(user=request.user, ticket=ticket)
    policy_id = _int(request.POST.get("coach_recovery"))
    if policy_id is None and policies:
        policy_id = policies[0].pk
    result = reply_check(
        user=request.user, ticket=ticket, draft=draft, situation=situation, recovery_policy_id=policy_id
    )
    # "Already answered" / "Ignore": the agent overrules a finding for this draft; the page keeps the
    # keys and sends them with every check until the reply is sent.
    dismissed = {key[:500] for key in request.POST.getlist("coach_dismissed")[:MAX_DISMISSED]}
    shown = [f for f in result.findings if dismissal_key(f.rule, f.quote) not in dismissed]
    return render(
        request,
        "web/partials/coach.html",
        {
            "ticket": ticket,
            "coach": result,
            "draft": draft.strip(),
            "chosen": situation if situation in ("none", "minor_delay", "failure") else "auto",
            "situations": SITUATION_LABELS,
            "rules": RULE_LABELS,
            "findings": [(RULE_LABELS.get(f.rule, f.rule), f, dismissal_key(f.rule, f.quote)) for f in shown],
            "dismissed": len(result.findings) - len(shown),
            "policies": policies,
            "policy_id": policy_id,
        },
    )
