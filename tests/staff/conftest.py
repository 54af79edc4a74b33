"""Two centers, each with its own staff account, and helpers to fill their day lists."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from impfportal.staff_group import STAFF_GROUP
from tests import factories


def make_staff(username: str, *centers):
    user = get_user_model().objects.create_user(username, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=STAFF_GROUP))  # made by migrate
    for center in centers:
        center.staff.add(user)
    return user


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def center_a(db):
    district = factories.make_district("Region Hannover", postal_codes=[("30159", "Hannover")])
    return factories.make_center("Impfzentrum Hannover", district=district)


@pytest.fixture
def center_b(db):
    district = factories.make_district("Landkreis Celle", postal_codes=[("29221", "Celle")])
    return factories.make_center(
        "Impfzentrum Celle", district=district, town="Celle", postal_code="29221"
    )


@pytest.fixture
def staff_a(center_a):
    return make_staff("staff-a", center_a)


@pytest.fixture
def staff_b(center_b):
    return make_staff("staff-b", center_b)


@pytest.fixture
def client_a(staff_a):
    return logged_in(staff_a)


@pytest.fixture
def client_b(staff_b):
    return logged_in(staff_b)


@pytest.fixture
def operator(db):
    return get_user_model().objects.create_superuser("operator", password="x")


@pytest.fixture
def client_operator(operator):
    return logged_in(operator)
