"""The long-running dispatcher: claim, send through a bounded pool, record.

One process runs one ``Dispatcher``; run as many processes on as many
machines as the provider's rate needs. Only the main thread touches the
database (claims in small batches, outcomes in bulk); the sending threads only
talk to the provider. At most ``3 * pool_size`` claimed rows wait in a
process, so a code claimed now is handed over within a few round trips, and
a killed process strands at most that many rows until their lease ends.

Per loop, for each sender: take tokens from its rate bucket, claim that many
due rows of its channel (most urgent first), hand them to the sending threads.
A code queued behind 70,000 notices is therefore picked by the next claim of
any dispatcher, whatever the backlog.

The threads and the main thread meet in queues, not in a future per
message: a sending thread takes the next message, sends it, appends the
outcome and wakes the main thread only once enough outcomes wait for a claim
of a pool's worth to fit (or at every outcome while less than that is in
flight). The main thread therefore wakes, claims and records about once per
pool's worth of messages instead of once per message; at thousands of
messages a second on a few shared cores, those wake-ups and the executor's
per-message objects were most of what the outbox added to the send
(bench/README.md, sms_drain).

When the provider fails every message for a while (down, refusing), the
dispatcher pauses its claims with a growing delay instead of burning the
queue's attempts; each message keeps its own backoff as well.
"""

