"""The groups and openings each process keeps for ELIGIBILITY_CACHE_SECONDS."""

from datetime import date
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from booking import eligibility
from booking.eligibility import eligibility_for, forget_rules
from booking.models import PriorityGroup, VaccineOpening
from tests import factories

pytestmark = pytest.mark.django_db

ON = date(2026, 1, 1)


@pytest.fixture(autouse=True)
def _cache_on(settings):
    """Switch the cache on, and let no test's rows reach another test."""
    settings.ELIGIBILITY_CACHE_SECONDS = 60
    forget_rules()
    yield
    forget_rules()


@pytest.fixture
def person():
    return factories.make_person(born=date(1940, 1, 1))


def test_the_rules_are_read_once_and_then_kept(person):
    factories.open_group(vaccines=[factories.make_vaccine("BioNTech")])
    with CaptureQueriesContext(connection) as first:
        assert eligibility_for(person, on=ON).can_book
    with CaptureQueriesContext(connection) as second:
        kept = eligibility_for(person, on=ON)
    assert len(first) == 2
    assert len(second) == 0
    assert [vaccine.name for vaccine in kept.bookable] == ["BioNTech"]
    assert kept.group is not None
    assert kept.group.name == "80 und älter"


def test_an_opening_saved_in_this_process_counts_at_once(person):
    group = factories.open_group(vaccines=[])
    assert not eligibility_for(person, on=ON).can_book  # now kept: nothing open
    VaccineOpening.objects.create(
        group=group, vaccine=factories.make_vaccine("Moderna"), scope=VaccineOpening.Scope.BOOKING
    )
    assert [vaccine.name for vaccine in eligibility_for(person, on=ON).bookable] == ["Moderna"]


def test_a_deleted_opening_and_a_renamed_group_count_at_once(person):
    group = factories.open_group(vaccines=[factories.make_vaccine("BioNTech")])
    assert eligibility_for(person, on=ON).can_book
    group.name = "Über 80"
    group.save()
    assert eligibility_for(person, on=ON).group.name == "Über 80"  # type: ignore[union-attr]
    VaccineOpening.objects.get(group=group).delete()
    assert not eligibility_for(person, on=ON).can_book


def test_a_change_made_elsewhere_counts_once_the_time_is_up(person):
    """Another process's change sends no signal here: the kept copy expires."""
    factories.open_group(vaccines=[factories.make_vaccine("BioNTech")])
    with mock.patch.object(eligibility, "monotonic", return_value=1000.0):
        assert eligibility_for(person, on=ON).can_book
    # As another process would: a bulk change sends no signal.
    VaccineOpening.objects.filter(scope=VaccineOpening.Scope.BOOKING).update(
        scope=VaccineOpening.Scope.WAITLIST
    )
    with mock.patch.object(eligibility, "monotonic", return_value=1059.0):
        assert eligibility_for(person, on=ON).can_book  # still the kept copy
    with mock.patch.object(eligibility, "monotonic", return_value=1060.0):
        assert not eligibility_for(person, on=ON).can_book


def test_with_the_cache_off_every_call_reads_the_rules(person, settings):
    settings.ELIGIBILITY_CACHE_SECONDS = 0
    factories.open_group(vaccines=[factories.make_vaccine("BioNTech")])
    assert eligibility_for(person, on=ON).can_book
    PriorityGroup.objects.update(min_age=90)  # no signal
    assert not eligibility_for(person, on=ON).can_book
