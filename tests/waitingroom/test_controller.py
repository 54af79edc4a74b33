"""The admission rate follows the SMS queue and the booking core."""

import time
from unittest import mock

import pytest
from django.urls import reverse

from sms import services as sms_services
from sms.phone import parse_phone_number
from tests import factories
from tests.waitingroom.conftest import admitted, arrive, queued
from waitingroom import controller, gate, room
from waitingroom.models import QueueDay


@pytest.fixture
def limits(settings):
    settings.WAITINGROOM_RATE_MAX = 100
    settings.WAITINGROOM_RATE_MIN = 2
    settings.WAITINGROOM_RATE_STEP = 0.05
    settings.WAITINGROOM_CODE_AGE_LIMIT_SECONDS = 10
    settings.WAITINGROOM_BOOKING_P95_LIMIT_MS = 1000


def test_it_halves_on_old_codes_or_slow_bookings_and_grows_back_slowly(limits):
    assert controller.next_rate(rate=100, code_age=11, booking_p95=0) == 50
    assert controller.next_rate(rate=100, code_age=0, booking_p95=1001) == 50
    assert controller.next_rate(rate=3, code_age=60, booking_p95=5000) == 2  # the floor
    assert controller.next_rate(rate=50, code_age=10, booking_p95=500) == 55
    assert controller.next_rate(rate=99, code_age=0, booking_p95=0) == 100  # the ceiling
    rate, steps = 2.0, 0
    while rate < 100:
        rate = controller.next_rate(rate=rate, code_age=0, booking_p95=0)
        steps += 1
    assert steps == 20  # back from the floor in 20 steps, not at once


def test_near_the_limit_it_neither_grows_nor_shrinks(settings, limits):
    settings.WAITINGROOM_CAPACITY = 200
    settings.WAITINGROOM_CAPACITY_MIN = 20
    for p95 in (501, 800, 1000):  # above half the limit, not over it
        assert controller.next_rate(rate=50, code_age=0, booking_p95=p95) == 50
        assert (
            controller.next_capacity(capacity=100, booking_p95=p95, answered=50, quiet=False) == 100
        )
    assert controller.next_rate(rate=50, code_age=11, booking_p95=800) == 25  # old codes


@pytest.mark.django_db
def test_only_the_last_seconds_booking_posts_count(limits):
    for ms in [5000] * 20:
        controller.record_booking_ms(ms)
    now = room.clock()
    assert controller.booking_posts(room._redis(), now=now).p95_ms == 5000
    later = now + controller.BOOKING_WINDOW_SECONDS + 1  # the burst is over
    assert controller.booking_posts(room._redis(), now=later).p95_ms == 0


@pytest.mark.django_db
def test_a_step_reads_the_code_queue_and_sets_the_rate(limits, time_machine):
    time_machine.move_to("2026-03-01 08:00:00+01:00", tick=False)
    sms_services.request_code(parse_phone_number(factories.unique_mobile()), by_voice=False)
    redis = room._redis()
    assert controller.step(redis) == 100  # the code is fresh
    time_machine.shift(30)  # nobody sent it: it ages
    assert controller.step(redis) == 50
    assert controller.step(redis) == 25
    assert float(redis.get(room._key("rate"))) == 25


@pytest.mark.django_db
def test_slow_booking_posts_slow_the_room_down(limits):
    for ms in [200] * 90 + [1500] * 10:
        controller.record_booking_ms(ms)
    assert controller.booking_posts(room._redis(), now=room.clock()).p95_ms == 1500
    assert controller.step(room._redis()) == 50


@pytest.mark.django_db
def test_the_days_figures_reach_the_database(settings):
    settings.WAITINGROOM_CAPACITY = 1
    arrive()
    late = [arrive() for _ in range(3)]
    assert all(c.arrival.status_code == 302 for c in late)
    controller.step(room._redis())
    day = QueueDay.objects.get()
    assert (day.joined, day.admitted, day.peak) == (3, 0, 3)
    late[0].get(reverse("waitingroom:queue"))  # nobody left: still waiting
    controller.step(room._redis())
    QueueDay.objects.get().refresh_from_db()
    assert QueueDay.objects.get().joined == 3


def _post_booking_with_stamp(client, stamp: str):
    """A booking post that the proxy stamped with ``stamp``; its answer does not matter."""
    person = factories.make_person()
    client.post(
        reverse("booking:choose_time", args=[person.pk, "nowhere", "2026-03-02"]),
        headers={"X-Request-Start": stamp},
    )


@pytest.mark.django_db
def test_the_wait_for_a_worker_counts_behind_a_stamping_proxy(settings, limits, client):
    settings.WAITINGROOM_REQUEST_START_HEADER = "X-Request-Start"
    received = time.time() - 3  # the proxy held it 3 s before a worker was free
    _post_booking_with_stamp(client, f"t={int(received * 1000)}")
    assert controller.booking_posts(room._redis(), now=room.clock()).p95_ms >= 3000
    assert controller.step(room._redis()) == 50


