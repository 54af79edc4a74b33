"""The statistics pages: figures per day and per place, the chart, bad filters, few queries."""

import uuid
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from booking import services
from stats.counters import count
from stats.models import DailyCounter, Metric
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_bookings_one_cancelled(center, vaccine, open_for_80):
    first, _second = factories.make_bookable_pair(center, vaccine)
    people = [factories.make_person(first_name=name) for name in ("Erna", "Karl")]
    series = [
        services.book_series(person=p, slot=first, request_token=uuid.uuid4()) for p in people
    ]
    services.cancel_series(household=people[0].household, booking_code=series[0].booking_code)
    return center


def test_the_default_is_the_last_14_days_state_wide(ministry_client):
    response = ministry_client.get(reverse("stats:overview"))
    today = timezone.localdate()
    assert response.context["start"] == today - timedelta(days=13)
    assert response.context["end"] == today
    assert response.context["scope"].is_state
    assert len(response.context["tables"][0].rows) == 14
    assert response.context["form"]["start"].value() == (today - timedelta(days=13)).isoformat()


def test_the_figures_are_those_of_the_bookings_made(ministry_client, two_bookings_one_cancelled):
    response = ministry_client.get(reverse("stats:overview"))
    total = response.context["total"]
    assert total[Metric.BOOKED] == 4
    assert total[Metric.CANCELLED] == 2
    assert total[Metric.PEOPLE_BOOKED] == 2
    assert total.share_80 == 100
    today_row = response.context["tables"][0].rows[-1]
    assert today_row.day == timezone.localdate()
    appointments = response.context["tables"][0]
    columns = [c.key for c in appointments.section.columns]
    assert today_row.cells[columns.index(Metric.BOOKED)].value == 4
    assert appointments.total[columns.index(Metric.CANCELLED)].value == 2


def test_withdrawn_appointments_have_their_own_column_next_to_the_released(ministry_client, center):
    today = timezone.localdate()
    count(Metric.RELEASED, day=today, center_id=center.pk, amount=10)
    count(Metric.WITHDRAWN, day=today, center_id=center.pk, amount=4)
    response = ministry_client.get(reverse("stats:overview"))
    appointments = response.context["tables"][0]
    columns = [c.key for c in appointments.section.columns]
    assert columns[:4] == [Metric.DELIVERED, Metric.RELEASED, Metric.WITHDRAWN, Metric.BOOKED]
    today_row = appointments.rows[-1]
    assert today_row.day == today
    released, withdrawn = columns.index(Metric.RELEASED), columns.index(Metric.WITHDRAWN)
    assert (today_row.cells[released].value, today_row.cells[withdrawn].value) == (10, 4)
    assert (appointments.total[released].value, appointments.total[withdrawn].value) == (10, 4)
    assert response.context["total"][Metric.WITHDRAWN] == 4
    heading = f'<th scope="col" class="num">{Metric.WITHDRAWN.label}</th>'
    assert heading in response.content.decode()


def test_every_table_has_a_caption_headers_and_a_summary_row(ministry_client):
    content = ministry_client.get(reverse("stats:overview")).content.decode()
    assert content.count("<caption") == 5
    assert content.count("<tfoot>") == 5
    assert 'scope="row"' in content
    assert 'scope="col"' in content


def test_the_chart_is_an_svg_image_with_a_text_alternative(
    ministry_client, two_bookings_one_cancelled
):
    response = ministry_client.get(reverse("stats:overview"))
    content = response.content.decode()
    assert '<svg class="chart-svg"' in content
    assert 'role="img" aria-labelledby="chart-title chart-desc"' in content
    assert '<desc id="chart-desc">' in content
    chart = response.context["chart"]
    assert len(chart.bars) == 14 * 3
    today_bars = [bar for bar in chart.bars if bar.day == timezone.localdate()]
    booked, cancelled, _given = today_bars
    assert booked.value == 4
    assert cancelled.value == 2
    assert booked.height == pytest.approx(2 * cancelled.height)
    assert "<script" not in content.split('<main id="main"')[1]


def test_a_center_or_district_shows_only_its_own_figures(
    ministry_client, two_bookings_one_cancelled
):
    center = two_bookings_one_cancelled
    other = factories.make_center("Impfzentrum Celle", district=factories.make_district("Celle"))
    count(Metric.BOOKED, day=timezone.localdate(), center_id=other.pk, amount=7)

    for scope, booked in [
        (f"center:{center.slug}", 4),
        (f"district:{center.district.slug}", 4),
        (f"center:{other.slug}", 7),
        ("", 11),
    ]:
        response = ministry_client.get(reverse("stats:overview"), {"scope": scope})
        assert response.context["total"][Metric.BOOKED] == booked, scope


