"""Background work through Django's ``django.tasks`` API (Huey is the engine).

Periodic jobs run from Huey's scheduler (exactly one node runs it: ``tanggap worker`` unless
``--no-scheduler``), each under a lock so a slow run never overlaps the next.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.tasks import task
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

logger = logging.getLogger(__name__)


def periodic(name: str, schedule: crontab) -> Callable[[Callable[[], Any]], Any]:
    """A periodic job under a lock named ``name``: if the previous run is still going, skip this one."""

    def decorator(fn: Callable[[], Any]) -> Any:
        locked = HUEY.lock_task(f"periodic:{name}")(fn)

        def run() -> Any:
            from huey.exceptions import TaskLockedException

            try:
                return locked()
            except TaskLockedException:
                logger.info("periodic job %s still running; skipped", name)
                return None

        run.__name__ = run.__qualname__ = f"periodic_{name.replace('-', '_')}"
        run.__module__ = fn.__module__
        return db_periodic_task(schedule, name=f"periodic.{name}")(run)

    return decorator


@task()
def outbox_drain_task(label: str) -> int:
    from tanggap.core import outbox

    return outbox.drain(label)


@periodic("outbox-sweep", crontab(minute="*"))
def outbox_sweep() -> dict[str, int]:
    """Every minute: deliver due work and recover rows whose worker died (expired leases)."""
    from tanggap.core import outbox

    return outbox.drain_all()
