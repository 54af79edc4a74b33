"""Step order and replays (ASVS 5.0 V2.3): no booking page without a verified
number and the earlier steps, every form needs its CSRF token, and posting an
old form again changes nothing.

Covered elsewhere: a second post of the same time form books once
(tests/booking/test_book_series.py::test_a_double_submission_books_once), a
form without a valid token books nothing (…::test_a_stale_form_without_a_valid_token_books_nothing),
cancelling twice (tests/booking/test_cancel_booking.py), cancelling needs a
fresh code (…::test_cancelling_needs_a_fresh_code).
"""

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from booking.models import Appointment, Person, Series
from centers.models import Slot
from sms.models import PhoneVerification
from tests import factories
from tests.journeys import german, latest_code, person_data, time_page

pytestmark = pytest.mark.django_db


def state() -> tuple:
    return (
        Person.objects.count(),
        list(Series.objects.values_list("pk", "status").order_by("pk")),
        Appointment.objects.count(),
        list(Slot.objects.values_list("pk", "booked").order_by("pk")),
        list(PhoneVerification.objects.values_list("pk", "wrong_tries", "used_at").order_by("pk")),
    )


def booking_posts(resident_a, slots):
    """Every booking form, with what a real post would send."""
    person, series = resident_a.person, resident_a.series
    return [
        (reverse("booking:people"), person_data(first_name="Dora")),
        (time_page(person, slots[0]), {"slot": slots[0].pk, "token": str(series.request_token)}),
        (reverse("booking:cancel", args=[series.booking_code]), {"reason": "illness"}),
    ]


@pytest.mark.parametrize("stage", ["never verified", "code requested, not entered"])
def test_no_booking_page_answers_before_verification(resident_a, slots, stage):
    stranger = Client()
    if stage != "never verified":
        stranger.post(reverse("sms:phone"), {"phone": resident_a.phone})
    person, series = resident_a.person, resident_a.series
    pages = [
        reverse("booking:people"),
        reverse("booking:choose_center", args=[person.pk]),
        reverse("booking:choose_day", args=[person.pk, slots[0].center.slug]),
        time_page(person, slots[0]),
        reverse("booking:confirmation", args=[series.booking_code]),
        reverse("booking:my_appointments"),
        reverse("booking:cancel", args=[series.booking_code]),
    ]
    for url in pages:
        assert stranger.get(url)["Location"] == reverse("sms:phone"), url
    before = state()
    for url, data in booking_posts(resident_a, slots):
        assert stranger.post(url, data)["Location"] == reverse("sms:phone"), url
    assert state() == before


def test_the_time_page_needs_a_person_who_may_book(verified_client, center, vaccine):
    # No group is open: the person exists but the booking steps stay closed.
    verified_client.post(reverse("booking:people"), person_data())
    person = Person.objects.get()
    first, _second = factories.make_bookable_pair(center, vaccine)
    before = state()
    response = verified_client.post(
        time_page(person, first), {"slot": first.pk, "token": str(uuid.uuid4())}
    )
    assert response.status_code == 200
    assert not Series.objects.exists()
    assert state() == before
    response = verified_client.get(reverse("booking:choose_center", args=[person.pk]))
    assert response["Location"] == reverse("booking:people")


def test_a_person_form_sent_twice_adds_the_person_once(verified_client):
    verified_client.post(reverse("booking:people"), person_data())
    response = verified_client.post(reverse("booking:people"), person_data())
    assert Person.objects.count() == 1
    assert german("This person has already been added.") in response.content.decode()


def test_the_code_form_sent_again_after_success_verifies_nothing_new(client, phone):
    client.post(reverse("sms:phone"), {"phone": phone})
    code = latest_code(phone)
    client.post(reverse("sms:code"), {"code": code})
    client.post(reverse("sms:logout"))
    before = state()
    # The browser's history still holds the code page; sending it again does nothing.
    response = client.post(reverse("sms:code"), {"code": code})
    assert response["Location"] == reverse("sms:phone")
    assert "verified_phone" not in client.session
    assert state() == before


def test_forms_sent_again_after_logout_change_nothing(resident_a, slots):
    resident_a.post(reverse("sms:logout"))
    before = state()
    for url, data in booking_posts(resident_a, slots):
        assert resident_a.post(url, data)["Location"] == reverse("sms:phone"), url
    assert state() == before


def test_every_form_needs_its_csrf_token(resident_a, slots, phone):
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = resident_a.cookies
    posts = [
        (reverse("sms:phone"), {"phone": phone}),
        (reverse("sms:code"), {"code": "123456"}),
        (reverse("sms:resend"), {}),
        (reverse("sms:logout"), {}),
        (reverse("set_language"), {"language": "en"}),
        *booking_posts(resident_a, slots),
    ]
    before = state()
    for url, data in posts:
        response = strict.post(url, data)
        assert response.status_code == 403, url
        assert german("Please reload the page") in response.content.decode()
    assert state() == before
    assert resident_a.get(reverse("booking:people")).status_code == 200  # still logged in


def test_a_form_with_its_token_is_accepted(client, phone):
    strict = Client(enforce_csrf_checks=True)
    page = strict.get(reverse("sms:phone"))
    token = page.context["csrf_token"]
    response = strict.post(reverse("sms:phone"), {"phone": phone, "csrfmiddlewaretoken": token})
    assert response.status_code == 302
