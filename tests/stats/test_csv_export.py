"""The CSV downloads open in a German Excel and parse back with the csv module."""

import csv
import io
from datetime import date

import pytest
from django.urls import reverse
from django.utils import translation

from stats.counters import count
from stats.models import Metric
from stats.tables import DERIVED_LABELS, NO_SHOW_RATE, SHARE_80, WAITLIST_LENGTH
from tests import factories

pytestmark = pytest.mark.django_db


def label(metric: Metric) -> str:
    """The column heading as the (German) download has it."""
    with translation.override("de"):
        return str(metric.label)


def heading(key: str) -> str:
    """A figure's or a derived column's heading as the (German) download has it."""
    if key in DERIVED_LABELS:
        with translation.override("de"):
            return str(DERIVED_LABELS[key])
    return label(Metric(key))


def parse(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"), newline=""), delimiter=";"))


@pytest.fixture
def figures(center):
    count(Metric.BOOKED, day=date(2021, 2, 1), center_id=center.pk, amount=1234)
    count(Metric.PEOPLE_BOOKED, day=date(2021, 2, 1), center_id=center.pk, amount=3)
    count(Metric.PEOPLE_BOOKED_80, day=date(2021, 2, 1), center_id=center.pk, amount=2)
    count(Metric.SMS_SENT, day=date(2021, 2, 2), amount=5)
    return center


def test_the_days_download_has_one_row_per_day_with_iso_dates(ministry_client, figures):
    response = ministry_client.get(
        reverse("stats:overview_csv"), {"start": "2021-02-01", "end": "2021-02-03"}
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="impfstatistik_land_2021-02-01_2021-02-03.csv"'
    )
    assert b"\r\n" in response.content
    header, *rows = parse(response)
    assert [row[0] for row in rows] == ["2021-02-01", "2021-02-02", "2021-02-03"]
    booked = header.index(label(Metric.BOOKED))
    share = header.index(next(h for h in header if "80" in h and "%" in h))
    sms = header.index(label(Metric.SMS_SENT))
    assert rows[0][booked] == "1234"  # no thousands separator: Excel reads a number
    assert rows[0][share] == "66,7"  # a decimal comma, as a German Excel expects
    assert rows[1][share] == ""  # nobody booked: no share
    assert rows[1][sms] == "5"
    assert all(len(row) == len(header) for row in rows)


def test_a_centers_download_has_no_text_message_columns(ministry_client, figures):
    response = ministry_client.get(
        reverse("stats:overview_csv"),
        {"start": "2021-02-01", "end": "2021-02-01", "scope": f"center:{figures.slug}"},
    )
    header, row = parse(response)
    assert label(Metric.SMS_SENT) not in header
    assert row[1] == figures.name
    assert row[header.index(label(Metric.BOOKED))] == "1234"


def test_the_breakdown_download_has_a_row_per_center(ministry_client, figures):
    other = factories.make_center("=HYPERLINK(1)", district=figures.district)
    response = ministry_client.get(
        reverse("stats:breakdown_csv"), {"start": "2021-02-01", "end": "2021-02-07", "by": "center"}
    )
    header, *rows = parse(response)
    # District, center, then every column but the text messages'; appointments
    # withdrawn with a cancelled day are a column of their own, after the released.
    assert header == ["Kreis", "Impfzentrum"] + [
        heading(key)
        for key in (
            Metric.DELIVERED,
            Metric.RELEASED,
            Metric.WITHDRAWN,
            Metric.BOOKED,
            Metric.CANCELLED,
            Metric.ATTENDED,
            Metric.NO_SHOW,
            Metric.PEOPLE_BOOKED,
            Metric.PEOPLE_BOOKED_80,
            SHARE_80,
            Metric.WAITLIST_JOINED,
            Metric.OFFER_MADE,
            Metric.OFFER_ACCEPTED,
            Metric.OFFER_DECLINED,
            Metric.OFFER_EXPIRED,
            WAITLIST_LENGTH,
            NO_SHOW_RATE,
            Metric.REMINDER_SENT,
            Metric.REMINDER_CANCEL,
            Metric.STANDBY_OFFER,
            Metric.STANDBY_CLAIM,
            Metric.DOSE_SAVED,
        )
    ]
    by_name = {row[1]: row for row in rows}
    assert by_name[figures.name][header.index(label(Metric.BOOKED))] == "1234"
    # A name that Excel would run as a formula is written as text.
    assert by_name["'=HYPERLINK(1)"][header.index(label(Metric.BOOKED))] == "0"
    assert other.name not in by_name


def test_bad_filters_send_the_download_back_to_the_page_with_the_message(ministry_client):
    response = ministry_client.get(
        reverse("stats:overview_csv"), {"start": "2021-02-10", "end": "2021-02-01"}
    )
    assert response.status_code == 302
    assert response.url.startswith(reverse("stats:overview") + "?")
    page = ministry_client.get(response.url)
    assert "end" in page.context["form"].errors


def test_withdrawn_appointments_are_a_column_of_their_own_never_a_negative_release(
    ministry_client, center
):
    """A cancelled day leaves the released figure as it was and counts what it took away."""
    day = date(2021, 2, 1)
    count(Metric.RELEASED, day=day, center_id=center.pk, amount=10)
    count(Metric.WITHDRAWN, day=day, center_id=center.pk, amount=4)
    response = ministry_client.get(
        reverse("stats:overview_csv"), {"start": "2021-02-01", "end": "2021-02-02"}
    )
    header, first, second = parse(response)
    released = header.index(label(Metric.RELEASED))
    withdrawn = header.index(label(Metric.WITHDRAWN))
    assert withdrawn == released + 1
    assert (first[0], first[released], first[withdrawn]) == ("2021-02-01", "10", "4")
    assert (second[0], second[released], second[withdrawn]) == ("2021-02-02", "0", "0")

    breakdown = ministry_client.get(
        reverse("stats:breakdown_csv"), {"start": "2021-02-01", "end": "2021-02-07", "by": "center"}
    )
    header, *rows = parse(breakdown)
    [row] = [row for row in rows if row[1] == center.name]
    assert row[header.index(label(Metric.RELEASED))] == "10"
    assert row[header.index(label(Metric.WITHDRAWN))] == "4"