import contextlib
import logging
import queue
import threading
import time
from collections import deque

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
from sms.phone import redact
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
        # Main thread -> sending threads: claimed messages, most urgent first;
        # None tells a thread to finish.
        self._todo: queue.SimpleQueue[Message | None] = queue.SimpleQueue()
        # Sending threads -> main thread: outcomes (deque appends are atomic).
        self._done: deque[Outcome] = deque()
        # The main thread waits on this bell; a sending thread rings it once
        # ``_wake_after`` outcomes wait, stop() rings it too. A SimpleQueue, not
        # an Event: its put is reentrant, so the command's SIGTERM handler
        # (stop(), run on the main thread) cannot deadlock on a lock the main
        # thread holds, as Event.set could while the loop is inside Event.clear.
        self._bell: queue.SimpleQueue[None] = queue.SimpleQueue()
        self._rung = False
        self._wake_after = 1
        self._threads: list[threading.Thread] = []
        self._outstanding = 0  # handed to the threads, outcome not collected yet
        self._pending: list[Outcome] = []
        self._pending_since = 0.0
        self._next_reclaim = 0.0
        self._pause_until = 0.0
        self._failing_batches = 0

    def stop(self) -> None:
        """Ask the loop to finish: no new claims, in-flight messages completed."""
        self._stop.set()
        self._ring()

    def run(self, *, until_idle: bool = False) -> int:
        """Dispatch until stopped (or, with ``until_idle``, until nothing is due)."""
        try:
            while not self._stop.is_set():
                try:
                    # Silenced before the outcomes are taken: an outcome appended
                    # after this point can ring again, so no wake-up is lost.
                    self._silence()
                    self._collect()
                    # Recorded before the claim: rows in hand (claimed, outcome not
                    # written) never pass max_in_flight, which is what a killed
                    # process can strand.
                    flushed = self._flush_if_due()
                    claimed, wait = self._claim_and_submit()
                    if not claimed and wait == 0:
                        # (The receivers of a batch just recorded may have queued more.)
                        idle = not (self._outstanding or self._pending or flushed)
                        if until_idle and idle:
                            break
                        wait = self.idle_interval  # nothing due: poll again
                    timeout = self.idle_interval if wait is None else min(wait, self.idle_interval)
                    if self._pending:
                        flush_in = self._pending_since + FLUSH_AFTER - time.monotonic()
                        timeout = min(timeout, flush_in)
                    if self._arm_wake() and timeout > 0:
                        self._wait_for_bell(timeout)
                except (InterfaceError, OperationalError):
                    # The database went away: keep the outcomes in hand, wait,
                    # reconnect. Nothing is lost: unrecorded rows keep their lease.
                    logger.exception("database unavailable; retrying in %s s", DB_RETRY_AFTER)
                    if not connection.in_atomic_block:
                        connection.close()
                    retry_at = time.monotonic() + DB_RETRY_AFTER
                    while not self._stop.is_set() and (left := retry_at - time.monotonic()) > 0:
                        self._wait_for_bell(left)
        finally:
            self._shut_down()
        return self.sent

    def _ring(self) -> None:
        self._rung = True
        self._bell.put(None)

    def _silence(self) -> None:
        self._rung = False
        while True:
            try:
                self._bell.get_nowait()
            except queue.Empty:
                return

    def _wait_for_bell(self, timeout: float) -> None:
        with contextlib.suppress(queue.Empty):
            self._bell.get(timeout=timeout)

    def _arm_wake(self) -> bool:
        """Tell the threads when to wake this one; False if that is already the case.

        Wanted: room for a pool's worth of claims, or else every outcome (with
        less than that in flight, each may be the last one, to be recorded now).
        """
        in_hand = self._outstanding + len(self._pending)
        self._wake_after = max(1, in_hand - (self.max_in_flight - self.refill_at))
        return len(self._done) < self._wake_after

    # --- claiming ------------------------------------------------------------
    def _claim_and_submit(self) -> tuple[int, float | None]:
        """Claim what the rate and the pool allow; return (claimed, seconds to wait).

        The wait is 0 when nothing was due (the caller polls), the time until
        the rate or the failure pause allows the next claim, or None when the
        pool is full (the threads wake the caller when there is room again).
        """
        now = time.monotonic()
        if now < self._pause_until:
            return 0, self._pause_until - now
        free = self.max_in_flight - self._outstanding - len(self._pending)
        if free < self.refill_at:
            return 0, None
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
        self._submit(claimed)
        return len(claimed), (None if claimed and not wait else wait)

    def _submit(self, rows: list[Message]) -> None:
        self._outstanding += len(rows)
        for message in rows:
            self._todo.put(message)
            # Threads start as work arrives (as the executor's did): the first
            # message of a quiet dispatcher's claim, the most urgent, is under
            # way before the thread for the second one exists.
            if len(self._threads) < self.pool_size:
                self._start_thread()

    # --- sending (the pool's threads) -----------------------------------------
    def _start_thread(self) -> None:
        thread = threading.Thread(
            target=self._send_until_told, name=f"sms-send_{len(self._threads)}", daemon=True
        )
        thread.start()
        self._threads.append(thread)

    def _send_until_told(self) -> None:
        done = self._done
        while (message := self._todo.get()) is not None:
            try:
                outcome = send_one(message, self.backend)
            except Exception as error:
                # send_one classifies the backend's errors itself; this is a bug
                # of ours. The row is retried later rather than left to its lease.
                logger.exception("sms %s: sending failed", message.pk)
                outcome = Outcome(
                    message, Result.RETRY, error=redact(f"{type(error).__name__}: {error}")
                )
            done.append(outcome)
            if len(done) >= self._wake_after and not self._rung:
                self._ring()

    # --- recording -----------------------------------------------------------
    def _collect(self) -> None:
        """Move finished outcomes to the pending list."""
        done, pending = self._done, self._pending
        if done and not pending:
            self._pending_since = time.monotonic()
        taken = len(pending)
        while done:
            pending.append(done.popleft())
        self._outstanding -= len(pending) - taken

    def _flush_if_due(self, *, force: bool = False) -> bool:
        """Record the pending outcomes if it is time; True if it was."""
        if not self._pending:
            return False
        due = (
            force
            or len(self._pending) >= self.pool_size
            or time.monotonic() - self._pending_since >= FLUSH_AFTER
            or not self._outstanding
        )
        if not due:
            return False
        outcomes = self._pending
        record_outcomes(outcomes)  # may raise: the outcomes stay pending for the next try
        self._pending = []
        sent = sum(1 for o in outcomes if o.result is Result.SENT)
        self.sent += sent
        self._watch_provider_health(outcomes, sent)
        return True

    def _watch_provider_health(self, outcomes: list[Outcome], sent: int) -> None:
        if sent or not any(o.result is Result.RETRY for o in outcomes):
            self._failing_batches = 0
            return
        self._failing_batches += 1
        pause = min(MAX_PAUSE, 0.25 * 2 ** (self._failing_batches - 1))
        self._pause_until = time.monotonic() + pause
        logger.warning("provider failing; pausing claims for %.1f s", pause)

    # --- stopping ------------------------------------------------------------
    def _shut_down(self) -> None:
        # Messages no thread has started go back to the queue unsent; the
        # threads finish the ones in hand, then each takes its None and ends.
        unsent: list[Message] = []
        while True:
            try:
                message = self._todo.get_nowait()
            except queue.Empty:
                break
            if message is not None:
                unsent.append(message)
        for _thread in self._threads:
            self._todo.put(None)
        for thread in self._threads:
            thread.join()
        self._threads = []
        self._outstanding -= len(unsent)
        self._collect()
        self._flush_if_due(force=True)
        if unsent:
            release(unsent)
