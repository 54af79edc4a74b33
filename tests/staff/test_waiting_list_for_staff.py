"""Staff see the waiting list of their center: how many wait (on the center's own
list and on its district's list), the offers out, and after a release how many
offers went out for the new appointments. Only for their own centers."""

import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import translation

from booking.services import cancel_series
from centers.admin import describe_release_offers, describe_waiting
from centers.models import SlotRelease
from centers.waiting_list import (
    ReleaseOffers,
    WaitingListFigures,
    offers_for_release,
    waiting_list_figures,
)
from tests import factories
from tests.journeys import german
from tests.staff.conftest import logged_in
from tests.staff.helpers import release_data
from tests.waitlist.helpers import book, make_entry, open_offer_of
from waitlist.models import Entry, Offer

pytestmark = pytest.mark.django_db

RELEASE = reverse("admin:centers_slot_release")


@pytest.fixture
def lists(center_a, center_b, vaccine, open_for_80):
    """Who waits: two on Hannover's own list and one paused, one on the list of the
    whole Region Hannover, one on the list of another center of the region, one in Celle."""
    neighbour = factories.make_center("Impfzentrum Laatzen", district=center_a.district)
    person = factories.make_person
    make_entry(person(first_name="Anna"), center=center_a)
    make_entry(person(first_name="Bernd"), center=center_a)
    paused = make_entry(person(first_name="Clara"), center=center_a)
    Entry.objects.filter(pk=paused.pk).update(status=Entry.Status.PAUSED)
    make_entry(person(first_name="Dieter"), district=center_a.district)
    make_entry(person(first_name="Emil"), center=neighbour)
    make_entry(person(first_name="Frieda"), center=center_b)
    return neighbour


def release_through_the_admin(client, center, vaccine, **overrides):
    """Preview and confirm a release (three days ahead, 08:00 to 09:00 every 10
    minutes, 2 lanes: 12 first-dose appointments); returns the page it leads to."""
    data = release_data(
        center,
        vaccine,
        first_day=factories.days_ahead(3).isoformat(),
        last_day=factories.days_ahead(3).isoformat(),
        **overrides,
    )
    plan = client.post(RELEASE, data).context["plan"]
    return client.post(
        RELEASE, {**data, "confirm": "1", "fingerprint": plan.fingerprint}, follow=True
    )


def text_of(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.content.decode()))


def waiting(own: int, district: int, paused: int = 0) -> str:
    """The page's sentence on who waits, in German."""
    with translation.override("de"):
        return describe_waiting(
            WaitingListFigures(own_list=own, district_list=district, paused=paused)
        )


def offers_out(count: int) -> str:
    return german(
        "%(count)d offer holds appointments of this center until the person answers.",
        "%(count)d offers hold appointments of this center until the people answer.",
        count=count,
    )


def offers_sent(count: int) -> str:
    return german(
        "%(count)d waiting-list offer has gone out for these appointments so far.",
        "%(count)d waiting-list offers have gone out for these appointments so far.",
        count=count,
    )


def test_the_figures_count_each_list_where_it_waits(center_a, center_b, lists):
    figures = waiting_list_figures([center_a.pk, center_b.pk, lists.pk])
    assert figures == {
        center_a.pk: WaitingListFigures(own_list=2, district_list=1, paused=1, offers_open=0),
        # The district's list waits for every center of the district.
        lists.pk: WaitingListFigures(own_list=1, district_list=1, paused=0, offers_open=0),
        center_b.pk: WaitingListFigures(own_list=1, district_list=0, paused=0, offers_open=0),
    }
    assert figures[center_a.pk].waiting == 3


def test_open_offers_count_at_the_center_whose_seats_they_hold(center_a, vaccine, lists):
    first, _second = factories.make_bookable_pair(center_a, vaccine, capacity=1)
    booked = book(factories.make_person(first_name="Gerd"), first)
    cancel_series(household=booked.person.household, booking_code=booked.booking_code)

    figures = waiting_list_figures([center_a.pk, lists.pk])

    assert Offer.objects.filter(status=Offer.Status.OPEN).count() == 1
    assert figures[center_a.pk].offers_open == 1
    assert figures[lists.pk].offers_open == 0
    # The person offered is no longer counted as waiting.
    assert figures[center_a.pk].waiting == 2


