"""Staff work, releases and the waiting list are counted through the real services."""

import uuid
from datetime import time, timedelta

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from booking import staff
from booking.errors import BookingError
from booking.models import Appointment, Series
from booking.services import book_series, cancel_series
from centers.models import Slot
from stats.figures import waitlist_lengths
from stats.models import DailyCounter, Metric
from tests import factories
from tests.staff.helpers import earlier_today, first_dose, local
from tests.stats.conftest import book_in_the_past, figure, make_user, offer_of, release
from tests.waitlist.helpers import link_of
from waitlist import offers
from waitlist.models import Entry, Offer
from waitlist.services import join_waitlist, leave_waitlist

pytestmark = pytest.mark.django_db

HALF_PAST_8 = time(8, 30)  # a release from 08:00: one appointment time


@pytest.fixture
def user(db):
    return make_user("staff-hannover", is_staff=True)


@pytest.fixture
def stocked(center, vaccine, open_for_80):
    factories.make_delivery(center, vaccine, doses=1000)
    return center


def check(*metrics: Metric) -> None:
    """The counters agree with the source tables (raises CommandError otherwise)."""
    call_command("rebuild_stats", "--check", *[f"--metric={m}" for m in metrics])


def negative_figures() -> list[tuple]:
    """Every daily figure (summed over its shards) below zero, per day, metric and place."""
    return list(
        DailyCounter.objects.values_list("day", "metric", "center_id", "district_id")
        .annotate(total=Sum("value"))
        .filter(total__lt=0)
        .order_by()
    )


# --- staff: check-in, no-show, closing and cancelling a day ------------------


def test_check_in_no_show_and_closing_the_day_count_on_the_appointments_day(
    center, vaccine, open_for_80, user
):
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    erna, karl, gerda = book_in_the_past(
        center, vaccine, at=earlier_today(), names=["Erna Meyer", "Karl Meyer", "Gerda Lange"]
    )
    [late] = book_in_the_past(center, vaccine, at=local(yesterday, 10), names=["Otto Ohl"])

    staff.check_in(appointment_ids=[first_dose(erna).pk, first_dose(late).pk], by=user)
    staff.mark_no_show(appointment_ids=[first_dose(karl).pk], by=user)
    assert staff.close_day(center=center, day=today, by=user) == 1  # Gerda
    assert figure(Metric.ATTENDED, day=today, center_id=center.pk) == 1
    assert figure(Metric.ATTENDED, day=yesterday, center_id=center.pk) == 1
    assert figure(Metric.NO_SHOW, day=today, center_id=center.pk) == 2

    # Karl arrives late after all: a vaccination, no longer a no-show.
    staff.check_in(appointment_ids=[first_dose(karl).pk], by=user)
    assert figure(Metric.ATTENDED, day=today, center_id=center.pk) == 2
    assert figure(Metric.NO_SHOW, day=today, center_id=center.pk) == 1
    assert first_dose(gerda).status == Appointment.Status.NO_SHOW
    check(Metric.ATTENDED, Metric.NO_SHOW, Metric.RELEASED)


def test_a_refused_check_in_counts_nothing(center, vaccine, open_for_80, user):
    [erna] = book_in_the_past(center, vaccine, at=earlier_today(), names=["Erna Meyer"])
    staff.check_in(appointment_ids=[first_dose(erna).pk], by=user)
    with pytest.raises(BookingError):
        staff.check_in(appointment_ids=[first_dose(erna).pk], by=user)  # already checked in
    assert figure(Metric.ATTENDED) == 1


def test_a_release_counts_the_seats_it_adds_on_each_slots_day(stocked, vaccine, user):
    day = factories.days_ahead(2)
    interval = timedelta(days=vaccine.second_dose_interval_days)
    release(stocked, vaccine, day=day, lanes=2, by=user)  # 08:00 and 08:30
    # The first doses of the second release fall on the second doses of the first:
    # slots of their own, and only the first doses are appointments released.
    release(stocked, vaccine, day=day + interval, lanes=3, by=user)

    assert figure(Metric.RELEASED, day=day, center_id=stocked.pk) == 4
    assert figure(Metric.RELEASED, day=day + interval, center_id=stocked.pk) == 6
    assert figure(Metric.RELEASED, day=day + 2 * interval, center_id=stocked.pk) == 0
    assert figure(Metric.RELEASED) == 4 + 6
    assert figure(Metric.WITHDRAWN) == 0
    check(Metric.RELEASED, Metric.WITHDRAWN)


