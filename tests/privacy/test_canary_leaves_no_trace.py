"""A canary resident's name, number and date of birth are nowhere after the purge:
not in any text, JSON or date column of any table, not in Redis, not in the logs."""

import logging
import random
import string
from datetime import date, timedelta

import pytest
from django.utils import timezone

from booking.models import Appointment, Person
from booking.services import cancel_series
from booking.staff import check_in
from privacy.purge import purge
from tests import factories
from tests.invariants.clock import fake_clock
from tests.journeys import add_person_via_page, book_via_page, sent_messages, verify
from tests.privacy.canary import found_in_database, found_in_redis, let_redis_expire
from tests.privacy.helpers import morning
from tests.staff.conftest import make_staff
from tests.waitlist.helpers import book, link_of, open_offer_of
from waitlist.models import Entry
from waitlist.services import join_waitlist

pytestmark = pytest.mark.django_db(transaction=False)

LATER = timedelta(days=90)


def _letters(n: int) -> str:
    return "".join(random.choices(string.ascii_lowercase, k=n))


@pytest.fixture
def canary():
    born = date(1931, 2, random.randint(1, 28))
    number = f"151{random.randint(10**7, 10**8 - 1)}"
    return {
        "first_name": "Quirina" + _letters(6),
        "last_name": "Zwetschgen" + _letters(6),
        "born": born,
        "phone": f"+49{number}",
        # What to look for: the number with and without its country code, the
        # date as the database writes it and as a German page does.
        "needles": [number, born.isoformat(), born.strftime("%d.%m.%Y")],
    }


def _needles(canary) -> list[str]:
    return [canary["first_name"], canary["last_name"], *canary["needles"]]


def _journey(canary, client, center, vaccine) -> None:
    """Book through the pages, get a seat offered from the waiting list, have it
    checked in by staff (audit), cancel another booking, and send every SMS."""
    today = timezone.localdate()
    noon, _second = factories.make_bookable_pair(center, vaccine, day=today, hour=12, capacity=1)
    other = book(factories.make_person(first_name="Otto", last_name="Kurz"), noon)

    verify(client, canary["phone"])
    born = canary["born"]
    add_person_via_page(
        client,
        first_name=canary["first_name"],
        last_name=canary["last_name"],
        birth_day=str(born.day),
        birth_month=str(born.month),
        birth_year=str(born.year),
    )
    add_person_via_page(
        client,
        first_name="Ida" + canary["first_name"],
        last_name=canary["last_name"],
        birth_day=str(born.day),
        birth_month=str(born.month),
        birth_year=str(born.year),
    )
    waiting, cancelling = Person.objects.filter(last_name=canary["last_name"]).order_by("pk")

    # The waiting list: the noon seat is taken; it is offered when Otto cancels.
    entry = join_waitlist(person=waiting, center=center)
    cancel_series(household=other.person.household, booking_code=other.booking_code)
    sent_messages()
    offer = open_offer_of(entry)
    assert offer is not None
    path, _token = link_of(offer)
    assert client.post(path + "accept/").status_code == 302
    entry.refresh_from_db()
    assert entry.status == Entry.Status.SERVED

    # Staff check the first dose in: an audit entry about the canary's appointment.
    first = Appointment.objects.get(series__person=waiting, dose=1)
    check_in(appointment_ids=[first.pk], by=make_staff("staff-canary", center))

    # The other person books through the pages and cancels.
    later, _ = factories.make_bookable_pair(center, vaccine, day=factories.days_ahead(3))
    assert book_via_page(client, cancelling, later).status_code == 302
    series = cancelling.series.get()
    cancel_series(household=cancelling.household, booking_code=series.booking_code, reason="date")
    assert sent_messages(canary["phone"])


def test_the_canary_is_found_before_the_purge_and_nowhere_after(
    canary, client, center, vaccine, open_for_80, caplog
):
    caplog.set_level(logging.DEBUG)
    with fake_clock(morning()) as clock:
        _journey(canary, client, center, vaccine)

        # Negative control: the search finds every value while the data is needed.
        before = {needle for _table, _column, needle in found_in_database(_needles(canary))}
        name, number, born = canary["first_name"], canary["needles"][0], canary["needles"][1]
        assert {name, canary["last_name"], number, born} <= before
        assert found_in_redis(_needles(canary)), "the session in Redis holds the number"

        clock.advance(LATER)
        let_redis_expire(LATER.total_seconds())
        result = purge(commit=True)

    assert result.counts["booking.person"] >= 2
    assert found_in_database(_needles(canary)) == []
    assert found_in_redis(_needles(canary)) == []
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert logged, "the journey logged something"
    for needle in [canary["first_name"], canary["last_name"], canary["phone"]]:
        assert needle not in logged
