"""A day the center cancels takes back the waiting-list offers holding a seat in it."""

from datetime import timedelta

import pytest
from django.db.models import Q
from django.urls import reverse

from booking.services import cancel_series
from booking.staff import cancel_day, day_bounds
from centers.models import Slot
from sms.models import Message
from tests import factories
from tests.journeys import german
from tests.staff.conftest import logged_in, make_staff
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


def test_an_offer_in_a_cancelled_day_is_withdrawn_and_its_second_dose_goes_with_the_day(
    staff, center, vaccine, open_for_80
):
    day = factories.days_ahead(3)
    first, second = factories.make_bookable_pair(
        center, vaccine, day=day, capacity=1, second_capacity=1
    )
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
    # The second-dose seat the offer held is never passed on as a first dose: it
    # was reserved for the day's first dose and is withdrawn with it.
    second.refresh_from_db()
    assert (second.capacity, second.booked, second.withdrawn) == (0, 0, 1)
    assert open_offer_of(otto) is None
    assert open_offer_of(ilse) is None
    assert hans.appointments.filter(status="booked").count() == 0
    assert_day_closed(center, day)


def test_the_second_dose_seat_is_withdrawn_with_its_first_dose(staff, center, vaccine, open_for_80):
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
    assert (second.capacity, second.booked, second.withdrawn) == (0, 0, 1)
    assert not Slot.objects.bookable().exists()
    assert_day_closed(center, day)


def test_an_offer_whose_second_dose_falls_on_the_cancelled_day_frees_no_unbookable_first_dose(
    staff, center, vaccine, open_for_80
):
    """The first-dose seat of an offer whose reserved second dose is on the cancelled
    day cannot be booked any more: it is neither offered nor shown, but withdrawn."""
    day = factories.days_ahead(3)
    second_day = day + timedelta(days=vaccine.second_dose_interval_days)
    first, second = factories.make_bookable_pair(
        center, vaccine, day=day, capacity=1, second_capacity=1
    )
    gerd = book(factories.make_person(first_name="Gerd"), first)
    ilse = make_entry(factories.make_person(first_name="Ilse"), center=center)
    offer = offer_to(ilse, freeing=gerd)
    assert offer.second_slot == second
    otto = make_entry(factories.make_person(first_name="Otto"), center=center)

    cancel_day(center=center, day=second_day, by=staff)

    offer.refresh_from_db()
    assert offer.status == Offer.Status.WITHDRAWN
    assert open_offer_of(otto) is None
    second.refresh_from_db()
    assert second.capacity == second.booked == 0
    first.refresh_from_db()
    assert (first.capacity, first.booked, first.withdrawn) == (0, 0, 1)
    assert not Slot.objects.bookable().exists()
    assert_day_closed(center, second_day)


def held_day(center, vaccine):
    """A day with one appointment whose cancellation put an open offer to Ilse."""
    day = factories.days_ahead(3)
    first, _second = factories.make_bookable_pair(
        center, vaccine, day=day, capacity=1, second_capacity=1
    )
    gerd = book(factories.make_person(first_name="Gerd"), first)
    ilse = make_entry(factories.make_person(first_name="Ilse"), center=center)
    offer = offer_to(ilse, freeing=gerd)
    return day, ilse, offer


def test_the_preview_counts_the_offers_it_withdraws(staff, center, vaccine, open_for_80):
    day, _ilse, offer = held_day(center, vaccine)

    response = logged_in(staff).post(
        reverse("admin:booking_appointment_cancel_day"),
        {"center": center.pk, "day": day.isoformat()},
    )

    assert response.context["stage"] == "preview"
    summary = german(
        "%(count)d waiting-list offer holds a seat this day. It will be withdrawn; "
        "the person is told by SMS and is offered a remaining free appointment first.",
        "%(count)d waiting-list offers hold seats this day. They will be withdrawn; "
        "each person is told by SMS and is offered a remaining free appointment first.",
        count=1,
    )
    assert summary in response.content.decode()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.OPEN


def test_the_person_whose_offer_is_withdrawn_gets_an_sms_in_german(
    staff, center, vaccine, open_for_80
):
    day, ilse, offer = held_day(center, vaccine)
    phone = ilse.person.household.phone

    cancel_day(center=center, day=day, by=staff)

    withdrawn = Message.objects.get(idempotency_key=f"offer-withdrawn:{offer.pk}")
    assert withdrawn.recipient == phone
    assert "Das Angebot gilt nicht mehr" in withdrawn.body
    assert "Ilse" in withdrawn.body


