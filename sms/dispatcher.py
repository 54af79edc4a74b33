"""The long-running dispatcher: claim, send through a bounded pool, record.

One process runs one ``Dispatcher``; run as many processes on as many
machines as the provider's rate needs. Only the main thread touches the
database (claims in small batches, outcomes in bulk); the pool's threads only
talk to the provider. At most ``3 * pool_size`` claimed rows wait in a
process, so a code claimed now is handed over within a few round trips, and
a killed process strands at most that many rows until their lease ends.

Per loop, for each sender: take tokens from its rate bucket, claim that many
due rows of its channel (most urgent first), submit them. A code queued
behind 70,000 notices is therefore picked by the next claim of any
dispatcher, whatever the backlog.

When the provider fails every message for a while (down, refusing), the
dispatcher pauses its claims with a growing delay instead of burning the
queue's attempts; each message keeps its own backoff as well.
"""

import logging
import queue
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection

from sms.backends import SmsBackend, get_backend
from sms.models import Message
from sms.outbox import (
    Outcome,
    Result,
    claim_due,
    reclaim_expired_leases,
    record_outcomes,
    release,
    send_one,
)
from sms.throttle import Throttle, make_throttle

logger = logging.getLogger(__name__)

# Outcomes are written together once this many seconds passed since the first
# of them arrived (or a pool's worth is waiting).
FLUSH_AFTER = 0.05
RECLAIM_EVERY = 1.0
MAX_PAUSE = 30.0
DB_RETRY_AFTER = 2.0


