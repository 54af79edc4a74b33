"""The daily counters follow the events done through the real services, in their transaction."""

import sys
import types
import uuid
from datetime import date, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.dispatch import Signal
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking import services
from booking.errors import SlotTaken
from centers.models import Delivery
from sms.backends import PermanentSendError
from sms.models import Message
from sms.outbox import dispatch_due, queue_message
from stats import receivers
from stats.counters import compact_counters, count
from stats.models import DailyCounter, Metric
from tests import factories
from tests.stats.conftest import figure

pytestmark = pytest.mark.django_db


class FailingBackend:
    def send(self, message) -> str:
        raise PermanentSendError("number does not exist")


class FailingForOneNumber:
    def send(self, message) -> str:
        if message.recipient == "+4915112345671":
            raise PermanentSendError("number does not exist")
        return f"ok-{message.pk}"


@pytest.fixture
def bookable(center, vaccine, open_for_80):
    first, _second = factories.make_bookable_pair(center, vaccine)
    return first


def book(person, slot):
    return services.book_series(person=person, slot=slot, request_token=uuid.uuid4())


def test_a_booking_counts_two_appointments_and_one_person_aged_80_or_more(center, bookable):
    book(factories.make_person(), bookable)
    today = timezone.localdate()
    assert figure(Metric.BOOKED, day=today, center_id=center.pk) == 2
    assert figure(Metric.PEOPLE_BOOKED, day=today, center_id=center.pk) == 1
    assert figure(Metric.PEOPLE_BOOKED_80, day=today, center_id=center.pk) == 1


def test_a_younger_person_counts_as_booked_but_not_as_80_or_older(center, vaccine, bookable):
    factories.open_group("60 und älter", min_age=60, rank=2, vaccines=[vaccine])
    book(factories.make_person(born=date(1955, 1, 1)), bookable)
    assert figure(Metric.PEOPLE_BOOKED) == 1
    assert figure(Metric.PEOPLE_BOOKED_80) == 0


def test_a_booking_that_rolls_back_counts_nothing(center, vaccine, open_for_80):
    # Shown as full (its second dose is), but a forged post names it anyway.
    lonely = factories.make_slot(
        center, vaccine, factories.local_datetime(factories.days_ahead(2), 9), second_booked=2
    )
    with pytest.raises(SlotTaken):
        book(factories.make_person(), lonely)
    assert not DailyCounter.objects.exists()


def test_a_cancellation_counts_the_appointments_it_ended(center, bookable):
    person = factories.make_person()
    series = book(person, bookable)
    services.cancel_series(household=person.household, booking_code=series.booking_code)
    assert figure(Metric.CANCELLED, day=timezone.localdate(), center_id=center.pk) == 2
    assert figure(Metric.BOOKED) == 2  # booked stays booked: the figures are events


def test_sent_and_failed_text_messages_are_counted_state_wide(settings, center, bookable):
    book(factories.make_person(), bookable)  # queues a confirmation
    assert dispatch_due() == 1
    assert figure(Metric.SMS_SENT, day=timezone.localdate(), center_id=0, district_id=0) == 1

    settings.SMS_BACKEND = "tests.stats.test_counting.FailingBackend"
    queue_message(
        recipient="+4915199999999", body="x", priority=Message.Priority.BULK, idempotency_key="k"
    )
    dispatch_due()
    assert figure(Metric.SMS_FAILED, day=timezone.localdate()) == 1
    assert figure(Metric.SMS_SENT) == 1


def test_a_dispatcher_batch_of_sent_and_failed_messages_is_counted_in_one_upsert_each(settings):
    for number in range(5):
        queue_message(
            recipient=f"+491511234567{number}",
            body="Hinweis",
            priority=Message.Priority.BULK,
            idempotency_key=f"notice-{number}",
        )
    Message.objects.filter(idempotency_key="notice-4").update(
        send_before=timezone.now() - timedelta(seconds=1)  # dropped: counts as failed
    )
    settings.SMS_BACKEND = "tests.stats.test_counting.FailingForOneNumber"
    with CaptureQueriesContext(connection) as queries:
        assert dispatch_due() == 3  # one batch
    today = timezone.localdate()
    assert figure(Metric.SMS_SENT, day=today, center_id=0, district_id=0) == 3
    assert figure(Metric.SMS_FAILED, day=today, center_id=0, district_id=0) == 2
    upserts = [q for q in queries.captured_queries if "stats_dailycounter" in q["sql"]]
    assert len(upserts) == 2  # one per signal of the batch, whatever its size


def test_deliveries_count_their_doses_also_when_corrected_or_deleted(center, vaccine):
    delivery = factories.make_delivery(center, vaccine, doses=1000)
    today = timezone.localdate()
    assert figure(Metric.DELIVERED, day=today, center_id=center.pk) == 1000

    delivery.doses = 600
    delivery.delivered_on = today - timedelta(days=1)
    delivery.save()
    assert figure(Metric.DELIVERED, day=today) == 0
    assert figure(Metric.DELIVERED, day=today - timedelta(days=1), center_id=center.pk) == 600

    Delivery.objects.get(pk=delivery.pk).delete()
    assert figure(Metric.DELIVERED) == 0


