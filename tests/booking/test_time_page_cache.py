"""The time page's free times, kept per process for TIME_PAGE_CACHE_SECONDS
(booking/time_page.py); the booking itself never trusts the copy."""

from unittest import mock

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from booking import time_page
from booking.models import Series
from centers.models import Slot
from tests.journeys import form_token, shown_times
from tests.journeys import time_page as time_page_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kept_time_page")]


def open_page(client, person, slot):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(time_page_url(person, slot))
    assert response.status_code == 200
    return response, len(queries)


def test_a_second_visit_within_the_time_is_served_from_the_copy(
    verified_client, erna, day_with_two_times
):
    early, late = day_with_two_times
    first, first_queries = open_page(verified_client, erna, early)
    # Someone takes the early time meanwhile: the copy still shows it...
    Slot.objects.filter(pk=early.pk).update(booked=1)
    second, second_queries = open_page(verified_client, erna, early)
    assert shown_times(first) == shown_times(second) == [early.pk, late.pk]
    assert second_queries == first_queries - 1  # the person only, no free times
    # ...and each page has a form token of its own.
    assert form_token(first) != form_token(second)


def test_after_the_time_the_page_reads_the_free_times_again(
    verified_client, erna, day_with_two_times
):
    early, late = day_with_two_times
    with mock.patch.object(time_page, "monotonic", return_value=1000.0):
        open_page(verified_client, erna, early)
    Slot.objects.filter(pk=early.pk).update(booked=1)
    with mock.patch.object(time_page, "monotonic", return_value=1059.0):
        kept, _ = open_page(verified_client, erna, early)
    with mock.patch.object(time_page, "monotonic", return_value=1060.0):
        fresh, _ = open_page(verified_client, erna, early)
    assert shown_times(kept) == [early.pk, late.pk]
    assert shown_times(fresh) == [late.pk]


def test_a_time_taken_since_the_copy_is_refused_and_the_error_page_is_fresh(
    verified_client, erna, day_with_two_times
):
    early, late = day_with_two_times
    page, _ = open_page(verified_client, erna, early)
    Slot.objects.filter(pk=early.pk).update(booked=1)
    token = form_token(page)
    response = verified_client.post(time_page_url(erna, early), {"slot": early.pk, "token": token})
    assert response.status_code == 200
    assert not Series.objects.exists()
    assert shown_times(response) == [late.pk]


def test_without_the_copy_every_visit_reads_the_free_times(
    verified_client, erna, day_with_two_times, settings
):
    settings.TIME_PAGE_CACHE_SECONDS = 0
    early, late = day_with_two_times
    open_page(verified_client, erna, early)
    Slot.objects.filter(pk=early.pk).update(booked=1)
    second, _ = open_page(verified_client, erna, early)
    assert shown_times(second) == [late.pk]


def test_the_copy_is_kept_per_language(verified_client, erna, day_with_two_times):
    from tests.booking.conftest import in_english

    early, _late = day_with_two_times
    german, _ = open_page(verified_client, erna, early)
    in_english(verified_client)
    english, _ = open_page(verified_client, erna, early)
    assert "2. Impfung am" in german.content.decode()
    assert "second dose on" in english.content.decode()


def fieldset_body(response) -> str:
    content = response.content.decode()
    start = content.index('<div class="kern-fieldset__body">')
    return content[start : content.index("</fieldset>", start)]


def test_the_kept_list_is_the_list_the_page_renders_itself(
    verified_client, erna, day_with_two_times, settings
):
    early, _late = day_with_two_times
    open_page(verified_client, erna, early)
    kept, _ = open_page(verified_client, erna, early)
    settings.TIME_PAGE_CACHE_SECONDS = 0
    fresh, _ = open_page(verified_client, erna, early)
    assert fieldset_body(kept) == fieldset_body(fresh)
    assert 'name="slot"' in fieldset_body(kept)