def test_text_messages_are_shown_for_the_state_only(ministry_client, center):
    state = ministry_client.get(reverse("stats:overview"))
    assert "sms" in [t.section.slug for t in state.context["tables"]]
    local = ministry_client.get(reverse("stats:overview"), {"scope": f"center:{center.slug}"})
    assert "sms" not in [t.section.slug for t in local.context["tables"]]


def test_the_waiting_list_length_carries_over_from_before_the_period(ministry_client, center):
    start = date(2021, 2, 10)
    count(Metric.WAITLIST_JOINED, day=start - timedelta(days=3), center_id=center.pk, amount=5)
    count(Metric.WAITLIST_LEFT, day=start + timedelta(days=1), center_id=center.pk, amount=2)
    count(Metric.WAITLIST_JOINED, day=start + timedelta(days=2), district_id=center.district_id)
    response = ministry_client.get(
        reverse("stats:overview"),
        {"start": "2021-02-10", "end": "2021-02-13", "scope": f"district:{center.district.slug}"},
    )
    rows = response.context["tables"][2].rows
    lengths = [row.cells[-1].value for row in rows]
    assert lengths == [5, 3, 4, 4]
    assert response.context["total"].waitlist_length == 4


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2021-02-10", "end": "2021-02-01"}, "end"),
        ({"start": "10.02.2021x"}, "start"),
        ({"start": "2021-01-01", "end": "2022-06-01"}, "end"),
        ({"start": "1900-01-01"}, "start"),
        ({"scope": "center:does-not-exist"}, "scope"),
    ],
)
def test_bad_filters_get_a_message_and_no_figures(ministry_client, params, field):
    response = ministry_client.get(reverse("stats:overview"), params)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    assert "tables" not in response.context
    assert 'id="error-summary-title"' in response.content.decode()


def test_german_dates_typed_into_an_old_browser_are_understood(ministry_client):
    response = ministry_client.get(
        reverse("stats:overview"), {"start": "01.02.2021", "end": "03.02.2021"}
    )
    assert response.context["start"] == date(2021, 2, 1)
    assert len(response.context["tables"][0].rows) == 3


def test_the_breakdown_lists_every_district_or_center_with_the_state_as_total(
    ministry_client, two_bookings_one_cancelled
):
    center = two_bookings_one_cancelled
    celle = factories.make_center("Impfzentrum Celle", district=factories.make_district("Celle"))
    count(Metric.BOOKED, day=timezone.localdate(), center_id=celle.pk, amount=7)
    count(Metric.WAITLIST_JOINED, day=timezone.localdate(), district_id=celle.district_id)

    per_center = ministry_client.get(reverse("stats:breakdown"), {"by": "center"})
    table = per_center.context["tables"][0]
    booked = [c.key for c in table.section.columns].index(Metric.BOOKED)
    assert {row.place.name: row.cells[booked].value for row in table.rows} == {
        center.name: 4,
        celle.name: 7,
    }
    assert table.total[booked].value == 11

    per_district = ministry_client.get(reverse("stats:breakdown"))
    assert per_district.context["by"] == "district"
    waitlist = per_district.context["tables"][2]
    assert {row.place.name: row.cells[-1].value for row in waitlist.rows} == {
        center.district.name: 0,
        "Celle": 1,
    }
    assert waitlist.total[-1].value == 1


def queries_for(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params).status_code == 200
    return len(queries)


def fill(centers: int, days: int) -> dict:
    district = factories.make_district(f"Kreis {centers}")
    end = date(2021, 3, 31)
    DailyCounter.objects.bulk_create(
        DailyCounter(day=end - timedelta(days=offset), metric=metric, center_id=center.pk, value=1)
        for number in range(centers)
        for center in [factories.make_center(f"Impfzentrum {centers}-{number}", district=district)]
        for offset in range(days)
        for metric in (Metric.BOOKED, Metric.WAITLIST_JOINED)
    )
    return {"start": (end - timedelta(days=days - 1)).isoformat(), "end": end.isoformat()}


@pytest.mark.parametrize("page", ["stats:overview", "stats:breakdown", "stats:overview_csv"])
def test_the_number_of_queries_does_not_grow_with_centers_or_days(ministry_client, page):
    small = queries_for(ministry_client, reverse(page), fill(centers=2, days=3))
    large = queries_for(
        ministry_client, reverse(page), {**fill(centers=12, days=90), "by": "center"}
    )
    assert small == large
