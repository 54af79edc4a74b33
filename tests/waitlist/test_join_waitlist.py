"""Joining, seeing, leaving and re-activating a waiting place through the pages."""

import time
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from booking.models import Person, VaccineOpening
from booking.services import household_for
from tests import factories
from tests.journeys import add_person_via_page, german, verify
from tests.waitlist.helpers import book, make_entry, open_offer_of
from waitlist.exchange import offer_free_seats
from waitlist.models import ALL_WEEKDAYS, Entry, Offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(verified_client, open_for_80, center):
    add_person_via_page(verified_client)
    return Person.objects.get(household__phone=verified_client.phone)


def join_district(client, person, **data):
    return client.post(
        reverse("waitlist:join_district", args=[person.pk]), {"time_of_day": "any", **data}
    )


def test_a_verified_resident_joins_the_waiting_list_of_their_district(
    verified_client, person, center, vaccine
):
    page = verified_client.get(reverse("waitlist:choose_scope", args=[person.pk]))
    assert page.status_code == 200
    assert page.context["district"] == center.district
    assert page.context["in_district"] == [center]

    response = join_district(verified_client, person)

    assert response.status_code == 302
    assert response["Location"] == reverse("waitlist:my_places")
    entry = Entry.objects.get(person=person)
    assert (entry.district, entry.center, entry.status) == (
        center.district,
        None,
        Entry.Status.WAITING,
    )
    assert entry.priority_rank == 1
    assert list(entry.vaccines.all()) == [vaccine]
    assert (entry.weekdays, entry.time_of_day) == (ALL_WEEKDAYS, Entry.TimeOfDay.ANY)
    places = verified_client.get(reverse("waitlist:my_places")).context["places"]
    assert [(place.entry, place.position) for place in places] == [(entry, 1)]


def test_preferences_for_days_and_times_are_kept(verified_client, person, center):
    response = verified_client.post(
        reverse("waitlist:join_center", args=[person.pk, center.slug]),
        {"weekdays": ["0", "2"], "time_of_day": "morning"},
    )
    assert response.status_code == 302
    entry = Entry.objects.get(person=person)
    assert entry.center == center
    assert entry.weekday_numbers == [0, 2]
    assert entry.time_of_day == Entry.TimeOfDay.MORNING
    assert not entry.suits(factories.local_datetime(date(2031, 3, 4), 10))  # a Tuesday
    assert entry.suits(factories.local_datetime(date(2031, 3, 5), 10))  # a Wednesday


def test_a_group_opened_only_for_the_waiting_list_may_join_it(verified_client, center):
    astrazeneca = factories.make_vaccine("AstraZeneca", 84)
    factories.open_group(
        "60 und älter",
        min_age=60,
        rank=3,
        vaccines=[astrazeneca],
        scope=VaccineOpening.Scope.WAITLIST,
    )
    add_person_via_page(verified_client, birth_year="1958")
    person = Person.objects.get(household__phone=verified_client.phone)
    people_page = verified_client.get(reverse("booking:people")).content.decode()
    assert reverse("waitlist:choose_scope", args=[person.pk]) in people_page

    join_district(verified_client, person)

    entry = Entry.objects.get(person=person)
    assert entry.priority_rank == 3
    assert list(entry.vaccines.all()) == [astrazeneca]


def test_someone_whose_group_is_not_open_cannot_join(verified_client, open_for_80, center):
    # In a group, or they could not be added (tests/booking/test_add_ineligible_person.py).
    factories.open_group("30 und älter", min_age=30, rank=5)
    add_person_via_page(verified_client, birth_year="1990")
    person = Person.objects.get(household__phone=verified_client.phone)
    page = verified_client.get(reverse("waitlist:choose_scope", args=[person.pk]))
    assert page.status_code == 302
    response = join_district(verified_client, person)
    assert response.status_code == 302
    assert not Entry.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"time_of_day": "sometimes"}, "time_of_day"),
        ({"time_of_day": ""}, "time_of_day"),
        ({"time_of_day": "any", "weekdays": ["9"]}, "weekdays"),
        ({"time_of_day": "any", "weekdays": ["Monday"]}, "weekdays"),
        ({"time_of_day": "any", "vaccines": []}, "vaccines"),
        ({"time_of_day": "any", "vaccines": ["999999"]}, "vaccines"),
    ],
)
def test_bad_preferences_are_explained_and_change_nothing(
    verified_client, person, center, vaccine, data, field
):
    factories.open_group(vaccines=[factories.make_vaccine("Moderna", 28)])  # two to choose from
    response = verified_client.post(
        reverse("waitlist:join_center", args=[person.pk, center.slug]), data
    )
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert german("Please check your entry") in response.content.decode()
    assert not Entry.objects.exists()


