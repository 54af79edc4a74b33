"""A day the center cancels takes back the waiting-list offers holding a seat in it."""

from datetime import timedelta

import pytest
from django.db.models import Q

from booking.services import cancel_series
from booking.staff import cancel_day, day_bounds
from centers.models import Slot
from tests import factories
from tests.staff.conftest import make_staff
from tests.waitlist.helpers import (
    book,
    make_entry,
    offer_problems,
    open_offer_of,
    seat_problems,
)
from waitlist.models import Entry, Offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(center):
    return make_staff("staff-hannover", center)


def slot_at(center, vaccine, day, hour, capacity):
    return factories.make_slot(
        center, vaccine, factories.local_datetime(day, hour), capacity=capacity
    )


def offer_to(entry, *, freeing):
    """Cancel ``freeing``'s booking so that its seats are offered to ``entry``."""
    cancel_series(household=freeing.person.household, booking_code=freeing.booking_code)
    offer = open_offer_of(entry)
    assert offer is not None
    return offer


def slots_of_day(center, day):
    start, end = day_bounds(day)
    return Slot.objects.filter(center=center, starts_at__gte=start, starts_at__lt=end)


def offers_in_day(center, day):
    start, end = day_bounds(day)
    return Offer.objects.filter(status=Offer.Status.OPEN).filter(
        Q(first_slot__center=center, first_slot__starts_at__range=(start, end))
        | Q(second_slot__center=center, second_slot__starts_at__range=(start, end))
    )


def assert_day_closed(center, day):
    """No free seat in the day, and no seat of it held by an offer."""
    for slot in slots_of_day(center, day):
        assert slot.capacity == slot.booked, slot
    assert not offers_in_day(center, day).exists()
    assert seat_problems() == []
    assert offer_problems() == []


def test_an_offer_in_a_cancelled_day_is_withdrawn_and_its_second_dose_passed_on(
    staff, center, vaccine, open_for_80
):
    day = factories.days_ahead(3)
    first = slot_at(center, vaccine, day, 10, capacity=1)
    second = slot_at(center, vaccine, day + timedelta(days=21), 10, capacity=1)
    # A later second dose, so that the offer's second-dose seat can be passed on.
    slot_at(center, vaccine, day + timedelta(days=42), 10, capacity=1)
    gerd = book(factories.make_person(first_name="Gerd"), first)
    other_first, _other_second = factories.make_bookable_pair(
        center, vaccine, day=day, hour=11, capacity=1, second_capacity=1
    )
    hans = book(factories.make_person(first_name="Hans"), other_first)
    ilse = make_entry(factories.make_person(first_name="Ilse"), center=center)
    offer = offer_to(ilse, freeing=gerd)
    assert (offer.first_slot, offer.second_slot) == (first, second)
    otto = make_entry(factories.make_person(first_name="Otto"), center=center)

    cancel_day(center=center, day=day, by=staff)

    offer.refresh_from_db()
    assert offer.status == Offer.Status.WITHDRAWN
    ilse.refresh_from_db()
    assert (ilse.status, ilse.missed_offers) == (Entry.Status.WAITING, 0)
    first.refresh_from_db()
    assert first.capacity == first.booked == 0
    # The second-dose seat the offer held went on to the next in line, as a first dose.
    passed_on = open_offer_of(otto)
    assert passed_on is not None
    assert passed_on.first_slot == second
    assert open_offer_of(ilse) is None  # the only other seat went to Otto
    assert hans.appointments.filter(status="booked").count() == 0
    assert_day_closed(center, day)


def test_the_second_dose_seat_is_returned_when_nobody_else_waits(
    staff, center, vaccine, open_for_80
):
    day = factories.days_ahead(3)
    first, second = factories.make_bookable_pair(
        center, vaccine, day=day, capacity=1, second_capacity=1
    )
    gerd = book(factories.make_person(first_name="Gerd"), first)
    ilse = make_entry(factories.make_person(first_name="Ilse"), center=center)
    offer = offer_to(ilse, freeing=gerd)

    cancel_day(center=center, day=day, by=staff)

    offer.refresh_from_db()
    assert offer.status == Offer.Status.WITHDRAWN
    assert Entry.objects.get(pk=ilse.pk).status == Entry.Status.WAITING
    second.refresh_from_db()
    assert (second.capacity, second.booked) == (1, 0)
    assert_day_closed(center, day)


def test_an_offer_whose_second_dose_falls_on_the_cancelled_day_passes_on_its_first_dose(
    staff, center, vaccine, open_for_80
):
    """The exchange, passing on the first-dose seat, must not find the cancelled day's
    seats free for the second dose (the day's capacity is shrunk before the offer
    lets go of them)."""
    day = factories.days_ahead(3)
    second_day = day + timedelta(days=vaccine.second_dose_interval_days)
    first = slot_at(center, vaccine, day, 10, capacity=1)
    second = slot_at(center, vaccine, second_day, 10, capacity=1)
    later = slot_at(center, vaccine, second_day + timedelta(days=1), 10, capacity=1)
    gerd = book(factories.make_person(first_name="Gerd"), first)
    ilse = make_entry(factories.make_person(first_name="Ilse"), center=center)
    offer = offer_to(ilse, freeing=gerd)
    assert offer.second_slot == second
    otto = make_entry(factories.make_person(first_name="Otto"), center=center)

    cancel_day(center=center, day=second_day, by=staff)

    offer.refresh_from_db()
    assert offer.status == Offer.Status.WITHDRAWN
    passed_on = open_offer_of(otto)
    assert passed_on is not None
    assert (passed_on.first_slot, passed_on.second_slot) == (first, later)
    second.refresh_from_db()
    assert second.capacity == second.booked == 0
    assert_day_closed(center, second_day)
