"""The offer link: see both appointments, accept or decline, and every bad link."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from booking.models import Appointment, Series
from booking.services import cancel_series
from sms.models import Message
from tests import factories
from tests.journeys import german, sent_messages
from tests.waitlist.helpers import book, link_of, make_entry, open_offer_of, seat_problems
from waitlist.exchange import offer_free_seats
from waitlist.models import Entry, Offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(booked, waiting):
    cancel_series(household=booked.person.household, booking_code=booked.booking_code)
    return open_offer_of(waiting)


@pytest.fixture
def second_in_line(center):
    return make_entry(factories.make_person(first_name="Otto"), center=center)


def answer(client, offer, action, token=None):
    _path, real_token = link_of(offer)
    url = reverse(f"waitlist:{action}", args=[offer.pk, token or real_token])
    return client.post(url)


def test_the_link_shows_center_both_appointments_and_the_deadline(client, offer):
    path, _token = link_of(offer)
    before = client.get(path)
    assert before.status_code == 200
    assert before.context["offer"] == offer
    page = before.content.decode()
    assert offer.first_slot.center.name in page
    for slot in (offer.first_slot, offer.second_slot):
        assert timezone.localtime(slot.starts_at).strftime("%H:%M") in page
    assert before["Cache-Control"].startswith("max-age=0")

    sent_messages()  # the SMS reaches the provider: the time to answer starts
    offer.refresh_from_db()
    after = client.get(path).content.decode()
    assert timezone.localtime(offer.deadline).strftime("%H:%M") in after


def test_accepting_books_both_held_seats(client, offer, pair):
    first, second = pair
    response = answer(client, offer, "accept")

    assert response.status_code == 302
    assert response["Location"] == reverse("waitlist:answered", args=[offer.pk])
    series = Series.objects.get(person=offer.entry.person)
    assert series.is_active
    assert sorted(series.appointments.values_list("dose", "slot_id")) == [
        (1, first.pk),
        (2, second.pk),
    ]
    offer.refresh_from_db()
    assert (offer.status, offer.series) == (Offer.Status.ACCEPTED, series)
    assert Entry.objects.get(pk=offer.entry_id).status == Entry.Status.SERVED
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.booked, second.booked) == (1, 1)  # the held seats, not two more
    assert seat_problems() == []
    assert Message.objects.filter(idempotency_key=f"booked:{series.pk}").exists()
    done = client.get(response["Location"])
    assert series.booking_code in done.content.decode()


def test_accepting_twice_books_once(client, offer):
    answer(client, offer, "accept")
    again = answer(client, offer, "accept")
    assert again.status_code == 409
    assert (
        german("You have already accepted this offer. The appointments are booked.")
        in again.content.decode()
    )
    assert Series.objects.filter(person=offer.entry.person).count() == 1
    assert Appointment.objects.filter(series__person=offer.entry.person).count() == 2
    assert seat_problems() == []


def test_declining_passes_the_offer_on_at_once(client, offer, second_in_line):
    response = answer(client, offer, "decline")

    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.status == Offer.Status.DECLINED
    entry = Entry.objects.get(pk=offer.entry_id)
    assert entry.status == Entry.Status.WAITING  # keeps the place in line
    assert entry.missed_offers == 0
    passed_on = open_offer_of(second_in_line)
    assert passed_on is not None
    assert passed_on.first_slot_id == offer.first_slot_id
    assert seat_problems() == []
    assert client.get(response["Location"]).status_code == 200


def test_accepting_after_the_deadline_says_so_and_passes_the_seat_on(client, offer, second_in_line):
    Offer.objects.filter(pk=offer.pk).update(deadline=timezone.now() - timedelta(seconds=1))

    response = answer(client, offer, "accept")

    assert response.status_code == 409
    assert (
        german(
            "The time to answer this offer has passed. The appointment was offered to the "
            "next person."
        )
        in response.content.decode()
    )
    assert not Series.objects.filter(person=offer.entry.person).exists()
    offer.refresh_from_db()
    assert offer.status == Offer.Status.EXPIRED
    assert open_offer_of(second_in_line) is not None
    assert seat_problems() == []


def test_a_used_link_gets_a_plain_message_and_changes_nothing(client, offer, second_in_line):
    path, _ = link_of(offer)
    answer(client, offer, "decline")
    passed_on = open_offer_of(second_in_line)

    page = client.get(path)
    assert page.status_code == 200
    assert (
        german("You have declined this offer. The appointment was offered to the next person.")
        in page.content.decode()
    )
    assert answer(client, offer, "accept").status_code == 409
    assert answer(client, offer, "decline").status_code == 409
    assert not Series.objects.filter(person=offer.entry.person).exists()
    assert open_offer_of(second_in_line) == passed_on


@pytest.mark.parametrize("action", ["offer", "accept", "decline"])
def test_a_tampered_or_foreign_link_is_refused(client, offer, action, center, vaccine):
    other_first, _ = factories.make_bookable_pair(center, vaccine, day=factories.days_ahead(6))
    other = make_entry(factories.make_person(first_name="Fremd"), center=center)
    offer_free_seats(slot_ids=[other_first.pk])
    foreign = open_offer_of(other)
    assert foreign is not None
    _path, token = link_of(offer)
    _path, foreign_token = link_of(foreign)

    for offer_id, bad_token in [
        (offer.pk, token[:-1] + ("A" if token[-1] != "A" else "B")),  # tampered
        (offer.pk, foreign_token),  # another offer's token
        (offer.pk + 1000, token),  # an offer that does not exist
        (offer.pk, "x"),
    ]:
        url = reverse(f"waitlist:{action}", args=[offer_id, bad_token])
        response = client.get(url) if action == "offer" else client.post(url)
        assert response.status_code == 404
        assert (
            german(
                "This link is not valid. Please check that you opened the whole link from the text."
            )
            in response.content.decode()
        )
    for unchanged in (offer, foreign):
        unchanged.refresh_from_db()
        assert unchanged.status == Offer.Status.OPEN
    assert not Series.objects.filter(person__in=[offer.entry.person, other.person]).exists()


def test_answering_is_post_only(client, offer):
    _path, token = link_of(offer)
    assert client.get(reverse("waitlist:accept", args=[offer.pk, token])).status_code == 405
    offer.refresh_from_db()
    assert offer.is_open


def test_the_result_page_is_only_for_the_browser_that_answered(client, offer):
    answer(client, offer, "accept")
    url = reverse("waitlist:answered", args=[offer.pk])
    assert client.get(url).status_code == 200
    assert Client().get(url).status_code == 404


def test_after_booking_directly_an_accept_passes_the_seats_on(
    client, offer, second_in_line, center, vaccine
):
    first, _ = factories.make_bookable_pair(center, vaccine, day=factories.days_ahead(8))
    book(offer.entry.person, first)

    response = answer(client, offer, "accept")

    assert response.status_code == 409
    offer.refresh_from_db()
    assert offer.status == Offer.Status.WITHDRAWN
    assert Entry.objects.get(pk=offer.entry_id).status == Entry.Status.CLOSED
    assert open_offer_of(second_in_line) is not None
    assert Series.objects.filter(person=offer.entry.person).count() == 1
    assert seat_problems() == []


def test_the_page_after_accepting_is_the_normal_booking_confirmation(client, offer):
    """Reached from the SMS link without a verified session, it still shows the
    vaccine, what to bring and how to cancel, as the booking confirmation does."""
    answer(client, offer, "accept")
    series = Series.objects.get(person=offer.entry.person)

    page = client.get(reverse("waitlist:answered", args=[offer.pk])).content.decode()

    assert german("Your appointments are booked") in page
    assert series.booking_code in page
    assert series.vaccine.name in page
    assert german("Please bring") in page
    assert reverse("booking:cancel", args=[series.booking_code]) in page
