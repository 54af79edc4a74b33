"""Issue 19: agents book the seats a release holds for the hotline; residents cannot."""

import uuid
from datetime import time

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from booking import services as booking_services
from booking.errors import SlotTaken
from booking.models import Person, Series
from centers.models import Slot, SlotRelease
from centers.release import ReleaseRequest, plan_release, release_slots
from hotline.models import AuditEntry
from sms.models import Message
from tests import factories
from tests.hotline.helpers import check_by_sms, search_phone
from tests.journeys import add_person_via_page, german, time_page

pytestmark = pytest.mark.django_db


def release_one_time(center, vaccine, *, lanes: int, share: int) -> SlotRelease:
    """One first-dose time, the day after tomorrow at 10:00, ``share`` percent held for 4 hours."""
    factories.make_delivery(center, vaccine, doses=100)
    day = factories.days_ahead(2)
    request = ReleaseRequest(
        center=center,
        vaccine=vaccine,
        first_day=day,
        last_day=day,
        weekdays=frozenset(range(1, 8)),
        opens_at=time(10),
        closes_at=time(10, 10),
        interval_minutes=10,
        lanes=lanes,
        hotline_share=share,
        hotline_hours=4 if share else 0,
    )
    staff = get_user_model().objects.create_user("impfzentrum", password="x", is_staff=True)
    return release_slots(request=request, fingerprint=plan_release(request).fingerprint, by=staff)


def the_pair() -> tuple[Slot, Slot]:
    first = Slot.objects.select_related("center", "vaccine", "second_dose_slot").get(
        dose=Slot.Dose.FIRST
    )
    assert first.second_dose_slot is not None
    return first, first.second_dose_slot


def seats(slot: Slot) -> tuple[int, int, int]:
    slot.refresh_from_db()
    return slot.capacity, slot.booked, slot.hotline_held


def book_url(person) -> str:
    return reverse("hotline:book", args=[person.household.pk, person.pk])


def agent_books(desk, person, slot):
    search_phone(desk, person.household.phone)
    check_by_sms(desk, person.household)
    page = desk.get(book_url(person))
    assert slot in page.context["slots"]
    desk.post(book_url(person), {"slot": slot.pk, "token": str(uuid.uuid4())})
    return page


def test_an_agent_books_a_held_seat_with_the_same_confirmation_and_audit(
    desk_a, agent_a, erna, center, vaccine, open_for_80
):
    release_one_time(center, vaccine, lanes=1, share=100)
    first, second = the_pair()
    assert seats(first) == seats(second) == (1, 1, 1)  # nothing free for anyone else

    page = agent_books(desk_a, erna, first)

    assert german("(held for the hotline)") in page.content.decode()
    series = Series.objects.get(person=erna)
    assert {a.slot_id for a in series.appointments.all()} == {first.pk, second.pk}
    # The held seats became the booking's: still taken, no longer held.
    assert seats(first) == seats(second) == (1, 1, 0)
    confirmation = Message.objects.get(idempotency_key=f"booked:{series.pk}")
    assert confirmation.recipient == erna.household.phone
    entry = AuditEntry.objects.get(action=AuditEntry.Action.BOOKED, agent=agent_a)
    assert entry.object_ref == f"series:{series.pk}"


def test_an_agent_books_a_free_seat_when_none_is_held(desk_a, erna, center, vaccine, open_for_80):
    release_one_time(center, vaccine, lanes=2, share=0)
    first, second = the_pair()

    page = agent_books(desk_a, erna, first)

    assert german("(held for the hotline)") not in page.content.decode()
    assert Series.objects.filter(person=erna).count() == 1
    assert seats(first) == seats(second) == (2, 1, 0)


def test_an_agent_takes_the_held_seat_first_then_the_free_ones(
    desk_a, desk_b, erna, otto, center, vaccine, open_for_80
):
    release_one_time(center, vaccine, lanes=2, share=50)
    first, second = the_pair()
    assert seats(first) == seats(second) == (2, 1, 1)

    agent_books(desk_a, erna, first)
    assert seats(first) == seats(second) == (2, 1, 0)
    agent_books(desk_b, otto, first)
    assert seats(first) == seats(second) == (2, 2, 0)
    assert Series.objects.count() == 2


def test_a_resident_cannot_book_a_held_seat_even_by_posting_its_time(
    verified_client, center, vaccine, open_for_80
):
    release_one_time(center, vaccine, lanes=1, share=100)
    first, second = the_pair()
    add_person_via_page(verified_client)
    person = Person.objects.get()
    url = time_page(person, first)

    page = verified_client.get(url)
    assert page.context["slots"] == []  # not shown
    response = verified_client.post(url, {"slot": first.pk, "token": str(uuid.uuid4())})

    assert response.status_code == 200
    assert german("This time is no longer available. Please choose another one.") in (
        response.content.decode()
    )
    with pytest.raises(SlotTaken):  # nor through the service itself
        booking_services.book_series(person=person, slot=first, request_token=uuid.uuid4())
    assert not Series.objects.exists()
    assert seats(first) == seats(second) == (1, 1, 1)
