"""Who is to be vaccinated: people of one verified number."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.models import Person
from tests.journeys import person_data

pytestmark = pytest.mark.django_db


def add(client, **overrides):
    return client.post(reverse("booking:people"), person_data(**overrides))


def test_the_people_page_needs_a_verified_number(client):
    response = client.get(reverse("booking:people"))
    assert response.status_code == 302
    assert response["Location"] == reverse("sms:phone")


def test_a_verified_resident_adds_a_person(verified_client):
    response = add(verified_client)
    assert response.status_code == 302
    person = Person.objects.get()
    assert person.date_of_birth == date(1938, 5, 17)
    assert person.household.phone == verified_client.phone


def test_a_household_holds_at_most_two_people(verified_client):
    add(verified_client)
    add(verified_client, first_name="Heinz", birth_year="1936")
    response = add(verified_client, first_name="Gisela", birth_year="1940")
    assert Person.objects.count() == 2
    assert "höchstens für 2 Personen" in response.content.decode()


def test_the_household_limit_is_a_setting(verified_client, settings):
    settings.HOUSEHOLD_LIMIT = 1
    add(verified_client)
    response = add(verified_client, first_name="Heinz")
    assert response.status_code == 200
    assert Person.objects.count() == 1


def test_the_same_person_is_not_added_twice(verified_client):
    add(verified_client)
    response = add(verified_client, first_name="erna", last_name="MEYER")
    assert Person.objects.count() == 1
    assert "schon eingetragen" in response.content.decode()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"birth_day": "31", "birth_month": "2"}, "Dieses Datum gibt es nicht"),
        ({"birth_month": "13"}, "Dieses Datum gibt es nicht"),
        ({"birth_year": "38"}, "4 Ziffern"),
        ({"birth_year": "1850"}, "prüfen Sie das Geburtsjahr"),
        ({"birth_day": "x"}, "in Ziffern"),
        ({"first_name": "   "}, "geben Sie den Vornamen ein"),
        ({"last_name": "M3yer"}, "keine Zahlen"),
        ({"postal_code": "3015"}, "5 Ziffern"),
        ({"postal_code": "ABCDE"}, "5 Ziffern"),
    ],
)
def test_bad_entries_get_a_plain_message_and_nothing_is_saved(verified_client, overrides, message):
    response = add(verified_client, **overrides)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Person.objects.exists()


def test_a_date_of_birth_in_the_future_is_refused(verified_client):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = add(
        verified_client,
        birth_day=str(tomorrow.day),
        birth_month=str(tomorrow.month),
        birth_year=str(tomorrow.year),
    )
    assert "nicht in der Zukunft" in response.content.decode()
    assert not Person.objects.exists()


def test_what_was_typed_stays_in_the_form_after_an_error(verified_client):
    response = add(verified_client, postal_code="123")
    content = response.content.decode()
    assert 'value="Erna"' in content
    assert 'value="1938"' in content