class Dispatcher:
    def __init__(
        self,
        *,
        backend: SmsBackend | None = None,
        pool_size: int | None = None,
        batch_size: int | None = None,
        idle_interval: float | None = None,
        throttles: dict[str, Throttle] | None = None,
    ):
        self.backend = backend or get_backend()
        self.pool_size = pool_size or settings.SMS_POOL_SIZE
        self.batch_size = batch_size or settings.SMS_BATCH_SIZE
        self.idle_interval = idle_interval or settings.SMS_IDLE_INTERVAL_SECONDS
        # Claimed rows waiting in this process: enough to keep the pool busy
        # between two claims, few enough that a code claimed now goes out soon.
        self.max_in_flight = 3 * self.pool_size
        # Claim again once a pool's worth of room is free: fewer, larger claims.
        self.refill_at = self.pool_size
        if throttles is None:
            rates = {
                Message.Channel.SMS: settings.SMS_RATE_PER_SECOND,
                Message.Channel.VOICE: settings.VOICE_CALLS_PER_SECOND,
            }
            throttles = {
                channel: make_throttle(sender=self.backend.sender_key(channel), rate=rate)
                for channel, rate in rates.items()
            }
        self.throttles = throttles
        self.sent = 0
        self._stop = threading.Event()
        self._done: queue.SimpleQueue[Outcome] = queue.SimpleQueue()
        self._outstanding = 0  # submitted, outcome not collected yet
        self._futures: dict[Future, Message] = {}  # to cancel the unstarted ones on stop
        self._pending: list[Outcome] = []
        self._pending_since = 0.0
        self._next_reclaim = 0.0
        self._pause_until = 0.0
        self._failing_batches = 0

    def stop(self) -> None:
        """Ask the loop to finish: no new claims, in-flight messages completed."""
        self._stop.set()

    def run(self, *, until_idle: bool = False) -> int:
        """Dispatch until stopped (or, with ``until_idle``, until nothing is due)."""
        pool = ThreadPoolExecutor(self.pool_size, thread_name_prefix="sms-send")
        try:
            while not self._stop.is_set():
                try:
                    claimed, wait = self._claim_and_submit(pool)
                    if not claimed:
                        if until_idle and not self._outstanding and not self._pending and not wait:
                            break
                        self._collect(timeout=min(wait or self.idle_interval, self.idle_interval))
                    else:
                        self._collect(timeout=0)
                    self._flush_if_due()
                except (InterfaceError, OperationalError):
                    # The database went away: keep the outcomes in hand, wait,
                    # reconnect. Nothing is lost: unrecorded rows keep their lease.
                    logger.exception("database unavailable; retrying in %s s", DB_RETRY_AFTER)
                    if not connection.in_atomic_block:
                        connection.close()
                    self._stop.wait(DB_RETRY_AFTER)
        finally:
            self._shut_down(pool)
        return self.sent

    # --- claiming ------------------------------------------------------------
    def _claim_and_submit(self, pool: ThreadPoolExecutor) -> tuple[int, float]:
        """Claim what the rate and the pool allow; return (claimed, seconds to wait).

        The wait is 0 when nothing was due (the caller polls), or the time until
        the rate or the failure pause allows the next claim.
        """
        now = time.monotonic()
        if now < self._pause_until:
            return 0, self._pause_until - now
        free = self.max_in_flight - self._outstanding
        if free < self.refill_at:
            return 0, FLUSH_AFTER
        if now >= self._next_reclaim:
            self._next_reclaim = now + RECLAIM_EVERY
            if reclaimed := reclaim_expired_leases():
                logger.warning("took back %d messages of a dispatcher that stopped", reclaimed)

        claimed: list[Message] = []
        wait = 0.0
        for channel, throttle in self.throttles.items():
            wanted = min(free - len(claimed), self.batch_size)
            if wanted <= 0:
                break
            taken, retry_after = throttle.acquire(wanted)
            if not taken:
                wait = retry_after if not wait else min(wait, retry_after)
                continue
            rows = claim_due(limit=taken, channel=channel)
            throttle.refund(taken - len(rows))
            claimed.extend(rows)
        # Most urgent first across the channels too (a call's code before an SMS notice).
        claimed.sort(key=lambda row: (row.priority, row.next_attempt_at, row.pk))
        self._submit(pool, claimed)
        return len(claimed), wait

    def _submit(self, pool: ThreadPoolExecutor, rows: list[Message]) -> None:
        for future in [f for f in self._futures if f.done()]:
            del self._futures[future]
        for message in rows:
            self._futures[pool.submit(self._send, message)] = message
        self._outstanding += len(rows)

    def _send(self, message: Message) -> None:
        self._done.put(send_one(message, self.backend))

    # --- recording -----------------------------------------------------------
    def _collect(self, *, timeout: float) -> None:
        """Move finished outcomes to the pending list, waiting up to ``timeout`` for one."""
        try:
            outcome = self._done.get(timeout=timeout) if timeout > 0 else self._done.get_nowait()
        except queue.Empty:
            return
        while True:
            if not self._pending:
                self._pending_since = time.monotonic()
            self._pending.append(outcome)
            self._outstanding -= 1
            try:
                outcome = self._done.get_nowait()
            except queue.Empty:
                break

    def _flush_if_due(self, *, force: bool = False) -> None:
        if not self._pending:
            return
        due = (
            force
            or len(self._pending) >= self.pool_size
            or time.monotonic() - self._pending_since >= FLUSH_AFTER
            or not self._outstanding
        )
        if not due:
            return
        outcomes = self._pending
        record_outcomes(outcomes)  # may raise: the outcomes stay pending for the next try
        self._pending = []
        sent = sum(1 for o in outcomes if o.result is Result.SENT)
        self.sent += sent
        self._watch_provider_health(outcomes, sent)

    def _watch_provider_health(self, outcomes: list[Outcome], sent: int) -> None:
        if sent or not any(o.result is Result.RETRY for o in outcomes):
            self._failing_batches = 0
            return
        self._failing_batches += 1
        pause = min(MAX_PAUSE, 0.25 * 2 ** (self._failing_batches - 1))
        self._pause_until = time.monotonic() + pause
        logger.warning("provider failing; pausing claims for %.1f s", pause)

    # --- stopping ------------------------------------------------------------
    def _shut_down(self, pool: ThreadPoolExecutor) -> None:
        unsent = [message for future, message in self._futures.items() if future.cancel()]
        pool.shutdown(wait=True)
        self._outstanding -= len(unsent)
        self._collect(timeout=0)
        self._futures.clear()
        self._flush_if_due(force=True)
        if unsent:
            release(unsent)
