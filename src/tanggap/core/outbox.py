"""Durable work driven by tasks: claim due rows under a lease, run their handler, retry with back-off.

A model inheriting ``core.models.OutboxRow`` registers a handler with ``register``. Writers create a
row and call ``kick`` (after commit a task drains that outbox at once); the periodic sweep in
``core.tasks`` drains every outbox each minute. A worker that dies mid-row leaves an expired lease,
and the next drain claims the row again: losing a task never loses work.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import connection, models, transaction
from django.db.models import F, Q
from django.utils import timezone

from tanggap.core.models import OutboxStatus

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)


class RetryLater(Exception):
    """The handler failed in a way worth retrying (a timeout, a 5xx). The message is kept."""


class GiveUp(Exception):
    """The handler failed for good (a 4xx, a bad address). The row is marked failed at once."""


@dataclass(frozen=True, slots=True)
class Outbox:
    model: type[models.Model]
    handler: Callable[[Any], None]
    max_attempts: int = 8
    base_delay: float = 30.0  # seconds; doubles each attempt
    max_delay: float = 6 * 3600.0


_registry: dict[str, Outbox] = {}


def register(model: type[models.Model], handler: Callable[[Any], None], **options: Any) -> None:
    _registry[model._meta.label_lower] = Outbox(model=model, handler=handler, **options)


def registered() -> list[str]:
    return sorted(_registry)


def backoff(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before attempt ``attempt + 1``: exponential, capped, with ±20 % jitter."""
    delay = min(cap, base * (2 ** max(0, attempt - 1)))
    jitter = (rng or random).uniform(0.8, 1.2)  # noqa: S311 (not cryptographic)
    return delay * jitter


def claim_due(label: str, limit: int = 50) -> list[int]:
    """Ids of due rows (pending and due, or in progress with an expired lease), now leased to us."""
    box = _registry[label]
    now = timezone.now()
    with transaction.atomic():
        qs = box.model._default_manager.filter(
            Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=OutboxStatus.IN_PROGRESS, locked_until__lt=now)
        ).order_by("next_attempt_at")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        ids = list(qs.values_list("pk", flat=True)[:limit])
        if ids:
            box.model._default_manager.filter(pk__in=ids).update(
                status=OutboxStatus.IN_PROGRESS, locked_until=now + LEASE, attempts=F("attempts") + 1
            )
    return ids


def process(label: str, pk: int) -> str:
    """Run the handler for one claimed row and record the outcome. Returns the new status."""
    box = _registry[label]
    manager = box.model._default_manager
    row: Any = manager.filter(pk=pk).first()
    if row is None or row.status != OutboxStatus.IN_PROGRESS:
        return row.status if row is not None else "missing"
    now = timezone.now()
    try:
        box.handler(row)
    except GiveUp as exc:
        status, error, next_at = OutboxStatus.FAILED, str(exc)[:2000], now
    except Exception as exc:  # a retryable failure, including RetryLater and unexpected errors
        if not isinstance(exc, RetryLater):
            logger.exception("outbox %s row %s failed", label, pk)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        if row.attempts >= box.max_attempts:
            status, next_at = OutboxStatus.FAILED, now
        else:
            status = OutboxStatus.PENDING
            next_at = now + timedelta(seconds=backoff(row.attempts, box.base_delay, box.max_delay))
    else:
        status, error, next_at = OutboxStatus.DONE, "", now
    manager.filter(pk=pk).update(
        status=status,
        last_error=error,
        next_attempt_at=next_at,
        locked_until=None,
        finished_at=now if status in (OutboxStatus.DONE, OutboxStatus.FAILED) else None,
    )
    return status


def drain(label: str, limit: int = 200) -> int:
    """Process due rows of one outbox until none are due or ``limit`` are done. Returns the count."""
    done = 0
    while done < limit:
        ids = claim_due(label, limit=min(50, limit - done))
        if not ids:
            break
        for pk in ids:
            process(label, pk)
            done += 1
    return done


def drain_all(limit: int = 200) -> dict[str, int]:
    return {label: drain(label, limit) for label in registered()}


def kick(label: str) -> None:
    """Ask a worker to drain ``label`` soon (after the current transaction commits)."""
    from tanggap.core.tasks import outbox_drain_task

    transaction.on_commit(lambda: outbox_drain_task.enqueue(label))
