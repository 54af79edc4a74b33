"""The centers with their states for the waiting list's choice of scope, kept by each
process for START_PAGE_CACHE_SECONDS as the start page keeps its list (the tests
switch it off elsewhere)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from centers.selectors import centers_with_states, forget_states
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_on(settings):
    """Switch the copy on, and let no test's rows reach another test."""
    settings.START_PAGE_CACHE_SECONDS = 60
    forget_states()
    yield
    forget_states()


def states(centers) -> list[tuple[str, str]]:
    return [(center.name, center.state) for center in centers]


def test_the_states_are_read_once_per_set_of_vaccines_and_then_kept(center, vaccine):
    other = factories.make_vaccine("Moderna")
    factories.make_bookable_pair(center, vaccine)
    with CaptureQueriesContext(connection) as first:
        found = centers_with_states([vaccine])
    with CaptureQueriesContext(connection) as second:
        kept = centers_with_states([vaccine])
    with CaptureQueriesContext(connection) as third:
        for_other = centers_with_states([other])
    assert (len(first), len(second), len(third)) == (1, 0, 1)
    assert states(found) == states(kept) == [(center.name, "available")]
    # Another vaccine's state is its own: no free time for it here (and no delivery).
    assert states(for_other) == [(center.name, "no_vaccine")]


def test_booked_out_seats_show_late_but_a_new_center_at_once(center, vaccine):
    first, _second = factories.make_bookable_pair(center, vaccine, capacity=1)
    assert states(centers_with_states([vaccine])) == [(center.name, "available")]
    first.booked = 1
    first.save(update_fields=["booked"])
    # The copy's age decides for the seats (as on the start page) ...
    assert states(centers_with_states([vaccine])) == [(center.name, "available")]
    # ... a center saved in this process is seen at once, with the seats as they are.
    hildesheim = factories.make_center("Impfzentrum Hildesheim", district=center.district)
    assert sorted(states(centers_with_states([vaccine]))) == sorted(
        [(center.name, "no_vaccine"), (hildesheim.name, "no_vaccine")]
    )


def test_switched_off_it_reads_every_time(settings, center, vaccine):
    settings.START_PAGE_CACHE_SECONDS = 0
    first, _second = factories.make_bookable_pair(center, vaccine, capacity=1)
    assert states(centers_with_states([vaccine])) == [(center.name, "available")]
    first.booked = 1
    first.save(update_fields=["booked"])
    assert states(centers_with_states([vaccine])) == [(center.name, "no_vaccine")]
