"""A slot and a release name their dates in the active language's short form
(impfportal/formats): German "05.12.2026 09:00", English "05/12/2026 09:00"."""

from datetime import date, time

import pytest
from django.utils import translation

from centers.models import SlotRelease
from tests import factories

pytestmark = pytest.mark.django_db

SATURDAY = date(2026, 12, 5)


@pytest.fixture
def slot(center, vaccine):
    return factories.make_slot(center, vaccine, factories.local_datetime(SATURDAY, 9))


def release(center, vaccine, *, first_day: date, last_day: date) -> SlotRelease:
    return SlotRelease.objects.create(
        center=center,
        vaccine=vaccine,
        first_day=first_day,
        last_day=last_day,
        weekdays="123456",
        opens_at=time(8),
        closes_at=time(12),
        interval_minutes=10,
        lanes=1,
        second_dose_days=21,
        appointments=24,
        doses=48,
    )


@pytest.mark.parametrize(
    ("language", "expected"),
    [("de", "05.12.2026 09:00"), ("en", "05/12/2026 09:00")],
)
def test_a_slot_names_its_time_in_the_language_of_the_page(
    slot, center, vaccine, language, expected
):
    with translation.override(language):
        assert str(slot) == f"{center} {expected} ({vaccine})"


@pytest.mark.parametrize(
    ("language", "expected"),
    [("de", "05.12.2026 \N{EN DASH} 19.12.2026"), ("en", "05/12/2026 \N{EN DASH} 19/12/2026")],
)
def test_a_release_names_its_days_in_the_language_of_the_page(center, vaccine, language, expected):
    made = release(center, vaccine, first_day=SATURDAY, last_day=date(2026, 12, 19))
    with translation.override(language):
        assert str(made) == f"{vaccine} {expected}"


def test_a_release_of_one_day_names_it_once(center, vaccine):
    made = release(center, vaccine, first_day=SATURDAY, last_day=SATURDAY)
    with translation.override("de"):
        assert str(made) == f"{vaccine} 05.12.2026"


def test_no_english_name_has_a_german_or_american_date(slot, center, vaccine):
    """Negative control of the forms above: what the names looked like before."""
    made = release(center, vaccine, first_day=SATURDAY, last_day=date(2026, 12, 19))
    with translation.override("en"):
        for name in (str(slot), str(made)):
            assert "05.12.2026" not in name
            assert "12/05/2026" not in name
