"""How fast the room lets people in: it follows the two limits behind it.

Every ``WAITINGROOM_CONTROL_SECONDS`` one process of the cluster (whichever
gets Redis's ``SET NX`` first, from inside an ordinary request) looks at:

- the SMS queue: how long the oldest verification code still queued has
  waited. Past ``WAITINGROOM_CODE_AGE_LIMIT_SECONDS`` the provider's rate is
  the bottleneck and every new admission only ages the codes further (the
  cascade of 2021);
- the booking core: the 95th percentile of the booking posts' times of the
  last ``BOOKING_WINDOW_SECONDS``. Past ``WAITINGROOM_BOOKING_P95_LIMIT_MS`` the
  web workers or the database are the bottleneck. Behind a proxy that stamps
  each request (``WAITINGROOM_REQUEST_START_HEADER``) a post's time counts from
  the proxy, so requests waiting for a free worker (gunicorn's backlog,
  HAProxy's queue) slow the room down too; without it, only the time inside
  the worker counts. The window is short on purpose: the posts of a burst that
  is over must not halve the room again at every step after the backlog is
  gone (with a minute's window one burst took the rate from its maximum to the
  floor and kept it there; bench/README.md, "The queue page's own pool").

If either is over, the rate halves (not below ``WAITINGROOM_RATE_MIN``); when
the booking posts are slow, so does the number of residents let into the flow
at once (not below ``WAITINGROOM_CAPACITY_MIN``): a slower rate lets fewer new
residents in, but those already inside would still fill the workers' backlog.
While a scheduled opening's pre-queue waits, the number is held at the minimum,
so that the opening lets the pre-queue in by slow start, not all at once.
While the posts' p95 is above ``HOLD_SHARE`` of the limit (but not over it)
both stay as they are: residents let in now post their booking some seconds
later, so growing until the limit is reached overshoots it, and the p99 that
residents feel lies above the p95. Otherwise each grows by
``WAITINGROOM_RATE_STEP`` of its maximum per step, up to ``WAITINGROOM_RATE_MAX``
and ``WAITINGROOM_CAPACITY`` (additive increase, multiplicative decrease, as
TCP does: quick to back off, slow to speed up). The number in the flow grows
only on evidence, by at most the booking posts answered and the residents who
left the flow since the last step (as TCP's window grows by what was
acknowledged; once the seats are gone nobody posts a booking, but those who
join a waiting list instead still leave): after the opening the
residents let in post their first booking only some seconds later, and
growing on that silence took the flow from 20 to 110 before the first post was
answered; the posts then halved it twice (bench/README.md, "Growth on
evidence"). Silence is evidence only when it lasts: no booking post, no one
let in and no request of anyone inside for a whole window means those inside
are not booking (they found no seat, or left without logging out), and the
room grows by its step again rather than wait minutes for their places to go
idle. The rate's ceiling defaults to
the SMS provider's rate, because every admitted resident needs a code.

The same step publishes the measured admission rate (admissions from the
queue over the last minute) that the queue page's estimate uses, and writes
the pre-queue log of an opening that has begun.
"""

import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from time import monotonic

from django.conf import settings
from django.db.models import Min
from django.utils import timezone

from sms.models import Message
from waitingroom import openings, room

logger = logging.getLogger(__name__)

_next_check = 0.0
_SAMPLES = 200
# The admission rate the queue page's estimate uses: admissions of the last minute.
MEASURE_SECONDS = 60
# The booking posts that tell how the booking core copes now (see above).
BOOKING_WINDOW_SECONDS = 10
# Above this share of the p95 limit the room neither grows nor shrinks.
HOLD_SHARE = 0.5


def oldest_code_age() -> float:
    oldest = Message.objects.filter(
        status=Message.Status.QUEUED, priority=Message.Priority.CODE
    ).aggregate(oldest=Min("created_at"))["oldest"]
    return max(0.0, (timezone.now() - oldest).total_seconds()) if oldest else 0.0


# A process writes its booking posts' times to Redis in batches, at most this
# long after the first of them: one round trip per batch instead of one per post
# (a booking post's third, after the session and the limits). A batch's samples
# are stamped when written, so each is counted by the first step that can see
# it (stamped when posted, a sample written just after a step would be too old
# for the next one's count of posts since the last step); the step writes this
# process's own unwritten ones first.
RECORD_EVERY_SECONDS = 0.25
_unwritten: list[float] = []
_unwritten_since = 0.0
_unwritten_lock = threading.Lock()


