"""Two agents and two households, as the hotline's tests use them."""

from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from booking.models import Household
from hotline.group import HOTLINE_GROUP
from tests import factories
from tests.sms.conftest import fake_twilio, twilio  # noqa: F401 (the voice tests' fixtures)


def make_agent(username: str):
    user = get_user_model().objects.create_user(username, password="x")
    user.groups.add(Group.objects.get(name=HOTLINE_GROUP))  # made by migrate
    return user


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def agent_a(db):
    return make_agent("agent-a")


@pytest.fixture
def agent_b(db):
    return make_agent("agent-b")


@pytest.fixture
def desk_a(agent_a):
    return client_for(agent_a)


@pytest.fixture
def desk_b(agent_b):
    return client_for(agent_b)


@pytest.fixture
def bookable(center, vaccine, open_for_80):
    """A first-dose time with its second dose at the Hannover center."""
    first, _second = factories.make_bookable_pair(center, vaccine)
    return first


@pytest.fixture
def erna(db):
    """Household 1: Erna (on a mobile)."""
    return factories.make_person(
        Household.objects.create(phone="+4915100000101"),
        first_name="Erna",
        last_name="Meyer",
        born=date(1938, 5, 17),
    )


@pytest.fixture
def otto(db):
    """Household 2: Otto (on a landline)."""
    return factories.make_person(
        Household.objects.create(phone="+495111234567"),
        first_name="Otto",
        last_name="Krause",
        born=date(1936, 2, 3),
    )
