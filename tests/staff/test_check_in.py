"""Check-in, no-show and closing a day, through the day list's buttons, actions and pages."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from booking.models import Appointment, Series
from booking.services import cancel_series
from booking.staff import check_in
from centers.models import AuditEntry, Slot
from centers.signals import seats_freed
from sms.models import Message
from tests import factories
from tests.journeys import german
from tests.staff.conftest import make_staff
from tests.staff.helpers import book, earlier_today, first_dose, run_together, second_dose

pytestmark = pytest.mark.django_db

Status = Appointment.Status
DAY_LIST = reverse("admin:booking_appointment_changelist")


def press(client, view, appointment):
    return client.post(
        reverse(f"admin:booking_appointment_{view}", args=[appointment.pk]),
        HTTP_REFERER=f"http://testserver{DAY_LIST}?day=all",
    )


@pytest.fixture
def today(center_a, vaccine, open_for_80):
    """Erna's first dose has begun today."""
    [series] = book(center_a, vaccine, at=earlier_today())
    return series


def test_the_vaccinated_button_records_the_dose_and_the_audit(client_a, staff_a, today):
    appointment = first_dose(today)
    response = press(client_a, "check_in", appointment)
    assert response.status_code == 302
    assert response["Location"].endswith("?day=all")
    appointment.refresh_from_db()
    assert appointment.status == Status.ATTENDED
    entry = AuditEntry.objects.get(action="checked_in")
    assert (entry.user, entry.center_id, entry.object_id) == (
        staff_a,
        appointment.slot.center_id,
        str(appointment.pk),
    )
    assert entry.object_type == "booking.appointment"


def test_the_second_dose_completes_the_series(client_a, center_a, vaccine, open_for_80):
    [series] = book(center_a, vaccine, at=earlier_today())
    first = first_dose(series)
    second = second_dose(series)
    Appointment.objects.filter(pk=first.pk).update(status=Status.ATTENDED)
    Slot.objects.filter(pk=second.slot_id).update(starts_at=earlier_today() + timedelta(seconds=1))
    press(client_a, "check_in", second)
    series.refresh_from_db()
    assert series.status == Series.Status.COMPLETED


def test_a_cancelled_appointment_cannot_be_checked_in(client_a, today):
    cancel_series(household=today.person.household, booking_code=today.booking_code)
    appointment = first_dose(today)
    response = press(client_a, "check_in", appointment)
    assert response.status_code == 302
    page = client_a.get(response["Location"])
    text = german(
        "%(appointment)s has been cancelled and cannot be checked in.",
        appointment=german("%(code)s (dose %(dose)d)", code=today.booking_code, dose=1),
    )
    assert text in page.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == Status.CANCELLED
    assert not AuditEntry.objects.filter(action="checked_in").exists()


def test_an_appointment_of_a_later_day_is_not_checked_in(client_a, center_a, vaccine, open_for_80):
    [series] = book(center_a, vaccine, at=factories.local_datetime(factories.days_ahead(2), 10))
    press(client_a, "check_in", first_dose(series))
    assert first_dose(series).status == Status.BOOKED


def test_a_no_show_gives_the_seat_back_without_offering_it(client_a, today):
    appointment = first_dose(today)
    received: list[list[int]] = []

    def on_freed(sender, slot_ids, **kwargs):
        received.append(list(slot_ids))

    seats_freed.connect(on_freed)
    try:
        press(client_a, "no_show", appointment)
    finally:
        seats_freed.disconnect(on_freed)
    appointment.refresh_from_db()
    assert appointment.status == Status.NO_SHOW
    assert appointment.slot.booked == 0
    # Only the second dose it frees is announced (for a second dose awaiting a
    # seat); the first-dose seat, whose time has passed, is not.
    assert received == [[second_dose(today).slot_id]]
    assert AuditEntry.objects.filter(action="no_show").count() == 1