@pytest.mark.django_db
def test_without_the_setting_a_clients_stamp_is_not_believed(settings, limits, client):
    settings.WAITINGROOM_REQUEST_START_HEADER = ""
    _post_booking_with_stamp(client, f"t={int((time.time() - 30) * 1000)}")
    assert 0 < controller.booking_posts(room._redis(), now=room.clock()).p95_ms < 3000
    assert controller.step(room._redis()) == 100


@pytest.mark.parametrize(
    ("stamp", "age"),
    [
        ("t={ms}", 2.0),  # HAProxy's t=%Ts%ms
        ("t={s:.3f}", 2.0),  # nginx's t=${msec}
        ("t={us}", 2.0),  # microseconds
        ("{ms}", 2.0),  # without the t=
        ("t=soon", None),
        ("", None),
        ("t={old_ms}", None),  # older than any request could wait: a mistake
        ("t={future_ms}", None),  # a proxy clock far ahead
    ],
)
def test_it_reads_the_usual_stamps_and_ignores_nonsense(settings, rf, stamp, age):
    settings.WAITINGROOM_REQUEST_START_HEADER = "X-Request-Start"
    now = time.time()
    sent = now - 2
    value = stamp.format(
        ms=int(sent * 1000),
        s=sent,
        us=int(sent * 1_000_000),
        old_ms=int((now - 3600) * 1000),
        future_ms=int((now + 3600) * 1000),
    )
    received = gate.received_at(rf.post("/", headers={"X-Request-Start": value}))
    if age is None:
        assert received is None
    else:
        assert received is not None
        assert abs((now - received) - age) < 0.5


def test_slow_bookings_halve_the_number_in_the_flow_and_it_grows_back_slowly(settings, limits):
    settings.WAITINGROOM_CAPACITY = 200
    settings.WAITINGROOM_CAPACITY_MIN = 20
    grow = controller.next_capacity
    assert grow(capacity=200, booking_p95=1001, answered=50, quiet=False) == 100
    assert grow(capacity=30, booking_p95=5000, answered=50, quiet=False) == 20  # the floor
    assert grow(capacity=100, booking_p95=500, answered=50, quiet=False) == 102  # 10 per window
    assert grow(capacity=199, booking_p95=0, answered=50, quiet=False) == 200  # the ceiling


def test_the_number_in_the_flow_grows_only_by_the_answers_it_has_seen(settings, limits):
    """Silence (no booking post since the last step) is no evidence that the
    booking core has room: after an opening the residents let in post their
    first booking some seconds later."""
    settings.WAITINGROOM_CAPACITY = 200
    settings.WAITINGROOM_CAPACITY_MIN = 20
    grow = controller.next_capacity
    assert grow(capacity=20, booking_p95=0, answered=0, quiet=False) == 20
    assert grow(capacity=20, booking_p95=100, answered=1, quiet=False) == 21
    assert grow(capacity=20, booking_p95=100, answered=500, quiet=False) == 22  # at most the step
    assert grow(capacity=300, booking_p95=0, answered=0, quiet=False) == 200  # a lowered ceiling


