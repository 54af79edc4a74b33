from datetime import date

import pytest
from django.urls import reverse

from booking.eligibility import eligibility_for
from booking.models import VaccineOpening
from tests import factories
from tests.journeys import add_person_via_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def opened_2021():
    """BioNTech opened for 80 and older, AstraZeneca for 60 and older."""
    biontech = factories.make_vaccine("BioNTech", 21)
    astra = factories.make_vaccine("AstraZeneca", 84)
    factories.open_group("80 und älter", min_age=80, rank=1, vaccines=[biontech])
    factories.open_group("60 und älter", min_age=60, rank=3, vaccines=[astra])
    return biontech, astra


def test_an_85_year_old_may_book_what_is_open_for_80_and_for_60(opened_2021):
    biontech, astra = opened_2021
    person = factories.make_person(born=date(1940, 1, 1))
    eligibility = eligibility_for(person, on=date(2026, 1, 1))
    assert eligibility.group is not None
    assert eligibility.group.name == "80 und älter"
    assert eligibility.bookable == [astra, biontech]


def test_a_65_year_old_may_book_only_what_is_open_for_60(opened_2021):
    _biontech, astra = opened_2021
    person = factories.make_person(born=date(1960, 6, 1))
    eligibility = eligibility_for(person, on=date(2026, 1, 1))
    assert eligibility.group is not None
    assert eligibility.group.name == "60 und älter"
    assert eligibility.bookable == [astra]


def test_a_waitlist_only_opening_does_not_allow_booking():
    astra = factories.make_vaccine("AstraZeneca", 84)
    factories.open_group(
        "60 und älter", min_age=60, rank=3, vaccines=[astra], scope=VaccineOpening.Scope.WAITLIST
    )
    person = factories.make_person(born=date(1960, 6, 1))
    eligibility = eligibility_for(person, on=date(2026, 1, 1))
    assert not eligibility.can_book
    assert eligibility.waitlist_only == [astra]


def test_the_birthday_counts_on_the_day_itself():
    factories.open_group("80 und älter", min_age=80, rank=1, vaccines=[factories.make_vaccine()])
    person = factories.make_person(born=date(1946, 3, 2))
    assert not eligibility_for(person, on=date(2026, 3, 1)).can_book
    assert eligibility_for(person, on=date(2026, 3, 2)).can_book


def test_an_ineligible_person_is_told_their_group_and_about_the_waiting_list(verified_client):
    factories.open_group("80 und älter", min_age=80, rank=1, vaccines=[factories.make_vaccine()])
    factories.open_group("70 und älter", min_age=70, rank=2)
    response = add_person_via_page(verified_client, birth_year="1950")
    content = response.content.decode()
    assert "„70 und älter“" in content
    assert "können noch keine Termine gebucht werden" in content
    assert "Warteliste" in content


def test_an_ineligible_person_cannot_open_the_booking_pages(verified_client, center):
    factories.open_group("80 und älter", min_age=80, rank=1, vaccines=[factories.make_vaccine()])
    # In a group, or they could not be added (test_add_ineligible_person.py).
    factories.open_group("50 und älter", min_age=50, rank=2)
    add_person_via_page(verified_client, birth_year="1970")
    person = verified_client.get(reverse("booking:people")).context["members"][0][0]
    response = verified_client.get(reverse("booking:choose_center", args=[person.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:people")
