"""Agents' presence (online, away, offline) and what they can take (capacity, languages, skills).

Presence is set by hand (the toggle in the workspace, the API), by signing in and out, and by
activity: an online agent without a request for ``IDLE_AFTER`` turns away (``idle``) and comes back
online at their next request. Away set by hand stays until the agent changes it. Every change is
published as ``agent.presence_changed`` after commit, which routing reads to give work to an agent who
has just become available.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from tanggap.accounts.models import (
    CAPACITY_CHANNELS,
    MAX_CAPACITY,
    MAX_SKILLS,
    Availability,
    Presence,
    User,
)
from tanggap.accounts.permissions import require
from tanggap.core import events
from tanggap.core.audit import audit_record
from tanggap.core.errors import InvalidInput
from tanggap.core.slugs import normalise_tag  # skills are matched against tags

# An online agent with no request for this long is away until their next one.
IDLE_AFTER = timedelta(minutes=15)
# Activity is written at most this often per agent, so a busy agent's requests do not each write a row.
ACTIVITY_EVERY = timedelta(seconds=60)
LANGUAGES = ("id", "en")
_SKILL = re.compile(r"^[\w-]{1,64}$")


def availability_of(user: User) -> Availability:
    """The agent's availability row, created (offline, default capacity) the first time."""
    row, _ = Availability.objects.get_or_create(user=user)
    return row


def _publish(row: Availability, previous: str, actor: Any, why: str) -> None:
    events.publish(
        events.AGENT_PRESENCE_CHANGED,
        {
            "user_id": row.user_id,
            "status": row.status,
            "previous": previous,
            "why": why,
            "actor_id": getattr(actor, "pk", None),
        },
    )


def _change(row: Availability, status: str, *, idle: bool, at: datetime, actor: Any, why: str) -> bool:
    if row.status == status and row.idle == idle:
        return False
    previous = row.status
    row.status, row.idle, row.status_changed_at = status, idle, at
    row.save(update_fields=["status", "idle", "status_changed_at"])
    if previous != status:
        audit_record(
            actor=actor,
            action="agent.presence_changed",
            target=row.user,
            data={"status": status, "previous": previous, "why": why},
        )
        _publish(row, previous, actor, why)
    return True


@transaction.atomic
def presence_set(*, actor: User, status: str, agent: User | None = None, why: str = "manual") -> Availability:
    """Set an agent's presence by hand: their own, or (leads) another agent's, e.g. one who left
    without signing out."""
    agent = agent or actor
    if agent.pk != actor.pk:
        require(actor, "presence.manage")
    if status not in Presence.values:
        raise InvalidInput(field="status")
    if status == Presence.ONLINE and not agent.is_active:
        raise InvalidInput("an inactive agent cannot be online", field="status")
    row = Availability.objects.select_for_update().filter(user=agent).first() or availability_of(agent)
    at = timezone.now()
    _change(row, status, idle=False, at=at, actor=actor, why=why)
    if agent.pk == actor.pk:
        row.last_activity_at = at
        row.save(update_fields=["last_activity_at"])
    return row


def activity_seen(*, user: User, at: datetime | None = None) -> None:
    """An agent made a request: note it (at most once a minute) and bring them back from idle."""
    at = at or timezone.now()
    row = Availability.objects.filter(user=user).only("status", "idle", "last_activity_at").first()
    if row is None:
        return
    if row.idle and row.status == Presence.AWAY:
        with transaction.atomic():
            locked = Availability.objects.select_for_update().get(pk=row.pk)
            if locked.idle and locked.status == Presence.AWAY:
                _change(locked, Presence.ONLINE, idle=False, at=at, actor=user, why="active")
            Availability.objects.filter(pk=row.pk).update(last_activity_at=at)
        return
    if row.last_activity_at is None or at - row.last_activity_at >= ACTIVITY_EVERY:
        Availability.objects.filter(pk=row.pk).update(last_activity_at=at)


