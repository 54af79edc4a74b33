"""The shared Redis behind the default cache, and what counts as its failure.

Three things count in Redis and must keep working when it fails: the page
limits (``limits.ratelimits``), the limits that protect money and accounts
(``limits.store``; both through ``limits.store.first_over``) and the SMS
provider's rate (``sms.throttle``, a Lua script). They all use the raw client
below, and the same answer to "did Redis fail": the call raised. After a
failure, a ``Breaker`` skips Redis for a while (the limit counters' and the
waiting room's each).
"""

import threading
import time
from collections.abc import Callable

from django.conf import settings


def raw_redis():
    """The raw client of the default cache, or None when it is not django-redis.

    The raw client raises on failure, whatever django-redis's IGNORE_EXCEPTIONS
    says, and uses the cache's socket timeouts: callers catch ``Exception`` around
    each command and fall back (database, a local share of the rate).
    """
    if not settings.CACHES.get("default", {}).get("BACKEND", "").startswith("django_redis."):
        return None
    from django_redis import get_redis_connection

    return get_redis_connection("default")


class Breaker:
    """Skips Redis for ``LIMITS_REDIS_RETRY_SECONDS`` after it failed, so that each
    request takes its fallback at once instead of waiting for the socket timeout
    first. Each user of Redis has its own, and logs and falls back its own way."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.down_until = 0.0

    def usable(self) -> bool:
        return self._clock() >= self.down_until

    def trip(self) -> bool:
        """Redis failed: skip it for a while. True for an outage's first failure
        (the caller logs that one, not every request's)."""
        with self._lock:
            now = self._clock()
            first = now >= self.down_until
            self.down_until = now + settings.LIMITS_REDIS_RETRY_SECONDS
        return first

    def reset(self) -> None:
        """Try Redis again on the next call (tests, and after changing the cache)."""
        self.down_until = 0.0