def test_a_releases_second_dose_seats_are_not_counted_as_released(stocked, vaccine, user):
    day = factories.days_ahead(2)
    second_day = day + timedelta(days=vaccine.second_dose_interval_days)
    release(stocked, vaccine, day=day, lanes=2, by=user)  # 08:00 and 08:30

    second_doses = Slot.objects.second_doses().filter(center=stocked)
    assert sorted(timezone.localdate(slot.starts_at) for slot in second_doses) == [
        second_day,
        second_day,
    ]
    assert sum(slot.capacity for slot in second_doses) == 4  # reserved, but no appointment
    assert figure(Metric.RELEASED, day=day, center_id=stocked.pk) == 4
    assert figure(Metric.RELEASED, day=second_day) == 0
    assert figure(Metric.RELEASED) == 4
    check(Metric.RELEASED, Metric.WITHDRAWN)
    # Rebuilt from the slots, the second-dose seats stay out as well.
    DailyCounter.objects.filter(metric=Metric.RELEASED).delete()
    call_command("rebuild_stats", "--metric", str(Metric.RELEASED))
    assert figure(Metric.RELEASED, day=day, center_id=stocked.pk) == 4
    assert figure(Metric.RELEASED) == 4


def test_a_cancelled_day_counts_its_series_as_cancelled_and_withdraws_its_seats(
    stocked, vaccine, user
):
    day = factories.days_ahead(3)
    second_day = day + timedelta(days=vaccine.second_dose_interval_days)
    release(stocked, vaccine, day=day, lanes=2, closes=HALF_PAST_8)
    [slot] = Slot.objects.filter(starts_at=factories.local_datetime(day, 8))
    for name in ("Erna", "Karl"):
        person = factories.make_person(first_name=name)
        book_series(person=person, slot=slot, request_token=uuid.uuid4())
    assert figure(Metric.RELEASED, day=day) == 2

    staff.cancel_day(center=stocked, day=day, by=user)

    today = timezone.localdate()
    # Each series' first and second dose, as a resident's own cancellation counts them.
    assert figure(Metric.CANCELLED, day=today, center_id=stocked.pk) == 4
    # What was released stays released; the day's two appointments are withdrawn.
    assert figure(Metric.RELEASED, day=day, center_id=stocked.pk) == 2
    assert figure(Metric.WITHDRAWN, day=day, center_id=stocked.pk) == 2
    # The second doses reserved for them go too, but were never appointments released.
    assert figure(Metric.RELEASED, day=second_day) == 0
    assert figure(Metric.WITHDRAWN, day=second_day) == 0
    assert figure(Metric.RELEASED) == figure(Metric.WITHDRAWN) == 2
    assert negative_figures() == []
    check(*Metric)


def test_a_cancelled_second_dose_day_cancels_no_series(stocked, vaccine, user):
    day = factories.days_ahead(3)
    second_day = day + timedelta(days=vaccine.second_dose_interval_days)
    release(stocked, vaccine, day=day, closes=HALF_PAST_8)
    [slot] = Slot.objects.filter(starts_at=factories.local_datetime(day, 8))
    series = book_series(person=factories.make_person(), slot=slot, request_token=uuid.uuid4())

    staff.cancel_day(center=stocked, day=second_day, by=user)

    # The series stays active (its first dose is to come): nothing to count as cancelled.
    assert Series.objects.get(pk=series.pk).status == Series.Status.ACTIVE
    assert figure(Metric.CANCELLED) == 0
    # The one first-dose appointment stays released and booked; the withdrawn
    # second-dose seat was never counted as released, so nothing is withdrawn.
    assert figure(Metric.RELEASED, day=day, center_id=stocked.pk) == 1
    assert figure(Metric.RELEASED, day=second_day) == 0
    assert figure(Metric.WITHDRAWN) == 0
    assert negative_figures() == []
    check(*Metric)


