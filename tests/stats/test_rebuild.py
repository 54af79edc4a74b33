"""``rebuild_stats`` recomputes from the source tables what the receivers counted live."""

import uuid
from datetime import date, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from booking import services
from booking.models import Appointment
from sms.models import Message
from sms.outbox import dispatch_due, queue_message
from stats.models import DailyCounter, Metric
from tests import factories
from tests.stats.conftest import figure

pytestmark = pytest.mark.django_db

# Fed by the services that exist today. RELEASED, ATTENDED and NO_SHOW have a
# source but no event yet (the staff admin sends them): tested on their own.
LIVE = [
    Metric.BOOKED,
    Metric.CANCELLED,
    Metric.PEOPLE_BOOKED,
    Metric.PEOPLE_BOOKED_80,
    Metric.DELIVERED,
    Metric.SMS_SENT,
    Metric.SMS_FAILED,
]


def metric_args(metrics) -> list[str]:
    return [arg for metric in metrics for arg in ("--metric", str(metric))]


def snapshot() -> dict:
    return {
        (day, metric, center, district): value
        for day, metric, center, district, value in DailyCounter.objects.values_list(
            "day", "metric", "center_id", "district_id", "value"
        )
        if value
    }


def summed() -> dict:
    totals: dict = {}
    for key_and_value in DailyCounter.objects.values_list(
        "day", "metric", "center_id", "district_id", "value"
    ):
        *key, value = key_and_value
        totals[tuple(key)] = totals.get(tuple(key), 0) + value
    return {key: value for key, value in totals.items() if value}


@pytest.fixture
def events(settings, center, vaccine, open_for_80):
    """Bookings (one of a younger person), a cancellation, a delivery, SMS sent and failed."""
    factories.open_group("60 und älter", min_age=60, rank=2, vaccines=[vaccine])
    first, _second = factories.make_bookable_pair(center, vaccine, capacity=3, second_capacity=3)
    people = [
        factories.make_person(first_name="Erna"),
        factories.make_person(first_name="Karl"),
        factories.make_person(first_name="Jens", born=date(1958, 3, 3)),
    ]
    series = [
        services.book_series(person=p, slot_id=first.pk, request_token=uuid.uuid4()) for p in people
    ]
    services.cancel_series(household=people[1].household, booking_code=series[1].booking_code)
    factories.make_delivery(center, vaccine, doses=1200)
    dispatch_due()
    settings.SMS_BACKEND = "tests.stats.test_counting.FailingBackend"
    queue_message(
        recipient="+4915100000001",
        body="x",
        priority=Message.Priority.BULK,
        idempotency_key="fails",
    )
    dispatch_due()
    return center


def test_counters_and_source_tables_agree_after_real_events(events):
    assert figure(Metric.BOOKED) == 6
    assert figure(Metric.PEOPLE_BOOKED_80) == 2
    assert figure(Metric.SMS_FAILED) == 1
    assert figure(Metric.SMS_SENT) == Message.objects.filter(status="sent").count() > 0
    call_command("rebuild_stats", "--check", *metric_args(LIVE))  # raises on a difference


def test_the_check_fails_when_a_counter_is_off(events):
    DailyCounter.objects.filter(metric=Metric.CANCELLED).update(value=0)
    with pytest.raises(CommandError, match="1 figures differ"):
        call_command("rebuild_stats", "--check", *metric_args(LIVE))


def test_a_rebuild_restores_lost_counters_to_what_was_counted_live(events):
    counted_live = summed()
    DailyCounter.objects.filter(metric__in=[Metric.BOOKED, Metric.SMS_SENT]).delete()
    DailyCounter.objects.filter(metric=Metric.DELIVERED).update(value=5)
    call_command("rebuild_stats", *metric_args(LIVE))
    assert summed() == counted_live
    call_command("rebuild_stats", "--check", *metric_args(LIVE))


def test_a_rebuild_leaves_days_outside_its_range_alone(events):
    yesterday = timezone.localdate() - timedelta(days=1)
    DailyCounter.objects.filter(metric=Metric.BOOKED).delete()
    call_command("rebuild_stats", "--since", "2021-01-01", "--until", yesterday.isoformat())
    assert figure(Metric.BOOKED) == 0
    call_command("rebuild_stats", "--since", timezone.localdate().isoformat())
    assert figure(Metric.BOOKED) == 6


def test_released_slots_attendance_and_no_shows_are_rebuilt_on_the_slots_day(events):
    appointment = Appointment.objects.filter(status="booked", dose=1).earliest("pk")
    appointment.status = Appointment.Status.ATTENDED
    appointment.save()
    slot_day = timezone.localdate(appointment.slot.starts_at)
    call_command("rebuild_stats")
    assert figure(Metric.ATTENDED, day=slot_day, center_id=events.pk) == 1
    assert figure(Metric.RELEASED, day=slot_day, center_id=events.pk) == 3
    assert figure(Metric.NO_SHOW) == 0
    call_command("rebuild_stats", "--check")


def test_bad_arguments_are_refused():
    with pytest.raises(CommandError, match="not a date"):
        call_command("rebuild_stats", "--since", "1.2.2021")
    with pytest.raises(CommandError, match="must not be after"):
        call_command("rebuild_stats", "--since", "2021-02-02", "--until", "2021-02-01")


@pytest.mark.django_db(transaction=True)
def test_the_check_reads_one_snapshot_outside_a_transaction(center, vaccine, open_for_80):
    """As run by an operator: its own REPEATABLE READ transaction on PostgreSQL."""
    first, _second = factories.make_bookable_pair(center, vaccine)
    person = factories.make_person()
    services.book_series(person=person, slot_id=first.pk, request_token=uuid.uuid4())
    call_command("rebuild_stats", "--check", *metric_args(LIVE))
    DailyCounter.objects.all().delete()
    call_command("rebuild_stats", *metric_args(LIVE))
    assert figure(Metric.BOOKED) == 2
