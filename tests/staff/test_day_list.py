"""The day list and the other staff lists: content, order, search, language, queries."""

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone

from centers import audit
from centers.release import ReleaseRequest, plan_release, release_slots
from sms.phone import mask
from tests import factories
from tests.journeys import german
from tests.staff.helpers import book, earlier_today, first_dose

pytestmark = pytest.mark.django_db

DAY_LIST = reverse("admin:booking_appointment_changelist")


def rows(response):
    return list(response.context["cl"].result_list)


def test_the_day_list_shows_today_in_time_order_with_name_birth_and_masked_phone(
    client_a, center_a, vaccine, open_for_80
):
    now = timezone.now()
    start = timezone.make_aware(datetime.combine(timezone.localdate(), time.min))
    # Three times of today: two that have passed, one still to come (if the day allows).
    late = book(center_a, vaccine, at=start + (now - start) * 0.9, names=["Karl Lange"])
    early = book(center_a, vaccine, at=start + (now - start) * 0.1, names=["Erna Meyer"])
    book(
        center_a,
        vaccine,
        at=factories.local_datetime(factories.days_ahead(1), 9),
        names=["Otto Morgen"],
    )

    response = client_a.get(DAY_LIST)
    assert response.status_code == 200
    listed = rows(response)
    assert [a.series.person.last_name for a in listed] == ["Meyer", "Lange"]
    assert [a.dose for a in listed] == [1, 1]
    content = response.content.decode()
    erna = early[0].person
    assert "Meyer, Erna" in content
    assert formats.date_format(erna.date_of_birth) in content
    assert mask(erna.household.phone) in content
    assert erna.household.phone not in content
    assert late[0].booking_code in content


def test_another_day_and_all_days_can_be_chosen(client_a, center_a, vaccine, open_for_80):
    tomorrow = factories.days_ahead(1)
    [series] = book(center_a, vaccine, at=factories.local_datetime(tomorrow, 9))
    assert rows(client_a.get(DAY_LIST)) == []
    assert rows(client_a.get(DAY_LIST, {"day": tomorrow.isoformat()})) == [first_dose(series)]
    assert len(rows(client_a.get(DAY_LIST, {"day": "all"}))) == 2
    response = client_a.get(DAY_LIST, {"day": "not-a-day"})
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


@pytest.mark.parametrize("typed", ["{code}", "{lower}", "{bare}", " {lower_bare} "])
def test_the_booking_code_finds_the_appointments_however_it_is_typed(
    client_a, center_a, vaccine, open_for_80, typed
):
    [series] = book(center_a, vaccine, at=factories.local_datetime(factories.days_ahead(5), 9))
    book(
        center_a,
        vaccine,
        at=factories.local_datetime(factories.days_ahead(5), 10),
        names=["Karl Lange"],
    )
    code = series.booking_code
    query = typed.format(
        code=code,
        lower=code.lower(),
        bare=code.replace("-", ""),
        lower_bare=code.replace("-", "").lower(),
    )
    found = rows(client_a.get(DAY_LIST, {"q": query}))
    assert {a.series_id for a in found} == {series.pk}
    assert len(found) == 2  # both doses, whatever their day
    series_found = rows(client_a.get(reverse("admin:booking_series_changelist"), {"q": query}))
    assert series_found == [series]


def test_the_list_filters_by_status_and_vaccine(client_a, center_a, vaccine, open_for_80):
    book(center_a, vaccine, at=earlier_today())
    factories.make_vaccine("Moderna", interval_days=28)  # a choice only shows beside another
    response = client_a.get(DAY_LIST)
    specs = response.context["cl"].filter_specs
    offered = {getattr(spec, "field_path", None) or spec.parameter_name for spec in specs}
    assert {"day", "status", "slot__vaccine", "dose"} <= offered
    assert rows(client_a.get(DAY_LIST, {"status__exact": "attended"})) == []
    assert len(rows(client_a.get(DAY_LIST, {"status__exact": "booked"}))) == 1
    assert len(rows(client_a.get(DAY_LIST, {"slot__vaccine__id__exact": vaccine.pk}))) == 1


def test_the_admin_speaks_german(client_a, center_a):
    content = client_a.get(DAY_LIST).content.decode()
    assert german("Log out") != "Log out"
    assert german("Log out") in content
    assert '<html lang="de"' in content


# --- no query per row ------------------------------------------------------------


def _grow(center, vaccine, user, start: int, count: int) -> None:
    """``count`` more rows in every staff list."""
    names = [f"Person{start + n} Meyer{start + n}" for n in range(count)]
    book(center, vaccine, at=earlier_today() - timedelta(seconds=start), names=names)
    for n in range(count):
        delivery = factories.make_delivery(center, vaccine, doses=100)
        audit.record(user=user, center_id=center.pk, action="added", obj=delivery)
        day = factories.days_ahead(40 + start + n)
        request = ReleaseRequest(
            center=center,
            vaccine=vaccine,
            first_day=day,
            last_day=day,
            weekdays=frozenset(range(1, 8)),
            opens_at=time(8),
            closes_at=time(8, 30),
            interval_minutes=30,
            lanes=1,
        )
        release_slots(request=request, fingerprint=plan_release(request).fingerprint, by=user)


LISTS = [
    ("booking_appointment", {"day": "all"}),
    ("booking_series", {}),
    ("booking_person", {}),
    ("centers_delivery", {}),
    ("centers_slot", {}),
    ("centers_slotrelease", {}),
    ("centers_auditentry", {}),
    ("centers_center", {}),
]


def _queries(client, name, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse(f"admin:{name}_changelist"), params)
    assert response.status_code == 200
    return len(queries)


def test_the_lists_need_no_more_queries_for_more_rows(
    client_a, staff_a, center_a, vaccine, open_for_80
):
    _grow(center_a, vaccine, staff_a, 0, 2)
    client_a.get(DAY_LIST)  # the session's first request notes its time (one write)
    few = {name: _queries(client_a, name, params) for name, params in LISTS}
    _grow(center_a, vaccine, staff_a, 100, 5)
    many = {name: _queries(client_a, name, params) for name, params in LISTS}
    assert many == few
    assert len(rows(client_a.get(DAY_LIST, {"day": "all"}))) == 14
