"""Seats held for the hotline under concurrency: agents racing for the last held
seats, and an agent booking while the hold ends. Real threads against PostgreSQL."""

import uuid
from datetime import timedelta

import pytest
from django.db import IntegrityError
from django.utils import timezone

from booking.models import Household, Series
from centers import services
from centers.hotline_hold import end_due_hotline_holds
from centers.models import Slot
from hotline import acting, identity
from hotline.errors import HotlineError
from tests import factories
from tests.hotline.conftest import make_agent
from tests.hotline.test_hotline_share import release_one_time
from tests.staff.helpers import run_together

pytestmark = pytest.mark.django_db(transaction=True)
AGENTS = 6


def held_time(center, vaccine, *, lanes: int) -> Slot:
    """One first-dose time with all its ``lanes`` seats held for the hotline."""
    release_one_time(center, vaccine, lanes=lanes, share=100)
    return Slot.objects.get(dose=Slot.Dose.FIRST)


def agent_bookings(count: int, slot: Slot):
    """``count`` agents, each with a caller of their own household, ready to book ``slot``."""
    bookings = []
    for n in range(count):
        agent = make_agent(f"agent-{n}")
        person = factories.make_person(Household.objects.create(phone=f"+491510000{n:04d}"))
        # As if each had passed the check (the check itself is tested through the pages).
        identity._grant(agent=agent, household=person.household, method="sms_code")
        bookings.append(
            lambda agent=agent, person=person: acting.book(
                agent=agent,
                household=person.household,
                person_id=person.pk,
                slot_id=slot.pk,
                request_token=uuid.uuid4(),
            )
        )
    return bookings


def pair_seats(first: Slot) -> list[tuple[int, int, int]]:
    return list(
        Slot.objects.filter(pk__in=[first.pk, first.second_dose_slot_id])
        .order_by("starts_at")
        .values_list("capacity", "booked", "hotline_held")
    )


def test_agents_racing_for_the_held_seats_book_each_once(center, vaccine, open_for_80):
    first = held_time(center, vaccine, lanes=2)

    refusals = run_together(*agent_bookings(AGENTS, first), refusals=(HotlineError,))

    assert Series.objects.count() == 2
    assert len(refusals) == AGENTS - 2
    assert pair_seats(first) == [(2, 2, 0), (2, 2, 0)]


def test_negative_control_without_the_condition_the_race_breaks_the_check(
    center, vaccine, open_for_80, monkeypatch
):
    """The same race with the held seat taken unconditionally: losers drive
    ``hotline_held`` below zero, and only the CHECK constraint stops them (as a
    crash, not as the plain refusal the conditional UPDATE gives)."""
    first = held_time(center, vaccine, lanes=2)
    monkeypatch.setattr(
        services,
        "_TAKE_HELD_SERIES",
        services._TAKE_HELD_SERIES.replace(
            "AND (SELECT hotline_held FROM pair WHERE id = %(first)s) > 0", ""
        ),
    )

    refusals = run_together(*agent_bookings(AGENTS, first), refusals=(HotlineError, IntegrityError))

    assert any(isinstance(error, IntegrityError) for error in refusals), refusals
    assert Series.objects.count() == 2
    assert pair_seats(first) == [(2, 2, 0), (2, 2, 0)]


def test_an_agent_booking_while_the_hold_ends_gets_one_seat_either_way(
    center, vaccine, open_for_80
):
    first = held_time(center, vaccine, lanes=1)
    Slot.objects.filter(pk=first.pk).update(
        hotline_held_until=timezone.now() - timedelta(seconds=1)
    )
    [book] = agent_bookings(1, first)

    run_together(book, end_due_hotline_holds)

    # Held and booked, then nothing to give back; or given back, then booked as a free seat.
    assert Series.objects.count() == 1
    assert pair_seats(first) == [(1, 1, 0), (1, 1, 0)]
