"""Adding someone who may not book now: told at once; someone no age group
includes is not added at all (they would fill one of the household's places)."""

import pytest
from django.urls import reverse
from django.utils.html import escape

from booking.models import Person, VaccineOpening
from tests import factories
from tests.booking.conftest import in_english
from tests.journeys import add_person_via_page, german

pytestmark = pytest.mark.django_db

THIS_YEAR = factories.days_ahead(0).year


def born_aged(age: int) -> str:
    """A birth year that makes someone ``age`` (or one less before their birthday)."""
    return str(THIS_YEAR - age - 1)


@pytest.fixture
def groups(vaccine):
    """80 and older may book, 60 and older may wait, 50 and older has no opening."""
    astra = factories.make_vaccine("AstraZeneca", 84)
    factories.open_group("80 und älter", min_age=80, rank=1, vaccines=[vaccine])
    factories.open_group(
        "60 und älter", min_age=60, rank=2, vaccines=[astra], scope=VaccineOpening.Scope.WAITLIST
    )
    factories.open_group("50 und älter", min_age=50, rank=3)


def test_someone_younger_than_every_group_is_refused_and_nothing_is_saved(verified_client, groups):
    response = add_person_via_page(verified_client, birth_year=born_aged(40))
    content = response.content.decode()
    assert response.status_code == 200
    assert not Person.objects.exists()
    assert german("Please check your entry") in content
    assert "kann nicht eingetragen werden" in content


def test_the_refusal_names_who_can_book_and_who_can_wait(verified_client, groups):
    content = add_person_via_page(verified_client, birth_year=born_aged(40)).content.decode()
    assert german("At present people aged %(age)d and over can book an appointment.", age=80) in (
        content
    )
    assert german("People aged %(age)d and over can join a waiting list.", age=60) in content


def test_the_refused_entry_stays_in_the_form(verified_client, groups):
    content = add_person_via_page(verified_client, birth_year=born_aged(40)).content.decode()
    assert 'value="Erna"' in content


def test_someone_in_a_group_without_an_opening_is_added_and_told_who_can_book_now(
    verified_client, groups
):
    response = add_person_via_page(verified_client, birth_year=born_aged(55))
    content = response.content.decode()
    person = Person.objects.get()
    assert (
        german(
            "%(name)s cannot book an appointment yet: their age group has not been opened.",
            name=str(person),
        )
        in content
    )
    assert german("At present people aged %(age)d and over can book an appointment.", age=80) in (
        content
    )


def test_someone_whose_group_may_only_wait_is_added_and_told_about_the_waiting_list(
    verified_client, groups
):
    content = add_person_via_page(verified_client, birth_year=born_aged(65)).content.decode()
    assert Person.objects.count() == 1
    assert (
        german(
            "%(name)s cannot book an appointment yet, but can join a waiting list now.",
            name="Erna Meyer",
        )
        in content
    )
    assert reverse("waitlist:choose_scope", args=[Person.objects.get().pk]) in content


def test_someone_who_may_book_is_not_told_anything_else(verified_client, groups):
    content = add_person_via_page(verified_client, birth_year=born_aged(85)).content.decode()
    assert german("%(name)s has been added.", name="Erna Meyer") in content
    assert "kann noch keinen Termin buchen" not in content


def test_with_no_opening_at_all_the_page_says_nobody_can_book_yet(verified_client):
    factories.open_group("80 und älter", min_age=80, rank=1)
    content = add_person_via_page(verified_client, birth_year=born_aged(85)).content.decode()
    assert Person.objects.count() == 1
    assert german("At present no age group can book an appointment yet.") in content


def test_before_any_group_is_configured_nobody_is_refused(verified_client):
    add_person_via_page(verified_client, birth_year=born_aged(30))
    assert Person.objects.count() == 1


def test_the_refusal_is_in_english_on_english_pages(verified_client, groups):
    in_english(verified_client)
    content = add_person_via_page(verified_client, birth_year=born_aged(40)).content.decode()
    assert not Person.objects.exists()
    assert escape("Erna Meyer cannot be added: no age group includes people of this age") in (
        content
    )
    assert "At present people aged 80 and over can book an appointment." in content


def test_the_message_on_adding_is_in_english_on_english_pages(verified_client, groups):
    in_english(verified_client)
    content = add_person_via_page(verified_client, birth_year=born_aged(55)).content.decode()
    assert "Erna Meyer cannot book an appointment yet: their age group has not been opened." in (
        content
    )