def test_a_first_dose_no_show_frees_the_second_dose_and_tells_the_person(client_a, today):
    second = second_dose(today)
    press(client_a, "no_show", first_dose(today))
    today.refresh_from_db()
    assert today.status == Series.Status.CANCELLED
    assert today.cancel_reason == Series.CancelReason.NO_SHOW
    second.refresh_from_db()
    assert second.status == Status.CANCELLED
    assert second.slot.booked == 0
    [sms] = Message.objects.filter(idempotency_key=f"second-dose-released:{second.pk}")
    assert sms.recipient == today.person.household.phone
    assert "2. Impfung" in sms.body
    assert today.booking_code in sms.body
    # The person may book again.
    assert not Series.objects.filter(person=today.person, status=Series.Status.ACTIVE).exists()


def test_a_late_arrival_gets_the_second_dose_back(client_a, today):
    second = second_dose(today)
    press(client_a, "no_show", first_dose(today))
    press(client_a, "check_in", first_dose(today))
    today.refresh_from_db()
    assert today.status == Series.Status.ACTIVE
    second.refresh_from_db()
    assert (second.status, second.slot.booked) == (Status.BOOKED, 1)


def test_someone_arriving_late_is_checked_in_after_all(client_a, today):
    appointment = first_dose(today)
    press(client_a, "no_show", appointment)
    press(client_a, "check_in", appointment)
    appointment.refresh_from_db()
    assert appointment.status == Status.ATTENDED
    assert appointment.slot.booked == 1


def test_nobody_is_marked_as_not_come_before_their_time(client_a, center_a, vaccine, open_for_80):
    [series] = book(center_a, vaccine, at=timezone.now() + timedelta(hours=3))
    press(client_a, "no_show", first_dose(series))
    assert first_dose(series).status == Status.BOOKED


def test_the_bulk_action_changes_all_or_nothing(client_a, center_a, vaccine, open_for_80):
    erna, karl = book(center_a, vaccine, at=earlier_today(), names=["Erna Meyer", "Karl Meyer"])
    cancel_series(household=karl.person.household, booking_code=karl.booking_code)
    ids = [first_dose(erna).pk, first_dose(karl).pk]
    client_a.post(f"{DAY_LIST}?day=all", {"action": "check_in_selected", "_selected_action": ids})
    assert first_dose(erna).status == Status.BOOKED
    client_a.post(
        f"{DAY_LIST}?day=all", {"action": "check_in_selected", "_selected_action": ids[:1]}
    )
    assert first_dose(erna).status == Status.ATTENDED


def test_the_change_page_offers_the_check_in_as_an_action(client_a, today):
    appointment = first_dose(today)
    url = reverse("admin:booking_appointment_change", args=[appointment.pk])
    response = client_a.post(
        url,
        {"CHANGE_FORM-action": "check_in_selected", "_selected_action": [appointment.pk]},
    )
    assert response.status_code == 302
    assert first_dose(today).status == Status.ATTENDED


# --- closing a day ------------------------------------------------------------


def day_form(center, day, **extra):
    return {"center": center.pk, "day": day.isoformat(), **extra}


def test_closing_a_past_day_marks_the_unrecorded_as_not_come(
    client_a, center_a, vaccine, open_for_80
):
    yesterday = timezone.localdate() - timedelta(days=1)
    erna, karl, gerda = book(
        center_a,
        vaccine,
        at=factories.local_datetime(yesterday, 10),
        names=["Erna Meyer", "Karl Meyer", "Gerda Lange"],
    )
    Appointment.objects.filter(pk=first_dose(gerda).pk).update(status=Status.ATTENDED)
    url = reverse("admin:booking_appointment_close_day")

    confirmation = client_a.post(url, day_form(center_a, yesterday))
    assert confirmation.context["stage"] == "preview"
    assert len(confirmation.context["rows"]) == 2
    assert first_dose(erna).status == Status.BOOKED

    response = client_a.post(url, day_form(center_a, yesterday, confirm="1"))
    assert response.status_code == 302
    assert [first_dose(s).status for s in (erna, karl, gerda)] == [
        Status.NO_SHOW,
        Status.NO_SHOW,
        Status.ATTENDED,
    ]
    assert first_dose(gerda).slot.booked == 1
    assert AuditEntry.objects.filter(action="day_closed").count() == 2


