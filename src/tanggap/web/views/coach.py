"""The reply coach beside the reply box: the draft is checked as the agent types (htmx, debounced);
and the report of what agents did with its findings on the replies they sent."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from tanggap.analytics.selectors import default_filter
from tanggap.assist.coach import finding_key
from tanggap.assist.coaching import reply_check
from tanggap.assist.outcomes import clean_keys
from tanggap.assist.selectors import (
    coach_outcomes_report,
    recovery_policies_for_ticket,
    recovery_report_teams,
)
from tanggap.core.errors import ApplicationError, NotFound
from tanggap.tickets.models import Ticket
from tanggap.web.views.common import AuthedRequest, error_message, parse_int
from tanggap.web.views.reports import report_period
from tanggap.web.views.tickets import ticket_action

RULE_LABELS = {
    "thank_vs_sorry": gettext_lazy("Thank, don't apologise"),
    "real_apology": gettext_lazy("A real apology"),
    "honesty": gettext_lazy("Honest promises"),
    "thoroughness": gettext_lazy("Unanswered question"),
    "blame": gettext_lazy("Blame or argument"),
}
# A thoroughness finding judged by words alone is worth a look, not a certain miss.
MAYBE_UNANSWERED = gettext_lazy("Maybe unanswered")
# What the draft lacked, for the report's rows of thoroughness findings.
THOROUGHNESS_LABELS = {
    "thoroughness.no_time": gettext_lazy("“When” with no time stated"),
    "thoroughness.no_amount": gettext_lazy("“How much” with no amount stated"),
    "thoroughness.no_steps": gettext_lazy("“What do I do” with no steps"),
    "thoroughness.put_off": gettext_lazy("Only put off"),
    "thoroughness.unanswered": gettext_lazy("Not mentioned (judged by words)"),
}
SITUATION_LABELS = {
    "none": gettext_lazy("No delay or failure"),
    "minor_delay": gettext_lazy("A small delay"),
    "failure": gettext_lazy("A real failure"),
}


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


def _label(rule: str, code: str) -> str:
    if code == "thoroughness.unanswered":
        return str(MAYBE_UNANSWERED)
    return str(RULE_LABELS.get(rule, rule))


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
    dismissed = set(clean_keys(request.POST.getlist("coach_dismissed")))
    shown = [f for f in result.findings if finding_key(f.rule, f.quote) not in dismissed]
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
            "findings": [(_label(f.rule, f.code), f, finding_key(f.rule, f.quote)) for f in shown],
            "dismissed": len(result.findings) - len(shown),
            "policies": policies,
            "policy_id": policy_id,
        },
    )


@require_GET
@login_required
def report(request: AuthedRequest) -> HttpResponse:
    """Per rule, the coach's findings on sent replies: suggestions used, set aside, sent as flagged."""
    start, end = report_period(request)
    try:
        found = coach_outcomes_report(
            user=request.user, start=start, end=end, team_id=parse_int(request.GET.get("team"))
        )
    except NotFound:
        raise Http404 from None
    except ApplicationError as exc:
        messages.error(request, error_message(exc))
        today = default_filter()
        found = coach_outcomes_report(user=request.user, start=today.start, end=today.end)
    return render(
        request,
        "web/reports/coach.html",
        {
            "report": found,
            "view_all": found.agent_id is None,
            "teams": recovery_report_teams(user=request.user),
            "rows": [(RULE_LABELS.get(row.rule, row.rule), row) for row in found.rules],
            "thoroughness_rows": [
                (THOROUGHNESS_LABELS.get(row.code, row.code), row) for row in found.thoroughness
            ],
        },
    )
