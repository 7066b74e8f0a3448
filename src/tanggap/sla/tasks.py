"""The clock sweep, every minute: response clocks of changed tickets, and those whose warning or due
instant passed, brought up to date."""

from __future__ import annotations

from typing import Any

from huey import crontab

from tanggap.core.tasks import periodic


@periodic("sla-sweep", crontab(minute="*"))
def sla_sweep() -> dict[str, Any]:
    """Bring response clocks up to date: changed tickets, and those whose warning or due time passed."""
    from tanggap.sla.services import clocks_sweep

    report = clocks_sweep()
    return {
        "changed": report.changed,
        "passed": report.passed,
        "clocks": report.clocks,
        "breached": report.breached,
    }
