"""The admission rate follows the SMS queue and the booking core."""

import pytest
from django.urls import reverse

from sms import services as sms_services
from sms.phone import parse_phone_number
from tests import factories
from tests.waitingroom.conftest import arrive
from waitingroom import controller, room
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
    assert controller.next_rate(rate=50, code_age=10, booking_p95=1000) == 55
    assert controller.next_rate(rate=99, code_age=0, booking_p95=0) == 100  # the ceiling
    rate, steps = 2.0, 0
    while rate < 100:
        rate = controller.next_rate(rate=rate, code_age=0, booking_p95=0)
        steps += 1
    assert steps == 20  # back from the floor in 20 steps, not at once


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
    assert controller.booking_p95_ms(room._redis(), now=room.clock()) == 1500
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
