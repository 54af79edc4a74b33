"""Two centers with staff, a fixed day at 10:15 and people booked for it."""

import uuid
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from booking.models import Series
from booking.services import book_series
from centers.models import Slot
from tests import factories
from tests.staff.conftest import logged_in, make_staff

DAY = date(2027, 3, 10)


def at(hour: int, minute: int = 0, *, day: date = DAY) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def clock():
    with time_machine.travel(at(10, 15), tick=False) as traveller:
        yield traveller


@pytest.fixture
def centers(db):
    a = factories.make_center(
        "Impfzentrum Hannover",
        district=factories.make_district(postal_codes=[("30159", "Hannover")]),
    )
    b = factories.make_center(
        "Impfzentrum Celle",
        district=factories.make_district("Landkreis Celle"),
        town="Celle",
        postal_code="29221",
    )
    return a, b


@pytest.fixture
def staff_client(centers):
    return logged_in(make_staff("tuer-a", centers[0]))


def book_day(center, vaccine, people: list[tuple[str, str]], *, hour: int = 10) -> list[Series]:
    """Book ``people`` (first, last name) into one slot at ``hour`` on DAY, a week before."""
    factories.open_group(vaccines=[vaccine])
    slot = factories.make_slot(center, vaccine, at(hour), capacity=len(people))
    slot = Slot.objects.select_related("center", "vaccine", "second_dose_slot").get(pk=slot.pk)
    with time_machine.travel(at(9, day=DAY - timedelta(days=7)), tick=False):
        factories.make_delivery(center, vaccine)
        return [
            book_series(
                person=factories.make_person(first_name=first, last_name=last),
                slot=slot,
                request_token=uuid.uuid4(),
            )
            for first, last in people
        ]
