"""The provider's rate limit per sender, shared by every dispatcher process.

Twilio queues what a sender gets beyond its rate and eventually refuses it, so
the dispatchers must not hand over more than the configured messages per
second per sender, however many of them run on however many machines.

The choice: one token bucket per sender in Redis (the shared cache that the
web processes use anyway), taken in small chunks by a Lua script, so that N
dispatchers together stay under the rate and an idle dispatcher leaves its
share to the busy ones. Tokens are taken *before* rows are claimed, so no row
sits claimed while its dispatcher waits for the rate, and the next claim still
picks the most urgent row (a code) first.

When Redis is not configured (the quick start) or cannot be reached, each
process falls back to a bucket of its own holding ``rate / SMS_DISPATCHER_PROCESSES``
(a per-process share): slower when processes are idle, never faster than the rate.
"""

import logging
import math
import threading
import time
from typing import Protocol

from django.conf import settings
from django.core.cache import caches

from limits.redis import raw_redis

logger = logging.getLogger(__name__)

# How much the bucket holds, in seconds of the rate: enough to keep a batch
# flowing, too little to flood the provider after a pause.
BURST_SECONDS = 0.1


class Throttle(Protocol):
    def acquire(self, wanted: int) -> tuple[int, float]:
        """Take up to ``wanted`` tokens now; return (taken, seconds until one is free)."""

    def refund(self, count: int) -> None:
        """Give back tokens that were taken but not used."""


class Unlimited:
    def acquire(self, wanted: int) -> tuple[int, float]:
        return wanted, 0.0

    def refund(self, count: int) -> None:
        pass


class LocalBucket:
    """A token bucket inside this process."""

    def __init__(self, *, rate: float, burst: float, clock=time.monotonic):
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.clock = clock
        self.updated = clock()
        self._lock = threading.Lock()

    def acquire(self, wanted: int) -> tuple[int, float]:
        with self._lock:
            now = self.clock()
            self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
            self.updated = now
            taken = min(wanted, math.floor(self.tokens))
            self.tokens -= taken
            wait = 0.0 if taken else (1 - self.tokens) / self.rate
            return taken, wait

    def refund(self, count: int) -> None:
        with self._lock:
            self.tokens = min(self.burst, self.tokens + count)


# KEYS[1]: the bucket; ARGV: rate per second, burst, wanted. Redis's own clock
# is used, so the machines' clocks need not agree.
_ACQUIRE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(state[1]) or burst
local updated = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) * rate)
local taken = math.min(wanted, math.floor(tokens))
tokens = tokens - taken
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('EXPIRE', KEYS[1], 60)
local wait = 0
if taken < 1 then wait = (1 - tokens) / rate end
return {taken, tostring(wait)}
"""

_REFUND = """
local burst = tonumber(ARGV[2])
local tokens = tonumber(redis.call('HGET', KEYS[1], 'tokens') or burst)
redis.call('HSET', KEYS[1], 'tokens', tostring(math.min(burst, tokens + tonumber(ARGV[1]))))
return 1
"""


class SharedBucket:
    """A token bucket in Redis shared by every dispatcher; a local share when Redis fails."""

    def __init__(self, *, redis, key: str, rate: float, burst: float, fallback: LocalBucket):
        self.key = key
        self.rate = rate
        self.burst = burst
        self.fallback = fallback
        self._acquire = redis.register_script(_ACQUIRE)
        self._refund = redis.register_script(_REFUND)
        self._warned = False

    def acquire(self, wanted: int) -> tuple[int, float]:
        try:
            taken, wait = self._acquire(keys=[self.key], args=[self.rate, self.burst, wanted])
        except Exception as error:  # any Redis failure: keep sending, at a safe share
            self._warn(error)
            return self.fallback.acquire(wanted)
        self._warned = False
        return int(taken), float(wait)

    def refund(self, count: int) -> None:
        if count <= 0:
            return
        try:
            self._refund(keys=[self.key], args=[count, self.burst])
        except Exception as error:
            self._warn(error)

    def _warn(self, error: Exception) -> None:
        if not self._warned:
            logger.warning(
                "provider rate bucket in Redis unavailable (%s); using this process's share",
                type(error).__name__,
            )
            self._warned = True


def make_throttle(*, sender: str, rate: float) -> Throttle:
    """The throttle for one sender; ``rate`` messages per second, 0 for none."""
    if rate <= 0:
        return Unlimited()
    share = rate / max(1, settings.SMS_DISPATCHER_PROCESSES)
    local = LocalBucket(rate=share, burst=max(1.0, share * BURST_SECONDS))
    redis = raw_redis()
    if redis is None:
        return local
    return SharedBucket(
        redis=redis,
        key=caches["default"].make_key(f"sms:rate:{sender}"),
        rate=rate,
        burst=max(1.0, rate * BURST_SECONDS),
        fallback=local,
    )