def test_a_cancelled_second_dose_day_withdraws_the_free_first_doses_it_orphans(
    stocked, vaccine, user
):
    """Free first-dose seats whose reserved second doses fell with the day go too,
    counted as withdrawn on their own (first-dose) day."""
    day = factories.days_ahead(3)
    second_day = day + timedelta(days=vaccine.second_dose_interval_days)
    release(stocked, vaccine, day=day, lanes=2, closes=HALF_PAST_8)
    [slot] = Slot.objects.filter(starts_at=factories.local_datetime(day, 8))
    book_series(person=factories.make_person(), slot=slot, request_token=uuid.uuid4())

    staff.cancel_day(center=stocked, day=second_day, by=user)

    slot.refresh_from_db()
    assert (slot.capacity, slot.booked, slot.withdrawn) == (1, 1, 1)
    assert figure(Metric.CANCELLED) == 0
    assert figure(Metric.RELEASED, day=day, center_id=stocked.pk) == 2
    assert figure(Metric.WITHDRAWN, day=day, center_id=stocked.pk) == 1
    assert figure(Metric.RELEASED, day=second_day) == figure(Metric.WITHDRAWN, day=second_day) == 0
    assert negative_figures() == []
    check(*Metric)


# --- the waiting list ----------------------------------------------------------


@pytest.fixture
def full_day(stocked, vaccine):
    """One first-dose seat, booked by Gerd; nothing else is free."""
    day = factories.days_ahead(3)
    release(stocked, vaccine, day=day, closes=HALF_PAST_8)
    [slot] = Slot.objects.filter(starts_at=factories.local_datetime(day, 8))
    gerd = factories.make_person(first_name="Gerd")
    return book_series(person=gerd, slot=slot, request_token=uuid.uuid4())


def token_of(offer: Offer) -> str:
    return link_of(offer)[1]


def test_joining_and_leaving_count_for_the_center_or_the_district_list(stocked, full_day):
    district = stocked.district
    ilse = join_waitlist(person=factories.make_person(first_name="Ilse"), center=stocked)
    otto = join_waitlist(person=factories.make_person(first_name="Otto"))  # the district's list
    assert otto.center is None

    today = timezone.localdate()
    assert figure(Metric.WAITLIST_JOINED, day=today, center_id=stocked.pk) == 1
    assert figure(Metric.WAITLIST_JOINED, day=today, center_id=0, district_id=district.pk) == 1
    assert waitlist_lengths() == ({stocked.pk: 1}, {district.pk: 1})

    leave_waitlist(household=otto.person.household, entry_id=otto.pk)
    assert figure(Metric.WAITLIST_LEFT, day=today, center_id=0, district_id=district.pk) == 1
    assert waitlist_lengths() == ({stocked.pk: 1}, {district.pk: 0})
    assert Entry.objects.get(pk=ilse.pk).status == Entry.Status.WAITING
    check(*Metric)


