"""The shared Redis behind the default cache, and what counts as its failure.

Three things count in Redis and must keep working when it fails: the page
limits (``limits.ratelimits``), the limits that protect money and accounts
(``limits.store``; both through ``limits.store.first_over``) and the SMS
provider's rate (``sms.throttle``, a Lua script). They all use the raw client
below, and the same answer to "did Redis fail": the call raised.
"""

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
