"""Fixed-window rate limits over a shared cache (the ``ratelimit`` cache alias).

A limit is "at most N hits per window of S seconds" per key (a client address, a form). Counting
uses the cache's ``add`` and ``incr``, which are atomic in the local-memory cache (one process) and
in Redis (every process and machine sharing it): two requests at the same moment never both take
the last place. Windows are aligned to the clock, so a counter expires on its own and nothing needs
cleaning up. A cache that cannot be reached lets the request through (logged): a rate limit protects
against floods, it must not turn an outage of the cache into an outage of the page.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import caches

logger = logging.getLogger(__name__)

CACHE_ALIAS = "ratelimit"


@dataclass(frozen=True, slots=True)
class Limit:
    count: int  # hits allowed per window; 0 = no limit
    seconds: int

    @classmethod
    def of(cls, value: tuple[int, int] | list[int]) -> Limit:
        count, seconds = value
        return cls(int(count), int(seconds))

    @property
    def unlimited(self) -> bool:
        return self.count <= 0 or self.seconds <= 0


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    count: int  # hits in the current window, this one included
    retry_after: int  # seconds until the window ends (0 when allowed)


def _clock() -> float:
    return time.time()


def hit(
    scope: str, key: str, limit: Limit, *, now: Callable[[], float] | None = None, alias: str = CACHE_ALIAS
) -> Decision:
    """Count one hit of ``key`` in ``scope`` and say whether it is within ``limit``."""
    if limit.unlimited:
        return Decision(True, 0, 0)
    moment = (now or _clock)()
    window = int(moment // limit.seconds)
    # Keys are hashed: a client address or a form key must not decide the cache key's shape or length.
    digest = hashlib.sha256(f"{scope}\0{key}".encode("utf-8", "surrogatepass")).hexdigest()[:32]
    cache_key = f"rl:{scope}:{limit.seconds}:{window}:{digest}"
    retry_after = max(1, int((window + 1) * limit.seconds - moment))
    cache = caches[alias]
    try:
        cache.add(cache_key, 0, timeout=limit.seconds + 1)
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr: this hit opens the next counter
            cache.add(cache_key, 0, timeout=limit.seconds + 1)
            count = cache.incr(cache_key)
    except Exception:
        logger.warning(
            "rate limit %s: the counter cache failed; letting the request through", scope, exc_info=True
        )
        return Decision(True, 0, 0)
    if count > limit.count:
        return Decision(False, count, retry_after)
    return Decision(True, count, 0)


def client_key(address: str) -> str:
    """What a client is counted by: its IPv4 address, or its IPv6 /64 network (one subscriber gets a
    whole /64, so counting single IPv6 addresses would let it change address for every request)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)
