"""Fixed-window counters for rate limits that keep counting when Redis is down.

Every limit that protects money or accounts (sending codes, staff logins) is
counted here, and the page limits of ``limits.ratelimits``. Redis is the
store: one ``INCR`` per hit, shared by every process; several limits of one
request in one round trip (``first_over``). When Redis raises (refused, reset,
timed out) the same hit goes to PostgreSQL instead: one row per limit and
window, incremented by an atomic ``INSERT … ON CONFLICT DO UPDATE …
RETURNING``, so parallel requests on any node count exactly. After a failure
this process leaves Redis alone for ``LIMITS_REDIS_RETRY_SECONDS`` (a circuit
breaker), so a Redis that hangs costs one timeout per process and interval, not
one per request.

Trade-off: the two stores do not share their counts. A window that spans the
switch (Redis fails, or comes back) may let up to twice its limit through.
That is bounded and short; refusing every code while Redis is down (the old
behaviour) stopped the whole morning instead.

Keys are hashed with the ``SECRET_KEY`` before they reach either store, so
neither Redis nor the table holds a phone number, an address or an account.
"""

import ipaddress
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.cache import caches
from django.db import connection
from django.utils import timezone
from django.utils.crypto import salted_hmac

from limits.models import Counter
from limits.redis import Breaker, raw_redis

logger = logging.getLogger(__name__)

# Seconds since the epoch; tests move it to cross a window.
clock: Callable[[], float] = time.time

# The module's clock is looked up on each call, so that a test's clock counts.
_redis_breaker = Breaker(clock=lambda: clock())
# One in this many database hits also deletes expired rows.
CLEANUP_EVERY = 200


def network_of(request) -> str:
    """The client address to count per: IPv4 as is, IPv6 per /64 (one customer's
    network), so that rotating addresses within a subnet does not dodge a limit."""
    from limits.client_address import client_address

    address = client_address(request)
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def _digest(name: str, seconds: int) -> str:
    # The window's length is part of the counter: a daily and an hourly window
    # of the same name both start at midnight.
    return salted_hmac("limits.counter", f"{name}/{seconds}", algorithm="sha256").hexdigest()


def _window(seconds: int) -> int:
    return int(clock() // seconds) * seconds


def _redis_key(digest: str, start: int) -> str:
    return caches["default"].make_key(f"limit:{digest}:{start}")


def _use_redis() -> bool:
    return _redis_breaker.usable()


def _trip(error: Exception) -> None:
    if _redis_breaker.trip():
        logger.warning(
            "limit counters: Redis unavailable (%s); counting in the database",
            type(error).__name__,
            extra={"fallback": "database"},
        )


def reset_breaker() -> None:
    """Try Redis again on the next hit (tests, and after changing the cache)."""
    _redis_breaker.reset()


def hit(name: str, *, seconds: int) -> int:
    """Count one event for ``name`` in the current window of ``seconds``; return the count."""
    digest, start = _digest(name, seconds), _window(seconds)
    redis = raw_redis()
    if redis is None:
        cache = caches["default"]
        key = f"limit:{digest}:{start}"
        cache.add(key, 0, timeout=seconds)
        try:
            return int(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=seconds)
            return 1
    if _use_redis():
        key = _redis_key(digest, start)
        try:
            pipe = redis.pipeline()
            pipe.incr(key)
            pipe.expire(key, seconds + 60, nx=True)
            count, _expire = pipe.execute()
            return int(count)
        except Exception as error:  # any Redis failure: count in the database
            _trip(error)
    return _hit_database(digest, start, seconds)


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` events of ``name`` per fixed window of ``seconds``."""

    name: str
    limit: int
    seconds: int


# One event for each counter in order, up to the first that is over its limit;
# that one's position (from 1), or 0. KEYS: the counters' windows; ARGV: per
# counter, its window's seconds and its limit.
_FIRST_OVER = """
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  if count == 1 then redis.call('EXPIRE', key, tonumber(ARGV[2 * i - 1]) + 60) end
  if count > tonumber(ARGV[2 * i]) then return i end
end
return 0
"""
_first_over_script = None


def first_over(limits: Sequence[Limit], *, database_fallback: bool = True) -> int | None:
    """Count one event against each of ``limits`` in order, up to the first one
    it exceeds; return that one's index (None: within all). Events beyond a limit
    do not count against the ones after it.

    One round trip to Redis for all of them (a script, so the order holds).
    When Redis fails: counted in the database if ``database_fallback`` (like
    ``hit``), else the error is raised for the caller to decide; without the
    circuit breaker, as the caller's own choice is the fallback.
    """
    if not limits:
        return None
    redis = raw_redis()
    if redis is None or (database_fallback and not _use_redis()):
        return _first_over_one_by_one(limits)
    keys = [
        _redis_key(_digest(limit.name, limit.seconds), _window(limit.seconds)) for limit in limits
    ]
    arguments = [value for limit in limits for value in (limit.seconds, limit.limit)]
    global _first_over_script
    if _first_over_script is None:
        _first_over_script = redis.register_script(_FIRST_OVER)
    try:
        over = int(_first_over_script(keys=keys, args=arguments, client=redis))
    except Exception as error:
        if not database_fallback:
            raise
        _trip(error)
        return _first_over_one_by_one(limits)
    return over - 1 if over else None


def _first_over_one_by_one(limits: Sequence[Limit]) -> int | None:
    for index, limit in enumerate(limits):
        if hit(limit.name, seconds=limit.seconds) > limit.limit:
            return index
    return None


def peek(name: str, *, seconds: int) -> int:
    """The count of ``name`` in the current window, without counting."""
    digest, start = _digest(name, seconds), _window(seconds)
    redis = raw_redis()
    if redis is None:
        return int(caches["default"].get(f"limit:{digest}:{start}", 0))
    if _use_redis():
        try:
            return int(redis.get(_redis_key(digest, start)) or 0)
        except Exception as error:
            _trip(error)
    row = Counter.objects.filter(key=digest, window_start=start).values_list("count", flat=True)
    return row.first() or 0


def _hit_database(digest: str, start: int, seconds: int) -> int:
    table = connection.ops.quote_name(Counter._meta.db_table)
    expires = datetime.fromtimestamp(start + seconds, tz=UTC)
    with connection.cursor() as cursor:
        # Atomic on PostgreSQL (and SQLite): two processes hitting the same
        # new window both end up counted, neither fails on the unique key.
        # The table name is our model's, quoted; every value is a parameter.
        sql = (
            f"INSERT INTO {table} (key, window_start, count, expires_at) "  # noqa: S608
            f"VALUES (%s, %s, 1, %s) "
            f"ON CONFLICT (key, window_start) DO UPDATE SET count = {table}.count + 1 "
            f"RETURNING count"
        )
        cursor.execute(
            sql,
            [digest, start, expires],
        )
        (count,) = cursor.fetchone()
    if random.randrange(CLEANUP_EVERY) == 0:  # noqa: S311 (housekeeping, not security)
        delete_expired()
    return int(count)


def delete_expired() -> int:
    """Delete the database windows that have ended; return how many."""
    deleted, _detail = Counter.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted


__all__ = ["Limit", "delete_expired", "first_over", "hit", "network_of", "peek", "reset_breaker"]
