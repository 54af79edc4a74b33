"""Many residents fight for the last seats of one slot, for real, on PostgreSQL.

The first test shows that the race exists: with a naive read-then-write seat
counter, concurrent bookings oversell. The second shows that the conditional
UPDATE of ``centers.services.take_series_seats`` (with the CHECK constraint behind it)
ends every round with exactly ``capacity`` bookings and no half series.
"""

import threading
import time
import uuid
from collections import Counter

import pytest
from django.db import connection
from django.db.models import Count

from booking import services
from booking.errors import BookingError
from booking.models import Appointment, Series
from centers import services as centers_services
from centers.models import Slot
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)
# THREADS connections at once: see tests/conftest.py.
many_connections = pytest.mark.many_connections

THREADS = 50
SEATS = 3
ROUNDS = 4


def naive_take_both_seats(first: Slot, *, lock_timeout_ms: int | None = None) -> bool:
    """Read, think, write: what the conditional UPDATE (one statement for both
    seats, ``centers.services._take_both_seats``) replaces."""
    slots = list(Slot.objects.filter(pk__in=[first.pk, first.second_dose_slot_id]))
    if any(slot.booked >= slot.capacity for slot in slots):
        return False
    time.sleep(0.01)
    for slot in slots:
        slot.booked += 1
        slot.save(update_fields=["booked"])
    return True


def fight_for_last_seats(round_number: int) -> tuple[Slot, Counter]:
    """THREADS people of THREADS households book one slot with SEATS free seats."""
    vaccine = factories.make_vaccine()
    factories.open_group(vaccines=[vaccine])
    center = factories.make_center(f"Impfzentrum Runde {round_number}")
    first, _second = factories.make_bookable_pair(
        center, vaccine, capacity=SEATS, second_capacity=THREADS
    )
    people = [factories.make_person() for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    outcomes: Counter = Counter()
    lock = threading.Lock()

    def book(person):
        try:
            barrier.wait()
            services.book_series(person=person, slot=first, request_token=uuid.uuid4())
            outcome = "booked"
        except BookingError as error:
            outcome = type(error).__name__
        finally:
            connection.close()
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=book, args=(person,)) for person in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    first.refresh_from_db()
    return first, outcomes


def appointments_on(slot: Slot) -> int:
    return Appointment.objects.filter(slot=slot).count()


def half_series() -> int:
    return Series.objects.annotate(n=Count("appointments")).exclude(n=2).count()


@many_connections
def test_without_the_guard_the_race_oversells(monkeypatch):
    monkeypatch.setattr(centers_services, "_take_both_seats", naive_take_both_seats)
    oversold_rounds = 0
    for round_number in range(ROUNDS):
        slot, _outcomes = fight_for_last_seats(round_number)
        if appointments_on(slot) > slot.capacity:
            oversold_rounds += 1
    assert oversold_rounds > 0, "the negative control must detect an oversell"


@many_connections
def test_the_conditional_update_books_exactly_the_capacity_every_round():
    for round_number in range(ROUNDS):
        slot, outcomes = fight_for_last_seats(round_number)
        assert outcomes["booked"] == SEATS, outcomes
        assert outcomes["SlotTaken"] == THREADS - SEATS, outcomes
        assert slot.booked == SEATS
        assert appointments_on(slot) == SEATS
    assert half_series() == 0
    assert Series.objects.count() == SEATS * ROUNDS


def test_parallel_submissions_of_one_form_book_once():
    vaccine = factories.make_vaccine()
    factories.open_group(vaccines=[vaccine])
    first, _ = factories.make_bookable_pair(factories.make_center(), vaccine, capacity=10)
    person = factories.make_person()
    token = uuid.uuid4()
    barrier = threading.Barrier(10)
    codes: list[str] = []

    def submit():
        try:
            barrier.wait()
            series = services.book_series(person=person, slot=first, request_token=token)
            codes.append(series.booking_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    first.refresh_from_db()
    assert len(codes) == 10
    assert len(set(codes)) == 1
    assert Series.objects.count() == 1
    assert first.booked == 1