def test_with_two_vaccines_the_resident_may_narrow_them_down(verified_client, person, center):
    moderna = factories.make_vaccine("Moderna", 28)
    factories.open_group(vaccines=[moderna])
    page = verified_client.get(reverse("waitlist:join_center", args=[person.pk, center.slug]))
    assert page.context["form"].asks_vaccines
    verified_client.post(
        reverse("waitlist:join_center", args=[person.pk, center.slug]),
        {"time_of_day": "any", "vaccines": [str(moderna.pk)]},
    )
    assert list(Entry.objects.get(person=person).vaccines.all()) == [moderna]


def test_joining_twice_keeps_one_waiting_place(verified_client, person, center):
    join_district(verified_client, person)
    response = join_district(verified_client, person)
    assert response.status_code == 302
    assert Entry.objects.filter(person=person).count() == 1


def test_someone_with_an_appointment_is_not_put_on_the_list(
    verified_client, person, center, vaccine
):
    first, _ = factories.make_bookable_pair(center, vaccine)
    book(person, first)
    response = join_district(verified_client, person)
    assert response.status_code == 302
    assert not Entry.objects.exists()


def test_a_postal_code_without_district_offers_only_centers(verified_client, open_for_80, center):
    add_person_via_page(verified_client, postal_code="99999")
    person = Person.objects.get(household__phone=verified_client.phone)
    page = verified_client.get(reverse("waitlist:choose_scope", args=[person.pk]))
    assert page.context["district"] is None
    assert page.context["others"] == [center]
    assert join_district(verified_client, person).status_code == 404
    assert not Entry.objects.exists()


def test_nobody_reaches_another_households_people_or_places(person, center):
    entry = make_entry(person, center=center)
    client = Client()
    verify(client, factories.unique_mobile())
    assert client.get(reverse("waitlist:choose_scope", args=[person.pk])).status_code == 404
    assert join_district(client, person).status_code == 404
    assert client.get(reverse("waitlist:leave", args=[entry.pk])).status_code == 404
    assert client.post(reverse("waitlist:leave", args=[entry.pk])).status_code == 404
    assert client.post(reverse("waitlist:reactivate", args=[entry.pk])).status_code == 404
    assert client.get(reverse("waitlist:my_places")).context["places"] == []
    entry.refresh_from_db()
    assert entry.status == Entry.Status.WAITING