def presence_idle_sweep(*, now: datetime | None = None, idle_after: timedelta = IDLE_AFTER) -> int:
    """Turn online agents without activity for ``idle_after`` away (idle); returns how many."""
    now = now or timezone.now()
    stale = list(
        Availability.objects.filter(
            status=Presence.ONLINE, last_activity_at__lt=now - idle_after
        ).values_list("pk", flat=True)
    )
    stale += Availability.objects.filter(status=Presence.ONLINE, last_activity_at__isnull=True).values_list(
        "pk", flat=True
    )
    turned = 0
    for pk in stale:
        with transaction.atomic():
            row = Availability.objects.select_for_update().select_related("user").get(pk=pk)
            last = row.last_activity_at
            if row.status == Presence.ONLINE and (last is None or last < now - idle_after):
                turned += _change(row, Presence.AWAY, idle=True, at=now, actor=None, why="idle")
    return turned


def signed_in(user: User) -> None:
    """Signing in puts the agent online, unless they had set themselves away by hand."""
    row = availability_of(user)
    if row.status == Presence.AWAY and not row.idle:
        return
    with transaction.atomic():
        _change(row, Presence.ONLINE, idle=False, at=timezone.now(), actor=user, why="signed_in")
        Availability.objects.filter(pk=row.pk).update(last_activity_at=timezone.now())


def signed_out(user: User) -> None:
    row = Availability.objects.filter(user=user).first()
    if row is not None:
        with transaction.atomic():
            _change(row, Presence.OFFLINE, idle=False, at=timezone.now(), actor=user, why="signed_out")


def clean_capacity(value: Mapping[str, Any]) -> dict[str, int]:
    clean: dict[str, int] = {}
    for channel, amount in value.items():
        if channel not in CAPACITY_CHANNELS:
            raise InvalidInput(f"unknown channel {str(channel)[:32]!r}", field="capacity")
        try:
            number = int(amount)
        except (TypeError, ValueError) as exc:
            raise InvalidInput(field="capacity") from exc
        if isinstance(amount, bool) or not 0 <= number <= MAX_CAPACITY:
            raise InvalidInput(
                f"a capacity is between 0 and {MAX_CAPACITY}", field="capacity", limit=MAX_CAPACITY
            )
        if number:
            clean[channel] = number
    return clean


def clean_languages(values: Iterable[str]) -> list[str]:
    clean = sorted({str(v).strip().lower() for v in values if str(v).strip()})
    unknown = [v for v in clean if v not in LANGUAGES]
    if unknown:
        raise InvalidInput(f"unknown language {unknown[0][:8]!r}", field="languages")
    return clean


def clean_skills(values: Iterable[str]) -> list[str]:
    clean = sorted({normalise_tag(str(v)) for v in values if str(v).strip()} - {""})
    if len(clean) > MAX_SKILLS or any(not _SKILL.match(s) for s in clean):
        raise InvalidInput(field="skills", limit=MAX_SKILLS)
    return clean


@transaction.atomic
def availability_update(
    *,
    actor: User,
    agent: User,
    capacity: Mapping[str, Any] | None = None,
    languages: Iterable[str] | None = None,
    skills: Iterable[str] | None = None,
) -> Availability:
    """Set what an agent can take (leads): capacity per channel, languages written, skills."""
    require(actor, "availability.manage")
    row = Availability.objects.select_for_update().filter(user=agent).first() or availability_of(agent)
    changed: dict[str, Any] = {}
    if capacity is not None and (value := clean_capacity(capacity)) != row.capacity:
        row.capacity = changed["capacity"] = value
    if languages is not None and (langs := clean_languages(languages)) != row.languages:
        row.languages = changed["languages"] = langs
    if skills is not None and (names := clean_skills(skills)) != row.skills:
        row.skills = changed["skills"] = names
    if changed:
        row.save(update_fields=list(changed))
        audit_record(actor=actor, action="agent.availability_updated", target=agent, data=changed)
        events.publish(
            events.AGENT_PRESENCE_CHANGED,
            {
                "user_id": agent.pk,
                "status": row.status,
                "previous": row.status,
                "why": "capacity",
                "actor_id": actor.pk,
            },
        )
    return row
