"""Durable work driven by tasks: claim due rows under a lease, run their handler, retry with back-off.

A model inheriting ``core.models.OutboxRow`` registers a handler with ``register``. Writers create a
row and call ``kick`` (after commit a task drains that outbox at once); the periodic sweep in
``core.tasks`` drains every outbox each minute. A worker that dies mid-row leaves an expired lease,
and the next drain claims the row again: losing a task never loses work. Delivery is at least once
(a worker can die after the handler's side effect and before recording it), so handlers are
idempotent.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, models, transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from tanggap.core.models import OutboxStatus

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=5)
# Rows claimed at once. Small, so the last row of a batch is handled well within its lease.
BATCH = 10
# ``process`` results beyond the row statuses.
MISSING = "missing"
LEASE_EXPIRED = "lease_expired"
LEASE_LOST = "lease_lost"


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
    lease: timedelta = LEASE  # longer than the handler's worst case (its network timeouts)
    batch: int = BATCH
    # Called with a row the outbox failed without its handler deciding (its worker died on the last
    # attempt), so the owner can say so where people look (the reply's delivery status).
    on_failed: Callable[[Any], None] | None = None


_registry: dict[str, Outbox] = {}


def register(model: type[models.Model], handler: Callable[[Any], None], **options: Any) -> None:
    """Make ``model`` (an ``OutboxRow``) an outbox whose rows ``handler(row)`` delivers.

    The handler raises ``RetryLater`` (or any exception) to try again after a back-off, and
    ``GiveUp`` to fail the row at once. Options: ``max_attempts``, ``base_delay``, ``max_delay``,
    ``lease``, ``batch``, ``on_failed``.
    """
    _registry[model._meta.label_lower] = Outbox(model=model, handler=handler, **options)


def unregister(model: type[models.Model]) -> None:
    _registry.pop(model._meta.label_lower, None)


def registered() -> list[str]:
    return sorted(_registry)


def backoff(attempt: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Seconds before attempt ``attempt + 1``: exponential, capped, with ±20 % jitter."""
    delay = min(cap, base * (2 ** max(0, attempt - 1)))
    jitter = (rng or random).uniform(0.8, 1.2)
    return delay * jitter


def _claim(label: str, limit: int) -> tuple[list[int], datetime]:
    box = _registry[label]
    manager = box.model._default_manager
    now = timezone.now()
    lease_until = now + box.lease
    # On SQLite the transaction starts with BEGIN IMMEDIATE (settings), so claims are serialised;
    # on PostgreSQL rows another drain has locked are skipped, so two drains never share a row.
    with transaction.atomic():
        # A row whose lease expired after its last allowed attempt killed its worker every time
        # (a poison row): fail it rather than let it take workers down for ever.
        poisoned = list(
            manager.filter(
                status=OutboxStatus.IN_PROGRESS, locked_until__lt=now, attempts__gte=box.max_attempts
            ).values_list("pk", flat=True)
        )
        manager.filter(pk__in=poisoned).update(
            status=OutboxStatus.FAILED,
            locked_until=None,
            finished_at=now,
            last_error="the worker stopped while handling this row (lease expired) on its last attempt",
        )
        qs = manager.filter(
            Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now)
            | Q(status=OutboxStatus.IN_PROGRESS, locked_until__lt=now)
            | Q(status=OutboxStatus.IN_PROGRESS, locked_until__isnull=True)
        ).order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        ids = list(qs.values_list("pk", flat=True)[:limit])
        if ids:
            manager.filter(pk__in=ids).update(
                status=OutboxStatus.IN_PROGRESS, locked_until=lease_until, attempts=F("attempts") + 1
            )
    if poisoned and box.on_failed is not None:
        for row in manager.filter(pk__in=poisoned):
            try:
                box.on_failed(row)
            except Exception:
                logger.exception("outbox %s row %s: on_failed raised", label, row.pk)
    return ids, lease_until


def claim_due(label: str, limit: int = BATCH) -> list[int]:
    """Ids of due rows (pending and due, or in progress with an expired lease), now leased to us."""
    ids, _ = _claim(label, limit)
    return ids


