"""Joining the standby list on the resident's pages (a verified number)."""

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.services import household_for
from standby.models import Entry
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(verified_client, open_for_80):
    return factories.make_person(household_for(verified_client.phone), born=date(1940, 1, 1))


def post(client, **data):
    return client.post(reverse("standby:join"), data)


def test_it_asks_for_the_number_first(client):
    response = client.get(reverse("standby:join"))
    assert response.status_code == 302
    assert Entry.objects.count() == 0


def test_a_verified_resident_puts_a_person_on_todays_list(verified_client, person, center):
    page = verified_client.get(reverse("standby:join"))
    assert "45 Minuten" in page.content.decode()
    response = post(
        verified_client,
        person=person.pk,
        center=center.pk,
        day=timezone.localdate().isoformat(),
        within_reach="on",
    )
    assert response.status_code == 302
    [entry] = Entry.objects.all()
    assert (entry.person, entry.center, entry.status) == (person, center, Entry.Status.WAITING)


def test_it_asks_to_confirm_the_45_minutes(verified_client, person, center):
    response = post(
        verified_client, person=person.pk, center=center.pk, day=timezone.localdate().isoformat()
    )
    assert response.status_code == 200
    assert "innerhalb von 45 Minuten" in response.content.decode()
    assert Entry.objects.count() == 0


def test_a_stranger_or_a_far_day_is_refused(verified_client, person, center):
    stranger = factories.make_person(first_name="Fremd")
    response = post(
        verified_client, person=stranger.pk, center=center.pk, day="2099-01-01", within_reach="on"
    )
    text = response.content.decode()
    assert "Personen" in text
    assert "Tage" in text
    assert Entry.objects.count() == 0
