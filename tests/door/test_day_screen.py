"""The day screen at the door: today's people, search, one press each, undo within
10 minutes, counts, standby offers; scoped to the user's centers and audited."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from booking.models import Appointment, Series
from centers.models import AuditEntry
from standby import services as standby
from standby.models import Offer
from tests.door.conftest import DAY, at, book_day
from tests.staff.conftest import logged_in, make_staff

pytestmark = pytest.mark.django_db
URL = reverse("door:day")


def first(series: Series) -> Appointment:
    return series.appointments.get(dose=1)


def test_it_lists_todays_people_in_time_order_with_counts(clock, staff_client, centers, vaccine):
    a, _b = centers
    book_day(a, vaccine, [("Karl", "Zander")], hour=9)
    book_day(a, vaccine, [("Erna", "Meyer"), ("Otto", "Abel")], hour=11)
    response = staff_client.get(URL)
    text = response.content.decode()
    assert response.status_code == 200
    assert text.index("Zander") < text.index("Abel") < text.index("Meyer")
    assert "17.05.1938" in text
    counts = response.context["counts"]
    assert (counts.expected, counts.checked_in, counts.no_shows) == (3, 0, 0)


def test_another_centers_people_are_not_shown_and_cannot_be_pressed(
    clock, staff_client, centers, vaccine
):
    _a, b = centers
    [series] = book_day(b, vaccine, [("Fremd", "Celler")])
    assert "Celler" not in staff_client.get(URL).content.decode()
    assert staff_client.get(URL, {"center": b.pk}).status_code == 404
    response = staff_client.post(reverse("door:check_in", args=[first(series).pk]))
    assert response.status_code == 404
    assert first(series).status == Appointment.Status.BOOKED


def test_staff_without_the_right_and_visitors_are_turned_away(clock, client, centers):
    assert client.get(URL).status_code == 302
    user = make_staff("ohne-recht", centers[0])
    user.groups.clear()
    assert logged_in(user).get(URL).status_code == 403


@pytest.mark.parametrize("typed", ["{code}", "{lower}", "{spaced}", " {nodash} "])
def test_the_search_finds_a_booking_code_however_typed(
    clock, staff_client, centers, vaccine, typed
):
    [meyer, _abel] = book_day(centers[0], vaccine, [("Erna", "Meyer"), ("Otto", "Abel")])
    code = meyer.booking_code
    query = typed.format(
        code=code,
        lower=code.lower(),
        spaced=code.replace("-", " ").lower(),
        nodash=code.replace("-", ""),
    )
    rows = staff_client.get(URL, {"q": query}).context["rows"]
    assert [r.appointment.series_id for r in rows] == [meyer.pk]


def test_the_search_finds_a_surname_with_umlauts_either_way(clock, staff_client, centers, vaccine):
    book_day(centers[0], vaccine, [("Jörg", "Müller"), ("Otto", "Abel")])
    for query in ("müll", "Muell", "MÜLLER"):
        rows = staff_client.get(URL, {"q": query}).context["rows"]
        assert [r.appointment.series.person.last_name for r in rows] == ["Müller"]


def test_check_in_and_undo_within_ten_minutes(staff_client, centers, vaccine):
    [series] = book_day(centers[0], vaccine, [("Erna", "Meyer")])
    appointment = first(series)
    with time_machine.travel(at(10, 5), tick=False):
        response = staff_client.post(reverse("door:check_in", args=[appointment.pk]))
        assert response.status_code == 302
        assert first(series).status == Appointment.Status.ATTENDED
    with time_machine.travel(at(10, 14), tick=False):
        staff_client.post(reverse("door:undo", args=[appointment.pk]))
        assert first(series).status == Appointment.Status.BOOKED
    actions = list(
        AuditEntry.objects.filter(object_id=str(appointment.pk))
        .order_by("at", "pk")
        .values_list("action", "details__undone")
    )
    assert actions == [
        (AuditEntry.Action.CHECKED_IN, None),
        (AuditEntry.Action.CHANGED, "checked_in"),
    ]


def test_undo_is_refused_after_ten_minutes(staff_client, centers, vaccine):
    [series] = book_day(centers[0], vaccine, [("Erna", "Meyer")])
    appointment = first(series)
    with time_machine.travel(at(10, 5), tick=False):
        staff_client.post(reverse("door:check_in", args=[appointment.pk]))
    with time_machine.travel(at(10, 15) + timedelta(seconds=1), tick=False):
        response = staff_client.post(reverse("door:undo", args=[appointment.pk]), follow=True)
        assert "nicht mehr rückgängig" in response.content.decode()
        assert not response.context["rows"][0].can_undo
    assert first(series).status == Appointment.Status.ATTENDED


def test_a_no_show_undone_books_both_doses_again(staff_client, centers, vaccine):
    [series] = book_day(centers[0], vaccine, [("Erna", "Meyer")])
    appointment = first(series)
    with time_machine.travel(at(10, 30), tick=False):
        staff_client.post(reverse("door:no_show", args=[appointment.pk]))
        series.refresh_from_db()
        assert series.status == Series.Status.CANCELLED
        staff_client.post(reverse("door:undo", args=[appointment.pk]))
    series.refresh_from_db()
    assert series.status == Series.Status.ACTIVE
    assert sorted(series.appointments.values_list("dose", "status")) == [
        (1, Appointment.Status.BOOKED),
        (2, Appointment.Status.BOOKED),
    ]
    assert first(series).slot.booked == 1


def test_a_no_show_cannot_be_marked_before_the_time(clock, staff_client, centers, vaccine):
    [series] = book_day(centers[0], vaccine, [("Erna", "Meyer")], hour=11)
    row = staff_client.get(URL).context["rows"][0]
    assert (row.can_check_in, row.can_mark_no_show) == (True, False)
    response = staff_client.post(reverse("door:no_show", args=[first(series).pk]), follow=True)
    assert "noch nicht begonnen" in response.content.decode()
    assert first(series).status == Appointment.Status.BOOKED


def test_offering_leftover_doses_reaches_the_standby_list_and_is_audited(
    clock, staff_client, centers, vaccine
):
    from datetime import date

    from tests.standby.conftest import on_list

    a, _b = centers
    people = book_day(a, vaccine, [("Erna", "Meyer"), ("Otto", "Abel")])
    for n in range(5):
        on_list(a, born=date(1940, 1, 1), name=f"Warte{n}")
    staff_client.post(reverse("door:no_show", args=[first(people[0]).pk]))
    # The no-show's dose went to the list at once (2 offers); the second is offered by hand.
    assert Offer.objects.count() == 2
    staff_client.post(reverse("door:no_show", args=[first(people[1]).pk]))
    assert Offer.objects.count() == 4
    assert standby.count_leftover(center_id=a.pk) == 0
    response = staff_client.post(
        reverse("door:offer_leftovers"), {"center": a.pk, "doses": "1"}, follow=True
    )
    assert "Nur 0 Dosen" in response.content.decode()
    screen = staff_client.get(URL).context
    assert screen["counts"].no_shows == 2
    assert screen["counts"].waiting == 5
    assert len(screen["rounds"]) == 2


def test_offering_by_hand_is_audited(clock, staff_client, centers, vaccine):
    from datetime import date

    from tests.standby.conftest import make_leftovers, on_list

    a, _b = centers
    from tests import factories

    factories.open_group(vaccines=[vaccine])
    make_leftovers(a, vaccine, 2)
    for n in range(3):
        on_list(a, born=date(1940, 1, 1), name=f"Warte{n}")
    response = staff_client.post(
        reverse("door:offer_leftovers"), {"center": a.pk, "doses": "1"}, follow=True
    )
    assert "angeboten" in response.content.decode()
    assert Offer.objects.count() == 2
    entry = AuditEntry.objects.get(object_type="standby.round")
    assert (entry.center_id, entry.details["standby_doses"]) == (a.pk, 1)
    bad = staff_client.post(reverse("door:offer_leftovers"), {"center": a.pk, "doses": "x"})
    assert bad.status_code == 302
    assert Offer.objects.count() == 2


def test_the_screen_is_for_today_only(staff_client, centers, vaccine):
    book_day(centers[0], vaccine, [("Erna", "Meyer")])
    with time_machine.travel(at(10, day=DAY + timedelta(days=1)), tick=False):
        assert staff_client.get(URL).context["rows"] == []
