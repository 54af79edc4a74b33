"""How several limits of one request are counted (limits/store.py ``first_over``):
in order, up to the first one exceeded, in one round trip to Redis, and the same
in the database while Redis is out and in the quick start's local cache."""

import copy

import pytest
from django.conf import settings as django_settings
from django.test import RequestFactory

from limits import store
from limits.models import Counter
from limits.ratelimits import exceeded, parse_rate
from limits.redis import raw_redis
from tests.security.redis_outage import closed_port, point_cache_at

pytestmark = pytest.mark.django_db

DAY = 24 * 60 * 60


@pytest.fixture(autouse=True)
def _breaker_closed_again():
    store.reset_breaker()
    yield
    store.reset_breaker()


def _redis(settings) -> None:
    """As configured: the tests' Redis."""


def _redis_out(settings) -> None:
    point_cache_at(settings, closed_port())


def _local_cache(settings) -> None:
    caches = copy.deepcopy(settings.CACHES)
    caches["default"] = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    settings.CACHES = caches


@pytest.mark.parametrize("where", [_redis, _redis_out, _local_cache])
def test_limits_are_counted_in_order_up_to_the_first_exceeded(settings, where):
    where(settings)
    tight = store.Limit(f"tight-{where.__name__}", limit=1, seconds=DAY)
    wide = store.Limit(f"wide-{where.__name__}", limit=5, seconds=DAY)
    assert store.first_over([tight, wide]) is None
    assert store.first_over([tight, wide]) == 0
    assert store.first_over([tight, wide]) == 0
    # Only the first request got past the tight limit to be counted by the wide one.
    assert store.peek(wide.name, seconds=DAY) == 1
    assert store.peek(tight.name, seconds=DAY) == 3
    assert store.first_over([wide]) is None


def test_while_redis_is_out_the_database_counts(settings):
    _redis_out(settings)
    store.first_over([store.Limit("counted-in-postgres", limit=3, seconds=DAY)])
    assert Counter.objects.get().count == 1


def test_without_the_fallback_a_redis_failure_is_the_callers(settings):
    _redis_out(settings)
    with pytest.raises(Exception):  # noqa: B017,PT011 -- whatever redis-py raises
        store.first_over([store.Limit("nowhere", limit=3, seconds=DAY)], database_fallback=False)
    assert not Counter.objects.exists()


def test_all_limits_of_a_request_cost_one_round_trip(monkeypatch):
    client = raw_redis()
    commands = []
    execute = client.execute_command

    def counted(*args, **options):
        commands.append(args[0])
        return execute(*args, **options)

    monkeypatch.setattr(client, "execute_command", counted)
    limits = [store.Limit(f"one-trip-{n}", limit=10, seconds=DAY) for n in range(4)]
    store.first_over(limits)
    store.first_over(limits)
    # EVALSHA each time (the first one may have to load the script once).
    assert commands.count("EVALSHA") == 2
    assert len([c for c in commands if c != "SCRIPT LOAD"]) == 2


def test_an_hourly_and_a_daily_window_of_one_name_are_two_counters(monkeypatch):
    # At midnight both windows start at the same second.
    monkeypatch.setattr(store, "clock", lambda: 1_800_000_000.0 - 1_800_000_000.0 % DAY + 5)
    store.first_over([store.Limit("same-name", limit=1, seconds=60 * 60)])
    assert store.first_over([store.Limit("same-name", limit=1, seconds=DAY)]) is None


def test_a_post_over_the_numbers_limit_does_not_use_up_the_address(settings):
    settings.RATE_LIMITS = {
        **django_settings.RATE_LIMITS,
        "booking": {"number": "1/d", "address": "3/d", "global": None},
    }
    request = RequestFactory().post("/book/", REMOTE_ADDR="198.51.100.77")
    assert not exceeded(request, "booking", number="+4915100000077", fail_open=True)
    for _ in range(4):
        verdict = exceeded(request, "booking", number="+4915100000077", fail_open=True)
        assert verdict.scope == "number"
    # Another number from the same address: the address counted one post, not five.
    assert not exceeded(request, "booking", number="+4915100000078", fail_open=True)
    assert not exceeded(request, "booking", number="+4915100000079", fail_open=True)
    assert exceeded(request, "booking", number="+4915100000080", fail_open=True).scope == "address"


def test_every_configured_rate_is_understood():
    for action, rates in django_settings.RATE_LIMITS.items():
        for scope, rate in rates.items():
            if rate is not None:
                count, seconds = parse_rate(rate)
                assert count > 0, (action, scope)
                assert seconds > 0, (action, scope)
    assert parse_rate("300/10m") == (300, 600)
    assert parse_rate("30/h") == (30, 3600)
    with pytest.raises(ValueError, match="not a rate"):
        parse_rate("30 per hour")
