"""Demo only: a clock the services read while the demo writes its history.

The services stamp ``timezone.now()`` (replies, notes, audit rows, events, ``auto_now`` fields).
To give the demo a 90-day history that looks like real use, the generator sets this clock to the
moment each action happened and runs the real service; every row it writes, and every row an event
subscriber writes, gets that moment. Never used outside ``tanggap demo-data``: it replaces
``django.utils.timezone.now`` for the whole process while active.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from unittest import mock

from django.utils import timezone


class DemoClock:
    def __init__(self) -> None:
        self.at: datetime | None = None

    def set(self, at: datetime) -> None:
        self.at = at


@contextmanager
def backdated_now(clock: DemoClock) -> Iterator[DemoClock]:
    """While active, ``timezone.now()`` returns ``clock.at`` (the real time when it is unset)."""
    real_now = timezone.now

    def now() -> datetime:
        return clock.at if clock.at is not None else real_now()

    with mock.patch.object(timezone, "now", now):
        yield clock
