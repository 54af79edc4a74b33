import pytest

from tests import factories
from tests.waitlist.helpers import book, make_entry


@pytest.fixture
def pair(center, vaccine):
    """A full first-dose slot 3 days ahead (one seat, booked) and roomy second-dose slots."""
    first, second = factories.make_bookable_pair(center, vaccine, capacity=1, second_capacity=5)
    return first, second


@pytest.fixture
def booked(pair, open_for_80):
    """Someone holds the only first-dose seat; cancelling it frees the seat for the list."""
    first, _second = pair
    return book(factories.make_person(first_name="Gerd"), first)


@pytest.fixture
def waiting(center, open_for_80):
    """A person of a household of their own, waiting for the center."""
    return make_entry(factories.make_person(first_name="Ilse"), center=center)
