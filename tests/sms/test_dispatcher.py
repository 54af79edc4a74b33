"""The long-running dispatcher: bounded pool, priorities under a backlog,
the provider rate across dispatchers, stopping, and the signals it sends."""

import threading
import time
import uuid
from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from sms import dispatcher as dispatcher_module
from sms.backends import PermanentSendError, SmsBackend, memory
from sms.dispatcher import Dispatcher
from sms.models import Message
from sms.outbox import _claim_with_the_orm, queue_message, retry_delay
from sms.signals import messages_claimed, messages_failed, messages_sent
from sms.throttle import LocalBucket, SharedBucket, Throttle, Unlimited, make_throttle

UNLIMITED: dict[str, Throttle] = {"sms": Unlimited(), "voice": Unlimited()}


class RecordingBackend(SmsBackend):
    """Takes ``delay`` seconds per message and records when and how many at once."""

    def __init__(self, delay=0.0, fail_for=()):
        self.delay = delay
        self.fail_for = set(fail_for)
        self.sent: list[tuple[float, str]] = []
        self.started = threading.Event()
        self.running = 0
        self.most_at_once = 0
        self._lock = threading.Lock()

    def send(self, message) -> str:
        with self._lock:
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        self.started.set()
        try:
            time.sleep(self.delay)
            if message.idempotency_key in self.fail_for:
                raise PermanentSendError("number blocked")
            with self._lock:
                self.sent.append((time.monotonic(), message.idempotency_key))
            return f"rec-{message.pk}"
        finally:
            with self._lock:
                self.running -= 1


def queue_many(count, prefix="notice", priority=Message.Priority.BULK):
    Message.objects.bulk_create(
        Message(
            recipient=f"+49151{number:08d}",
            body=f"{prefix} {number}",
            priority=priority,
            idempotency_key=f"{prefix}-{number}",
        )
        for number in range(count)
    )


def run_in_thread(dispatcher: Dispatcher) -> threading.Thread:
    def run():
        try:
            dispatcher.run()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_until(condition):
    """Poll; a condition that never comes true is ended by pytest-timeout (pyproject)."""
    while not condition():
        time.sleep(0.005)


@pytest.mark.django_db
def test_the_pool_sends_at_once_but_never_more_than_its_size():
    queue_many(24)
    backend = RecordingBackend(delay=0.03)
    sent = Dispatcher(backend=backend, pool_size=4, throttles=UNLIMITED).run(until_idle=True)
    assert sent == 24
    assert backend.most_at_once == 4
    assert Message.objects.filter(status=Message.Status.SENT).count() == 24


@pytest.mark.django_db
def test_a_dispatcher_never_holds_more_rows_than_it_may_strand():
    """Claimed rows whose outcome is not written yet (sent or not) are what a
    killed dispatcher leaves to their lease: never more than max_in_flight,
    counted right after each claim, when they are most."""
    queue_many(60)
    dispatcher = Dispatcher(backend=RecordingBackend(delay=0.005), pool_size=4, throttles=UNLIMITED)
    in_hand: list[int] = []

    def count_in_hand(sender, messages, **kwargs):
        in_hand.append(Message.objects.filter(status=Message.Status.SENDING).count())

    messages_claimed.connect(count_in_hand)
    try:
        assert dispatcher.run(until_idle=True) == 60
    finally:
        messages_claimed.disconnect(count_in_hand)
    assert len(in_hand) > 3
    assert max(in_hand) <= dispatcher.max_in_flight


@pytest.mark.django_db(transaction=True)
def test_a_code_overtakes_a_backlog_of_notices_while_they_wait_for_the_rate(settings):
    settings.SMS_RATE_PER_SECOND = 100
    queue_many(400)
    backend = RecordingBackend()
    dispatcher = Dispatcher(backend=backend, pool_size=4)
    thread = run_in_thread(dispatcher)
    try:
        wait_until(lambda: len(backend.sent) >= 20)
        queue_message(
            recipient="+4915112345678",
            body="Ihr Code: 123456",
            priority=Message.Priority.CODE,
            idempotency_key="code:1",
        )
        sent_when_queued = len(backend.sent)
        wait_until(lambda: "code:1" in {key for _at, key in backend.sent})
    finally:
        dispatcher.stop()
        thread.join(10)
    order = [key for _at, key in backend.sent]
    # Counted, not timed: every claim after the code's commit takes the code first,
    # so only the notices already claimed then (at most max_in_flight) go before it.
    assert order.index("code:1") <= sent_when_queued + dispatcher.max_in_flight
    # The backlog was still waiting: the code did not just come last.
    assert len(order) < 300