def test_the_step_is_per_window_of_booking_posts_spread_over_its_control_steps(settings, limits):
    """Those let in now post their booking 15-25 s later: a whole step every 2 s
    grew the flow five times faster than its posts could answer for it."""
    settings.WAITINGROOM_CAPACITY = 200
    settings.WAITINGROOM_CAPACITY_MIN = 20
    settings.WAITINGROOM_CONTROL_SECONDS = 2
    capacity = 20
    for _ in range(controller.BOOKING_WINDOW_SECONDS // 2):
        capacity = controller.next_capacity(
            capacity=capacity, booking_p95=100, answered=50, quiet=False
        )
    assert capacity == 30  # one step (5 % of 200) per 10 s window
    settings.WAITINGROOM_CONTROL_SECONDS = 10
    assert controller.next_capacity(capacity=20, booking_p95=100, answered=50, quiet=False) == 30


def test_a_flow_quiet_for_a_whole_window_grows_by_the_step(settings, limits):
    """No post and no one let in for a whole window: those inside are not booking
    (no seat left for them, a closed tab); waiting minutes for their places to go
    idle would hold the queue for nothing."""
    settings.WAITINGROOM_CAPACITY = 200
    settings.WAITINGROOM_CAPACITY_MIN = 20
    assert controller.next_capacity(capacity=20, booking_p95=0, answered=0, quiet=True) == 22


@pytest.mark.django_db
def test_a_step_after_admissions_without_posts_holds_and_after_a_quiet_window_grows(
    settings, limits, time_machine
):
    settings.WAITINGROOM_CAPACITY = 200
    settings.WAITINGROOM_CAPACITY_MIN = 20
    redis = room._redis()
    time_machine.move_to("2026-03-01 08:00:00+01:00", tick=False)
    redis.set(room._key("capacity"), "20")
    redis.set(room._key(f"admitted:{int(room.clock()) - 3}"), "20")  # let in 3 s ago
    controller.step(redis)
    assert int(redis.get(room._key("capacity"))) == 20  # no answer from them yet
    time_machine.shift(controller.BOOKING_WINDOW_SECONDS + 2)
    redis.zadd(room._key("active"), {"someone-reading": room.clock() - 1})
    controller.step(redis)  # someone inside is still at it
    assert int(redis.get(room._key("capacity"))) == 20
    time_machine.shift(controller.BOOKING_WINDOW_SECONDS + 2)
    controller.step(redis)  # no post, no one let in, no request for a whole window
    assert int(redis.get(room._key("capacity"))) == 22


@pytest.mark.django_db
def test_residents_who_leave_the_flow_let_it_grow_without_booking_posts(
    settings, limits, time_machine
):
    """Once the seats are gone nobody posts a booking; those who join a waiting
    list instead still finish, and that is evidence that the flow moves."""
    settings.WAITINGROOM_CAPACITY = 200
    settings.WAITINGROOM_CAPACITY_MIN = 20
    redis = room._redis()
    time_machine.move_to("2026-03-01 08:00:00+01:00", tick=False)
    redis.set(room._key("capacity"), "20")
    redis.zadd(
        room._key("active"), {"joined-a-list": room.clock() - 1, "still-at-it": room.clock()}
    )
    redis.zadd(room._key("queue"), {"gave-up-waiting": 5})
    room.leave("joined-a-list")
    room.leave("gave-up-waiting")  # never inside: no evidence
    controller.step(redis)
    assert int(redis.get(room._key("capacity"))) == 21
    time_machine.shift(settings.WAITINGROOM_CONTROL_SECONDS)
    controller.step(redis)  # nobody left since the last step
    assert int(redis.get(room._key("capacity"))) == 21


@pytest.mark.django_db
def test_the_posts_since_the_last_step_are_counted(settings, limits):
    settings.WAITINGROOM_CONTROL_SECONDS = 2
    for ms in [100] * 7:
        controller.record_booking_ms(ms)
    now = room.clock()
    posts = controller.booking_posts(room._redis(), now=now)
    assert (posts.p95_ms, posts.since_last_step) == (100, 7)
    three_seconds_later = controller.booking_posts(room._redis(), now=now + 3)
    assert (three_seconds_later.p95_ms, three_seconds_later.since_last_step) == (100, 0)


@pytest.mark.django_db
def test_the_floor_of_the_number_in_the_flow_is_never_above_its_ceiling(settings, limits):
    settings.WAITINGROOM_CAPACITY = 4
    settings.WAITINGROOM_CAPACITY_MIN = 20
    assert controller.min_capacity() == 4
    assert controller.next_capacity(capacity=4, booking_p95=5000, answered=0, quiet=False) == 4


@pytest.mark.django_db
def test_the_room_lets_in_only_as_many_as_the_controller_allows(settings, limits):
    settings.WAITINGROOM_CAPACITY = 4
    settings.WAITINGROOM_CAPACITY_MIN = 2
    for ms in [1500] * 20:
        controller.record_booking_ms(ms)
    controller.step(room._redis())
    assert int(room._redis().get(room._key("capacity"))) == 2
    inside = [arrive() for _ in range(2)]
    late = arrive()
    assert all(admitted(r.arrival) for r in inside)
    assert queued(late.arrival)  # the setting would have let a third and a fourth in


@pytest.mark.django_db
def test_a_process_writes_its_booking_posts_in_batches(limits):
    redis = room._redis()
    with mock.patch.object(controller, "monotonic", return_value=1000.0):
        for ms in [100] * 5:
            controller.record_booking_ms(ms)
    assert redis.llen(room._key("booking_ms")) == 0  # one round trip for the batch, later
    at_the_batchs_end = 1000.0 + controller.RECORD_EVERY_SECONDS
    with mock.patch.object(controller, "monotonic", return_value=at_the_batchs_end):
        controller.record_booking_ms(900)
    assert redis.llen(room._key("booking_ms")) == 6
    # The step reads this process's unwritten times too.
    with mock.patch.object(controller, "monotonic", return_value=2000.0):
        controller.record_booking_ms(5000)
    assert redis.llen(room._key("booking_ms")) == 6
    assert controller.booking_posts(redis, now=room.clock()).since_last_step == 7
