"""What the customer went through, as the reply coach needs it: a small delay, a real failure, or
neither. Pure: the caller gives the facts (how long they waited, what assist read in their messages).
"""

from __future__ import annotations

from collections.abc import Collection

from tanggap.assist.coach import Situation

MINOR_DELAY_AFTER_HOURS = 1.0  # an e-mail answered after more than an hour kept the customer waiting
FAILURE_AFTER_HOURS = 72.0  # three days without an answer is no longer a small delay
ANGRY = 0.5


def situation_of(
    *,
    waited_hours: float,
    intents: Collection[str],
    sentiment: str,
    anger: float,
    failure_marked: bool = False,
) -> Situation:
    """A **failure** when an agent marked one, when the customer complains in anger or with a negative
    tone, or after three days of waiting; a **minor delay** when they waited more than an hour for the
    answer now being written; otherwise **none**."""
    if failure_marked or waited_hours >= FAILURE_AFTER_HOURS:
        return "failure"
    if "complaint" in intents and (sentiment == "negative" or anger >= ANGRY):
        return "failure"
    if waited_hours >= MINOR_DELAY_AFTER_HOURS:
        return "minor_delay"
    return "none"