def test_a_day_with_appointments_still_to_come_cannot_be_closed(
    client_a, center_a, vaccine, open_for_80
):
    book(center_a, vaccine, at=earlier_today())
    [later] = book(
        center_a, vaccine, at=timezone.now() + timedelta(minutes=30), names=["Karl Lange"]
    )
    if timezone.localdate(first_dose(later).slot.starts_at) != timezone.localdate():
        pytest.skip("too close to midnight")
    url = reverse("admin:booking_appointment_close_day")
    response = client_a.post(url, day_form(center_a, timezone.localdate(), confirm="1"))
    assert response.status_code == 200
    message = german("The day is not over yet: %(count)d appointments are still to come.", count=1)
    assert message in response.content.decode()
    assert not Appointment.objects.filter(status=Status.NO_SHOW).exists()


def test_a_day_that_has_not_come_cannot_be_closed(client_a, center_a):
    url = reverse("admin:booking_appointment_close_day")
    response = client_a.post(url, day_form(center_a, factories.days_ahead(1)))
    assert german("This day has not come yet.") in response.content.decode()


# --- the race with a resident cancelling ---------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_check_in_and_a_cancellation_at_the_same_moment_never_both_win(
    center_a, vaccine, open_for_80
):
    user = make_staff("staff-race", center_a)
    for _round in range(6):
        [series] = book(center_a, vaccine, at=earlier_today())
        appointment = first_dose(series)
        errors = run_together(
            lambda a=appointment: check_in(appointment_ids=[a.pk], by=user),
            lambda s=series: cancel_series(
                household=s.person.household, booking_code=s.booking_code
            ),
        )
        series.refresh_from_db()
        appointment.refresh_from_db()
        if appointment.status == Status.ATTENDED:
            # Checked in first: the cancellation then cancelled only the second dose.
            assert series.status == Series.Status.CANCELLED
            assert second_dose(series).status == Status.CANCELLED
            assert not errors
        else:
            assert appointment.status == Status.CANCELLED
            assert len(errors) == 1
        # The audit says "vaccinated" exactly when the appointment says so.
        checked_in = AuditEntry.objects.filter(action="checked_in", object_id=str(appointment.pk))
        assert checked_in.exists() == (appointment.status == Status.ATTENDED)


def _second_dose_due_now(center, vaccine):
    [series] = book(center, vaccine, at=earlier_today())
    first, second = first_dose(series), second_dose(series)
    Appointment.objects.filter(pk=first.pk).update(status=Status.ATTENDED)
    Slot.objects.filter(pk=second.slot_id).update(starts_at=earlier_today() + timedelta(seconds=1))
    return series, second


def test_a_second_dose_no_show_keeps_the_series_first_in_line(
    client_a, center_a, vaccine, open_for_80
):
    series, second = _second_dose_due_now(center_a, vaccine)
    press(client_a, "no_show", second)
    series.refresh_from_db()
    assert series.status == Series.Status.ACTIVE
    assert series.awaiting_second_dose_since is not None
    second.refresh_from_db()
    assert second.status == Status.NO_SHOW
    [sms] = Message.objects.filter(idempotency_key=f"second-dose-missed:{second.pk}")
    assert series.booking_code in sms.body
    # Someone's second-dose seat tomorrow frees up: it goes to the series first.
    past_first = factories.make_slot(
        center_a,
        vaccine,
        factories.local_datetime(factories.days_ahead(1 - vaccine.second_dose_interval_days), 9),
        booked=1,
        second_booked=1,
    )
    tomorrow = past_first.second_dose_slot
    assert tomorrow is not None
    [other] = book(center_a, vaccine, at=factories.local_datetime(factories.days_ahead(2), 9))
    Appointment.objects.filter(pk=second_dose(other).pk).update(slot=tomorrow)
    Slot.objects.filter(pk=tomorrow.pk).update(booked=2)
    cancel_series(household=other.person.household, booking_code=other.booking_code)
    series.refresh_from_db()
    assert series.awaiting_second_dose_since is None
    second.refresh_from_db()
    assert (second.status, second.slot_id) == (Status.BOOKED, tomorrow.pk)


def test_a_late_arrival_for_the_second_dose_completes_the_series(
    client_a, center_a, vaccine, open_for_80
):
    series, second = _second_dose_due_now(center_a, vaccine)
    press(client_a, "no_show", second)
    press(client_a, "check_in", second)
    series.refresh_from_db()
    assert series.status == Series.Status.COMPLETED
    assert series.awaiting_second_dose_since is None
