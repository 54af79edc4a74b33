"""The shared Redis behind the default cache, and what counts as its failure.

Three things count in Redis and must keep working when it fails: the page
limits (``limits.ratelimits``, through django-ratelimit), the limits that
protect money and accounts (``limits.store``, raw commands) and the SMS
provider's rate (``sms.throttle``, a Lua script). They share these two answers
instead of each deciding on its own.
"""

from django.conf import settings

# What django-ratelimit's ``get_usage`` answers when its cache failed and
# RATELIMIT_FAIL_OPEN is off; ``limits.ratelimits`` answers the same when the call raised.
FAILED_USAGE = {"count": 0, "limit": 0, "should_limit": True, "time_left": -1}


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


def usage_failed(usage: dict) -> bool:
    """Whether django-ratelimit's ``usage`` says it could not read or write the
    counter (Redis down, or django-redis ignored the error): limit 0 and no time left."""
    return usage["limit"] == 0 and usage["time_left"] == -1
