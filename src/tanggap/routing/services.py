"""Giving tickets to agents: on arrival, when an agent becomes available, and as rebalancing.

Every assignment goes through ``tickets.services.ticket_assign`` with the decision's reason, so it is
on the ticket's timeline like an agent's. Two workers never give one ticket twice nor push an agent
over capacity:

1. the ticket's row is locked first and routing goes on only if nobody has it yet;
2. the chosen agent's ``AgentLoad`` row is locked next (always in this order, so two workers cannot
   wait on each other), their open tickets are counted again under the lock, and the ticket is given
   only while they are still under capacity; otherwise the decision is taken again without them.

The counts outside the lock (read with the candidates, in one query) only order the candidates.
Draining a team's queue takes its tickets with ``SKIP LOCKED`` (PostgreSQL), so two drainers take
different tickets; SQLite has one writer at a time, which gives the same guarantee.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from tanggap.accounts.models import Availability, Presence, Team, User
from tanggap.accounts.permissions import require
from tanggap.core.audit import audit_record
from tanggap.core.errors import InvalidInput
from tanggap.core.process_cache import ProcessCache
from tanggap.core.slugs import normalise_tag
from tanggap.inboxes.models import MailStatus, RawMail
from tanggap.routing.choose import Candidate, Decision, Reason, Strategy, Work, choose, weighted_load
from tanggap.routing.choose import Presence as ChoosePresence
from tanggap.routing.models import AgentLoad, AgentSlot, TeamRouting
from tanggap.tickets.models import ACTIVE_CONDITION, UNASSIGNED, Status, Ticket
from tanggap.tickets.services import ticket_assign

logger = logging.getLogger(__name__)

# Tickets that take an agent's capacity: those waiting on the agent (pending and on-hold wait on others).
WORKING = (Status.NEW.value, Status.OPEN.value)
# The reasons routing gives its own assignments (``choose.Reason``, less the one that assigns nobody).
ROUTING_REASONS = frozenset(r.value for r in Reason if r != Reason.NOBODY_AVAILABLE)
# Agents counted again in one transaction (``loads_refresh``).
REFRESH_BATCH = 50
# How many times a decision is taken again when the chosen agent turned out to be full under the lock.
MAX_RETRIES = 5
# A drain stops after this many tickets; the next one (the minute's sweep, the next event) goes on.
DRAIN_BATCH = 200
MAX_REBALANCE_MINUTES = 7 * 24 * 60
MAX_LANE_TIERS = 10

# Teams that assign automatically (cached for a few seconds: asked on every arrival).
_routed = ProcessCache(
    5.0, lambda: frozenset(TeamRouting.objects.filter(enabled=True).values_list("team_id", flat=True))
)
routed_team_ids = _routed.get
forget_routed_teams = _routed.forget


def enqueue_route(ticket_id: int) -> None:
    from tanggap.routing.tasks import route_ticket_task

    route_ticket_task.enqueue(ticket_id)


def enqueue_drain(team_id: int) -> None:
    from tanggap.routing.tasks import drain_team_task

    drain_team_task.enqueue(team_id)


# ---------------------------------------------------------------- settings


@transaction.atomic
def team_routing_update(
    *,
    actor: User,
    team: Team,
    enabled: bool | None = None,
    strategy: str | None = None,
    sticky: bool | None = None,
    rebalance_minutes: Any = ...,  # int, or None for never; ... leaves it
    lane_tiers: Sequence[str] | None = None,
    angry_first: bool | None = None,
    angry_threshold: float | None = None,
) -> TeamRouting:
    """Change how a team routes its tickets (leads; a supervisor, for their own teams)."""
    require(actor, "routing.manage")
    from tanggap.routing.selectors import routing_can_manage

    if not routing_can_manage(actor, team.pk):
        require(actor, "team.manage")
    row, _ = TeamRouting.objects.select_for_update().get_or_create(team=team)
    changed: dict[str, Any] = {}
    if enabled is not None and enabled != row.enabled:
        row.enabled = changed["enabled"] = enabled
    if strategy is not None and strategy != row.strategy:
        if strategy not in Strategy.__members__.values():
            raise InvalidInput(field="strategy")
        row.strategy = changed["strategy"] = strategy
    if sticky is not None and sticky != row.sticky:
        row.sticky = changed["sticky"] = sticky
    if rebalance_minutes is not ... and rebalance_minutes != row.rebalance_minutes:
        if rebalance_minutes is not None and not 1 <= int(rebalance_minutes) <= MAX_REBALANCE_MINUTES:
            raise InvalidInput(field="rebalance_minutes", limit=MAX_REBALANCE_MINUTES)
        row.rebalance_minutes = changed["rebalance_minutes"] = rebalance_minutes
    if lane_tiers is not None:
        tiers = sorted({t.strip().lower()[:32] for t in lane_tiers if t.strip()})
        if len(tiers) > MAX_LANE_TIERS:
            raise InvalidInput(field="lane_tiers", limit=MAX_LANE_TIERS)
        if tiers != row.lane_tiers:
            row.lane_tiers = changed["lane_tiers"] = tiers
    if angry_first is not None and angry_first != row.angry_first:
        row.angry_first = changed["angry_first"] = angry_first
    if angry_threshold is not None and angry_threshold != row.angry_threshold:
        if not 0 < float(angry_threshold) <= 1:
            raise InvalidInput(field="angry_threshold")
        row.angry_threshold = changed["angry_threshold"] = float(angry_threshold)
    if changed:
        row.save()
        audit_record(actor=actor, action="team.routing_updated", target=team, data=changed)
        forget_routed_teams()
        if row.enabled:
            transaction.on_commit(lambda: enqueue_drain(team.pk))
    return row


# ---------------------------------------------------------------- loads


def _count(user_ids: Iterable[int]) -> dict[int, tuple[dict[str, int], float]]:
    """Each agent's working tickets per channel, and their weight, from the tickets themselves."""
    ids = list(user_ids)
    counts: dict[int, dict[str, int]] = {pk: {} for pk in ids}
    priorities: dict[int, list[int]] = defaultdict(list)
    rows = Ticket.objects.filter(
        assignee_id__in=ids, status__in=WORKING, merged_into__isnull=True
    ).values_list("assignee_id", "channel", "priority")
    for assignee_id, channel, priority in rows:
        counts[assignee_id][channel] = counts[assignee_id].get(channel, 0) + 1
        priorities[assignee_id].append(priority)
    return {pk: (counts[pk], weighted_load(priorities[pk])) for pk in ids}


