"""Fixed-window rate limits over the shared ``ratelimit`` cache, and their configuration."""

from __future__ import annotations

import threading

import pytest
from django.core.cache import caches

from tanggap.config import ConfigError, load, parse_rate
from tanggap.core import ratelimit
from tanggap.core.ratelimit import Limit, client_key, hit

T0 = 1_800_000_000.0  # the start of a 60-second window (1_800_000_000 is divisible by 60)


@pytest.fixture(autouse=True)
def _fresh_counters():
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


def at(seconds: float):
    return lambda: T0 + seconds


def test_counts_up_to_the_limit_then_refuses_until_the_window_ends():
    limit = Limit(3, 60)
    decisions = [hit("test", "a", limit, now=at(n)) for n in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.count for d in decisions] == [1, 2, 3, 4]
    assert decisions[-1].retry_after == 57
    assert hit("test", "a", limit, now=at(59.5)).retry_after == 1  # never 0 while refused
    assert hit("test", "a", limit, now=at(60)).allowed  # a new window


def test_keys_and_scopes_are_counted_apart():
    limit = Limit(1, 60)
    assert hit("test", "a", limit, now=at(0)).allowed
    assert not hit("test", "a", limit, now=at(1)).allowed
    assert hit("test", "b", limit, now=at(1)).allowed
    assert hit("other", "a", limit, now=at(1)).allowed


def test_no_limit_counts_nothing():
    assert all(hit("test", "a", Limit(0, 0), now=at(0)).allowed for _ in range(100))
    assert Limit.of((0, 0)).unlimited and not Limit.of([5, 60]).unlimited


def test_hostile_keys_do_not_shape_the_cache_key():
    limit = Limit(1, 60)
    assert hit("test", "x" * 10_000 + "\n\0:", limit, now=at(0)).allowed
    assert not hit("test", "x" * 10_000 + "\n\0:", limit, now=at(0)).allowed


def test_concurrent_hits_never_share_the_last_place():
    limit = Limit(10, 3600)
    results: list[bool] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            allowed = hit("test", "busy", limit, now=at(0)).allowed
            with lock:
                results.append(allowed)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results.count(True) == 10 and len(results) == 40


def test_a_broken_cache_lets_requests_through(monkeypatch):
    class Broken:
        def add(self, *args, **kwargs):
            raise ConnectionError("redis is down")

    monkeypatch.setattr(ratelimit, "caches", {"ratelimit": Broken()})
    assert hit("test", "a", Limit(1, 60), now=at(0)).allowed
    assert hit("test", "a", Limit(1, 60), now=at(0)).allowed


@pytest.mark.parametrize(
    "address,key",
    [
        ("203.0.113.7", "203.0.113.7"),
        (" 203.0.113.7 ", "203.0.113.7"),
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::ffff", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("", "unknown"),
        ("not an address", "unknown"),
    ],
)
def test_client_key(address, key):
    assert client_key(address) == key


@pytest.mark.parametrize(
    "value,expected",
    [
        ("5/minute", (5, 60)),
        ("60/hour", (60, 3600)),
        ("10/s", (10, 1)),
        (" 100 / day ", (100, 86400)),
        ("3/m", (3, 60)),
        ("off", (0, 0)),
        ("OFF", (0, 0)),
    ],
)
def test_parse_rate(value, expected):
    assert parse_rate(value) == expected


@pytest.mark.parametrize("value", ["", "5", "5/fortnight", "-1/minute", "0/minute", "x/minute", "5/"])
def test_parse_rate_refuses_nonsense(value):
    with pytest.raises(ConfigError):
        parse_rate(value)


def test_configuration_from_the_environment(tmp_path):
    env = {"TANGGAP_ENV": "test", "TANGGAP_DATA_DIR": str(tmp_path)}
    config = load(env)
    assert config.cache_url == "locmem://"
    assert config.form_limit_per_ip == (5, 60) and config.form_limit_per_form == (60, 3600)
    config = load(
        {
            **env,
            "TANGGAP_CACHE_URL": "redis://127.0.0.1:6379/1",
            "TANGGAP_FORM_LIMIT_PER_IP": "2/minute",
            "TANGGAP_FORM_LIMIT_PER_FORM": "off",
        }
    )
    assert config.cache_url == "redis://127.0.0.1:6379/1"
    assert config.form_limit_per_ip == (2, 60) and config.form_limit_per_form == (0, 0)
    with pytest.raises(ConfigError):
        load({**env, "TANGGAP_CACHE_URL": "memcached://x"})
    with pytest.raises(ConfigError):
        load({**env, "TANGGAP_FORM_LIMIT_PER_IP": "lots"})
