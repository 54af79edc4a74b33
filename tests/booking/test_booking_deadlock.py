"""Two transactions that wait for each other: PostgreSQL ends one of them. A
resident's booking ended so hears "busy, press the button again" instead of an
error page, and nothing of it is left.

The booking inserts its series before it takes its seats (``booking.services``),
so a transaction that locks the slot FOR UPDATE and then books the same person
(think of an agent and the web at the same moment) waits for the booking while
the booking waits for it.
"""

import threading
import time
import uuid

import pytest
from django.db import connection, transaction

from booking import services
from booking.errors import BookingBusy
from booking.models import Series
from centers.models import Slot
from sms.models import Message
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_booking_ended_by_a_deadlock_is_busy_and_leaves_nothing():
    vaccine = factories.make_vaccine()
    factories.open_group(vaccines=[vaccine])
    first, _second = factories.make_bookable_pair(factories.make_center(), vaccine, capacity=5)
    first = Slot.objects.select_related("center", "vaccine", "second_dose_slot").get(pk=first.pk)
    person = factories.make_person()
    locked, booking_done = threading.Event(), threading.Event()
    errors: list[Exception] = []

    def the_other_transaction():
        try:
            with transaction.atomic():
                Slot.objects.select_for_update().get(pk=first.pk)
                locked.set()
                time.sleep(0.3)  # the booking waits for the slot by now
                Series.objects.create(
                    person=person,
                    center=first.center,
                    vaccine=vaccine,
                    booking_code="ZZZZ-ZZZZ",
                )
                booking_done.wait(timeout=30)
        except Exception as error:  # noqa: BLE001 -- reported below
            errors.append(error)
        finally:
            connection.close()

    other = threading.Thread(target=the_other_transaction)
    other.start()
    assert locked.wait(timeout=30)
    try:
        with pytest.raises(BookingBusy):
            services.book_series(person=person, slot=first, request_token=uuid.uuid4())
    finally:
        booking_done.set()
        other.join(timeout=30)
    assert errors == []
    first.refresh_from_db()
    assert first.booked == 0
    assert list(Series.objects.values_list("booking_code", flat=True)) == ["ZZZZ-ZZZZ"]
    assert not Message.objects.filter(idempotency_key__startswith="booked:").exists()