def process(label: str, pk: int) -> str:
    """Run the handler for one claimed row and record the outcome. Returns the new status, or
    ``MISSING``, ``LEASE_EXPIRED`` (not handled: the lease ran out before we got to it, the next
    drain claims it again) or ``LEASE_LOST`` (handled, but another drain re-claimed it meanwhile,
    so the outcome is left to that drain)."""
    box = _registry[label]
    manager = box.model._default_manager
    row: Any = manager.filter(pk=pk).first()
    if row is None:
        return MISSING
    if row.status != OutboxStatus.IN_PROGRESS:
        return str(row.status)
    lease = row.locked_until
    if lease is None or lease <= timezone.now():
        return LEASE_EXPIRED
    error = ""
    try:
        box.handler(row)
    except GiveUp as exc:
        status = OutboxStatus.FAILED
        error = str(exc)[:2000]
    except BaseException as exc:  # retryable, including RetryLater, errors we did not expect and
        # BaseExceptions raised by native code (nh3's PanicException); never swallow an interrupt.
        if isinstance(exc, KeyboardInterrupt | SystemExit):
            raise
        if not isinstance(exc, RetryLater):
            logger.exception("outbox %s row %s failed", label, pk)
        error = f"{type(exc).__name__}: {exc}"[:2000]
        status = OutboxStatus.FAILED if row.attempts >= box.max_attempts else OutboxStatus.PENDING
    else:
        status = OutboxStatus.DONE
    now = timezone.now()
    if status == OutboxStatus.PENDING:
        next_at = now + timedelta(seconds=backoff(row.attempts, box.base_delay, box.max_delay))
    else:
        next_at = now
    # The lease is our fencing token: if another drain re-claimed the row meanwhile, we record nothing.
    updated = manager.filter(pk=pk, status=OutboxStatus.IN_PROGRESS, locked_until=lease).update(
        status=status,
        last_error=error,
        next_attempt_at=next_at,
        locked_until=None,
        finished_at=now if status in (OutboxStatus.DONE, OutboxStatus.FAILED) else None,
    )
    if not updated:
        logger.warning(
            "outbox %s row %s: lease lost while handling it; outcome %s not recorded", label, pk, status
        )
        return LEASE_LOST
    return str(status)


def drain(label: str, limit: int = 200) -> int:
    """Process due rows of one outbox until none are due or ``limit`` are handled. Returns the count."""
    box = _registry[label]
    done = 0
    while done < limit:
        ids = claim_due(label, limit=min(box.batch, limit - done))
        if not ids:
            break
        for pk in ids:
            process(label, pk)
            done += 1
    return done


def drain_all(limit: int = 200) -> dict[str, int]:
    """Drain every registered outbox (the periodic sweep). One failing outbox does not stop the rest."""
    counts: dict[str, int] = {}
    for label in registered():
        try:
            counts[label] = drain(label, limit)
        except Exception:
            logger.exception("draining outbox %s failed", label)
            counts[label] = -1
    return counts


def kick(label: str) -> None:
    """Ask a worker to drain ``label`` soon (after the current transaction commits). If the queue
    cannot take the task, the periodic sweep delivers the row a little later."""
    from tanggap.core.tasks import outbox_drain_task

    def enqueue() -> None:
        try:
            outbox_drain_task.enqueue(label)
        except Exception:
            logger.exception("could not enqueue a drain of outbox %s; the sweep will deliver it", label)

    transaction.on_commit(enqueue)


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    label: str
    due: int  # pending and due now
    waiting: int  # pending, waiting for a back-off to pass
    in_progress: int  # leased to a worker
    stuck: int  # in progress with an expired lease: its worker died; the next sweep takes it
    failed: int
    done: int

    @property
    def pending(self) -> int:
        return self.due + self.waiting


def counts() -> list[OutboxCounts]:
    """Row counts per registered outbox, one query each (``tanggap jobs status``)."""
    now = timezone.now()
    out = []
    for label in registered():
        manager = _registry[label].model._default_manager
        pending = Q(status=OutboxStatus.PENDING)
        in_progress = Q(status=OutboxStatus.IN_PROGRESS)
        row = manager.aggregate(
            due=Count("pk", filter=pending & Q(next_attempt_at__lte=now)),
            waiting=Count("pk", filter=pending & Q(next_attempt_at__gt=now)),
            in_progress=Count("pk", filter=in_progress & Q(locked_until__gte=now)),
            stuck=Count("pk", filter=in_progress & (Q(locked_until__lt=now) | Q(locked_until__isnull=True))),
            failed=Count("pk", filter=Q(status=OutboxStatus.FAILED)),
            done=Count("pk", filter=Q(status=OutboxStatus.DONE)),
        )
        out.append(OutboxCounts(label=label, **row))
    return out