def record_booking_ms(ms: float) -> None:
    """Remember one booking post's time (a capped list, shared by all processes)."""
    global _unwritten_since
    now = monotonic()
    with _unwritten_lock:
        if not _unwritten:
            _unwritten_since = now
        _unwritten.append(ms)
        due = now - _unwritten_since >= RECORD_EVERY_SECONDS or len(_unwritten) >= _SAMPLES
    if due:
        write_booking_ms()


def write_booking_ms() -> None:
    """Write this process's unwritten booking post times now."""
    with _unwritten_lock:
        batch = _unwritten[:]
        _unwritten.clear()
    redis = room._redis()
    if not batch or redis is None or not room.redis_usable():
        return
    try:
        pipe = redis.pipeline()
        written_at = room.clock()
        pipe.lpush(room._key("booking_ms"), *(f"{written_at:.3f}:{ms:.1f}" for ms in batch))
        pipe.ltrim(room._key("booking_ms"), 0, _SAMPLES - 1)
        pipe.execute()
    except Exception as error:
        room.trip(error)


def forget_unwritten() -> None:
    """Drop this process's unwritten booking post times (tests)."""
    with _unwritten_lock:
        _unwritten.clear()


@dataclass(frozen=True)
class BookingPosts:
    p95_ms: float  # of the last BOOKING_WINDOW_SECONDS (0: none)
    since_last_step: int  # answered in the last WAITINGROOM_CONTROL_SECONDS


def booking_posts(redis, *, now: float) -> BookingPosts:
    """What the booking posts of the last seconds say about the booking core."""
    write_booking_ms()
    raw = redis.lrange(room._key("booking_ms"), 0, _SAMPLES - 1)
    recent = []
    since_last_step = 0
    for item in raw:
        at, ms = item.decode().split(":")
        age = now - float(at)
        if age <= BOOKING_WINDOW_SECONDS:
            recent.append(float(ms))
        if age <= settings.WAITINGROOM_CONTROL_SECONDS:
            since_last_step += 1
    if not recent:
        return BookingPosts(p95_ms=0.0, since_last_step=0)
    recent.sort()
    p95 = recent[min(len(recent) - 1, math.ceil(0.95 * len(recent)) - 1)]
    return BookingPosts(p95_ms=p95, since_last_step=since_last_step)


def _holding(booking_p95: float) -> bool:
    return booking_p95 > HOLD_SHARE * settings.WAITINGROOM_BOOKING_P95_LIMIT_MS


def next_rate(*, rate: float, code_age: float, booking_p95: float) -> float:
    """One step of the rule above."""
    low, high = float(settings.WAITINGROOM_RATE_MIN), float(settings.WAITINGROOM_RATE_MAX)
    overloaded = (
        code_age > settings.WAITINGROOM_CODE_AGE_LIMIT_SECONDS
        or booking_p95 > settings.WAITINGROOM_BOOKING_P95_LIMIT_MS
    )
    if overloaded:
        return max(low, rate / 2)
    if _holding(booking_p95):
        return rate
    return min(high, rate + high * settings.WAITINGROOM_RATE_STEP)