def test_a_new_signal_of_the_simple_contract_is_counted_once_it_is_wired(center, monkeypatch):
    """A signal of the simple contract is counted with one line in ``WIRING``."""
    import waitlist.signals as real

    module = types.ModuleType("waitlist.signals")
    module.__dict__.update(vars(real))
    joined = module.__dict__["entry_joined"] = Signal()
    # monkeypatch puts the real module (whose signals are connected) back afterwards.
    monkeypatch.setitem(sys.modules, "waitlist.signals", module)
    connected = receivers.connect_all()
    day = date(2021, 2, 1)
    joined.send(sender=None, center_id=center.pk, on=day)
    joined.send(sender=None, district_id=center.district_id, on=day, amount=2)
    assert "waitlist.signals.entry_joined" in connected
    assert figure(Metric.WAITLIST_JOINED, day=day, center_id=center.pk) == 1
    assert figure(Metric.WAITLIST_JOINED, day=day, center_id=0, district_id=center.district_id) == 2


def test_a_wired_signal_that_does_not_exist_stops_the_start_up(monkeypatch):
    """Renamed or removed in a lower app, its figure would stay at zero unnoticed."""
    module = types.ModuleType("waitlist.signals")
    module.__dict__["entry_joined"] = Signal()  # offer_made and the others are missing
    monkeypatch.setitem(sys.modules, "waitlist.signals", module)
    with pytest.raises(ImproperlyConfigured, match=r"waitlist\.signals\.offer_made"):
        receivers.connect_all()


def test_a_wired_module_that_does_not_exist_stops_the_start_up(monkeypatch):
    monkeypatch.setattr(
        receivers, "WIRING", [*receivers.WIRING, ("stats.no_such_signals", "x", print)]
    )
    with pytest.raises(ImproperlyConfigured, match=r"stats\.no_such_signals \(no such module\)"):
        receivers.connect_all()


def test_the_apps_wiring_is_complete():
    """What the running portal connected at start-up: every line of WIRING."""
    connected = receivers.connect_all()
    assert len(connected) == 1 + len(receivers.WIRING)


def test_released_slots_count_their_seats_on_the_slots_day(center, vaccine):
    day = factories.days_ahead(5)
    slots = [
        factories.make_slot(center, vaccine, factories.local_datetime(day, hour), capacity=3)
        for hour in (8, 9)
    ]
    seconds = [slot.second_dose_slot for slot in slots if slot.second_dose_slot is not None]
    receivers.slots_released(
        sender=None, slots=slots + seconds, seats={slot.pk: 3 for slot in slots + seconds}
    )
    assert figure(Metric.RELEASED, day=day, center_id=center.pk) == 6
    # The second doses reserved for them are part of those appointments, not more.
    second_day = day + timedelta(days=vaccine.second_dose_interval_days)
    assert figure(Metric.RELEASED, day=second_day, center_id=center.pk) == 0


def test_counts_spread_over_shards_add_up_and_compact_into_one_row(settings, center):
    settings.STATS_COUNTER_SHARDS = 8
    day = date(2021, 2, 1)
    for _ in range(60):
        count(Metric.BOOKED, day=day, center_id=center.pk)
    assert DailyCounter.objects.filter(day=day).count() > 1
    assert figure(Metric.BOOKED, day=day) == 60

    compact_counters(before=day + timedelta(days=1))
    assert list(DailyCounter.objects.filter(day=day).values_list("shard", "value")) == [(0, 60)]


def test_compaction_leaves_the_days_after_it_alone(settings, center):
    settings.STATS_COUNTER_SHARDS = 1000
    recent = date(2021, 2, 10)
    for _ in range(20):
        count(Metric.BOOKED, day=recent, center_id=center.pk)
    rows = DailyCounter.objects.filter(day=recent).count()
    compact_counters(before=recent)
    assert DailyCounter.objects.filter(day=recent).count() == rows
    assert figure(Metric.BOOKED) == 20


def test_a_counter_in_a_rolled_back_transaction_is_gone(center):
    def offer_that_fails():
        with transaction.atomic():
            count(Metric.OFFER_MADE, day=date(2021, 2, 1), center_id=center.pk)
            raise RuntimeError("the offer failed")

    with pytest.raises(RuntimeError):
        offer_that_fails()
    assert figure(Metric.OFFER_MADE) == 0


def test_the_figures_stay_when_the_personal_data_is_deleted(center, bookable):
    person = factories.make_person()
    book(person, bookable)
    person.household.delete()  # people, series and appointments go with it
    assert figure(Metric.BOOKED) == 2
    assert figure(Metric.PEOPLE_BOOKED_80) == 1
