from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from booking.models import Person, Series
from tests import factories
from tests.journeys import add_person_via_page, book_via_page, verify


def verified_resident(first_name: str) -> Any:
    """A browser verified for a new number, with one person added through the page.

    The client carries ``phone``, ``person`` (and ``series``) for the tests.
    """
    client: Any = Client()
    client.phone = factories.unique_mobile()
    verify(client, client.phone)
    add_person_via_page(client, first_name=first_name)
    client.person = Person.objects.get(household__phone=client.phone)
    return client


@pytest.fixture
def slots(center, vaccine, open_for_80):
    return factories.make_bookable_pair(center, vaccine, capacity=5, second_capacity=5)


@pytest.fixture
def resident_a(slots):
    """Resident A, who has booked."""
    client = verified_resident("Anna")
    response = book_via_page(client, client.person, slots[0])
    assert response.status_code == 302
    client.series = Series.objects.get(person=client.person)
    return client


@pytest.fixture
def resident_b(slots):
    """Resident B, with a person but no booking yet."""
    return verified_resident("Berta")


@pytest.fixture
def staff_client(db, django_user_model):
    client: Any = Client()
    user = django_user_model.objects.create_superuser("operator", password="pw-for-tests-only")
    client.post(reverse("admin:login"), {"username": "operator", "password": "pw-for-tests-only"})
    client.user = user
    return client
