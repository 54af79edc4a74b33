"""The public availability summary: right answers, served from the cache at the peak."""

import time
import uuid

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from booking import services
from stats import availability
from stats.counters import count
from stats.models import Metric
from tests import factories
from tests.kern import kern_problems

pytestmark = pytest.mark.django_db


@pytest.fixture
def centers(vaccine, open_for_80):
    hannover = factories.make_district("Region Hannover")
    available = factories.make_center("Impfzentrum Hannover", district=hannover)
    factories.make_delivery(available, vaccine)
    first, _second = factories.make_bookable_pair(available, vaccine, capacity=1)
    waiting = factories.make_center("Impfzentrum Laatzen", district=hannover)
    factories.make_delivery(waiting, vaccine)
    empty = factories.make_center("Impfzentrum Celle", district=factories.make_district("Celle"))
    return available, waiting, empty, first


def json_for(client, center) -> dict:
    response = client.get(reverse("stats:center_availability_json", args=[center.slug]))
    assert response.status_code == 200
    return response.json()


def test_each_center_reports_its_state_next_free_day_and_waiting_list(client, centers):
    available, waiting, empty, first = centers
    count(Metric.WAITLIST_JOINED, day=timezone.localdate(), center_id=waiting.pk, amount=3)
    count(Metric.WAITLIST_LEFT, day=timezone.localdate(), center_id=waiting.pk)
    count(Metric.WAITLIST_JOINED, day=timezone.localdate(), district_id=waiting.district_id)

    data = json_for(client, available)
    assert data["state"] == "available"
    assert data["next_free_day"] == timezone.localdate(first.starts_at).isoformat()
    assert data["waiting_list_length"] == 1  # the district-wide list waits here too
    assert json_for(client, waiting)["state"] == "waitlist"
    assert json_for(client, waiting)["waiting_list_length"] == 3
    assert json_for(client, empty) | {"as_of": None} == {
        "slug": empty.slug,
        "name": empty.name,
        "district": "Celle",
        "town": empty.town,
        "state": "no_vaccine",
        "next_free_day": None,
        "waiting_list_length": 0,
        "as_of": None,
    }


def test_all_centers_are_in_one_document_that_proxies_may_cache(client, centers):
    response = client.get(reverse("stats:availability_json"))
    assert [c["state"] for c in response.json()["centers"]] == [
        "no_vaccine",
        "available",
        "waitlist",
    ]
    assert "public" in response["Cache-Control"]
    assert "max-age=30" in response["Cache-Control"]


def test_repeated_requests_do_not_touch_the_database(client, centers, django_assert_num_queries):
    available = centers[0]
    client.get(reverse("stats:center_availability", args=[available.slug]))
    with django_assert_num_queries(0):
        page = client.get(reverse("stats:center_availability", args=[available.slug]))
        json_for(client, available)
        client.get(reverse("stats:availability_json"))
    assert page.status_code == 200


def test_a_booking_shows_after_the_cache_time_not_before(client, centers, settings):
    available, _waiting, _empty, first = centers
    first_day = timezone.localdate(first.starts_at).isoformat()
    assert json_for(client, available)["next_free_day"] == first_day
    person = factories.make_person()
    services.book_series(person=person, slot=first, request_token=uuid.uuid4())
    cached = json_for(client, available)
    assert (cached["state"], cached["next_free_day"]) == ("available", first_day)

    entry = cache.get(availability.CACHE_KEY)
    entry["computed"] = time.time() - settings.STATS_AVAILABILITY_CACHE_SECONDS - 1
    cache.set(availability.CACHE_KEY, entry)
    # The only first-dose seat is taken. The second-dose slot still has a free
    # seat, but it is reserved for a first dose that is gone: no appointment.
    assert first.second_dose_slot.capacity - first.second_dose_slot.booked == 2
    fresh = json_for(client, available)
    assert (fresh["state"], fresh["next_free_day"]) == ("waitlist", None)


def test_while_one_request_recomputes_the_others_get_the_stale_answer(
    client, centers, settings, django_assert_num_queries
):
    available = centers[0]
    json_for(client, available)
    entry = cache.get(availability.CACHE_KEY)
    entry["computed"] = time.time() - settings.STATS_AVAILABILITY_CACHE_SECONDS - 1
    cache.set(availability.CACHE_KEY, entry)
    cache.add(availability.LOCK_KEY, 1)  # someone else is recomputing
    with django_assert_num_queries(0):
        assert json_for(client, available)["state"] == "available"


def test_an_unknown_center_is_not_found(client, centers):
    assert client.get(reverse("stats:center_availability", args=["nowhere"])).status_code == 404
    assert (
        client.get(reverse("stats:center_availability_json", args=["nowhere"])).status_code == 404
    )


def test_the_page_says_the_state_in_words(client, centers):
    available = centers[0]
    response = client.get(reverse("stats:center_availability", args=[available.slug]))
    assert response.context["summary"].state_label == available.State.AVAILABLE.label
    assert available.name in response.content.decode()


# The page is a resident page: the residents' menu (all centers, booking, cancelling),
# never the ministry's, and the same KERN state badge as the start page.
RESIDENTS_MENU = ("centers:start", "booking:start", "booking:cancel_start")
MINISTRY_MENU = ("stats:overview", "stats:breakdown")


def page_of(client, center) -> str:
    response = client.get(reverse("stats:center_availability", args=[center.slug]))
    assert response.status_code == 200
    return response.content.decode()


def header_of(html: str) -> str:
    return html[html.index("<header") : html.index("</header>")]


@pytest.mark.parametrize("who", ["anybody", "the ministry"])
def test_the_page_shows_the_residents_menu_and_not_the_ministrys(
    client, ministry_user, centers, who
):
    if who == "the ministry":
        client.force_login(ministry_user)
    header = header_of(page_of(client, centers[0]))
    for name in RESIDENTS_MENU:
        assert f'href="{reverse(name)}"' in header, name
    for name in MINISTRY_MENU:
        assert f'href="{reverse(name)}"' not in header, name
    assert reverse("stats:logout") not in header


def test_the_page_uses_kern_and_the_start_pages_state_badge(client, centers):
    available, waiting, empty, _first = centers
    start = client.get(reverse("centers:start")).content.decode()
    for center, badge in [
        (available, "kern-badge--success"),
        (waiting, "kern-badge--warning"),
        (empty, "kern-badge--info"),
    ]:
        html = page_of(client, center)
        assert kern_problems(html) == [], center
        assert f'class="kern-badge {badge}"' in html, center
        assert f'class="kern-badge {badge}"' in start


def test_the_check_would_see_the_ministrys_menu(ministry_client):
    """Negative control: the ministry's own pages do have the links looked for."""
    html = ministry_client.get(reverse("stats:overview")).content.decode()
    assert f'href="{reverse("stats:overview")}"' in header_of(html)
    assert f'href="{reverse("booking:start")}"' not in header_of(html)
