"""What agents did with the reply coach's findings on the replies they sent (docs/assist.md, "The
coach on sent replies"): a suggestion used, a finding set aside, or the reply sent as flagged."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from django.utils import timezone

from tanggap.assist.coach import MAX_KEY, RULES, finding_key
from tanggap.assist.models import MAX_OUTCOME_QUOTE, CoachOutcome
from tanggap.tickets.models import Message, MessageKind

MAX_KEYS = 50  # keys read from one form, of each kind


class _Finding(Protocol):
    @property
    def rule(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def quote(self) -> str: ...


def clean_keys(values: Iterable[str]) -> list[str]:
    """The finding keys a form sent, bounded: at most ``MAX_KEYS``, each of a known rule."""
    keys: list[str] = []
    for value in values:
        key = value[:MAX_KEY]
        if key.partition("|")[0] in RULES and key not in keys:
            keys.append(key)
        if len(keys) >= MAX_KEYS:
            break
    return keys


def coach_outcomes_record(
    *,
    actor: Any,
    message: Message,
    findings: Sequence[_Finding],
    situation: str = "",
    used: Iterable[str] = (),
    set_aside: Iterable[str] = (),
) -> list[CoachOutcome]:
    """Record what became of the coach's findings on ``message``, a reply ``actor`` just sent.

    ``findings`` are the coach's findings on the text as sent; each was set aside (its key is in
    ``set_aside``) or sent as flagged. ``used`` are the keys of the suggestions the agent put into the
    draft: their findings are gone from the text, and one outcome each records the use. A key set
    aside whose finding the agent then wrote away is not counted: nothing of it was sent."""
    if message.kind != MessageKind.REPLY or message.author_id != getattr(actor, "pk", None):
        return []
    aside = set(clean_keys(set_aside))
    now = timezone.now()
    rows: list[CoachOutcome] = []
    present: set[str] = set()

    def add(rule: str, code: str, quote: str, outcome: str) -> None:
        rows.append(
            CoachOutcome(
                message=message,
                ticket_id=message.ticket_id,
                team_id=message.ticket.team_id,
                agent=actor,
                rule=rule,
                code=code[:64],
                quote=quote[:MAX_OUTCOME_QUOTE],
                outcome=outcome,
                situation=situation[:12],
                created_at=now,
            )
        )

    for finding in findings:
        key = finding_key(finding.rule, finding.quote)
        if key in present:
            continue
        present.add(key)
        outcome = CoachOutcome.Outcome.SET_ASIDE if key in aside else CoachOutcome.Outcome.SENT
        add(finding.rule, finding.code, " ".join(finding.quote.split()), outcome)
    for key in clean_keys(used):
        if key not in present:
            rule, _, quote = key.partition("|")
            add(rule, "", quote, CoachOutcome.Outcome.USED)
    return CoachOutcome.objects.bulk_create(rows)