def next_capacity(*, capacity: int, booking_p95: float, answered: int, quiet: bool) -> int:
    """The number in the flow: halved while the booking posts are slow (old codes
    are the SMS provider's limit, which the rate alone answers), held while they
    are near the limit, else grown back by the rate's step, but by no more than
    the booking posts ``answered`` and residents who left since the last step
    unless the flow was ``quiet`` (no post, no one let in) for a whole window;
    between the two settings."""
    low, high = min_capacity(), settings.WAITINGROOM_CAPACITY
    if booking_p95 > settings.WAITINGROOM_BOOKING_P95_LIMIT_MS:
        return max(low, capacity // 2)
    if _holding(booking_p95):
        return capacity
    # The step per window of booking posts, spread over its control steps: those let
    # in now post their booking some 15-25 s later, so the posts answer for a growth
    # only windows after it; a step every 2 s grew the flow from 20 to 110 before
    # the first of them answered, and the overshoot halved it (bench/README.md,
    # "third session: the queue page").
    steps_per_window = max(1, BOOKING_WINDOW_SECONDS // settings.WAITINGROOM_CONTROL_SECONDS)
    step = max(1, round(high * settings.WAITINGROOM_RATE_STEP / steps_per_window))
    return min(high, capacity + (step if quiet else min(step, answered)))


def _requests_inside(redis, *, now: float) -> int:
    """Residents in the flow who made a request in the last window (the flow's
    scores are their last requests; those let in from the queue and not back
    yet score lower and are counted among those let in)."""
    return redis.zcount(room._key("active"), now - BOOKING_WINDOW_SECONDS, "+inf")


def min_capacity() -> int:
    """The floor of the number in the flow, never above the setting's ceiling."""
    return min(settings.WAITINGROOM_CAPACITY_MIN, settings.WAITINGROOM_CAPACITY)


def maybe_step() -> None:
    """Run ``step`` if this process's timer says so and no other process ran it just now."""
    global _next_check
    if not settings.WAITINGROOM_ADAPTIVE:
        return
    tick = time.monotonic()
    if tick < _next_check:
        return
    _next_check = tick + settings.WAITINGROOM_CONTROL_SECONDS
    redis = room._redis()
    if redis is None or not room.redis_usable():
        return
    try:
        if redis.set(room._key("control"), "1", nx=True, ex=settings.WAITINGROOM_CONTROL_SECONDS):
            step(redis)
    except Exception as error:  # the room keeps working on the last rate
        logger.warning("waiting room: control step failed (%s)", type(error).__name__)


def step(redis) -> float:
    """Measure, adapt the rate, publish both; return the new rate."""
    now = room.clock()
    seconds = [room._key(f"admitted:{int(now) - i}") for i in range(0, MEASURE_SECONDS + 1)]
    seconds += [
        room.finished_key(int(now) - i) for i in range(settings.WAITINGROOM_CONTROL_SECONDS)
    ]
    counts = [int(value or 0) for value in redis.mget(seconds)]
    per_second, finished = counts[: MEASURE_SECONDS + 1], sum(counts[MEASURE_SECONDS + 1 :])
    admitted = sum(per_second[1:])
    admitted_in_window = sum(per_second[: BOOKING_WINDOW_SECONDS + 1])
    current = redis.get(room._key("rate"))
    rate = float(current) if current is not None else float(settings.WAITINGROOM_RATE_MAX)
    code_age = oldest_code_age()
    posts = booking_posts(redis, now=now)
    p95 = posts.p95_ms
    new = next_rate(rate=rate, code_age=code_age, booking_p95=p95)
    phase = openings.current_phase()
    if phase is not None and phase.prequeueing(timezone.now()):
        # Slow start: the pre-queue is let in at the opening as fast as the flow
        # shows it can take them, from the minimum, not all at once.
        capacity = min_capacity()
    else:
        stored = redis.get(room._key("capacity"))
        capacity = int(stored) if stored is not None else settings.WAITINGROOM_CAPACITY
        capacity = next_capacity(
            capacity=capacity,
            booking_p95=p95,
            answered=posts.since_last_step + finished,
            quiet=p95 == 0 and admitted_in_window == 0 and not _requests_inside(redis, now=now),
        )
    pipe = redis.pipeline()
    pipe.set(room._key("rate"), f"{new:.3f}")
    pipe.set(room._key("capacity"), str(capacity))
    pipe.set(room._key("measured"), f"{admitted / MEASURE_SECONDS:.3f}")
    pipe.execute()
    if new < rate:
        logger.info(
            "waiting room slows down to %.1f/s and %d in the flow (oldest code %.0f s, "
            "booking p95 %.0f ms)",
            new,
            capacity,
            code_age,
            p95,
        )
    _write_due_log(redis)
    save_day_figures()
    return new


def save_day_figures() -> None:
    """Copy today's (and yesterday's, for the minutes after midnight) figures to the
    database; never lowers a figure already stored (Redis may have restarted)."""
    from waitingroom.models import QueueDay

    today = timezone.localdate()
    for day in (today - timedelta(days=1), today):
        counted = room.day_figures(day)
        if not counted:
            continue
        row, _created = QueueDay.objects.get_or_create(day=day)
        changed = False
        for name in ("joined", "admitted", "peak"):
            value = counted.get(name, 0)
            if value > getattr(row, name):
                setattr(row, name, value)
                changed = True
        if changed:
            row.save(update_fields=["joined", "admitted", "peak"])


def _write_due_log(redis) -> None:
    """After an opening began (plus a few seconds for requests in flight), store its
    pre-queue log once."""
    phase = openings.current_phase()
    if phase is None or timezone.now() < phase.opens_at + timedelta(seconds=5):
        return
    done = room._key(f"logged:{phase.opening_id}")
    if redis.exists(done):
        return
    from waitingroom.models import Opening

    opening = Opening.objects.get(pk=phase.opening_id)
    written = openings.write_log(opening, room.prequeue_arrivals(phase.opening_id))
    redis.set(done, str(written), ex=7 * 24 * 3600)
    logger.info(
        "waiting room: pre-queue log of opening %s written (%s places)", opening.pk, written
    )
