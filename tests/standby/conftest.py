"""A center's day with leftover doses and people on its standby list; the clock is moved."""

import re
import uuid
from datetime import date, datetime, time, timedelta

import pytest
import time_machine
from django.utils import timezone

from booking import staff
from booking.models import Household
from booking.services import book_series
from centers.models import Slot
from sms.models import Message
from standby import services
from standby.models import Offer
from tests import factories

DAY = date(2027, 3, 10)
LINK = re.compile(r"/standby/offer/(\d+)/([^/\s]+)/")


def at(hour: int, minute: int = 0, *, day: date = DAY) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def clock():
    """The day at 10:15, after the 10:00 people should have come."""
    with time_machine.travel(at(10, 15), tick=False) as traveller:
        yield traveller


@pytest.fixture
def groups(vaccine):
    old = factories.open_group("80 und älter", min_age=80, rank=1, vaccines=[vaccine])
    younger = factories.open_group("60 und älter", min_age=60, rank=2, vaccines=[vaccine])
    return old, younger


def make_leftovers(center, vaccine, doses: int, *, hour: int = 10, staff_user=None) -> Slot:
    """A slot at ``hour`` whose ``doses`` people did not come (marked at the current time)."""
    slot = factories.make_slot(center, vaccine, at(hour), capacity=doses)
    slot = Slot.objects.select_related("center", "vaccine", "second_dose_slot").get(pk=slot.pk)
    now = timezone.now()
    with time_machine.travel(at(9, day=DAY - timedelta(days=7)), tick=False):
        factories.make_delivery(center, vaccine)
        series = [
            book_series(
                person=factories.make_person(first_name=f"Weg{n}"),
                slot=slot,
                request_token=uuid.uuid4(),
            )
            for n in range(doses)
        ]
    with time_machine.travel(now, tick=False):
        staff.mark_no_show(
            appointment_ids=[s.appointments.get(dose=1).pk for s in series], by=staff_user
        )
    return slot


def on_list(center, *, born: date, name: str = "Stand", day: date = DAY):
    person = factories.make_person(
        Household.objects.create(phone=factories.unique_mobile()), first_name=name, born=born
    )
    return services.join(person=person, center=center, day=day)


def link_of(offer: Offer) -> tuple[int, str]:
    body = Message.objects.get(pk=offer.message_id or 0).body
    match = LINK.search(body)
    assert match, body
    return int(match.group(1)), match.group(2)
