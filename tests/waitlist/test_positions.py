"""'My waiting place': the position in line and how fast the line moved."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.models import Person
from tests import factories
from tests.journeys import add_person_via_page, german
from tests.waitlist.helpers import make_entry
from waitlist.models import Entry
from waitlist.selectors import position_of, served_ahead_of

pytestmark = pytest.mark.django_db


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


def someone(name: str) -> Person:
    return factories.make_person(first_name=name)


def test_the_position_follows_priority_group_then_time_of_joining(center, open_for_80):
    late = make_entry(someone("Late"), center=center, joined_at=ago(hours=1))
    early = make_entry(someone("Early"), center=center, joined_at=ago(hours=3))
    younger = make_entry(someone("Younger"), center=center, rank=2, joined_at=ago(days=9))
    older_late = make_entry(someone("OlderLate"), center=center, joined_at=ago(minutes=1))

    assert [position_of(e) for e in (early, late, older_late, younger)] == [1, 2, 3, 4]


def test_only_places_that_compete_for_the_same_seats_count(center, open_for_80):
    district = center.district
    other_center = factories.make_center("Impfzentrum Laatzen", district=district)
    other_district = factories.make_center(
        "Impfzentrum Celle", district=factories.make_district("Landkreis Celle")
    )
    make_entry(someone("Anywhere"), district=district, center=None, joined_at=ago(hours=5))
    make_entry(someone("Laatzen"), center=other_center, joined_at=ago(hours=4))
    make_entry(someone("Celle"), center=other_district, joined_at=ago(hours=3))
    make_entry(someone("Paused"), center=center, joined_at=ago(hours=2))
    Entry.objects.filter(person__first_name="Paused").update(status=Entry.Status.PAUSED)
    make_entry(someone("Offered"), center=center, joined_at=ago(hours=2))
    Entry.objects.filter(person__first_name="Offered").update(status=Entry.Status.OFFERED)

    at_center = make_entry(someone("Me"), center=center)
    in_district = make_entry(someone("MeToo"), district=district, center=None)

    # The center's list: the district-wide place and the one holding an offer.
    assert position_of(at_center) == 3
    # The district's list: every active place of the district ahead of it.
    assert position_of(in_district) == 5


def test_people_ahead_served_in_the_last_seven_days_are_counted(center, open_for_80):
    me = make_entry(someone("Me"), center=center, joined_at=ago(days=10))
    for name, joined, served in [
        ("Recent", ago(days=12), ago(days=2)),
        ("AlsoRecent", ago(days=11), ago(days=6)),
        ("LongAgo", ago(days=20), ago(days=8)),
        ("Behind", ago(days=1), ago(days=1)),
    ]:
        make_entry(someone(name), center=center, joined_at=joined)
        Entry.objects.filter(person__first_name=name).update(
            status=Entry.Status.SERVED, served_at=served
        )
    assert served_ahead_of(me) == 2
    assert position_of(me) == 1  # served people are no longer in line


def test_the_page_shows_position_and_progress_in_plain_words(verified_client, open_for_80, center):
    make_entry(someone("Ahead"), center=center, joined_at=ago(days=2))
    add_person_via_page(verified_client)
    person = Person.objects.get(household__phone=verified_client.phone)
    make_entry(person, center=center)

    page = verified_client.get(reverse("waitlist:my_places"))

    place = page.context["places"][0]
    assert (place.position, place.served_ahead) == (2, 0)
    html = page.content.decode()
    assert german("Place %(position)s in line.", position=2) in html
    assert center.name in html
