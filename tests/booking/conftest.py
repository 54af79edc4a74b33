import pytest
from django.urls import reverse

from booking import services, time_page
from tests import factories


@pytest.fixture
def home(verified_client):
    """The household of the verified client's number."""
    return services.household_for(verified_client.phone)


@pytest.fixture
def erna(home, open_for_80):
    """A person of the verified household who may book (80 and older is open)."""
    return factories.make_person(home)


@pytest.fixture
def strangers_person(open_for_80):
    """A person of another household."""
    return factories.make_person(first_name="Fremd")


def in_english(client) -> None:
    """Switch the client's pages to English, as the language button does."""
    client.post(reverse("set_language"), {"language": "en", "next": "/"})


@pytest.fixture
def booked_erna(erna, center, vaccine):
    """Erna holds an active series."""
    from tests.waitlist.helpers import book

    first, _second = factories.make_bookable_pair(center, vaccine)
    return book(erna, first)


@pytest.fixture
def offered_erna(erna, center, vaccine):
    """Erna waits for the center and has just been offered its free seat."""
    from tests.waitlist.helpers import make_entry, open_offer_of
    from waitlist.exchange import offer_free_seats_for

    factories.make_bookable_pair(center, vaccine)
    entry = make_entry(erna, center=center)
    offer_free_seats_for(entry)
    offer = open_offer_of(entry)
    assert offer is not None
    return offer


@pytest.fixture
def waiting_erna(erna, center):
    """Erna waits for the center; no seat is free, so no offer."""
    from tests.waitlist.helpers import make_entry

    return make_entry(erna, center=center)


@pytest.fixture
def kept_time_page(settings):
    """The time page's kept list (and so its frame) on, as in production."""
    settings.TIME_PAGE_CACHE_SECONDS = 60
    time_page.forget()
    yield
    time_page.forget()


@pytest.fixture
def day_with_two_times(center, vaccine, open_for_80):
    """Two first-dose times of one seat each, at 9 and 11 o'clock, three days ahead."""
    day = factories.days_ahead(3)
    early, _ = factories.make_bookable_pair(center, vaccine, day=day, hour=9, capacity=1)
    late, _ = factories.make_bookable_pair(center, vaccine, day=day, hour=11, capacity=1)
    return early, late