def test_the_centers_page_shows_its_waiting_list_to_its_staff(client_a, center_a, lists):
    response = client_a.get(reverse("admin:centers_center_change", args=[center_a.pk]))
    assert response.status_code == 200
    text = text_of(response)
    assert waiting(2, 1, paused=1) in text
    assert offers_out(0) in text
    # In German words (the catalogue has them).
    assert "3 Personen warten (2 auf der eigenen Liste" in text
    assert "1 Warteplatz ist pausiert." in text


def test_staff_see_no_other_centers_waiting_list(client_a, client_b, center_a, center_b, lists):
    assert (
        client_a.get(reverse("admin:centers_center_change", args=[center_b.pk])).status_code == 404
    )
    response = client_b.get(reverse("admin:centers_center_change", args=[center_b.pk]))
    text = text_of(response)
    assert waiting(1, 0) in text
    assert waiting(2, 1, paused=1) not in text


def test_after_a_release_staff_are_told_how_many_offers_went_out(
    client_a, center_a, vaccine, lists
):
    factories.make_delivery(center_a, vaccine, doses=1000)

    response = release_through_the_admin(client_a, center_a, vaccine)

    release = SlotRelease.objects.get()
    assert response.redirect_chain[-1][0] == reverse(
        "admin:centers_slotrelease_change", args=[release.pk]
    )
    # Anna, Bernd (the center's list) and Dieter (the district's) get an offer;
    # Clara is paused, Emil and Frieda wait for other centers.
    offered = Offer.objects.filter(first_slot__center=center_a)
    assert sorted(o.entry.person.first_name for o in offered) == ["Anna", "Bernd", "Dieter"]
    messages = [str(message) for message in response.context["messages"]]
    assert offers_sent(3) in messages
    text = text_of(response)
    with translation.override("de"):
        assert describe_release_offers(ReleaseOffers(made=3, open=3)) in text
    assert waiting(0, 0, paused=1) in text  # everyone else who waited has an offer now
    assert offers_out(3) in text
    # The release's own page names its weekdays (release_data: every day).
    assert "Mo, Di, Mi, Do, Fr, Sa, So" in text


def test_offers_made_before_a_release_are_not_counted_as_its_own(center_a, staff_a, vaccine, lists):
    first, _second = factories.make_bookable_pair(
        center_a, vaccine, day=factories.days_ahead(2), capacity=1
    )
    booked = book(factories.make_person(first_name="Gerd"), first)
    cancel_series(household=booked.person.household, booking_code=booked.booking_code)
    earlier = Offer.objects.get()
    factories.make_delivery(center_a, vaccine, doses=1000)

    release_through_the_admin(logged_in(staff_a), center_a, vaccine)

    offers = offers_for_release(SlotRelease.objects.get())
    assert offers is not None
    assert (offers.made, offers.open) == (2, 2)  # Bernd and Dieter; Anna holds the earlier one
    assert open_offer_of(earlier.entry) == earlier
    assert waiting_list_figures([center_a.pk])[center_a.pk].offers_open == 3


def test_a_release_nobody_waits_for_says_so(client_b, center_b, vaccine, open_for_80):
    factories.make_delivery(center_b, vaccine, doses=1000)

    response = release_through_the_admin(client_b, center_b, vaccine)

    messages = [str(message) for message in response.context["messages"]]
    assert offers_sent(0) in messages
    assert not Offer.objects.exists()


def test_staff_cannot_open_another_centers_release(client_a, client_b, center_b, vaccine, lists):
    factories.make_delivery(center_b, vaccine, doses=1000)
    release_through_the_admin(client_b, center_b, vaccine)
    release = SlotRelease.objects.get()
    url = reverse("admin:centers_slotrelease_change", args=[release.pk])
    assert client_a.get(url).status_code == 404
    assert "Frieda" not in text_of(client_b.get(url))  # figures, never names
