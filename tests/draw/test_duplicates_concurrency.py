"""The same person registered from several numbers at the same moment: one entry.

Real threads, each with its own connection, start together at a barrier; the
check before the insert cannot see the others' uncommitted rows, so only the
database's unique constraint (draw, person key) keeps the invariant.
"""

import threading
from datetime import timedelta

import pytest
from django.db import connection

from draw.models import DrawEntry
from tests import factories
from tests.draw.conftest import the_draw  # noqa: F401 -- the fixture
from waitlist.errors import WaitlistError
from waitlist.models import Entry
from waitlist.services import join_waitlist

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8


def test_one_entry_when_many_numbers_register_the_same_person_at_once(the_draw, time_machine):  # noqa: F811
    time_machine.move_to(the_draw.opens_at + timedelta(minutes=10), tick=False)
    copies = [factories.make_person(first_name="Erna", last_name="Gleich") for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def register(person) -> None:
        try:
            barrier.wait()
            join_waitlist(person=person)
            outcomes.append("registered")
        except WaitlistError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=register, args=(person,)) for person in copies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused"] * (THREADS - 1) + ["registered"]
    assert DrawEntry.objects.count() == 1
    assert Entry.objects.count() == 1
    assert Entry.objects.get().status == Entry.Status.DRAW