def _listed(values: Iterable[str]) -> str:
    """``["en", "id"]`` as ``,en,id,``: one ``LIKE '%,en,%'`` matches a whole item."""
    items = [v for v in values if v]
    return f",{','.join(items)}," if items else ""


def loads_refresh(user_ids: Iterable[int], *, at: datetime | None = None) -> int:
    """Count the agents' open work again and copy what they can take from their ``Availability``
    (after a ticket was solved or reassigned, a capacity changed, and every minute). Takes each
    agent's lock, as giving them a ticket does, so the copy is never older than a decision."""
    at = at or timezone.now()
    ids = sorted({pk for pk in user_ids if pk})
    # A batch at a time: each holds its agents' locks only briefly, so decisions go on meanwhile.
    for start in range(0, len(ids), REFRESH_BATCH):
        _refresh(ids[start : start + REFRESH_BATCH], at)
    return len(ids)


def _refresh(ids: list[int], at: datetime) -> None:
    with transaction.atomic():
        AgentLoad.objects.bulk_create([AgentLoad(user_id=pk) for pk in ids], ignore_conflicts=True)
        list(
            AgentLoad.objects.select_for_update()
            .filter(user_id__in=ids)
            .order_by("user_id")
            .values_list("pk")
        )
        fresh = _count(ids)
        agents = {
            pk: (status == Presence.ONLINE and active, capacity or {}, languages or [], skills or [])
            for pk, status, active, capacity, languages, skills in Availability.objects.filter(
                user_id__in=ids
            ).values_list("user_id", "status", "user__is_active", "capacity", "languages", "skills")
        }
        slots = []
        for pk in ids:
            loads, weighted = fresh[pk]
            online, capacity, languages, skills = agents.get(pk, (False, {}, [], []))
            AgentLoad.objects.filter(user_id=pk).update(
                online=online,
                weighted=weighted,
                languages=_listed(languages),
                skills=_listed(skills),
                counted_at=at,
            )
            slots += [
                AgentSlot(user_id=pk, channel=channel, capacity=int(amount), load=loads.get(channel, 0))
                for channel, amount in capacity.items()
                if amount
            ]
        AgentSlot.objects.filter(user_id__in=ids).delete()
        AgentSlot.objects.bulk_create(slots)


# ---------------------------------------------------------------- the decision


@dataclass(frozen=True, slots=True)
class Routed:
    ticket_id: int
    agent_id: int | None
    reason: str  # choose.Reason, or "already_assigned" / "not_routed" / "closed"
    available: int = 0


# How many of the best candidates (by the decision's own order) are read for ``choose``.
SHORTLIST = 8