def test_the_booking_post_takes_the_center_from_the_copy_and_404s_an_unknown_one(center):
    assert time_page.center(center.slug) == center
    with CaptureQueriesContext(connection) as queries:
        assert time_page.center(center.slug) == center
    assert len(queries) == 0
    with pytest.raises(Http404):
        time_page.center("no-such-center")


def test_without_the_copy_the_center_is_read_each_time(center, settings):
    settings.TIME_PAGE_CACHE_SECONDS = 0
    time_page.center(center.slug)
    with CaptureQueriesContext(connection) as queries:
        time_page.center(center.slug)
    assert len(queries) == 1


def test_a_lost_race_reads_the_times_fresh_and_keeps_them_as_the_copy(
    verified_client, erna, day_with_two_times
):
    early, late = day_with_two_times
    open_page(verified_client, erna, early)
    page, kept_queries = open_page(verified_client, erna, early)
    Slot.objects.filter(pk=early.pk).update(booked=1)
    token = form_token(page)
    lost = verified_client.post(time_page_url(erna, early), {"slot": early.pk, "token": token})
    assert shown_times(lost) == [late.pk]
    # The next visitor in this process sees what the lost race read, from the copy.
    again, queries = open_page(verified_client, erna, early)
    assert shown_times(again) == [late.pk]
    assert queries == kept_queries


def test_after_a_lost_race_the_list_is_rendered_again_only_for_other_times(
    center, vaccine, day_with_two_times
):
    early, late = day_with_two_times
    day = timezone.localdate(early.starts_at)
    rendered = mock.Mock(side_effect=time_page.render_to_string)

    def read_fresh(at: float) -> list[int]:
        with (
            mock.patch.object(time_page, "monotonic", return_value=at),
            mock.patch.object(time_page, "render_to_string", rendered),
        ):
            _center, slots, options = time_page.free_times(center.slug, [vaccine], day, fresh=True)
        assert options is not None
        assert f'value="{slots[0].pk}"' in options
        return [slot.pk for slot in slots]

    assert read_fresh(1000.0) == [early.pk, late.pk]
    assert rendered.call_count == 1
    assert read_fresh(1010.0) == [early.pk, late.pk]  # the same times: the same list
    assert rendered.call_count == 1
    Slot.objects.filter(pk=early.pk).update(booked=1)
    assert read_fresh(1020.0) == [late.pk]  # other times: rendered again
    assert rendered.call_count == 2
    assert read_fresh(1080.0) == [late.pk]  # the same, but rendered too long ago
    assert rendered.call_count == 3


def test_after_a_lost_race_the_times_are_read_in_full_only_when_others_are_free(
    center, vaccine, day_with_two_times
):
    early, late = day_with_two_times
    day = timezone.localdate(early.starts_at)
    read_in_full = mock.Mock(side_effect=time_page.selectors.center_with_free_slots)

    def read_fresh(at: float) -> list[int]:
        with (
            mock.patch.object(time_page, "monotonic", return_value=at),
            mock.patch.object(time_page.selectors, "center_with_free_slots", read_in_full),
        ):
            _center, slots, _options = time_page.free_times(center.slug, [vaccine], day, fresh=True)
        return [slot.pk for slot in slots]

    assert read_fresh(1000.0) == [early.pk, late.pk]  # no copy yet
    assert read_in_full.call_count == 1
    with CaptureQueriesContext(connection) as queries:
        assert read_fresh(1010.0) == [early.pk, late.pk]  # the same times: ids only
    assert read_in_full.call_count == 1
    assert len(queries) == 1
    assert queries[0]["sql"].startswith('SELECT "centers_slot"."id" AS "pk" FROM')  # no instances
    Slot.objects.filter(pk=early.pk).update(booked=1)
    assert read_fresh(1020.0) == [late.pk]  # other times: read in full
    assert read_in_full.call_count == 2
    # A kept list rendered too long ago is read in full whatever the ids.
    assert read_fresh(1080.0) == [late.pk]
    assert read_in_full.call_count == 3
