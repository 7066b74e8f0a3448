"""The per-process cache of rarely changing answers: read once per ``ttl``, again after ``forget``."""

from __future__ import annotations

from tanggap.core import process_cache
from tanggap.core.process_cache import ProcessCache, forget_process_caches


def test_a_value_is_read_once_per_ttl_and_again_after_forget(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(process_cache.time, "monotonic", lambda: now[0])
    reads = []

    def load():
        reads.append(now[0])
        return len(reads) % 2 == 0  # False first: a falsy answer is cached like any other

    cache = ProcessCache(5.0, load)
    assert cache.get() is False and cache.get() is False
    now[0] += 4.9
    assert cache.get() is False and len(reads) == 1
    now[0] += 0.2
    assert cache.get() is True and len(reads) == 2

    cache.forget(sender=object(), instance=None)  # as a post_save receiver
    assert cache.get() is False and len(reads) == 3
    forget_process_caches()
    assert cache.get() is True and len(reads) == 4