def test_offers_made_declined_expired_and_accepted_are_counted_at_the_offered_center(
    stocked, full_day
):
    ilse, otto, paul = (
        join_waitlist(person=factories.make_person(first_name=name), center=stocked)
        for name in ("Ilse", "Otto", "Paul")
    )
    assert figure(Metric.OFFER_MADE) == 0  # nothing was free when they joined
    cancel_series(household=full_day.person.household, booking_code=full_day.booking_code)
    to_ilse = offer_of(ilse)
    assert figure(Metric.OFFER_MADE, center_id=stocked.pk) == 1

    offers.decline_offer(offer_id=to_ilse.pk, token=token_of(to_ilse))
    assert figure(Metric.OFFER_DECLINED, center_id=stocked.pk) == 1
    to_otto = offer_of(otto)
    assert figure(Metric.OFFER_MADE) == 2

    Offer.objects.filter(pk=to_otto.pk).update(deadline=timezone.now() - timedelta(seconds=1))
    assert offers.expire_offer(offer_id=to_otto.pk)
    assert figure(Metric.OFFER_EXPIRED, center_id=stocked.pk) == 1
    to_paul = offer_of(paul)
    assert figure(Metric.OFFER_MADE) == 3

    offers.accept_offer(offer_id=to_paul.pk, token=token_of(to_paul))
    today = timezone.localdate()
    assert figure(Metric.OFFER_ACCEPTED, day=today, center_id=stocked.pk) == 1
    assert figure(Metric.WAITLIST_LEFT, day=today, center_id=stocked.pk) == 1  # Paul, served
    assert figure(Metric.BOOKED, center_id=stocked.pk) == 2 + 2  # Gerd's, then Paul's
    assert figure(Metric.PEOPLE_BOOKED, center_id=stocked.pk) == 2

    offers.sweep()  # a served place is not closed (nor counted) again
    assert figure(Metric.WAITLIST_LEFT) == 1
    assert waitlist_lengths() == ({stocked.pk: 2}, {})
    check(*Metric)


def test_a_place_closed_because_the_person_booked_directly_counts_as_left_once(
    stocked, vaccine, full_day
):
    district = stocked.district
    ilse = join_waitlist(person=factories.make_person(first_name="Ilse"), center=stocked)
    otto = join_waitlist(person=factories.make_person(first_name="Otto"))
    # Seats made without a release (the exchange is not told): they book them directly.
    first, _second = factories.make_bookable_pair(stocked, vaccine, day=factories.days_ahead(5))
    for entry in (ilse, otto):
        book_series(person=entry.person, slot=first, request_token=uuid.uuid4())

    assert offers.sweep()["closed"] == 2
    assert offers.sweep()["closed"] == 0
    today = timezone.localdate()
    assert figure(Metric.WAITLIST_LEFT, day=today, center_id=stocked.pk) == 1
    assert figure(Metric.WAITLIST_LEFT, day=today, center_id=0, district_id=district.pk) == 1
    assert waitlist_lengths() == ({stocked.pk: 0}, {district.pk: 0})
    check(*(metric for metric in Metric if metric != Metric.RELEASED))


def test_a_withdrawn_offer_counts_as_made_but_not_as_answered(stocked, full_day):
    ilse = join_waitlist(person=factories.make_person(first_name="Ilse"), center=stocked)
    cancel_series(household=full_day.person.household, booking_code=full_day.booking_code)
    offer = offer_of(ilse)
    leave_waitlist(household=ilse.person.household, entry_id=ilse.pk)
    offer.refresh_from_db()
    assert offer.status == Offer.Status.WITHDRAWN
    assert figure(Metric.OFFER_MADE) == 1
    assert figure(Metric.WAITLIST_LEFT) == 1
    for metric in (Metric.OFFER_DECLINED, Metric.OFFER_EXPIRED, Metric.OFFER_ACCEPTED):
        assert figure(metric) == 0
    check(*Metric)


def test_cancelling_a_series_awaiting_its_second_dose_counts_both_appointments(
    stocked, vaccine, user
):
    day = factories.days_ahead(3)
    second_day = day + timedelta(days=vaccine.second_dose_interval_days)
    release(stocked, vaccine, day=day, closes=HALF_PAST_8)
    [slot] = Slot.objects.filter(starts_at=factories.local_datetime(day, 8))
    series = book_series(person=factories.make_person(), slot=slot, request_token=uuid.uuid4())
    staff.cancel_day(center=stocked, day=second_day, by=user)  # no free seat: awaiting
    series.refresh_from_db()
    assert series.awaiting_second_dose_since is not None
    assert figure(Metric.CANCELLED) == 0

    cancel_series(household=series.person.household, booking_code=series.booking_code)

    # Booked 2, and both are cancelled now: none stays unaccounted for.
    assert figure(Metric.BOOKED) == 2
    assert figure(Metric.CANCELLED, day=timezone.localdate(), center_id=stocked.pk) == 2
    check(*Metric)
