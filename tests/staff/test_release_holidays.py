"""A release leaves out public holidays of the state (Lower Saxony), and days whose
second dose falls on one, unless staff confirm them in the preview."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from centers.models import Slot
from tests import factories
from tests.journeys import german
from tests.staff.helpers import release_data

pytestmark = [pytest.mark.django_db, pytest.mark.public_holidays]

RELEASE = reverse("admin:centers_slot_release")


def next_christmas(*, lead_days: int = 1) -> date:
    """The next Christmas Day whose day ``lead_days`` before it is still ahead
    (a release can start tomorrow), whatever today's date is."""
    soon = factories.days_ahead(1 + lead_days)
    christmas = date(soon.year, 12, 25)
    return christmas if christmas >= soon else date(soon.year + 1, 12, 25)


@pytest.fixture
def stocked(center_a, vaccine):
    factories.make_delivery(center_a, vaccine, doses=1000)
    return center_a


def test_a_release_over_christmas_leaves_out_the_holidays_and_says_so(client_a, stocked, vaccine):
    christmas = next_christmas()
    data = release_data(
        stocked,
        vaccine,
        first_day=(christmas - timedelta(days=1)).isoformat(),
        last_day=(christmas + timedelta(days=2)).isoformat(),
    )
    response = client_a.post(RELEASE, data)
    plan = response.context["plan"]
    released_days = [day.day for day in plan.days()]
    assert christmas not in released_days
    assert christmas + timedelta(days=1) not in released_days  # Zweiter Weihnachtstag
    assert christmas - timedelta(days=1) in released_days
    page = response.content.decode()
    assert "Erster Weihnachtstag" in page
    assert "Zweiter Weihnachtstag" in page

    # Confirmed in the preview, the holidays are released too.
    response = client_a.post(RELEASE, {**data, "include_holidays": "on"})
    plan = response.context["plan"]
    assert christmas in [day.day for day in plan.days()]
    client_a.post(
        RELEASE, {**data, "include_holidays": "on", "confirm": "1", "fingerprint": plan.fingerprint}
    )
    assert Slot.objects.first_doses().filter(starts_at__date=christmas).exists()


def test_a_day_whose_second_dose_falls_on_a_holiday_is_left_out(client_a, stocked, vaccine):
    christmas = next_christmas(lead_days=vaccine.second_dose_interval_days)
    first_day = christmas - timedelta(days=vaccine.second_dose_interval_days)
    data = release_data(
        stocked, vaccine, first_day=first_day.isoformat(), last_day=first_day.isoformat()
    )
    response = client_a.post(RELEASE, data)
    assert response.context["stage"] == "form"
    assert german(
        "Every chosen day, or the day of its second dose %(days)d days later, is a "
        "public holiday, so no appointment would have its second dose on an opening "
        'day. Choose other days, or tick "Also on public holidays". Nothing was '
        "released."
    ) % {"days": vaccine.second_dose_interval_days} in response.content.decode().replace(
        "&quot;", '"'
    )
    assert not Slot.objects.exists()


def test_the_holiday_preview_speaks_english_too(client_a, stocked, vaccine):
    client_a.post(reverse("set_language"), {"language": "en", "next": "/"})
    christmas = next_christmas()
    data = release_data(
        stocked,
        vaccine,
        first_day=(christmas - timedelta(days=1)).isoformat(),
        last_day=(christmas + timedelta(days=1)).isoformat(),
    )
    page = client_a.post(RELEASE, data).content.decode()
    assert (
        "These days are left out because they, or their second dose, fall on a public holiday:"
        in page
    )
    assert "Christmas Day" in page
    assert "Release on these public holidays too" in page
