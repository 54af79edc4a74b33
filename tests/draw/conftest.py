"""A draw for the district of the ``center`` fixture: registration tomorrow
08:00-12:00 (local), seats three days ahead."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from booking.models import Person
from draw.models import Draw, DrawEntry
from tests import factories
from waitingroom.models import Opening
from waitlist.models import Entry
from waitlist.services import join_waitlist

OLD = date(1938, 5, 17)  # group rank 1 (80 and older)
YOUNGER = date(1951, 3, 2)  # group rank 2 (70 to 79)


@pytest.fixture
def groups(vaccine, open_for_80):
    factories.open_group("70 bis 79", min_age=70, rank=2, vaccines=[vaccine])


@pytest.fixture
def window_start():
    return factories.local_datetime(timezone.localdate() + timedelta(days=1), 8)


@pytest.fixture
def the_draw(db, center, vaccine, groups, window_start) -> Draw:
    opening = Opening.objects.create(
        name="Auslosung 80+",
        mode=Opening.Mode.DRAW,
        vaccine=vaccine,
        opens_at=window_start,
        prequeue_starts_at=window_start,
    )
    made = Draw.objects.create(
        opening=opening, closes_at=window_start + timedelta(hours=4), seats=3
    )
    made.districts.add(center.district)
    return made


def person(name: str, born: date = OLD, household=None) -> Person:
    return factories.make_person(household, first_name=name, last_name="Test", born=born)


def register(time_machine, moment, someone: Person, **kwargs) -> Entry:
    """Join the waiting list (the draw's registration) at ``moment``."""
    time_machine.move_to(moment, tick=False)
    return join_waitlist(person=someone, **kwargs)


def register_many(time_machine, the_draw: Draw, count: int, *, born: date = OLD) -> list[Entry]:
    """``count`` people, one a minute from the window's start."""
    return [
        register(
            time_machine,
            the_draw.opens_at + timedelta(minutes=i),
            person(f"P{born.year}-{i}", born=born),
        )
        for i in range(count)
    ]


def ranked(the_draw: Draw) -> list[int]:
    """Entry ids in draw order."""
    return list(
        DrawEntry.objects.filter(draw=the_draw).order_by("rank").values_list("entry_id", flat=True)
    )


def after_close(time_machine, the_draw: Draw) -> None:
    time_machine.move_to(the_draw.closes_at + timedelta(seconds=1), tick=False)
