"""The center's day in the ministry's figures: the no-show rate per center and day,
reminders, cancellations through their links, and the standby list's doses."""

from datetime import date

import pytest
from django.urls import reverse

from stats.counters import count
from stats.figures import Figures
from stats.models import Metric
from stats.tables import NO_SHOW_RATE, cell_value

pytestmark = pytest.mark.django_db


def test_the_no_show_rate_is_the_share_of_recorded_appointments_not_come():
    figures = Figures()
    assert cell_value(figures, NO_SHOW_RATE) is None  # nothing recorded yet
    figures.values[Metric.ATTENDED] = 9
    figures.values[Metric.NO_SHOW] = 1
    assert cell_value(figures, NO_SHOW_RATE) == 10.0


def test_the_download_per_center_has_the_rate_and_the_standby_figures(
    ministry_client, center, vaccine
):
    day = date(2021, 2, 3)
    for metric, amount in [
        (Metric.ATTENDED, 3),
        (Metric.NO_SHOW, 1),
        (Metric.REMINDER_SENT, 4),
        (Metric.REMINDER_CANCEL, 1),
        (Metric.STANDBY_OFFER, 2),
        (Metric.STANDBY_CLAIM, 2),
        (Metric.DOSE_SAVED, 1),
    ]:
        count(metric, day=day, center_id=center.pk, amount=amount)
    response = ministry_client.get(
        reverse("stats:overview_csv"),
        {"start": "2021-02-03", "end": "2021-02-03", "scope": f"center:{center.slug}"},
    )
    text = response.content.decode("utf-8-sig")
    header, row = text.splitlines()[:2]
    cells = dict(zip(header.split(";"), row.split(";"), strict=True))
    assert cells["Nicht-erschienen-Quote (%)"] == "25,0"
    assert cells["Erinnerungen gesendet"] == "4"
    assert cells["Über den Link einer Erinnerung abgesagt"] == "1"
    assert cells["Restdosen: Angebote gesendet"] == "2"
    assert cells["Restdosen: Zusagen"] == "2"
    assert cells["Restdosen gerettet"] == "1"
