"""The unfiltered start page keeps its content (search box and list of centers)
in the process's "pages" cache for START_PAGE_CACHE_SECONDS, so that a crowd
costs one query per interval; searches are always answered fresh."""

import pytest
from django.core.cache import caches
from django.urls import reverse
from django.utils import translation

from tests import factories
from tests.journeys import german

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.START_PAGE_CACHE_SECONDS = 60
    caches["pages"].clear()  # the process's own memory outlives a test
    yield
    caches["pages"].clear()


@pytest.fixture
def hannover(vaccine):
    district = factories.make_district(postal_codes=[("30159", "Hannover")])
    center = factories.make_center("Impfzentrum Hannover", district=district)
    factories.make_delivery(center, vaccine)
    factories.make_bookable_pair(center, vaccine)
    return center


def test_the_list_comes_from_the_cache_without_a_query(
    client, cached, hannover, django_assert_num_queries
):
    first = client.get(reverse("centers:start"))
    with django_assert_num_queries(0):
        again = client.get(reverse("centers:start"))
    assert again.status_code == 200
    for response in (first, again):
        assert "Impfzentrum Hannover" in response.content.decode()
        assert german("Appointments available") in response.content.decode()


def test_a_new_center_appears_when_the_cached_list_expires(client, cached, hannover, settings):
    client.get(reverse("centers:start"))
    factories.make_center("Impfzentrum Laatzen", district=hannover.district)
    assert "Impfzentrum Laatzen" not in client.get(reverse("centers:start")).content.decode()

    settings.START_PAGE_CACHE_SECONDS = 0
    assert "Impfzentrum Laatzen" in client.get(reverse("centers:start")).content.decode()


def test_a_search_is_always_answered_fresh(client, cached, hannover):
    client.get(reverse("centers:start"), {"q": "Hannover"})
    factories.make_center("Impfzentrum Langenhagen", district=hannover.district)
    response = client.get(reverse("centers:start"), {"q": "Hannover"})
    assert "Impfzentrum Langenhagen" in response.content.decode()


@pytest.mark.parametrize("text", ["   ", "\x07", "x" * 61])
def test_a_search_text_never_reaches_the_copy_others_get(client, cached, hannover, text):
    """Blank, cleaned to nothing, or too long: the box shows it, so that page is not kept."""
    searched = client.get(reverse("centers:start"), {"q": text}).content.decode()
    plain = client.get(reverse("centers:start")).content.decode()
    assert f'value="{text}"' in searched
    assert "value=" not in plain.split('name="q"')[1].split(">")[0]
    assert "Impfzentrum Hannover" in plain


def test_each_language_has_its_own_copy(client, cached, hannover):
    in_german = client.get(reverse("centers:start")).content.decode()
    # The request activates English in this thread; give later tests German back.
    with translation.override(translation.get_language()):
        in_english = client.get(
            reverse("centers:start"), headers={"accept-language": "en"}
        ).content.decode()
    assert german("Appointments available") in in_german
    assert "Appointments available" in in_english
    assert german("Appointments available") not in in_english
