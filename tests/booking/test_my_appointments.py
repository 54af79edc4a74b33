""" "Meine Termine": each appointment's status once, in the table."""

import re

import pytest
from django.urls import reverse

from booking.services import cancel_series
from tests import factories
from tests.booking.conftest import in_english

pytestmark = pytest.mark.django_db


@pytest.fixture
def cancelled(verified_client, home, center, vaccine, open_for_80):
    from tests.waitlist.helpers import book

    first, _second = factories.make_bookable_pair(center, vaccine)
    series = book(factories.make_person(home), first)
    cancel_series(household=home, booking_code=series.booking_code, reason="")
    return series


def _main(response) -> str:
    content = response.content.decode()
    match = re.search(r"<main.*?</main>", content, re.S)
    assert match
    return match.group(0)


def test_a_cancelled_booking_says_cancelled_only_in_the_table(verified_client, cancelled):
    main = _main(verified_client.get(reverse("booking:my_appointments")))
    assert cancelled.booking_code in main
    assert main.count("storniert") == 2  # one per dose, in the status column
    assert '<p class="kern-body">storniert</p>' not in main


def test_a_cancelled_booking_says_cancelled_only_in_the_table_in_english(
    verified_client, cancelled
):
    in_english(verified_client)
    main = _main(verified_client.get(reverse("booking:my_appointments")))
    assert main.count("cancelled") == 2