_CANDIDATES_SQL = """
SELECT s.user_id, s.capacity, s.load, l.weighted, l.last_assigned, {language} AS speaks, {skills} AS skilled,
       COUNT(*) OVER () AS able
FROM routing_agentslot s
JOIN accounts_user_teams ut ON ut.user_id = s.user_id AND ut.team_id = %s
JOIN routing_agentload l ON l.user_id = s.user_id
WHERE s.channel = %s AND s.load < s.capacity AND l.online {extra}
ORDER BY speaks DESC, skilled DESC, {strategy} s.user_id
LIMIT %s
"""
_NEVER_FIRST = "CASE WHEN l.last_assigned IS NULL THEN 0 ELSE 1 END, COALESCE(l.last_assigned, 0),"
_STRATEGY_ORDER = {
    Strategy.LEAST_LOADED: "l.weighted / s.capacity, " + _NEVER_FIRST,
    Strategy.ROUND_ROBIN: _NEVER_FIRST,
}


def _like_item(item: str) -> str:
    """A ``LIKE`` pattern matching ``item`` as a whole entry of a ``,a,b,`` list."""
    escaped = item.replace("!", "!!").replace("%", "!%").replace("_", "!_")
    return f"%,{escaped},%"


def _candidates(
    team_id: int, work: Work, strategy: Strategy, *, only: int | None = None, limit: int = SHORTLIST
) -> tuple[list[Candidate], int]:
    """The team's agents who can take ``work`` now, best first by the decision's own order, and how
    many there are: one query, whose cost does not grow with the team (the database keeps only the
    shortlist). ``choose`` then decides among them exactly as among all of them: its narrowing by
    language and skills and its strategy are this query's order. ``only``: that agent, if able."""
    params: list[Any] = []
    language = "0"
    if work.language:
        language = "CASE WHEN l.languages LIKE %s ESCAPE '!' THEN 1 ELSE 0 END"
        params.append(_like_item(work.language))
    skills = "0"
    if work.skills:
        skills = (
            "CASE WHEN "
            + " AND ".join("l.skills LIKE %s ESCAPE '!'" for _ in work.skills)
            + " THEN 1 ELSE 0 END"
        )
        params += [_like_item(skill) for skill in sorted(work.skills)]
    params += [team_id, work.channel]
    extra = ""
    if only is not None:
        extra = "AND s.user_id = %s"
        params.append(only)
    params.append(limit)
    sql = _CANDIDATES_SQL.format(
        language=language, skills=skills, extra=extra, strategy=_STRATEGY_ORDER[strategy]
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    candidates = [
        Candidate(
            id=user_id,
            presence=ChoosePresence.ONLINE,
            capacity={work.channel: capacity},
            load={work.channel: load},
            weighted_load=weighted or 0.0,
            languages=frozenset({work.language}) if speaks else frozenset(),
            skills=work.skills if skilled else frozenset(),
            last_assigned=last,
        )
        for user_id, capacity, load, weighted, last, speaks, skilled, _able in rows
    ]
    return candidates, (rows[0][-1] if rows else 0)


def _previous_agent(customer_id: int, ticket_id: int) -> int | None:
    """Who had this customer's most recent other ticket."""
    return (
        Ticket.objects.filter(customer_id=customer_id, assignee__isnull=False)
        .exclude(pk=ticket_id)
        .order_by("-created_at")
        .values_list("assignee_id", flat=True)
        .first()
    )


def _lock_ticket(ticket_id: int, skip_locked: bool = False) -> dict[str, Any] | None:
    qs = Ticket.objects.filter(pk=ticket_id).select_for_update(skip_locked=skip_locked)
    return qs.values(  # type: ignore[return-value]
        "id",
        "team_id",
        "assignee_id",
        "status",
        "merged_into_id",
        "channel",
        "priority",
        "language",
        "customer_id",
    ).first()


def ticket_route(
    *, ticket_id: int, cause: str = "arrival", exclude: int | None = None, skip_locked: bool = False
) -> Routed:
    """Give the ticket to the best available agent of its team, if it is unassigned (or, with
    ``exclude``, assigned to that agent: rebalancing) and its team routes automatically."""
    with transaction.atomic():
        facts = _lock_ticket(ticket_id, skip_locked)
        if facts is None:
            return Routed(ticket_id, None, "missing")
        if facts["merged_into_id"] is not None or facts["status"] not in WORKING:
            return Routed(ticket_id, None, "closed")
        if facts["assignee_id"] is not None and facts["assignee_id"] != exclude:
            return Routed(ticket_id, facts["assignee_id"], "already_assigned")
        team_id = facts["team_id"]
        settings = TeamRouting.objects.filter(team_id=team_id, enabled=True).first() if team_id else None
        if settings is None:
            return Routed(ticket_id, None, "not_routed")
        work = Work(
            channel=facts["channel"],
            priority=facts["priority"],
            language=facts["language"] if facts["language"] in ("id", "en") else "",
            skills=_wanted_skills(ticket_id),
            previous_agent=_previous_agent(facts["customer_id"], ticket_id) if settings.sticky else None,
        )
        strategy = Strategy(settings.strategy)
        full: set[int] = {exclude} if exclude is not None else set()
        for _ in range(MAX_RETRIES):
            decision = _decide(team_id, work, strategy, settings.sticky, full)
            if decision.agent_id is None:
                return Routed(ticket_id, None, decision.reason.value, 0)
            counted = _reserve(decision.agent_id, work.channel)
            if counted is not None:
                _give(ticket_id, decision, cause, strategy, work, counted, previous=facts["assignee_id"])
                return Routed(ticket_id, decision.agent_id, decision.reason.value, decision.available)
            # Full under the lock (the copy was stale; ``_reserve`` stored the real count): decide again.
            full.add(decision.agent_id)
        return Routed(ticket_id, None, Reason.NOBODY_AVAILABLE.value, 0)


def _wanted_skills(ticket_id: int) -> frozenset[str]:
    """What the ticket asks of its agent: its tags, and the inbox it came through by name (an agent
    with the skill ``billing`` gets tickets tagged billing and those written to the Billing inbox)."""
    tags = set(Ticket.tags.through.objects.filter(ticket_id=ticket_id).values_list("tag__name", flat=True))
    inbox = (
        RawMail.objects.filter(ticket_id=ticket_id, status=MailStatus.PROCESSED)
        .order_by("-received_at", "-id")
        .values_list("inbox__name", flat=True)
        .first()
    )
    if inbox:
        tags.add(normalise_tag(inbox))
    return frozenset(tags - {""})


def _decide(team_id: int, work: Work, strategy: Strategy, sticky: bool, leave_out: set[int]) -> Decision:
    """``choose`` over the team's shortlist (and the customer's previous agent, when able)."""
    # Tags that are nobody's skill ask for nothing: only skills some agent has narrow the pool.
    if work.skills:
        known = {t for t in work.skills if AgentLoad.objects.filter(skills__contains=f",{t},").exists()}
        work = replace(work, skills=frozenset(known))
    candidates, able = _candidates(team_id, work, strategy, limit=SHORTLIST + len(leave_out))
    previous = work.previous_agent
    if (
        sticky
        and previous is not None
        and previous not in leave_out
        and all(c.id != previous for c in candidates)
    ):
        candidates += _candidates(team_id, work, strategy, only=work.previous_agent, limit=1)[0]
    candidates = [c for c in candidates if c.id not in leave_out]
    decision = choose(candidates, work, strategy=strategy, sticky=sticky)
    return replace(decision, available=max(0, able - len(leave_out & {c.id for c in candidates})))


def _reserve(agent_id: int, channel: str) -> tuple[dict[str, int], float] | None:
    """Lock the agent's routing row and count their work again: the counts when they are still
    online and can take one more ticket of ``channel``; None when not (the fresh counts are stored)."""
    list(AgentLoad.objects.select_for_update().filter(user_id=agent_id).values_list("pk"))
    status, active, capacity = (
        Availability.objects.filter(user_id=agent_id)
        .values_list("status", "user__is_active", "capacity")
        .get()
    )
    loads, weighted = _count([agent_id])[agent_id]
    if (
        status != Presence.ONLINE
        or not active
        or loads.get(channel, 0) >= int((capacity or {}).get(channel, 0))
    ):
        AgentLoad.objects.filter(user_id=agent_id).update(weighted=weighted, counted_at=timezone.now())
        for slot_channel, load in {**dict.fromkeys((capacity or {}), 0), **loads}.items():
            AgentSlot.objects.filter(user_id=agent_id, channel=slot_channel).update(load=load)
        return None
    return loads, weighted


def _give(
    ticket_id: int,
    decision: Decision,
    cause: str,
    strategy: Strategy,
    work: Work,
    counted: tuple[dict[str, int], float],
    previous: int | None,
) -> None:
    """Assign through the one write path, with the decision on the timeline, and store the agent's
    counts with this ticket added (still under their lock)."""
    agent = User.objects.get(pk=int(decision.agent_id or 0))
    ticket = Ticket.objects.get(pk=ticket_id)
    details: dict[str, Any] = {"routing": cause, "strategy": strategy.value, "available": decision.available}
    if decision.language_matched:
        details["language"] = work.language
    if decision.skills_matched:
        details["skills"] = sorted(work.skills)
    ticket_assign(actor=None, ticket=ticket, assignee=agent, reason=decision.reason.value, details=details)
    loads, weighted = counted
    now = timezone.now()
    AgentLoad.objects.filter(user_id=agent.pk).update(
        weighted=weighted + weighted_load([ticket.priority]),
        last_assigned=int(now.timestamp() * 1_000_000),
        counted_at=now,
    )
    AgentSlot.objects.filter(user_id=agent.pk, channel=work.channel).update(
        load=loads.get(work.channel, 0) + 1
    )
    if previous is not None:
        loads_refresh([previous], at=now)


# ---------------------------------------------------------------- the queue


def _lanes(settings: TeamRouting) -> list[Q]:
    """The team's lanes before everyone else, in ``choose.queue_order``'s order: angry customers (when
    the team puts them first), then the priority lane's tiers."""
    lanes = []
    if settings.angry_first:
        lanes.append(Q(anger__gte=settings.angry_threshold))
    if settings.lane_tiers:
        lanes.append(Q(customer__tier__in=settings.lane_tiers))
    return lanes


def _queue_head(team_id: int, lanes: Sequence[Q], skip: Sequence[int], empty: set[int]) -> int | None:
    """The next unassigned ticket of the team in ``choose.queue_order``'s order: the first ticket of
    each lane in turn, then by priority, then the oldest. A lane found empty is not asked again in
    the same drain (``empty``: each lane's query walks the team's queue index until it finds one, so
    an empty lane would cost a walk of the whole queue per ticket given); a ticket joining it
    meanwhile goes out by its priority, or first in the next drain."""
    base = Ticket.objects.filter(UNASSIGNED, team_id=team_id, status__in=WORKING).exclude(pk__in=skip)
    order = ("-priority", "created_at", "id")
    for index, condition in enumerate(lanes):
        if index in empty:
            continue
        head = base.filter(condition).order_by(*order).values_list("id", flat=True).first()
        if head is not None:
            return head
        empty.add(index)
    return base.order_by(*order).values_list("id", flat=True).first()


def queue_drain(*, team_id: int, limit: int = DRAIN_BATCH, cause: str = "available") -> list[Routed]:
    """Give the team's waiting tickets to its available agents until nobody can take more."""
    settings = TeamRouting.objects.filter(team_id=team_id, enabled=True).first()
    if settings is None:
        return []
    skip_locked = connection.features.has_select_for_update_skip_locked
    done: list[Routed] = []
    tried: list[int] = []
    lanes = _lanes(settings)
    empty: set[int] = set()  # lanes found empty in this drain
    while len(done) < limit:
        head = _queue_head(team_id, lanes, tried, empty)
        if head is None:
            break
        routed = ticket_route(ticket_id=head, cause=cause, skip_locked=skip_locked)
        tried.append(head)
        if routed.reason == "missing" and skip_locked:
            continue  # another worker holds it
        if routed.agent_id is None and routed.reason == Reason.NOBODY_AVAILABLE.value:
            break
        if routed.reason not in ("already_assigned",):
            done.append(routed)
    return done


def tickets_rebalance(*, now: datetime | None = None, limit: int = DRAIN_BATCH) -> list[Routed]:
    """Give tickets whose customer has waited past their team's reassignment time, and whose
    assignee has not answered, to another available agent (never back to the same one)."""
    now = now or timezone.now()
    done: list[Routed] = []
    for settings in TeamRouting.objects.filter(enabled=True, rebalance_minutes__isnull=False):
        since = now - timedelta(minutes=settings.rebalance_minutes or 0)
        waiting = (
            Ticket.objects.filter(
                ACTIVE_CONDITION,
                team_id=settings.team_id,
                status__in=WORKING,
                assignee__isnull=False,
                last_customer_message_at__lt=since,
            )
            .filter(
                Q(last_agent_reply_at__isnull=True) | Q(last_agent_reply_at__lt=F("last_customer_message_at"))
            )
            .filter(Q(assigned_at__isnull=True) | Q(assigned_at__lt=since))
            .order_by("-priority", "last_customer_message_at")
            .values_list("id", "assignee_id")[:limit]
        )
        for ticket_id, assignee_id in waiting:
            routed = ticket_route(ticket_id=ticket_id, cause="rebalanced", exclude=assignee_id)
            if routed.agent_id is not None and routed.reason not in ("already_assigned",):
                done.append(routed)
            elif routed.reason == Reason.NOBODY_AVAILABLE.value:
                break
    return done
