"""A clock set to a fixed morning, and the journey rows the purge tests share."""

from datetime import datetime, timedelta

from django.utils import timezone

from booking.models import Series
from booking.services import cancel_series
from centers.models import Center, Vaccine
from tests import factories
from tests.staff.helpers import book

RETENTION = timedelta(days=28)


def morning() -> datetime:
    """08:00 today (local): slots "today at noon" can still be booked and offered."""
    return timezone.make_aware(datetime.combine(timezone.localdate(), datetime.min.time())).replace(
        hour=8
    )


def booked_and_cancelled(center: Center, vaccine: Vaccine, name: str = "Erna Meyer") -> Series:
    """A series booked for in three days and cancelled at once (by the resident)."""
    (series,) = book(
        center, vaccine, at=factories.local_datetime(factories.days_ahead(3), 10), names=(name,)
    )
    return cancel_series(
        household=series.person.household, booking_code=series.booking_code, reason="date"
    )