def test_the_pages_need_a_verified_number(person):
    client = Client()
    for url in (
        reverse("waitlist:my_places"),
        reverse("waitlist:choose_scope", args=[person.pk]),
        reverse("waitlist:join_district", args=[person.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("sms:phone")


def test_giving_up_a_waiting_place_needs_a_fresh_code(verified_client, person, center, settings):
    entry = make_entry(person, center=center)
    session = verified_client.session
    session["verified_at"] = int(time.time()) - settings.CANCEL_VERIFICATION_MAX_AGE_SECONDS - 1
    session.save()

    response = verified_client.post(reverse("waitlist:leave", args=[entry.pk]))
    assert response["Location"] == reverse("sms:phone")
    entry.refresh_from_db()
    assert entry.is_active

    settings.VERIFICATION_RESEND_SECONDS = 0
    assert verify(verified_client, verified_client.phone)["Location"] == reverse(
        "waitlist:my_places"
    )
    verified_client.post(reverse("waitlist:leave", args=[entry.pk]))
    entry.refresh_from_db()
    assert entry.status == Entry.Status.LEFT


def test_giving_up_while_an_offer_is_open_passes_the_offer_on(
    verified_client, person, center, vaccine
):
    entry = make_entry(person, center=center)
    nxt = make_entry(factories.make_person(first_name="Next"), center=center)
    first, _ = factories.make_bookable_pair(center, vaccine, capacity=1)
    offer_free_seats(slot_ids=[first.pk])
    offer = open_offer_of(entry)
    assert offer is not None

    leave_page = verified_client.get(reverse("waitlist:leave", args=[entry.pk]))
    assert leave_page.status_code == 200
    response = verified_client.post(reverse("waitlist:leave", args=[entry.pk]))

    assert response["Location"] == reverse("waitlist:my_places")
    offer.refresh_from_db()
    assert offer.status == Offer.Status.WITHDRAWN
    passed_on = open_offer_of(nxt)
    assert passed_on is not None
    assert passed_on.first_slot == first
    # Giving it up twice says so and changes nothing.
    again = verified_client.post(reverse("waitlist:leave", args=[entry.pk]), follow=True)
    assert german("This waiting place has already been given up.") in again.content.decode()


def test_the_appointments_page_leads_to_the_waiting_places(verified_client, person):
    page = verified_client.get(reverse("booking:my_appointments")).content.decode()
    assert reverse("waitlist:my_places") in page


def test_a_paused_place_can_be_reactivated_at_its_old_position(verified_client, person, center):
    ahead = make_entry(factories.make_person(first_name="Ahead"), center=center)
    entry = make_entry(person, center=center)
    Entry.objects.filter(pk=entry.pk).update(status=Entry.Status.PAUSED, missed_offers=2)
    make_entry(factories.make_person(first_name="Behind"), center=center)

    page = verified_client.get(reverse("waitlist:my_places"))
    assert reverse("waitlist:reactivate", args=[entry.pk]) in page.content.decode()
    verified_client.post(reverse("waitlist:reactivate", args=[entry.pk]))

    entry.refresh_from_db()
    assert (entry.status, entry.missed_offers) == (Entry.Status.WAITING, 0)
    places = verified_client.get(reverse("waitlist:my_places")).context["places"]
    assert places[0].position == 2
    assert ahead.status == Entry.Status.WAITING
    # Re-activating a place that is not paused says so.
    again = verified_client.post(reverse("waitlist:reactivate", args=[entry.pk]), follow=True)
    assert german("This waiting place is not paused.") in again.content.decode()


def test_reactivate_is_post_only(verified_client, person, center):
    entry = make_entry(person, center=center)
    assert verified_client.get(reverse("waitlist:reactivate", args=[entry.pk])).status_code == 405


def test_the_district_list_is_worded_plainly_without_doubled_parentheses(
    verified_client, person, center
):
    district = center.district
    district.name = "Landkreis Rotenburg (Wümme)"
    district.save(update_fields=["name"])

    page = verified_client.get(reverse("waitlist:choose_scope", args=[person.pk])).content.decode()
    join = verified_client.get(reverse("waitlist:join_district", args=[person.pk]))

    for text in (page, join.content.decode()):
        assert "(Wümme))" not in text
    assert "Der erste Termin, der in einem dieser Impfzentren frei wird:" not in page
    assert f"in diesem Impfzentrum frei wird: {center.name}." in page


def test_my_waiting_places_show_each_place_with_its_own_vaccines(verified_client, center):
    """Two people of the household wait, with vaccines of their own; a place given up
    earlier (with another vaccine) shows nowhere."""
    household = household_for(verified_client.phone)
    biontech, moderna, novavax = (
        factories.make_vaccine(name) for name in ("BioNTech", "Moderna", "Novavax")
    )
    erna = factories.make_person(household, first_name="Erna", last_name="Imhaus")
    otto = factories.make_person(household, first_name="Otto", last_name="Imhaus")
    left = make_entry(erna, center=center, vaccines=[novavax])
    Entry.objects.filter(pk=left.pk).update(status=Entry.Status.LEFT)
    make_entry(erna, center=center, vaccines=[moderna, biontech])
    make_entry(otto, district=center.district, vaccines=[moderna])

    page = verified_client.get(reverse("waitlist:my_places"))

    shown = [
        (str(place.entry.person), [str(vaccine) for vaccine in place.vaccines])
        for place in page.context["places"]
    ]
    assert shown == [("Erna Imhaus", ["BioNTech", "Moderna"]), ("Otto Imhaus", ["Moderna"])]
    text = page.content.decode()
    assert "BioNTech, Moderna" in text
    assert "Novavax" not in text