class CountingThrottle:
    """A dispatcher's view of a shared bucket that counts what it was given."""

    def __init__(self, inner: Throttle):
        self.inner = inner
        self.taken = 0
        self.refunded = 0
        self.refusals = 0

    def acquire(self, wanted: int) -> tuple[int, float]:
        taken, wait = self.inner.acquire(wanted)
        self.taken += taken
        self.refusals += not taken
        return taken, wait

    def refund(self, count: int) -> None:
        self.refunded += count
        self.inner.refund(count)


def run_two_dispatchers_on_buckets(buckets: list[Throttle]) -> list[CountingThrottle]:
    """Two dispatchers, each on its bucket, until both were refused by it twice."""
    counting = [CountingThrottle(bucket) for bucket in buckets]
    backend = RecordingBackend()
    dispatchers = [
        Dispatcher(
            backend=backend,
            pool_size=4,
            idle_interval=0.01,
            throttles={"sms": throttle, "voice": Unlimited()},
        )
        for throttle in counting
    ]
    threads = [run_in_thread(d) for d in dispatchers]
    try:
        wait_until(lambda: all(c.refusals >= 2 for c in counting))
    finally:
        for dispatcher in dispatchers:
            dispatcher.stop()
        for thread in threads:
            thread.join(10)
    assert len(backend.sent) == sum(c.taken - c.refunded for c in counting)
    return counting


def shared_bucket(key: str, *, burst: int) -> SharedBucket:
    """A bucket in Redis that holds ``burst`` and refills one token per 1,000 s: what
    it hands out during a test is the burst, however fast or slow the machine is."""
    from django_redis import get_redis_connection

    redis = get_redis_connection("default")
    redis.delete(key)
    rate = 0.001
    return SharedBucket(
        redis=redis,
        key=key,
        rate=rate,
        burst=burst,
        fallback=LocalBucket(rate=rate, burst=burst),
    )


@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_together_keep_to_the_providers_rate():
    """The rate's tokens are shared: two dispatchers on one bucket together send what
    the bucket holds, not each of them (counted; bench/sms_drain.py measures the rate)."""
    queue_many(60)
    key = cache.make_key(f"test:rate:{uuid.uuid4()}")
    counting = run_two_dispatchers_on_buckets([shared_bucket(key, burst=15) for _ in range(2)])
    assert Message.objects.filter(status=Message.Status.SENT).count() == 15
    assert Message.objects.filter(status=Message.Status.QUEUED).count() == 45
    assert sum(c.taken - c.refunded for c in counting) == 15


@pytest.mark.django_db(transaction=True)
def test_negative_control_two_buckets_of_their_own_send_twice_the_rate():
    queue_many(60)
    keys = [cache.make_key(f"test:rate:{uuid.uuid4()}") for _ in range(2)]
    run_two_dispatchers_on_buckets([shared_bucket(key, burst=15) for key in keys])
    assert Message.objects.filter(status=Message.Status.SENT).count() == 30


def test_a_local_bucket_hands_out_its_rate_and_says_how_long_to_wait():
    now = [100.0]
    bucket = LocalBucket(rate=100, burst=10, clock=lambda: now[0])
    assert bucket.acquire(50) == (10, 0.0)
    assert bucket.acquire(5) == (0, pytest.approx(0.01))
    now[0] += 0.0625  # 6.25 tokens' worth
    assert bucket.acquire(50)[0] == 6
    bucket.refund(3)
    assert bucket.acquire(50)[0] == 3
    now[0] += 60
    assert bucket.acquire(50)[0] == 10  # never more than the burst after a pause


