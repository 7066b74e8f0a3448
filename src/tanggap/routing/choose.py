"""Choosing the agent for a ticket: the routing decision, pure (no Django).

The caller reads the team's agents as ``Candidate``s (presence, capacity and load per channel, the
languages they write, their skills, when they were last given a ticket) and the ticket as ``Work``,
and stores the ``Decision`` with its reason on the ticket's timeline. The rules, in order:

1. **Never an agent who cannot take it**: only agents *online* and under their capacity for the
   ticket's channel (no capacity for a channel means they do not work it).
2. **Sticky owner**: the customer's previous agent, when they can take it.
3. **Language, then skills** narrow the pool, never to nothing: the agents who write the ticket's
   language, then of them those with every skill the ticket asks for. When nobody matches, the pool
   stays as it was and the reason says so.
4. **The strategy** picks one of the pool: *round-robin* (the one given a ticket longest ago, never
   given one first) or *least-loaded* (the smallest open load weighted by priority, relative to
   their capacity for the channel; the one given a ticket longest ago on a tie).

Ties end on the agent id, so the same inputs always give the same decision.

The **queue's order** (``queue_order``), when agents have room for waiting tickets: angry customers
first (when the team asks for it: assist read their latest message at least ``angry_threshold``
angry), then the priority lane's customer tiers, then everyone else; within each, the highest
priority, then the oldest, then the ticket id. An angry customer goes before a calm VIP: anger is
about this conversation going wrong now, a tier about who the customer is.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Presence(StrEnum):
    ONLINE = "online"
    AWAY = "away"
    OFFLINE = "offline"


class Strategy(StrEnum):
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"


# How much an open ticket of each priority weighs in an agent's load (1 low … 4 urgent).
PRIORITY_WEIGHT = {1: 0.5, 2: 1.0, 3: 1.5, 4: 2.0}


@dataclass(frozen=True, slots=True)
class Candidate:
    id: int
    presence: Presence
    capacity: Mapping[str, int]  # the most open tickets per channel ("email": 10, "chat": 3)
    load: Mapping[str, int] = field(default_factory=dict)  # open tickets assigned, per channel
    weighted_load: float = 0.0  # open tickets assigned, each weighted by ``PRIORITY_WEIGHT``
    languages: frozenset[str] = frozenset()
    skills: frozenset[str] = frozenset()
    last_assigned: int | None = None  # an increasing stamp (sequence or epoch); None: never

    def can_take(self, channel: str) -> bool:
        return self.presence == Presence.ONLINE and self.load.get(channel, 0) < self.capacity.get(channel, 0)


@dataclass(frozen=True, slots=True)
class Work:
    channel: str
    priority: int = 2
    language: str = ""  # "id", "en" or empty when unknown
    skills: frozenset[str] = frozenset()  # every one is wanted (from the ticket's tags or inbox)
    previous_agent: int | None = None  # who answered this customer last


class Reason(StrEnum):
    STICKY_OWNER = "sticky_owner"
    ROUND_ROBIN = "round_robin"
    LEAST_LOADED = "least_loaded"
    NOBODY_AVAILABLE = "nobody_available"


@dataclass(frozen=True, slots=True)
class Decision:
    agent_id: int | None
    reason: Reason
    available: int  # agents who could take the ticket
    language_matched: bool = False  # the pool was narrowed to the ticket's language
    skills_matched: bool = False  # and to its skills


def choose(
    candidates: Iterable[Candidate],
    work: Work,
    *,
    strategy: Strategy = Strategy.LEAST_LOADED,
    sticky: bool = True,
) -> Decision:
    """The agent for ``work`` among ``candidates`` by the rules above; ``agent_id`` None (reason
    ``nobody_available``) when no agent can take it."""
    able = [c for c in candidates if c.can_take(work.channel)]
    if not able:
        return Decision(None, Reason.NOBODY_AVAILABLE, 0)
    if sticky and work.previous_agent is not None:
        for candidate in able:
            if candidate.id == work.previous_agent:
                return Decision(candidate.id, Reason.STICKY_OWNER, len(able))
    pool = able
    language_matched = skills_matched = False
    if work.language:
        speaking = [c for c in pool if work.language in c.languages]
        if speaking:
            pool, language_matched = speaking, True
    if work.skills:
        skilled = [c for c in pool if work.skills <= c.skills]
        if skilled:
            pool, skills_matched = skilled, True
    if strategy == Strategy.ROUND_ROBIN:
        chosen = min(pool, key=_round_robin_key)
        reason = Reason.ROUND_ROBIN
    else:
        chosen = min(pool, key=lambda c: (_share(c, work.channel), *_round_robin_key(c)))
        reason = Reason.LEAST_LOADED
    return Decision(chosen.id, reason, len(able), language_matched, skills_matched)


def _round_robin_key(candidate: Candidate) -> tuple[int, int, int]:
    never = candidate.last_assigned is None
    return (0 if never else 1, candidate.last_assigned or 0, candidate.id)


def _share(candidate: Candidate, channel: str) -> float:
    """The weighted load against the channel's capacity: an agent who may hold 10 e-mails and holds
    5 is as busy as one who may hold 4 and holds 2."""
    return candidate.weighted_load / max(1, candidate.capacity.get(channel, 0))


def weighted_load(priorities: Iterable[int]) -> float:
    """An agent's load from the priorities of their open tickets."""
    return sum(PRIORITY_WEIGHT.get(priority, 1.0) for priority in priorities)


# ---------------------------------------------------------------- the queue's order

ANGRY_LANE, TIER_LANE, OTHERS = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Waiting:
    """A ticket nobody has yet, waiting in its team's queue."""

    id: int
    priority: int = 2
    created: float = 0.0  # when it was opened (any increasing stamp)
    tier: str = ""  # the customer's
    anger: float | None = None  # of the customer's latest message, 0..1; None: not read


def lane(ticket: Waiting, *, lane_tiers: Collection[str] = (), angry_threshold: float | None = None) -> int:
    """``ANGRY_LANE`` when the team puts angry customers first (``angry_threshold`` not None) and this
    one is; else ``TIER_LANE`` for the priority lane's tiers; else ``OTHERS``."""
    if angry_threshold is not None and ticket.anger is not None and ticket.anger >= angry_threshold:
        return ANGRY_LANE
    if ticket.tier in lane_tiers:
        return TIER_LANE
    return OTHERS


def queue_order(
    waiting: Iterable[Waiting], *, lane_tiers: Collection[str] = (), angry_threshold: float | None = None
) -> list[Waiting]:
    """The waiting tickets in the order agents get them: by lane, then the highest priority, then the
    oldest, then the id (``routing.services`` reads the head of the same order in SQL)."""
    return sorted(
        waiting,
        key=lambda t: (
            lane(t, lane_tiers=lane_tiers, angry_threshold=angry_threshold),
            -t.priority,
            t.created,
            t.id,
        ),
    )
