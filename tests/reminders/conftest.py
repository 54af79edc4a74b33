"""A booked series whose first dose is on a fixed day, booked a week before."""

import re
import uuid
from datetime import date, datetime, time

import pytest
import time_machine
from django.utils import timezone

from booking.models import Appointment, Series
from booking.services import book_series
from sms.backends import memory
from sms.models import Message
from sms.outbox import dispatch_due
from tests import factories

DAY = date(2027, 3, 10)  # a Wednesday
LINK = re.compile(r"/cannot-come/([^/\s]+)/")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def book_at(moment: datetime, *, person, slot) -> Series:
    """Book, and send the confirmation at once, so that only reminders are left."""
    with time_machine.travel(moment, tick=False):
        series = book_series(person=person, slot=slot, request_token=uuid.uuid4())
        dispatch_due()
    memory.outbox.clear()
    return series


def first_dose(series: Series) -> Appointment:
    return series.appointments.get(dose=1)


def reminder_messages() -> list[Message]:
    return list(Message.objects.filter(idempotency_key__startswith="reminder:").order_by("pk"))


def token_in(message: Message) -> str:
    match = LINK.search(message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def book_for(center, vaccine, open_for_80):
    """Book a person (a new household, mobile by default) at ``hour`` on DAY, a week ahead."""

    def book(hour: int = 14, minute: int = 0, *, phone: str | None = None, **person) -> Series:
        household = None
        if phone is not None:
            from booking.models import Household

            household = Household.objects.create(phone=phone)
        slot = factories.make_slot(center, vaccine, at(DAY, hour, minute), capacity=4)
        slot.refresh_from_db()
        slot = (
            type(slot)
            .objects.select_related("center", "vaccine", "second_dose_slot")
            .get(pk=slot.pk)
        )
        with time_machine.travel(at(DAY, 9) - (DAY - date(2027, 3, 3)), tick=False):
            factories.make_delivery(center, vaccine)
        return book_at(
            at(date(2027, 3, 3), 9),
            person=factories.make_person(household, **person),
            slot=slot,
        )

    return book