@pytest.mark.django_db
def test_without_redis_each_dispatcher_keeps_to_its_share_of_the_rate(settings):
    settings.SMS_DISPATCHER_PROCESSES = 4
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens there
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2},
        }
    }
    throttle = make_throttle(sender="test", rate=400)
    # The shared bucket would hold 0.1 s of 400/s (40); this process's share
    # is a quarter: 100/s, holding 10.
    assert throttle.acquire(100) == (10, 0.0)
    assert isinstance(throttle, SharedBucket)
    assert throttle.fallback.rate == 100


@pytest.mark.django_db(transaction=True)
def test_a_stopped_dispatcher_gives_back_what_it_has_not_started():
    queue_many(10)
    backend = RecordingBackend(delay=0.2)
    dispatcher = Dispatcher(backend=backend, pool_size=1, throttles=UNLIMITED)
    thread = run_in_thread(dispatcher)
    backend.started.wait(10)
    dispatcher.stop()
    thread.join(10)
    sent = Message.objects.filter(status=Message.Status.SENT)
    assert sent.count() == len(backend.sent) >= 1
    assert not Message.objects.filter(status=Message.Status.SENDING).exists()
    rest = Message.objects.filter(status=Message.Status.QUEUED)
    assert rest.count() == 10 - sent.count()
    assert set(rest.values_list("attempts", flat=True)) == {0}


@pytest.mark.django_db
def test_it_tells_the_apps_above_what_was_sent_and_what_failed():
    queue_many(3)
    Message.objects.filter(idempotency_key="notice-2").update(
        send_before=timezone.now() - timedelta(seconds=1)
    )
    sent: list[tuple[int, object]] = []
    failed: list[tuple[int, str]] = []

    def on_sent(sender, messages, **kwargs):
        sent.extend((m.pk, m.sent_at) for m in messages)

    def on_failed(sender, messages, **kwargs):
        failed.extend((m.pk, m.status) for m in messages)

    messages_sent.connect(on_sent)
    messages_failed.connect(on_failed)
    try:
        backend = RecordingBackend(fail_for={"notice-1"})
        Dispatcher(backend=backend, pool_size=2, throttles=UNLIMITED).run(until_idle=True)
    finally:
        messages_sent.disconnect(on_sent)
        messages_failed.disconnect(on_failed)
    by_key = {m.idempotency_key: m for m in Message.objects.all()}
    assert sent == [(by_key["notice-0"].pk, by_key["notice-0"].sent_at)]
    assert sorted(failed) == sorted(
        [
            (by_key["notice-1"].pk, Message.Status.FAILED),
            (by_key["notice-2"].pk, Message.Status.DROPPED),
        ]
    )


@pytest.mark.django_db
def test_a_failing_receiver_does_not_stop_the_dispatcher():
    queue_many(3)

    def broken(sender, **kwargs):
        raise RuntimeError("receiver bug")

    messages_sent.connect(broken)
    try:
        sent = Dispatcher(backend=RecordingBackend(), throttles=UNLIMITED).run(until_idle=True)
    finally:
        messages_sent.disconnect(broken)
    assert sent == 3
    assert Message.objects.filter(status=Message.Status.SENT).count() == 3


@pytest.mark.django_db
def test_an_unexpected_backend_error_is_retried_not_lost():
    class Broken(SmsBackend):
        def send(self, message):
            raise KeyError("bug")

    queue_many(1)
    assert Dispatcher(backend=Broken(), throttles=UNLIMITED).run(until_idle=True) == 0
    message = Message.objects.get()
    assert message.status == Message.Status.QUEUED
    assert message.next_attempt_at > timezone.now()
    assert "KeyError" in message.last_error


