"""Cancelling with the phone number and a fresh code: both doses, seats freed."""

import time

import pytest
from django.urls import reverse

from booking.models import Appointment, Series
from booking.services import cancel_series
from centers.models import Slot
from centers.signals import seats_freed
from centers.stock import stock_for
from tests import factories
from tests.journeys import add_person_via_page, book_via_page, sent_messages, verify
from tests.staff.helpers import book, earlier_today

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(verified_client, open_for_80, center, vaccine):
    add_person_via_page(verified_client)
    person = verified_client.get(reverse("booking:people")).context["members"][0][0]
    first, second = factories.make_bookable_pair(center, vaccine)
    book_via_page(verified_client, person, first)
    return Series.objects.get(), first, second


def test_cancelling_frees_both_seats_and_records_the_reason(verified_client, booked):
    series, first, second = booked
    response = verified_client.post(
        reverse("booking:cancel", args=[series.booking_code]), {"reason": "elsewhere"}
    )
    assert response.status_code == 302
    series.refresh_from_db()
    assert series.status == Series.Status.CANCELLED
    assert series.cancel_reason == "elsewhere"
    assert set(series.appointments.values_list("status", flat=True)) == {
        Appointment.Status.CANCELLED
    }
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.booked, second.booked) == (0, 0)
    assert any("storniert" in m.body for m in sent_messages(verified_client.phone))


def test_the_reason_is_optional(verified_client, booked):
    series, *_ = booked
    verified_client.post(reverse("booking:cancel", args=[series.booking_code]), {})
    series.refresh_from_db()
    assert series.status == Series.Status.CANCELLED
    assert series.cancel_reason == ""


def test_the_freed_seats_are_handed_to_the_waiting_list_hook(verified_client, booked):
    series, first, second = booked
    received = []

    def receiver(sender, slot_ids, **kwargs):
        received.append(slot_ids)

    seats_freed.connect(receiver)
    try:
        verified_client.post(reverse("booking:cancel", args=[series.booking_code]))
    finally:
        seats_freed.disconnect(receiver)
    assert received == [[first.pk, second.pk]]


def test_cancelling_twice_changes_nothing_the_second_time(verified_client, booked):
    series, first, _ = booked
    url = reverse("booking:cancel", args=[series.booking_code])
    verified_client.post(url)
    response = verified_client.post(url, follow=True)
    assert "schon storniert" in response.content.decode()
    first.refresh_from_db()
    assert first.booked == 0


def test_the_overview_lists_the_appointments_of_the_number(verified_client, booked):
    series, *_ = booked
    response = verified_client.get(reverse("booking:my_appointments"))
    assert series.booking_code in response.content.decode()


def test_cancelling_needs_a_fresh_code(verified_client, booked, settings):
    series, *_ = booked
    session = verified_client.session
    session["verified_at"] = int(time.time()) - settings.CANCEL_VERIFICATION_MAX_AGE_SECONDS - 1
    session.save()
    response = verified_client.post(reverse("booking:cancel", args=[series.booking_code]))
    assert response.status_code == 302
    assert response["Location"] == reverse("sms:phone")
    series.refresh_from_db()
    assert series.is_active

    settings.VERIFICATION_RESEND_SECONDS = 0
    response = verify(verified_client, verified_client.phone)
    assert response["Location"] == reverse("booking:my_appointments")


def test_another_number_cannot_see_or_cancel_the_appointments(client, booked):
    series, *_ = booked
    verify(client, factories.unique_mobile())
    url = reverse("booking:cancel", args=[series.booking_code])
    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert (
        series.booking_code not in client.get(reverse("booking:my_appointments")).content.decode()
    )
    series.refresh_from_db()
    assert series.is_active


def test_after_cancelling_the_person_can_book_again(verified_client, booked, center, vaccine):
    series, *_ = booked
    verified_client.post(reverse("booking:cancel", args=[series.booking_code]))
    first, _ = factories.make_bookable_pair(center, vaccine, day=factories.days_ahead(9))
    response = book_via_page(verified_client, series.person, first)
    assert response.status_code == 302
    assert Series.objects.filter(status=Series.Status.ACTIVE).count() == 1


def test_cancelling_after_the_first_time_began_gives_its_seat_and_dose_back(
    center, vaccine, open_for_80
):
    """Found by the seat state machine: a seat of a begun slot stayed taken by
    nobody, and its dose stayed counted as used."""
    factories.make_delivery(center, vaccine, doses=100)
    [series] = book(center, vaccine, at=earlier_today())
    used_before = stock_for(center_id=center.pk, vaccine_id=vaccine.pk).used
    cancel_series(household=series.person.household, booking_code=series.booking_code)
    first, second = (a.slot for a in series.appointments.order_by("dose"))
    assert Slot.objects.get(pk=first.pk).booked == 0
    assert Slot.objects.get(pk=second.pk).booked == 0
    assert stock_for(center_id=center.pk, vaccine_id=vaccine.pk).used == used_before - 1
