"""The queue itself: one atomic Redis script per request, and a fail-safe.

State lives in Redis, shared by every process and node (``lua/enter.lua``):
a sorted set of queued tickets (score: the order), one of residents in the
flow (score: their last request), a token bucket for the admission rate and a
per-second count of admissions from the queue. Every guarded request runs the
script once (except a resident's clicks within WAITINGROOM_RECHECK_SECONDS of
being let in, ``waitingroom.gate``): it drops idle residents and abandoned
places, lets the head of the queue in as far as the free capacity and the rate
allow, and answers for the caller's ticket. No background process is needed:
the queued residents' own refreshes move the line.

Ordering. Before an opening the score is the ticket's keyed shuffle value in
[0, 1) (``waitingroom.fairness``); afterwards ``1 + arrival number`` (first
come, first served); a resident who was let in before and went idle rejoins
at -1 (the front).

When Redis fails (refused, reset, timed out) this process stops asking it
for ``LIMITS_REDIS_RETRY_SECONDS`` and admits at ``WAITINGROOM_FALLBACK_PER_SECOND``
on its own (a local token bucket). Residents who were let in before keep
going (the session remembers it); the others see a page that says only that
many people are waiting, without a position or an estimate it cannot know.
Without Redis configured at all (the quick start's single process) the same
local bucket, at ``WAITINGROOM_RATE_MAX``, is the room.
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

from limits.redis import Breaker, raw_redis
from sms.throttle import LocalBucket as TokenBucket
from waitingroom import fairness
from waitingroom.openings import Phase

logger = logging.getLogger(__name__)

# Seconds since the epoch; tests move it (time_machine) to cross the grace period.
clock: Callable[[], float] = time.time

_SCRIPT = (Path(__file__).resolve().parent / "lua" / "enter.lua").read_text()


class Status(IntEnum):
    ADMITTED = 1
    QUEUED = 2
    PREQUEUED = 3
    # Redis is unreachable: waiting for a local admission, position unknown.
    WAITING_UNCOUNTED = 4


@dataclass(frozen=True)
class Verdict:
    status: Status
    ahead: int = 0
    length: int = 0
    admitted_from_queue: bool = False
    joined: bool = False
    measured_rate: float = 0.0  # admissions from the queue per second, last minute

    @property
    def admitted(self) -> bool:
        return self.status == Status.ADMITTED


def _key(name: str) -> str:
    return caches["default"].make_key(f"wr:{name}")


def _redis():
    """The raw client of the default cache, or None when it is not Redis."""
    return raw_redis()


# --- circuit breaker -----------------------------------------------------------

_breaker = Breaker()


def redis_usable() -> bool:
    return _redis() is not None and _breaker.usable()


def trip(error: Exception) -> None:
    if _breaker.trip():
        logger.warning(
            "waiting room: Redis unavailable (%s); admitting at %s/s per process",
            type(error).__name__,
            settings.WAITINGROOM_FALLBACK_PER_SECOND,
            extra={"fallback": "local"},
        )


def reset_breaker() -> None:
    _breaker.reset()


# --- the local fallback -------------------------------------------------------


class LocalBucket:
    """The fixed rate used without Redis, for one process: a token bucket
    (``sms.throttle.LocalBucket``) at the rate the settings give now."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Full again (tests)."""
        self._bucket: TokenBucket | None = None

    def take(self) -> bool:
        # Redis configured but down: the low fail-safe rate. No Redis at all (the quick
        # start's one process): this process is the whole portal, so the full rate.
        configured = settings.CACHES["default"]["BACKEND"].startswith("django_redis.")
        rate = float(
            settings.WAITINGROOM_FALLBACK_PER_SECOND
            if configured
            else settings.WAITINGROOM_RATE_MAX
        )
        if rate <= 0:
            return False  # an operator's "nobody in while Redis is down"
        with self._lock:
            if self._bucket is None or self._bucket.rate != rate:
                # The module's clock is looked up on each call (tests move it).
                self._bucket = TokenBucket(rate=rate, burst=max(1.0, rate), clock=lambda: clock())
            bucket = self._bucket
        taken, _wait = bucket.acquire(1)
        return taken == 1


local_bucket = LocalBucket()


# --- the room -------------------------------------------------------------------


_registered: dict[int, Any] = {}


def _enter_script(redis):
    script = _registered.get(id(redis))
    # The id of a client that was replaced (the cache settings changed) can be reused.
    if script is None or script.registered_client is not redis:
        script = redis.register_script(_SCRIPT)
        _registered[id(redis)] = script
    return script