@pytest.mark.django_db
def test_an_error_of_ours_on_a_sending_thread_is_retried_not_left_to_the_lease(monkeypatch):
    """Not the backend's error (send_one sorts those): a bug around it. The row is
    recorded for a retry, the thread goes on with the next message, and the
    dispatcher does not wait for an outcome that never comes."""
    real_send_one = dispatcher_module.send_one

    def send_one(message, backend):
        if message.idempotency_key == "notice-1":
            raise RuntimeError("bug")
        return real_send_one(message, backend)

    monkeypatch.setattr(dispatcher_module, "send_one", send_one)
    queue_many(3)
    backend = RecordingBackend()
    assert Dispatcher(backend=backend, pool_size=1, throttles=UNLIMITED).run(until_idle=True) == 2
    assert sorted(key for _at, key in backend.sent) == ["notice-0", "notice-2"]
    broken = Message.objects.get(idempotency_key="notice-1")
    assert broken.status == Message.Status.QUEUED
    assert broken.next_attempt_at > timezone.now()
    assert "RuntimeError" in broken.last_error


@pytest.mark.parametrize("attempts", range(1, 12))
def test_the_retry_delay_doubles_with_jitter_up_to_a_ceiling(settings, attempts):
    settings.SMS_RETRY_BASE_SECONDS = 2
    settings.SMS_RETRY_MAX_SECONDS = 300
    ceiling = min(300, 2 * 2 ** (attempts - 1))
    delays = {retry_delay(attempts).total_seconds() for _ in range(50)}
    assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
    assert len(delays) > 1  # jitter: not all the same


@pytest.mark.django_db
def test_the_command_sends_what_is_due_and_stops(settings):
    queue_many(3)
    queue_message(
        recipient="+495111234567",
        body="Ihr Code: 1 2 3",
        priority=Message.Priority.CODE,
        channel=Message.Channel.VOICE,
        idempotency_key="call",
    )
    settings.SMS_RATE_PER_SECOND = 0
    settings.VOICE_CALLS_PER_SECOND = 0
    out = StringIO()
    call_command("sms_dispatch", "--once", stdout=out)
    assert out.getvalue().strip() == "4 sent"
    assert memory.outbox[0].idempotency_key == "call"  # the code first
    assert not Message.objects.exclude(status=Message.Status.SENT).exists()


@pytest.mark.django_db
def test_the_portable_claim_takes_the_most_urgent_rows_and_leases_them():
    """The ORM claim that SQLite (the quick start) uses instead of the one statement."""
    queue_many(3)
    queue_message(
        recipient="+4915112345678",
        body="code",
        priority=Message.Priority.CODE,
        idempotency_key="code",
    )
    rows = _claim_with_the_orm(limit=2, channel="sms", now=timezone.now())
    assert [row.idempotency_key for row in rows] == ["code", "notice-0"]
    claimed = Message.objects.filter(status=Message.Status.SENDING)
    assert set(claimed.values_list("idempotency_key", "attempts")) == {("code", 1), ("notice-0", 1)}
    assert all(
        row.lease_expires_at is not None and row.lease_expires_at > timezone.now()
        for row in claimed
    )


@pytest.mark.django_db(transaction=True)
def test_a_receiver_with_a_database_error_leaves_the_batch_and_the_others_alone():
    """The receivers run after the batch's rows are written, each on its own."""
    queue_many(3)
    seen: list[int] = []

    def broken(sender, messages, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table")

    notices = set(Message.objects.values_list("pk", flat=True))

    def writing(sender, messages, **kwargs):
        for message in messages:
            if message.pk not in notices:
                continue
            queue_message(
                recipient="+4915100000000",
                body="echo",
                priority=Message.Priority.BULK,
                idempotency_key=f"echo:{message.pk}",
            )
            seen.append(message.pk)

    messages_sent.connect(broken)
    messages_sent.connect(writing)
    try:
        sent = Dispatcher(backend=RecordingBackend(), throttles=UNLIMITED).run(until_idle=True)
    finally:
        messages_sent.disconnect(broken)
        messages_sent.disconnect(writing)
    assert sent == 6  # the three notices, then the three messages their receiver queued
    originals = Message.objects.filter(idempotency_key__startswith="notice-")
    assert originals.filter(status=Message.Status.SENT).count() == 3
    assert sorted(seen) == sorted(notices)
    assert Message.objects.filter(idempotency_key__startswith="echo:").count() == 3
