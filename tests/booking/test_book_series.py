"""Booking both doses through the pages: both or neither, once, within capacity."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation

from booking.models import Appointment, Series
from centers.models import Slot
from tests import factories
from tests.journeys import (
    add_person_via_page,
    book_via_page,
    form_token,
    sent_messages,
    shown_times,
    time_page,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(verified_client, open_for_80, center):
    add_person_via_page(verified_client)
    return verified_client.get(reverse("booking:people")).context["members"][0][0]


@pytest.fixture
def pair(center, vaccine):
    return factories.make_bookable_pair(center, vaccine)


def test_booking_takes_both_doses_and_shows_the_booking_code(verified_client, person, pair):
    first, second = pair
    response = book_via_page(verified_client, person, first)
    series = Series.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:confirmation", args=[series.booking_code])
    assert [(a.dose, a.slot_id) for a in series.appointments.all()] == [
        (1, first.pk),
        (2, second.pk),
    ]
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.booked, second.booked) == (1, 1)

    page = verified_client.get(response["Location"]).content.decode()
    assert series.booking_code in page
    assert "Personalausweis" in page


def test_the_confirmation_page_shows_both_appointments_in_two_queries(
    verified_client, person, pair
):
    response = book_via_page(verified_client, person, pair[0])
    with CaptureQueriesContext(connection) as queries:
        page = verified_client.get(response["Location"])
    # The series (by its code and the verified number) and its appointments.
    assert len(queries) == 2, [query["sql"] for query in queries]
    assert [appointment.dose for appointment in page.context["appointments"]] == [1, 2]
    assert page.context["series"].person == person


def test_the_confirmation_text_message_is_queued_with_the_booking(verified_client, person, pair):
    book_via_page(verified_client, person, pair[0])
    series = Series.objects.get()
    [message] = [m for m in sent_messages(verified_client.phone) if "gebucht" in m.body]
    assert series.booking_code in message.body


def test_the_second_dose_is_the_seat_reserved_for_the_first_not_another_free_one(
    verified_client, person, center, vaccine
):
    day = factories.days_ahead(4)
    first = factories.make_slot(center, vaccine, factories.local_datetime(day, 14))
    # A first-dose time on the day of the second dose: its seats are not for this series.
    interval_day = day + timedelta(days=vaccine.second_dose_interval_days)
    other = factories.make_slot(center, vaccine, factories.local_datetime(interval_day, 14))
    book_via_page(verified_client, person, first)
    second = Appointment.objects.get(dose=2).slot
    assert second == first.second_dose_slot
    assert second.dose == Slot.Dose.SECOND
    other.refresh_from_db()
    assert other.booked == 0


def test_a_time_whose_second_dose_is_taken_is_not_offered_and_books_nothing(
    verified_client, person, center, vaccine
):
    day = factories.days_ahead(5)
    first = factories.make_slot(center, vaccine, factories.local_datetime(day, 10), second_booked=2)
    assert shown_times(verified_client.get(time_page(person, first))) == []
    response = book_via_page(verified_client, person, first)
    assert response.status_code == 200
    assert "nicht mehr frei" in response.content.decode()
    assert not Series.objects.exists()
    assert list(Slot.objects.order_by("dose").values_list("booked", flat=True)) == [0, 2]
    assert not [m for m in sent_messages() if "gebucht" in m.body]


def test_each_time_names_its_vaccine_and_when_its_second_dose_is(
    verified_client, person, center, vaccine
):
    moderna = factories.make_vaccine("Moderna", 28)
    factories.open_group(vaccines=[moderna])
    first, second = factories.make_bookable_pair(center, vaccine, hour=9)
    _, moderna_second = factories.make_bookable_pair(
        center, moderna, day=first.starts_at.date(), hour=11
    )
    content = " ".join(verified_client.get(time_page(person, first)).content.decode().split())
    # The seat reserved for each time, which the booking takes.
    assert f"09:00 Uhr \N{EN DASH} BioNTech {second_dose_hint(second)}" in content
    assert f"11:00 Uhr \N{EN DASH} Moderna {second_dose_hint(moderna_second)}" in content
    assert "etwa" not in content


def second_dose_hint(slot: Slot) -> str:
    local = timezone.localtime(slot.starts_at)
    with translation.override("de"):
        day = formats.date_format(local.date(), "WEEKDAY_DATE_FORMAT")  # Montag, 1. März 2027
    return f'<span class="kern-hint">2. Impfung am {day} um {local:%H:%M} Uhr'


def test_a_double_submission_books_once(verified_client, person, pair):
    url = time_page(person, pair[0])
    token = form_token(verified_client.get(url))
    first_try = verified_client.post(url, {"slot": pair[0].pk, "token": token})
    second_try = verified_client.post(url, {"slot": pair[0].pk, "token": token})
    assert Series.objects.count() == 1
    assert first_try["Location"] == second_try["Location"]
    pair[0].refresh_from_db()
    assert pair[0].booked == 1


def test_a_person_cannot_hold_two_series(verified_client, person, pair, center, vaccine):
    book_via_page(verified_client, person, pair[0])
    other_first, _ = factories.make_bookable_pair(center, vaccine, day=factories.days_ahead(6))
    response = book_via_page(verified_client, person, other_first)
    assert Series.objects.filter(status=Series.Status.ACTIVE).count() == 1
    assert "hat schon einen Termin" in response.content.decode()
    other_first.refresh_from_db()
    assert other_first.booked == 0


def test_a_slot_taken_meanwhile_gets_a_message_and_the_times_still_free(
    verified_client, person, center, vaccine
):
    first, _ = factories.make_bookable_pair(center, vaccine, capacity=1)
    later, _ = factories.make_bookable_pair(center, vaccine, day=first.starts_at.date(), hour=11)
    url = time_page(person, first)
    token = form_token(verified_client.get(url))
    Slot.objects.filter(pk=first.pk).update(booked=1)  # someone else was faster
    response = verified_client.post(url, {"slot": first.pk, "token": token})
    content = response.content.decode()
    assert response.status_code == 200
    assert "nicht mehr frei" in content
    assert f'value="{later.pk}"' in content
    assert f'value="{first.pk}"' not in content
    assert not Series.objects.exists()


def test_when_the_day_is_full_the_next_free_times_are_offered(
    verified_client, person, center, vaccine
):
    full, _ = factories.make_bookable_pair(center, vaccine, capacity=1)
    next_day, _ = factories.make_bookable_pair(center, vaccine, day=factories.days_ahead(8))
    url = time_page(person, full)
    token = form_token(verified_client.get(url))
    Slot.objects.filter(pk=full.pk).update(booked=1)
    response = verified_client.post(url, {"slot": full.pk, "token": token})
    content = response.content.decode()
    assert "An diesem Tag sind keine Termine mehr frei" in content
    assert time_page(person, next_day) in content


@pytest.mark.parametrize("token", ["", "not-a-uuid"])
def test_a_stale_form_without_a_valid_token_books_nothing(verified_client, person, pair, token):
    url = time_page(person, pair[0])
    response = verified_client.post(url, {"slot": pair[0].pk, "token": token})
    assert response.status_code == 200
    assert "nicht mehr aktuell" in response.content.decode()
    assert not Series.objects.exists()


def test_a_slot_of_another_center_cannot_be_posted(verified_client, person, pair, vaccine):
    elsewhere = factories.make_center("Impfzentrum Celle", town="Celle", postal_code="29221")
    foreign, _ = factories.make_bookable_pair(elsewhere, vaccine)
    url = time_page(person, pair[0])
    token = form_token(verified_client.get(url))
    response = verified_client.post(url, {"slot": foreign.pk, "token": token})
    assert response.status_code == 200
    assert not Series.objects.exists()


@pytest.mark.parametrize(
    ("slot", "message"),
    [
        ("", "Bitte wählen Sie eine Uhrzeit"),
        ("zehn Uhr", "nicht mehr frei"),
        ("-1", "nicht mehr frei"),
        ("9" * 25, "nicht mehr frei"),  # beyond the database's integers
        ("9" * 5000, "nicht mehr frei"),  # beyond what Python reads as a number
    ],
)
def test_a_posted_time_that_is_no_slot_gets_a_message_and_the_free_times(
    verified_client, person, pair, slot, message
):
    url = time_page(person, pair[0])
    token = form_token(verified_client.get(url))
    response = verified_client.post(url, {"slot": slot, "token": token})
    content = response.content.decode()
    assert response.status_code == 200
    assert message in content
    assert f'value="{pair[0].pk}"' in content
    assert not Series.objects.exists()


def test_a_vaccine_not_open_to_the_person_cannot_be_booked(verified_client, person, center):
    astra = factories.make_vaccine("AstraZeneca", 84)
    first, _ = factories.make_bookable_pair(center, astra)
    response = book_via_page(verified_client, person, first)
    assert response.status_code == 200
    assert not Series.objects.exists()


def test_the_booking_pages_need_a_verified_number(client, center, vaccine, open_for_80):
    person = factories.make_person()
    first, _ = factories.make_bookable_pair(center, vaccine)
    for url in [
        reverse("booking:choose_center", args=[person.pk]),
        reverse("booking:choose_day", args=[person.pk, center.slug]),
        time_page(person, first),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("sms:phone")
    response = client.post(time_page(person, first), {"slot": first.pk, "token": "x"})
    assert response.status_code == 302
    assert not Series.objects.exists()


def test_nobody_can_book_for_a_person_of_another_number(
    verified_client, center, vaccine, open_for_80
):
    stranger = factories.make_person()
    first, _ = factories.make_bookable_pair(center, vaccine)
    url = time_page(stranger, first)
    assert verified_client.get(url).status_code == 404
    response = verified_client.post(
        url, {"slot": first.pk, "token": "2f1e7b2c-3a4d-4e5f-8a9b-0c1d2e3f4a5b"}
    )
    assert response.status_code == 404
    assert not Series.objects.exists()


def test_the_center_page_suggests_the_center_of_the_persons_district(
    verified_client, person, pair, vaccine
):
    elsewhere = factories.make_center(
        "Impfzentrum Celle",
        district=factories.make_district("Landkreis Celle"),
        town="Celle",
        postal_code="29221",
    )
    factories.make_bookable_pair(elsewhere, vaccine)
    response = verified_client.get(reverse("booking:choose_center", args=[person.pk]))
    assert [c.name for c in response.context["suggested"]] == ["Impfzentrum Hannover"]
    assert [c.name for c in response.context["available"]] == ["Impfzentrum Celle"]


def test_the_day_page_lists_free_days_with_free_seats(verified_client, person, center, vaccine):
    first, _ = factories.make_bookable_pair(center, vaccine, capacity=3, second_capacity=3)
    response = verified_client.get(reverse("booking:choose_day", args=[person.pk, center.slug]))
    assert response.context["days"][0] == (first.starts_at.date(), 3)


def test_the_day_page_counts_only_first_doses_whose_second_dose_is_free(
    verified_client, person, center, vaccine
):
    first, second = factories.make_bookable_pair(center, vaccine, capacity=3, second_capacity=3)
    second.booked = 2  # e.g. second doses moved here from a cancelled day
    second.save(update_fields=["booked"])
    response = verified_client.get(reverse("booking:choose_day", args=[person.pk, center.slug]))
    days = dict(response.context["days"])
    assert days[first.starts_at.date()] == 1
    # The reserved second-dose seats are never shown as a day of their own.
    assert second.starts_at.date() not in days


def test_an_invalid_day_in_the_address_is_not_found(verified_client, person, center):
    url = reverse("booking:choose_time", args=[person.pk, center.slug, "2021-02-30"])
    assert verified_client.get(url).status_code == 404


def test_a_slot_in_the_past_cannot_be_booked(verified_client, person, center, vaccine):
    yesterday = factories.days_ahead(-1)
    past = factories.make_slot(center, vaccine, factories.local_datetime(yesterday, 10))
    url = reverse("booking:choose_time", args=[person.pk, center.slug, yesterday.isoformat()])
    response = verified_client.post(
        url, {"slot": past.pk, "token": "2f1e7b2c-3a4d-4e5f-8a9b-0c1d2e3f4a5b"}
    )
    assert response.status_code == 200
    assert not Series.objects.exists()


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("de", "Diese Uhrzeit ist nicht mehr frei."),
        ("en", "This time is no longer available."),
    ],
)
def test_a_second_dose_seat_posted_as_a_first_dose_is_refused_like_a_taken_time(
    verified_client, person, pair, language, message
):
    _first, second = pair
    if language == "en":
        verified_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    # The day of the reserved second doses offers no time at all...
    page = verified_client.get(time_page(person, second))
    assert shown_times(page) == []
    # ...and a forged post of the reserved seat's id books nothing.
    token = str(uuid.uuid4())
    response = verified_client.post(time_page(person, second), {"slot": second.pk, "token": token})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Series.objects.exists()
    second.refresh_from_db()
    assert second.booked == 0


@pytest.mark.parametrize("language", ["de", "en"])
def test_every_page_counts_the_same_free_appointments(
    verified_client, person, center, vaccine, language
):
    """Day page, time page, start page and availability JSON agree on what is free."""
    first, second = factories.make_bookable_pair(center, vaccine, capacity=3, second_capacity=3)
    Slot.objects.filter(pk=second.pk).update(booked=3)  # all second doses taken
    later, _ = factories.make_bookable_pair(
        center, vaccine, day=factories.days_ahead(5), capacity=2, second_capacity=1
    )
    if language == "en":
        verified_client.post(reverse("set_language"), {"language": "en", "next": "/"})
    days = dict(
        verified_client.get(reverse("booking:choose_day", args=[person.pk, center.slug])).context[
            "days"
        ]
    )
    assert days == {later.starts_at.date(): 1}
    assert shown_times(verified_client.get(time_page(person, first))) == []
    assert shown_times(verified_client.get(time_page(person, later))) == [later.pk]
    availability = verified_client.get(
        reverse("stats:center_availability_json", args=[center.slug])
    ).json()
    assert availability["next_free_day"] == later.starts_at.date().isoformat()
    start_page = verified_client.get("/", {"q": center.town})
    [listed] = [
        member
        for _district, members in start_page.context["districts"]
        for member in members
        if member.pk == center.pk
    ]
    assert listed.next_free_at == later.starts_at
