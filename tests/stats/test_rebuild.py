"""``rebuild_stats`` recomputes from the source tables what the receivers counted live."""

import uuid
from datetime import date, time, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from booking import services, staff
from booking.models import Appointment
from centers.models import Slot
from sms.models import Message
from sms.outbox import dispatch_due, queue_message
from stats.models import DailyCounter, Metric
from stats.rebuild import SOURCES
from tests import factories
from tests.staff.helpers import earlier_today, first_dose
from tests.stats.center_day import center_day_events  # noqa: F401 -- a fixture
from tests.stats.conftest import book_in_the_past, figure, make_user, offer_of, release
from tests.waitlist.helpers import link_of
from waitlist import offers
from waitlist.models import Offer
from waitlist.services import join_waitlist, leave_waitlist

pytestmark = pytest.mark.django_db

# Every figure is counted live and has a source.
LIVE = list(SOURCES)
# Slots made by the factories (not released through ``centers.release``) are
# not counted as released: tests that make them leave that figure out.
WITHOUT_RELEASES = [metric for metric in LIVE if metric != Metric.RELEASED]


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
    factories.make_delivery(center, vaccine, doses=1200)
    day = factories.days_ahead(3)
    release(center, vaccine, day=day, lanes=3, closes=time(8, 30))  # 3 seats at 08:00
    first = Slot.objects.get(center=center, starts_at=factories.local_datetime(day, 8))
    people = [
        factories.make_person(first_name="Erna"),
        factories.make_person(first_name="Karl"),
        factories.make_person(first_name="Jens", born=date(1958, 3, 3)),
    ]
    series = [
        services.book_series(person=p, slot=first, request_token=uuid.uuid4()) for p in people
    ]
    services.cancel_series(household=people[1].household, booking_code=series[1].booking_code)
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


@pytest.fixture
def other_center(db):
    district = factories.make_district("Landkreis Celle", postal_codes=[("29221", "Celle")])
    return factories.make_center(
        "Impfzentrum Celle", district=district, town="Celle", postal_code="29221"
    )


