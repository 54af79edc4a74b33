"""A person is removed in one tab while being booked in another, for real, on PostgreSQL.

The first test shows the race: without the person's row lock, a booking that
commits between the removal's check and its delete is deleted with the person,
and its two seats stay counted for nobody. The second shows that with the lock
the booking fails instead and leaves nothing behind.
"""

import threading
import time
import uuid

import pytest
from django.db import IntegrityError, connection

from booking import households, services
from booking.errors import BookingError
from booking.models import Person, Series
from booking.signals import person_removing
from centers.models import Slot
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def a_backend_waits_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        )
        row = cursor.fetchone()
    return bool(row and row[0])


def remove_while_booking(person, first) -> list[str]:
    """Remove ``person``; between the removal's checks and its delete, book them
    in another thread. Returns what happened to the booking."""
    checked = threading.Event()
    outcome: list[str] = []

    def pause(sender, **kwargs):
        # After every check, before the delete: the booking gets its moment, until it
        # has finished or waits for a row lock (asked of PostgreSQL, not timed).
        checked.set()
        while booking.is_alive() and not a_backend_waits_for_a_lock():
            time.sleep(0.005)

    def book():
        checked.wait()
        try:
            services.book_series(person=person, slot=first, request_token=uuid.uuid4())
            outcome.append("booked")
        except (BookingError, IntegrityError) as error:
            outcome.append(type(error).__name__)
        finally:
            connection.close()

    booking = threading.Thread(target=book)
    booking.start()
    person_removing.connect(pause, dispatch_uid="test.pause")
    try:
        households.remove_person(household=person.household, person_id=person.pk)
    finally:
        person_removing.disconnect(dispatch_uid="test.pause")
    booking.join(timeout=10)
    return outcome


@pytest.fixture
def erna_and_slot(center, vaccine, open_for_80):
    first, _second = factories.make_bookable_pair(center, vaccine)
    return factories.make_person(), first


def test_without_the_row_lock_a_booking_is_deleted_with_the_person(erna_and_slot, monkeypatch):
    person, first = erna_and_slot
    monkeypatch.setattr(households, "_hold_person", lambda person: None)
    outcome = remove_while_booking(person, first)
    assert outcome == ["booked"]
    assert not Series.objects.exists()
    assert sum(Slot.objects.values_list("booked", flat=True)) == 2  # seats held for nobody


def test_with_the_row_lock_the_booking_fails_and_leaves_nothing(erna_and_slot):
    person, first = erna_and_slot
    outcome = remove_while_booking(person, first)
    assert len(outcome) == 1
    assert outcome != ["booked"]
    assert not Person.objects.exists()
    assert not Series.objects.exists()
    assert sum(Slot.objects.values_list("booked", flat=True)) == 0
