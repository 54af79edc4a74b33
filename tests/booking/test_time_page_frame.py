"""The time page is served from a frame rendered once per center-day, list of times
and error (booking/time_page.py, impfportal/frames.py): what a resident gets must
be exactly what the template renders for them, with nothing of another resident."""

import re
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from booking import time_page
from booking.models import Series
from centers.models import Slot
from tests import factories
from tests.journeys import add_person_via_page, form_token, verify
from tests.journeys import time_page as time_page_url

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kept_time_page")]

# Each render masks the CSRF token anew and makes a new form token: not the page.
TOKENS = re.compile(r'(name="(?:csrfmiddlewaretoken|token)" value=")[^"]+"')
# A name a browser must show as written, not read as markup.
ODD_NAME = {"first_name": 'Anna "Änne"', "last_name": "Müller & Söhne"}


def without_tokens(html: str) -> str:
    return TOKENS.sub(r'\1…"', html)


def resident(client, phone, **person):
    verify(client, phone)
    add_person_via_page(client, **person)
    return client, client.get(reverse("booking:people")).context["members"][0][0]


def full_render(settings, client, method: str, url: str, data=None) -> str:
    """The same request with the kept list (and so the frame) switched off."""
    settings.TIME_PAGE_CACHE_SECONDS = 0
    try:
        return getattr(client, method)(url, data).content.decode()
    finally:
        settings.TIME_PAGE_CACHE_SECONDS = 60


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_framed_time_page_is_the_templates_page_for_each_resident(
    settings, client, day_with_two_times, language
):
    early, _late = day_with_two_times
    first, erna = resident(client, factories.unique_mobile())
    second, anna = resident(Client(), factories.unique_mobile(), **ODD_NAME)
    for browser in (first, second):
        if language == "en":
            browser.post(reverse("set_language"), {"language": "en", "next": "/"})
    first.get(time_page_url(erna, early))  # makes the frame
    url = time_page_url(anna, early)
    framed = second.get(url).content.decode()
    assert len(time_page._page) == 1  # the second resident's page came from it
    assert without_tokens(framed) == without_tokens(full_render(settings, second, "get", url))
    assert "\ue000" not in framed
    assert "Erna" not in framed
    assert f"/book/{erna.pk}/" not in framed
    assert "Anna &quot;Änne&quot; Müller &amp; Söhne" in framed
    assert f'href="/book/{anna.pk}/{early.center.slug}/"' in framed
    assert f'name="next" value="{url}"' in framed


def test_the_page_after_a_lost_race_is_the_templates_page(settings, client, day_with_two_times):
    early, late = day_with_two_times
    browser, erna = resident(client, factories.unique_mobile())
    url = time_page_url(erna, early)
    page = browser.get(url)
    Slot.objects.filter(pk=early.pk).update(booked=1)
    lost = browser.post(url, {"slot": early.pk, "token": form_token(page)}).content.decode()
    again = browser.post(url, {"slot": early.pk, "token": form_token(page)}).content.decode()
    assert len(time_page._page) == 2  # the page with the error is a shape of its own
    assert without_tokens(lost) == without_tokens(again)
    full = full_render(
        settings, browser, "post", url, {"slot": early.pk, "token": form_token(page)}
    )
    assert without_tokens(again) == without_tokens(full)
    assert "nicht mehr frei" in again
    assert re.findall(r'name="slot" value="(\d+)"', again) == [str(late.pk)]
    assert not Series.objects.exists()
    # The same list of times without the error is a page of its own.
    shown = browser.get(url).content.decode()
    assert "nicht mehr frei" not in shown
    assert re.findall(r'name="slot" value="(\d+)"', shown) == [str(late.pk)]


def test_each_load_gets_a_form_token_of_its_own_and_books_with_it(client, day_with_two_times):
    early, _late = day_with_two_times
    browser, erna = resident(client, factories.unique_mobile())
    url = time_page_url(erna, early)
    tokens = {form_token(browser.get(url)) for _ in range(3)}
    assert len(tokens) == 3
    booked = browser.post(url, {"slot": early.pk, "token": tokens.pop()})
    assert booked.status_code == 302
    assert Series.objects.get().person == erna


def test_a_day_without_free_times_links_each_resident_to_their_own_other_times(
    settings, client, center, vaccine, open_for_80
):
    day = factories.days_ahead(3)
    full, _ = factories.make_bookable_pair(center, vaccine, day=day, hour=9, capacity=1)
    later, _ = factories.make_bookable_pair(center, vaccine, day=factories.days_ahead(4), hour=10)
    first, erna = resident(client, factories.unique_mobile())
    second, anna = resident(Client(), factories.unique_mobile(), **ODD_NAME)
    first.get(time_page_url(erna, full))  # the day's frame with its list of times
    Slot.objects.filter(pk=full.pk).update(booked=1)
    time_page._copies.clear()  # the kept list is out of date: read again
    first.get(time_page_url(erna, full))  # the frame of the day without free times
    url = time_page_url(anna, full)
    framed = second.get(url).content.decode()
    assert len(time_page._page) == 2
    assert without_tokens(framed) == without_tokens(full_render(settings, second, "get", url))
    assert "An diesem Tag sind keine Termine mehr frei" in framed
    assert f'href="{time_page_url(anna, later)}"' in framed
    assert f"/book/{erna.pk}/" not in framed


def test_the_links_to_other_times_are_rendered_once_for_everyone(
    settings, client, center, vaccine, open_for_80
):
    day = factories.days_ahead(3)
    full, _ = factories.make_bookable_pair(center, vaccine, day=day, hour=9, capacity=1)
    later, _ = factories.make_bookable_pair(center, vaccine, day=factories.days_ahead(4), hour=10)
    Slot.objects.filter(pk=full.pk).update(booked=1)
    first, erna = resident(client, factories.unique_mobile())
    second, anna = resident(Client(), factories.unique_mobile(), **ODD_NAME)
    rendered = mock.Mock(side_effect=time_page.render_to_string)
    with mock.patch.object(time_page, "render_to_string", rendered):
        ernas = first.get(time_page_url(erna, full)).content.decode()
        annas = second.get(time_page_url(anna, full)).content.decode()
    links = [c.args[0] for c in rendered.call_args_list].count("booking/_other_times.html")
    assert links == 1
    assert f'href="{time_page_url(erna, later)}"' in ernas
    assert f'href="{time_page_url(anna, later)}"' in annas
    assert str(time_page._PERSON_STAND_IN) not in ernas + annas
    url = time_page_url(anna, full)
    assert without_tokens(annas) == without_tokens(full_render(settings, second, "get", url))
