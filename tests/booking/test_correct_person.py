"""Correcting a person's details: the add form's rules, only for one who holds
no appointment and no open offer, only the verified number's own people."""

from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.models import Person, VaccineOpening
from tests import factories
from tests.booking.conftest import in_english
from tests.journeys import german, person_data

pytestmark = pytest.mark.django_db


def correct_url(person) -> str:
    return reverse("booking:correct_person", args=[person.pk])


def correct(client, person, **overrides):
    return client.post(correct_url(person), person_data(**overrides), follow=True)


def test_the_form_shows_the_persons_details(verified_client, erna):
    page = verified_client.get(correct_url(erna))
    assert page.status_code == 200
    content = page.content.decode()
    for value in ("Erna", "Meyer", "17", "5", "1938", "30159"):
        assert f'value="{value}"' in content


def test_a_resident_corrects_name_date_of_birth_and_postal_code(verified_client, erna):
    response = correct(
        verified_client,
        erna,
        first_name="Erika",
        last_name="Meier",
        birth_day="7",
        birth_month="6",
        birth_year="1937",
        postal_code="30161",
    )
    assert response.redirect_chain == [(reverse("booking:people"), 302)]
    erna.refresh_from_db()
    assert (erna.first_name, erna.last_name, erna.date_of_birth, erna.postal_code) == (
        "Erika",
        "Meier",
        date(1937, 6, 7),
        "30161",
    )
    assert german("The details of %(name)s have been corrected.", name="Erika Meier") in (
        response.content.decode()
    )


def test_a_date_of_birth_in_the_future_is_refused_and_nothing_changes(verified_client, erna):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = correct(
        verified_client,
        erna,
        birth_day=str(tomorrow.day),
        birth_month=str(tomorrow.month),
        birth_year=str(tomorrow.year),
    )
    assert response.status_code == 200
    assert german("The date of birth cannot be in the future.") in response.content.decode()
    erna.refresh_from_db()
    assert erna.date_of_birth == date(1938, 5, 17)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"birth_day": "31", "birth_month": "2"},
            "This date does not exist. Please check day and month.",
        ),
        ({"birth_year": "38"}, "Please enter the year with 4 digits, e.g. 1941."),
        ({"first_name": "   "}, "Please enter the first name."),
        ({"postal_code": "3015"}, "A postal code has 5 digits, e.g. 30159."),
    ],
)
def test_bad_entries_get_the_same_plain_messages_as_when_adding(
    verified_client, erna, overrides, message
):
    response = correct(verified_client, erna, **overrides)
    content = response.content.decode()
    assert german("Please check your entry") in content
    assert german(message) in content
    assert Person.objects.get(pk=erna.pk).first_name == "Erna"


def test_becoming_the_other_person_of_the_household_is_refused_plainly(verified_client, erna, home):
    heinz = factories.make_person(home, first_name="Heinz", born=date(1936, 1, 2))
    response = correct(
        verified_client,
        heinz,
        first_name="ERNA",
        birth_day="17",
        birth_month="5",
        birth_year="1938",
    )
    assert response.status_code == 200
    assert german("This person has already been added.") in response.content.decode()
    heinz.refresh_from_db()
    assert heinz.first_name == "Heinz"


def test_keeping_the_same_name_and_date_of_birth_is_no_duplicate(verified_client, erna):
    correct(verified_client, erna, postal_code="30161")
    erna.refresh_from_db()
    assert erna.postal_code == "30161"


def test_an_age_no_group_includes_is_refused(verified_client, erna):
    response = correct(verified_client, erna, birth_year=str(timezone.localdate().year - 30))
    assert "kann nicht eingetragen werden" in response.content.decode()
    erna.refresh_from_db()
    assert erna.date_of_birth == date(1938, 5, 17)


def test_another_households_person_is_not_found(verified_client, strangers_person):
    assert verified_client.get(correct_url(strangers_person)).status_code == 404
    response = verified_client.post(correct_url(strangers_person), person_data(first_name="X"))
    assert response.status_code == 404
    strangers_person.refresh_from_db()
    assert strangers_person.first_name == "Fremd"


def test_a_post_without_the_csrf_token_is_refused(verified_client, erna):
    strict = Client(enforce_csrf_checks=True)
    strict.cookies = verified_client.cookies
    response = strict.post(correct_url(erna), person_data(first_name="Erika"))
    assert response.status_code == 403
    erna.refresh_from_db()
    assert erna.first_name == "Erna"


def test_a_person_with_an_appointment_cannot_be_corrected(verified_client, booked_erna):
    erna = booked_erna.person
    reason = german("%(name)s has an appointment. Please cancel it first.", name="Erna Meyer")
    page = verified_client.get(correct_url(erna), follow=True)
    assert page.redirect_chain == [(reverse("booking:people"), 302)]
    assert reason in page.content.decode()
    response = correct(verified_client, erna, first_name="Erika")
    assert reason in response.content.decode()
    erna.refresh_from_db()
    assert erna.first_name == "Erna"


def test_a_person_with_an_open_offer_cannot_be_corrected(verified_client, offered_erna):
    erna = offered_erna.entry.person
    response = correct(verified_client, erna, first_name="Erika")
    assert (
        german(
            "%(name)s has been offered an appointment. Please accept or decline the offer first.",
            name="Erna Meyer",
        )
        in response.content.decode()
    )
    erna.refresh_from_db()
    assert erna.first_name == "Erna"


def test_a_waiting_place_takes_the_rank_of_the_corrected_age(verified_client, waiting_erna):
    astra = factories.make_vaccine("AstraZeneca", 84)
    factories.open_group(
        "70 und älter", min_age=70, rank=2, vaccines=[astra], scope=VaccineOpening.Scope.WAITLIST
    )
    waiting_erna.vaccines.add(astra)  # she would take either
    seventy_five = str(timezone.localdate().year - 76)
    correct(verified_client, waiting_erna.person, birth_year=seventy_five)
    waiting_erna.refresh_from_db()
    assert waiting_erna.is_active
    assert waiting_erna.priority_rank == 2
    assert list(waiting_erna.vaccines.all()) == [astra]


def test_a_waiting_place_nothing_is_left_of_is_given_up(verified_client, waiting_erna):
    factories.open_group("70 und älter", min_age=70, rank=2)  # no opening
    correct(verified_client, waiting_erna.person, birth_year=str(timezone.localdate().year - 76))
    waiting_erna.refresh_from_db()
    assert not waiting_erna.is_active


def test_correcting_works_in_english(verified_client, erna):
    in_english(verified_client)
    page = verified_client.get(correct_url(erna)).content.decode()
    assert "Correct the details of Erna Meyer" in page
    response = correct(verified_client, erna, first_name="Erika")
    assert "The details of Erika Meyer have been corrected." in response.content.decode()
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = correct(verified_client, erna, birth_year=str(tomorrow.year + 1))
    assert "The date of birth cannot be in the future." in response.content.decode()
