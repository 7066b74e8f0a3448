"""A value read from the database at most once every few seconds per process.

For questions asked on every arrival (which teams route, whether any inbox acknowledges, which
webhooks listen) whose answers change rarely: a change made in this process is seen at once (the
owner calls ``forget`` on save and delete), one made in another process within ``ttl`` seconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

_ALL: list[ProcessCache[Any]] = []


class ProcessCache[T]:
    def __init__(self, ttl: float, load: Callable[[], T]) -> None:
        self.ttl = ttl
        self._load = load
        self._expires = 0.0
        self._value: T | None = None
        _ALL.append(self)

    def get(self) -> T:
        now = time.monotonic()
        if now >= self._expires or self._value is None:
            self._value = self._load()
            self._expires = now + self.ttl
        return self._value

    def forget(self, **_signal: Any) -> None:
        """Read again next time (also a signal receiver: ``post_save.connect(cache.forget, ...)``)."""
        self._expires = 0.0
        self._value = None


def forget_process_caches() -> None:
    """Every process cache reads again: for tests, whose database starts anew each time."""
    for cache in _ALL:
        cache.forget()