@pytest.fixture
def staff_and_waitlist_events(events, other_center, vaccine):
    """At a second center: a check-in and a no-show; joins of a center's and a district's
    waiting list; offers declined, expired, accepted and withdrawn by a day cancellation;
    a place given up and one closed after booking directly."""
    center = other_center
    user = make_user("staff-celle", is_staff=True)
    factories.make_delivery(center, vaccine, doses=1000)

    came, stayed_away = book_in_the_past(
        center, vaccine, at=earlier_today(), names=["Anna Albers", "Bernd Brandt"]
    )
    staff.check_in(appointment_ids=[first_dose(came).pk], by=user)
    staff.mark_no_show(appointment_ids=[first_dose(stayed_away).pk], by=user)

    def person(name):
        return factories.make_person(first_name=name, postal_code="29221")

    def first_slot(day):
        return Slot.objects.get(center=center, starts_at=factories.local_datetime(day, 8))

    def token(offer):
        return link_of(offer)[1]

    day_a, day_b, day_c = (factories.days_ahead(n) for n in (4, 6, 8))
    release(center, vaccine, day=day_a, closes=time(8, 30))
    gerd = services.book_series(
        person=person("Gerd"), slot=first_slot(day_a), request_token=uuid.uuid4()
    )
    ilse = join_waitlist(person=person("Ilse"), center=center)
    otto = join_waitlist(person=person("Otto"))  # the district's list
    paul = join_waitlist(person=person("Paul"), center=center)

    services.cancel_series(household=gerd.person.household, booking_code=gerd.booking_code)
    to_ilse = offer_of(ilse)
    offers.decline_offer(offer_id=to_ilse.pk, token=token(to_ilse))
    to_otto = offer_of(otto)
    Offer.objects.filter(pk=to_otto.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    offers.expire_offer(offer_id=to_otto.pk)
    to_paul = offer_of(paul)
    offers.accept_offer(offer_id=to_paul.pk, token=token(to_paul))
    leave_waitlist(household=ilse.person.household, entry_id=ilse.pk)

    release(center, vaccine, day=day_b, closes=time(8, 30))  # offered to Otto
    assert offer_of(otto).first_slot == first_slot(day_b)
    release(center, vaccine, day=day_c, lanes=2, closes=time(8, 30))  # nobody else waits
    staff.cancel_day(center=center, day=day_b, by=user)  # withdraws Otto's offer...
    again = offer_of(otto)
    assert again.first_slot == first_slot(day_c)  # ...and serves him again first
    # He declines it and books a seat himself; the sweep then closes his place.
    offers.decline_offer(offer_id=again.pk, token=token(again))
    services.book_series(person=otto.person, slot=first_slot(day_c), request_token=uuid.uuid4())
    assert offers.sweep()["closed"] == 1
    return center


@pytest.mark.usefixtures("center_day_events")  # reminders and leftover doses (issue 20)
def test_counters_and_source_tables_agree_after_real_events(events, staff_and_waitlist_events):
    assert figure(Metric.BOOKED, center_id=events.pk) == 6
    assert figure(Metric.PEOPLE_BOOKED_80, center_id=events.pk) == 2
    assert figure(Metric.SMS_FAILED) == 1
    assert figure(Metric.SMS_SENT) == Message.objects.filter(status="sent").count() > 0
    other = staff_and_waitlist_events.pk
    assert figure(Metric.ATTENDED, center_id=other) == figure(Metric.NO_SHOW) == 1
    assert figure(Metric.WAITLIST_JOINED) == figure(Metric.WAITLIST_LEFT) == 3
    assert figure(Metric.WAITLIST_LEFT, center_id=0) == 1  # the district's list
    assert figure(Metric.OFFER_MADE, center_id=other) == 5
    for metric in (Metric.OFFER_ACCEPTED, Metric.OFFER_EXPIRED):
        assert figure(metric, center_id=other) == 1
    assert figure(Metric.OFFER_DECLINED, center_id=other) == 2  # Ilse, and Otto's second
    # First-dose appointments only: 3 at the first center; at the other 2 booked
    # today, 1 on each of the first two released days and 2 on the third. The cancelled day (day_b)
    # keeps its release and counts its one free appointment as withdrawn.
    day_b = factories.days_ahead(6)
    assert figure(Metric.RELEASED, center_id=events.pk) == 3
    assert figure(Metric.RELEASED, center_id=other) == 2 + 1 + 1 + 2
    assert figure(Metric.RELEASED, day=day_b, center_id=other) == 1
    assert figure(Metric.WITHDRAWN) == figure(Metric.WITHDRAWN, day=day_b, center_id=other) == 1
    assert not [key for key, value in summed().items() if value < 0]  # no negative figure
    assert all(figure(metric) for metric in Metric)  # every figure is compared below
    call_command("rebuild_stats", "--check", *metric_args(LIVE))  # raises on a difference


def test_a_rebuild_restores_lost_staff_release_and_waiting_list_counters(
    staff_and_waitlist_events,
):
    counted_live = summed()
    lost = [
        Metric.RELEASED,
        Metric.WITHDRAWN,
        Metric.ATTENDED,
        Metric.NO_SHOW,
        Metric.WAITLIST_JOINED,
        Metric.WAITLIST_LEFT,
        Metric.OFFER_MADE,
        Metric.OFFER_ACCEPTED,
        Metric.OFFER_DECLINED,
        Metric.OFFER_EXPIRED,
    ]
    assert {metric for _day, metric, _center, _district in counted_live} >= set(lost)
    DailyCounter.objects.filter(metric__in=lost).delete()
    call_command("rebuild_stats")
    assert summed() == counted_live


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
    services.book_series(person=person, slot=first, request_token=uuid.uuid4())
    call_command("rebuild_stats", "--check", *metric_args(WITHOUT_RELEASES))
    DailyCounter.objects.all().delete()
    call_command("rebuild_stats", *metric_args(WITHOUT_RELEASES))
    assert figure(Metric.BOOKED) == 2


def test_a_message_dropped_for_being_late_counts_as_failed_live_and_rebuilt(db):
    queue_message(
        recipient=factories.unique_mobile(),
        body="Angebot",
        priority=Message.Priority.OFFER,
        idempotency_key="late-offer",
        send_before=timezone.now() - timedelta(seconds=1),
    )
    dispatch_due()
    assert Message.objects.get(idempotency_key="late-offer").status == Message.Status.DROPPED
    assert figure(Metric.SMS_FAILED) == 1
    call_command("rebuild_stats", "--check", "--metric", str(Metric.SMS_FAILED))
