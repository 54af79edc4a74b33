"""Residents choose only their own reasons for cancelling; staff reasons are not theirs."""

import pytest
from django.urls import reverse

from booking.models import Series
from tests import factories
from tests.booking.conftest import in_english

pytestmark = pytest.mark.django_db


@pytest.fixture
def series(verified_client, home, center, vaccine, open_for_80):
    from tests.waitlist.helpers import book

    first, _second = factories.make_bookable_pair(center, vaccine)
    return book(factories.make_person(home), first)


def test_the_form_does_not_offer_the_staff_reasons(verified_client, series):
    response = verified_client.get(reverse("booking:cancel", args=[series.booking_code]))
    content = response.content.decode()
    assert "Schon anderswo geimpft" in content
    assert "Vom Impfzentrum storniert" not in content
    assert "Nicht zur 1. Impfung gekommen" not in content
    assert 'value="center"' not in content
    assert 'value="no_show"' not in content


def test_the_english_form_does_not_offer_the_staff_reasons(verified_client, series):
    in_english(verified_client)
    response = verified_client.get(reverse("booking:cancel", args=[series.booking_code]))
    content = response.content.decode()
    assert "Already vaccinated elsewhere" in content
    assert "Cancelled by the vaccination center" not in content
    assert "Did not come to the first dose" not in content


@pytest.mark.parametrize("reason", ["center", "no_show"])
def test_a_forged_staff_reason_is_refused_plainly(verified_client, series, reason):
    response = verified_client.post(
        reverse("booking:cancel", args=[series.booking_code]), {"reason": reason}
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "Bitte wählen Sie einen der angezeigten Gründe." in content
    assert "gültige Auswahl" not in content
    series.refresh_from_db()
    assert series.status == Series.Status.ACTIVE


def test_a_forged_staff_reason_is_refused_plainly_in_english(verified_client, series):
    in_english(verified_client)
    response = verified_client.post(
        reverse("booking:cancel", args=[series.booking_code]), {"reason": "center"}
    )
    assert "Please choose one of the reasons shown." in response.content.decode()
    series.refresh_from_db()
    assert series.is_active
