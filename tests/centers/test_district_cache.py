"""Which district a postal code belongs to, kept by each process for
DISTRICT_CACHE_SECONDS (the tests switch it off elsewhere)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from centers.models import PostalCode
from centers.selectors import forget_districts, responsible_district
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_on(settings):
    """Switch the cache on, and let no test's rows reach another test."""
    settings.DISTRICT_CACHE_SECONDS = 60
    forget_districts()
    yield
    forget_districts()


def test_a_postal_code_is_looked_up_once_and_then_kept():
    hannover = factories.make_district(postal_codes=[("30159", "Hannover")])
    with CaptureQueriesContext(connection) as first:
        found = responsible_district("30159")
    with CaptureQueriesContext(connection) as second:
        kept = responsible_district("30159")
    assert len(first) == 1
    assert len(second) == 0
    assert found == kept == hannover
    assert kept is not None
    assert (kept.name, kept.slug) == (hannover.name, hannover.slug)


def test_each_caller_gets_a_district_of_its_own():
    factories.make_district(postal_codes=[("30159", "Hannover")])
    mine = responsible_district("30159")
    assert mine is not None
    mine.name = "changed by one caller"
    again = responsible_district("30159")
    assert again is not None
    assert again.name == "Region Hannover"


def test_moving_a_postal_code_is_seen_at_once_in_this_process():
    factories.make_district(postal_codes=[("30159", "Hannover")])
    hildesheim = factories.make_district("Landkreis Hildesheim")
    responsible_district("30159")
    area = PostalCode.objects.get(code="30159")
    area.district = hildesheim
    area.save()
    assert responsible_district("30159") == hildesheim


def test_renaming_a_district_is_seen_at_once_in_this_process():
    hannover = factories.make_district(postal_codes=[("30159", "Hannover")])
    responsible_district("30159")
    hannover.name = "Region Hannover (neu)"
    hannover.save()
    renamed = responsible_district("30159")
    assert renamed is not None
    assert renamed.name == "Region Hannover (neu)"


def test_an_unknown_code_is_not_kept_so_a_code_added_in_bulk_is_found_at_once():
    hannover = factories.make_district()
    assert responsible_district("30159") is None
    PostalCode.objects.bulk_create([PostalCode(code="30159", town="Hannover", district=hannover)])
    assert responsible_district("30159") == hannover


def test_without_the_cache_every_lookup_asks_the_database(settings):
    settings.DISTRICT_CACHE_SECONDS = 0
    factories.make_district(postal_codes=[("30159", "Hannover")])
    responsible_district("30159")
    with CaptureQueriesContext(connection) as again:
        responsible_district("30159")
    assert len(again) == 1
