"""Bookings for the staff tests, made through the booking rules."""

import itertools
import threading
import uuid
from datetime import datetime, timedelta

from django.db import connection
from django.utils import timezone

from booking.errors import BookingError
from booking.models import Appointment, Series
from booking.services import book_series
from centers.models import Slot
from tests import factories

_minutes = itertools.count(1)


def book(center, vaccine, *, at: datetime, names=("Erna Meyer",), household=None) -> list[Series]:
    """Book each name into one slot at ``at`` with its second dose after the interval.

    ``book_series`` books only times to come; for ``at`` in the past the people are
    booked into a later time and the slot is then moved back to ``at``.
    """
    now = timezone.now()
    bookable_at = (
        at if at > now + timedelta(minutes=5) else now + timedelta(hours=2, minutes=next(_minutes))
    )
    first = factories.make_slot(center, vaccine, bookable_at, capacity=len(names))
    booked = []
    for name in names:
        first_name, last_name = name.split(" ", 1)
        person = factories.make_person(household, first_name=first_name, last_name=last_name)
        booked.append(book_series(person=person, slot=first, request_token=uuid.uuid4()))
    if bookable_at != at:
        Slot.objects.filter(pk=first.pk).update(starts_at=at)
    return booked


def first_dose(series: Series) -> Appointment:
    return series.appointments.select_related("slot").get(dose=1)


def second_dose(series: Series) -> Appointment:
    return series.appointments.select_related("slot").get(dose=2)


def hours_ago(hours: float) -> datetime:
    return timezone.now() - timedelta(hours=hours)


def local(day, hour: int, minute: int = 0) -> datetime:
    return factories.local_datetime(day, hour, minute)


def earlier_today() -> datetime:
    """A moment of today that has passed (robust just after midnight)."""
    now = timezone.now()
    start = timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time()))
    return start + (now - start) / 2


def release_data(center, vaccine, **overrides) -> dict:
    """A release form: tomorrow, 08:00 to 09:00 every 10 minutes, 2 lanes."""
    tomorrow = factories.days_ahead(1)
    data = {
        "center": center.pk,
        "vaccine": vaccine.pk,
        "first_day": tomorrow.isoformat(),
        "last_day": tomorrow.isoformat(),
        "weekdays": [str(day) for day in range(1, 8)],
        "opens_at": "08:00",
        "closes_at": "09:00",
        "interval_minutes": "10",
        "lanes": "2",
    }
    data.update(overrides)
    return data


def run_together(*functions, refusals=(BookingError,)) -> list[Exception]:
    """Run the functions in threads that start at the same moment; return their refusals.

    Any other exception (a deadlock, a violated constraint) fails the test.
    """
    barrier = threading.Barrier(len(functions))
    errors: list[Exception] = []
    crashes: list[Exception] = []

    def run(function):
        try:
            barrier.wait()
            function()
        except refusals as error:
            errors.append(error)
        except Exception as error:  # reported below, in the test's thread
            crashes.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(function,)) for function in functions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not crashes, crashes
    return errors