def enter(*, ticket: str, returning: bool, phase: Phase | None) -> Verdict:
    """Run the room's script for ``ticket``; raises on any Redis failure."""
    redis = _redis()
    if redis is None:
        raise RuntimeError("no Redis configured")
    now = clock()
    pre_from = opens = pre_score = 0.0
    if phase is not None:
        pre_from, opens = phase.prequeue_starts_at.timestamp(), phase.opens_at.timestamp()
        pre_score = fairness.prequeue_score(phase.key, ticket)
    opening = phase.opening_id if phase is not None else 0
    keys = [
        _key("queue"),
        _key("seen"),
        _key("active"),
        _key("seq"),
        _key("bucket"),
        _key("rate"),
        _key(f"pre:{opening}"),
        _key("fresh"),
        _key("measured"),
        _key(f"day:{timezone.localdate().isoformat()}"),
        _key("capacity"),
    ]
    rate = float(settings.WAITINGROOM_RATE_MAX)
    args = [
        ticket,
        repr(now),
        settings.WAITINGROOM_CAPACITY,
        settings.WAITINGROOM_ACTIVE_IDLE_SECONDS,
        settings.WAITINGROOM_ARRIVAL_SECONDS,
        settings.WAITINGROOM_GRACE_SECONDS,
        max(1.0, rate * settings.WAITINGROOM_BURST_SECONDS),
        rate,
        repr(pre_from),
        repr(opens),
        repr(pre_score),
        "1" if returning else "0",
        _key("admitted:"),
    ]
    status, ahead, length, from_queue, joined, measured = _enter_script(redis)(keys=keys, args=args)
    return Verdict(
        status=Status(int(status)),
        ahead=int(ahead),
        length=int(length),
        admitted_from_queue=bool(from_queue),
        joined=bool(joined),
        measured_rate=float(measured),
    )


def leave(ticket: str) -> None:
    """Give up the place in the flow or the queue at once (a booking is confirmed,
    or the resident logs out). If they go on (the household's second person),
    they come back as residents who were let in before: straight in while there
    is room, otherwise at the front of the queue."""
    redis = _redis()
    if redis is None or not redis_usable():
        return
    try:
        pipe = redis.pipeline()
        for name in ("active", "queue", "seen", "fresh"):
            pipe.zrem(_key(name), ticket)
        was_inside = pipe.execute()[0]
        if was_inside:
            # The controller's evidence that the flow moves (controller.step).
            finished = finished_key(int(clock()))
            redis.pipeline().incr(finished).expire(finished, 120).execute()
    except Exception as error:
        trip(error)


def finished_key(second: int) -> str:
    """Residents who left the flow (finished, or logged out) in that second."""
    return _key(f"finished:{second}")


@dataclass(frozen=True)
class Figures:
    """What operators see: the line now, and how fast it moves."""

    queue_length: int
    active: int
    rate: float  # the admission rate the controller allows now (per second)
    measured_rate: float  # admissions from the queue per second, last minute
    available: bool = True

    @property
    def estimate_seconds(self) -> float | None:
        """How long the last in line waits at the measured rate (None: not measurable)."""
        if self.queue_length == 0:
            return 0.0
        if self.measured_rate <= 0:
            return None
        return self.queue_length / self.measured_rate


def figures() -> Figures:
    redis = _redis()
    if redis is None:
        return Figures(0, 0, float(settings.WAITINGROOM_FALLBACK_PER_SECOND), 0.0, False)
    try:
        pipe = redis.pipeline()
        pipe.zcard(_key("queue"))
        pipe.zcard(_key("active"))
        pipe.get(_key("rate"))
        pipe.get(_key("measured"))
        queue_length, active, rate, measured = pipe.execute()
    except Exception as error:
        trip(error)
        return Figures(0, 0, float(settings.WAITINGROOM_FALLBACK_PER_SECOND), 0.0, False)
    return Figures(
        queue_length=int(queue_length),
        active=int(active),
        rate=float(rate) if rate is not None else float(settings.WAITINGROOM_RATE_MAX),
        measured_rate=float(measured or 0),
    )


def prequeue_arrivals(opening_id: int) -> dict[str, int]:
    """Ticket → arrival number of everyone who joined an opening's pre-queue."""
    redis = _redis()
    raw = redis.hgetall(_key(f"pre:{opening_id}")) if redis is not None else {}
    return {ticket.decode(): int(arrival) for ticket, arrival in raw.items()}


def day_figures(day) -> dict[str, int]:
    """The figures the script counted for a local day (joined, admitted, peak)."""
    redis = _redis()
    raw = redis.hgetall(_key(f"day:{day.isoformat()}")) if redis is not None else {}
    return {name.decode(): int(value) for name, value in raw.items()}
