"""The reply coach on a ticket: the facts the pure rules need (the customer's unanswered messages,
what assist read in them, how long they waited, the team's history, its recovery offers) and the
findings with their explanations translated for the agent.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.cache import cache
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from tanggap.assist.coach import EXPLANATIONS, CoachContext, Finding, RecoveryOption, check
from tanggap.assist.models import MessageSignals
from tanggap.assist.situation import situation_of
from tanggap.core.text import guess_language
from tanggap.tickets.models import Message, MessageKind, Status, Ticket

SITUATIONS = ("auto", "none", "minor_delay", "failure")
MAX_DRAFT = 10_000
HISTORY_DAYS = 28
MIN_SAMPLES = 20  # solved tickets needed before time promises are checked against the history
FLOOR_CACHE_SECONDS = 300
FAILURE_TAGS = frozenset({"failure", "kegagalan", "service-failure"})


@dataclass(frozen=True)
class CoachFinding:
    rule: str
    code: str
    start: int
    end: int
    quote: str
    rewrite: str | None
    severity: str
    why: str
    research: str


@dataclass(frozen=True)
class CoachResult:
    situation: str  # what the rules ran with
    detected: str  # what the ticket shows, before an agent's choice
    findings: list[CoachFinding]
    questions: list[str] = field(default_factory=list)  # the customer's unanswered questions
    promise_floor_hours: float | None = None
    recovery_label: str = ""


def customer_messages_before(ticket_id: int, reply: Message | None = None) -> list[Message]:
    """The customer's messages a reply answers: those since the reply before it (all of them before
    the first). With no ``reply``, the ones waiting now, since the last reply."""
    replies = Message.objects.filter(ticket_id=ticket_id, kind=MessageKind.REPLY)
    rows = Message.objects.filter(ticket_id=ticket_id, kind=MessageKind.CUSTOMER, automatic="")
    if reply is not None:
        replies = replies.filter(created_at__lt=reply.created_at)
        rows = rows.filter(created_at__lte=reply.created_at)
    last_reply = replies.order_by("-created_at", "-id").values_list("created_at", flat=True).first()
    if last_reply is not None:
        rows = rows.filter(created_at__gt=last_reply)
    return list(rows.order_by("created_at", "id")[:20])


def promise_floor_hours(team_id: int | None) -> float | None:
    """The 90th percentile of the hours the team's tickets took from opening to solved over the last
    four weeks: a promise shorter than that is one the team keeps less than nine times in ten.
    None with fewer than 20 solved tickets. Cached for five minutes."""
    key = f"assist:promise-floor:{team_id}"
    cached = cache.get(key)
    if cached is not None:
        return None if cached < 0 else float(cached)
    since = timezone.now() - timedelta(days=HISTORY_DAYS)
    rows = Ticket.objects.filter(solved_at__gte=since, merged_into__isnull=True)
    rows = rows.filter(team_id=team_id) if team_id is not None else rows
    spans = sorted(
        (solved - created).total_seconds() / 3600
        for created, solved in rows.annotate(s=F("solved_at")).values_list("created_at", "s")[:5000]
        if solved is not None and solved >= created
    )
    floor = None if len(spans) < MIN_SAMPLES else round(spans[math.ceil(0.9 * len(spans)) - 1], 1)
    cache.set(key, -1 if floor is None else floor, FLOOR_CACHE_SECONDS)
    return floor


def _explained(finding: Finding) -> CoachFinding:
    why, research = EXPLANATIONS.get(finding.code, ("", ""))
    why = _(why) if why else ""
    if finding.params:
        with contextlib.suppress(KeyError, IndexError, ValueError):
            why = why.format(**finding.params)
    return CoachFinding(
        rule=finding.rule,
        code=finding.code,
        start=finding.start,
        end=finding.end,
        quote=finding.quote,
        rewrite=finding.rewrite,
        severity=finding.severity,
        why=why,
        research=_(research) if research else "",
    )


def recovery_option(
    *, user: Any, ticket: Ticket, policy_id: int | None, language: str
) -> RecoveryOption | None:
    """The recovery offer an agent chose from the team's policy, worded in the draft's language."""
    if policy_id is None:
        return None
    from tanggap.assist.selectors import recovery_policies_for_ticket

    for policy in recovery_policies_for_ticket(user=user, ticket=ticket):
        if policy.pk == policy_id:
            return RecoveryOption(label=policy.label(language))
    return None


def _situation(ticket: Ticket, waiting: list[Message], signals: list[MessageSignals], anger: float) -> str:
    intents = {i for s in signals for i in s.intents} | {i for i in ticket.intents.split(",") if i}
    waited = (timezone.now() - waiting[0].created_at).total_seconds() / 3600 if waiting else 0.0
    tags = {t.lower() for t in ticket.tags.values_list("name", flat=True)}
    return situation_of(
        waited_hours=waited,
        intents=intents,
        sentiment=ticket.sentiment,
        anger=anger,
        failure_marked=bool(tags & FAILURE_TAGS),
    )


def _waiting(ticket: Ticket) -> tuple[list[Message], list[MessageSignals], float]:
    """The customer's unanswered messages, what assist read in them, and the angriest of them."""
    waiting = customer_messages_before(ticket.pk)
    signals = list(MessageSignals.objects.filter(message__in=[m.pk for m in waiting]))
    anger = max((s.anger for s in signals), default=ticket.anger or 0.0)
    return waiting, signals, anger


def ticket_situation(ticket: Ticket) -> str:
    """What the ticket shows now, as the coach reads it: "failure", "minor_delay" or "none" (the
    caller read ``ticket`` through an access-checking selector)."""
    return _situation(ticket, *_waiting(ticket))


def reply_check(
    *, user: Any, ticket: Ticket, draft: str, situation: str = "auto", recovery_policy_id: int | None = None
) -> CoachResult:
    """Check an agent's draft on ``ticket`` (which the caller read through an access-checking
    selector). ``situation`` "auto" takes what the ticket shows."""
    draft = draft[:MAX_DRAFT]
    waiting, signals, anger = _waiting(ticket)
    detected = _situation(ticket, waiting, signals, anger)
    chosen = detected if situation not in SITUATIONS or situation == "auto" else situation
    language = guess_language(draft) or ticket.language or "id"
    recovery = recovery_option(user=user, ticket=ticket, policy_id=recovery_policy_id, language=language)
    floor = promise_floor_hours(ticket.team_id) if ticket.status != Status.CLOSED else None
    context = CoachContext(
        language=language if language in ("id", "en") else "",
        situation=chosen,  # type: ignore[arg-type]
        anger=anger,
        customer_text="\n\n".join(m.visible_text for m in waiting),
        promise_floor_hours=floor,
        recovery=recovery,
    )
    findings = [_explained(f) for f in check(draft, context)]
    questions = [q["text"] for s in signals for q in s.questions]
    return CoachResult(
        situation=chosen,
        detected=detected,
        findings=findings,
        questions=questions,
        promise_floor_hours=floor,
        recovery_label=recovery.label if recovery else "",
    )
