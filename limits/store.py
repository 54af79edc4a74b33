"""Fixed-window counters for rate limits that keep counting when Redis is down.

Every limit that protects money or accounts (sending codes, staff logins) is
counted here. Redis is the store: one ``INCR`` per hit, shared by every
process. When Redis raises (refused, reset, timed out) the same hit goes to
PostgreSQL instead: one row per limit and window, incremented by an atomic
``INSERT … ON CONFLICT DO UPDATE … RETURNING``, so parallel requests on any
node count exactly. After a failure this process leaves Redis alone for
``LIMITS_REDIS_RETRY_SECONDS`` (a circuit breaker), so a Redis that hangs costs
one timeout per process and interval, not one per request.

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
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import caches
from django.db import connection
from django.utils import timezone
from django.utils.crypto import salted_hmac

from limits.models import Counter
from limits.redis import raw_redis

logger = logging.getLogger(__name__)

# Seconds since the epoch; tests move it to cross a window.
clock: Callable[[], float] = time.time

_breaker = threading.Lock()
_redis_down_until = 0.0
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


def _digest(name: str) -> str:
    return salted_hmac("limits.counter", name, algorithm="sha256").hexdigest()


def _window(seconds: int) -> int:
    return int(clock() // seconds) * seconds


def _redis_key(digest: str, start: int) -> str:
    return caches["default"].make_key(f"limit:{digest}:{start}")


def _use_redis() -> bool:
    return clock() >= _redis_down_until


def _trip(error: Exception) -> None:
    global _redis_down_until
    with _breaker:
        first = clock() >= _redis_down_until
        _redis_down_until = clock() + settings.LIMITS_REDIS_RETRY_SECONDS
    if first:
        logger.warning(
            "limit counters: Redis unavailable (%s); counting in the database",
            type(error).__name__,
            extra={"fallback": "database"},
        )


def reset_breaker() -> None:
    """Try Redis again on the next hit (tests, and after changing the cache)."""
    global _redis_down_until
    _redis_down_until = 0.0


def hit(name: str, *, seconds: int) -> int:
    """Count one event for ``name`` in the current window of ``seconds``; return the count."""
    digest, start = _digest(name), _window(seconds)
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


def peek(name: str, *, seconds: int) -> int:
    """The count of ``name`` in the current window, without counting."""
    digest, start = _digest(name), _window(seconds)
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


__all__ = ["delete_expired", "hit", "network_of", "peek", "reset_breaker"]