def test_the_withdrawn_person_is_offered_a_remaining_seat_ahead_of_others(
    staff, center, vaccine, open_for_80
):
    day, ilse, offer = held_day(center, vaccine)
    # Otto is first in line (higher priority, joined earlier), but was never
    # promised a seat; the free pair on another day was not offered to anyone yet.
    otto = make_entry(
        factories.make_person(first_name="Otto"),
        center=center,
        rank=0,
        joined_at=ilse.joined_at - timedelta(days=1),
    )
    other_first, _ = factories.make_bookable_pair(
        center, vaccine, day=day + timedelta(days=1), capacity=1, second_capacity=1
    )

    cancel_day(center=center, day=day, by=staff)

    again = open_offer_of(ilse)
    assert again is not None
    assert again.first_slot == other_first
    assert open_offer_of(otto) is None
    withdrawn = Message.objects.get(idempotency_key=f"offer-withdrawn:{offer.pk}")
    # The withdrawal goes out before the new offer.
    assert again.message_id is not None
    assert withdrawn.pk < again.message_id
    assert_day_closed(center, day)


def cancel_through_the_admin(staff, center, day):
    """Confirm the cancellation on the staff page; returns the page it leads to."""
    return logged_in(staff).post(
        reverse("admin:booking_appointment_cancel_day"),
        {"center": center.pk, "day": day.isoformat(), "confirm": "1"},
        follow=True,
    )


def shown_messages(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def withdrawn_sentence(count: int, renewed: int) -> str:
    """The result's sentence on withdrawn offers, as a German page shows it."""
    withdrawn = german(
        "%(count)d waiting-list offer for this day has been withdrawn; the person has been "
        "told by SMS.",
        "%(count)d waiting-list offers for this day have been withdrawn; each person has been "
        "told by SMS.",
        count=count,
    )
    if renewed == count:
        renewal = german(
            "The person was offered another free appointment straight away.",
            "Each was offered another free appointment straight away.",
            count=count,
        )
    elif renewed == 0:
        renewal = german(
            "No other suitable appointment is free; the person waits first in line.",
            "No other suitable appointments are free; they wait first in line.",
            count=count,
        )
    else:
        renewal = german(
            "%(renewed)d of them was offered another free appointment straight away; the others "
            "wait first in line.",
            "%(renewed)d of them were offered another free appointment straight away; the others "
            "wait first in line.",
            count=renewed,
            renewed=renewed,
        )
    return f"{withdrawn} {renewal}"


def test_the_result_says_how_many_offers_were_withdrawn(staff, center, vaccine, open_for_80):
    day, ilse, offer = held_day(center, vaccine)

    response = cancel_through_the_admin(staff, center, day)

    offer.refresh_from_db()
    assert offer.status == Offer.Status.WITHDRAWN
    assert open_offer_of(ilse) is None  # no other seat is free
    assert withdrawn_sentence(1, 0) in shown_messages(response)


def test_the_result_says_who_was_offered_a_remaining_seat(staff, center, vaccine, open_for_80):
    day, ilse, _offer = held_day(center, vaccine)
    # Two withdrawn offers, one free pair left: one person is served again at once.
    first, _ = factories.make_bookable_pair(
        center, vaccine, day=day, hour=11, capacity=1, second_capacity=1
    )
    hans = book(factories.make_person(first_name="Hans"), first)
    otto = make_entry(factories.make_person(first_name="Otto"), center=center)
    offer_to(otto, freeing=hans)
    factories.make_bookable_pair(
        center, vaccine, day=day + timedelta(days=1), capacity=1, second_capacity=1
    )

    response = cancel_through_the_admin(staff, center, day)

    assert [open_offer_of(ilse) is not None, open_offer_of(otto) is not None].count(True) == 1
    assert withdrawn_sentence(2, 1) in shown_messages(response)
    assert_day_closed(center, day)


def test_the_service_reports_the_withdrawn_and_renewed_offers(staff, center, vaccine, open_for_80):
    day, ilse, _offer = held_day(center, vaccine)
    factories.make_bookable_pair(
        center, vaccine, day=day + timedelta(days=1), capacity=1, second_capacity=1
    )

    done = cancel_day(center=center, day=day, by=staff)

    assert (done.offers, done.offers_renewed) == (1, 1)
    assert open_offer_of(ilse) is not None
    assert withdrawn_sentence(1, 1).endswith(
        german(
            "The person was offered another free appointment straight away.",
            "Each was offered another free appointment straight away.",
            count=1,
        )
    )


def test_a_day_without_offers_says_nothing_about_them(staff, center, vaccine, open_for_80):
    day = factories.days_ahead(3)
    first, _ = factories.make_bookable_pair(center, vaccine, day=day, capacity=1)
    book(factories.make_person(first_name="Gerd"), first)

    response = cancel_through_the_admin(staff, center, day)

    assert shown_messages(response) == [
        german(
            "Day cancelled: %(count)d person has been told by SMS.",
            "Day cancelled: %(count)d people have been told by SMS.",
            count=1,
        )
    ]
