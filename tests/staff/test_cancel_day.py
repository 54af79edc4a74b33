"""Cancelling a whole day: confirmation, an SMS to each, second doses, no waiting-list offers."""

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse

from booking.models import Appointment, Series
from booking.services import book_series, cancel_series
from booking.staff import cancel_day
from centers.models import AuditEntry, Slot
from centers.signals import seats_freed, slots_withdrawn
from centers.stock import stock_for
from sms.models import Message
from tests import factories
from tests.journeys import german, sent_messages
from tests.staff.conftest import make_staff
from tests.staff.helpers import book, first_dose, run_together, second_dose

pytestmark = pytest.mark.django_db

Status = Appointment.Status
CANCEL_DAY = reverse("admin:booking_appointment_cancel_day")


@pytest.fixture
def day():
    return factories.days_ahead(3)


@pytest.fixture
def booked_day(center_a, vaccine, open_for_80, day):
    factories.make_delivery(center_a, vaccine, doses=100)
    morning = book(
        center_a, vaccine, at=factories.local_datetime(day, 9), names=["Erna Meyer", "Karl Meyer"]
    )
    noon = book(center_a, vaccine, at=factories.local_datetime(day, 12), names=["Gerda Lange"])
    return morning + noon


def form(center, day, **extra):
    return {"center": center.pk, "day": day.isoformat(), **extra}


def test_the_confirmation_shows_how_many_people_are_affected_and_changes_nothing(
    client_a, center_a, booked_day, day
):
    response = client_a.post(CANCEL_DAY, form(center_a, day))
    assert response.context["stage"] == "preview"
    assert len(response.context["rows"]) == 3
    summary = german(
        "%(count)d person has an appointment this day and will be told by SMS.",
        "%(count)d people have appointments this day and will each be told by SMS.",
        count=3,
    )
    assert summary in response.content.decode()
    assert not Appointment.objects.filter(status=Status.CANCELLED).exists()


def test_cancelling_the_day_tells_everyone_and_cancels_their_second_doses(
    client_a, staff_a, center_a, vaccine, booked_day, day
):
    before = stock_for(center_id=center_a.pk, vaccine_id=vaccine.pk)
    offered, withdrawn = [], []

    def on_freed(sender, slot_ids, **kwargs):
        offered.append(slot_ids)

    def on_withdrawn(sender, slot_ids, **kwargs):
        withdrawn.append(slot_ids)

    seats_freed.connect(on_freed)
    slots_withdrawn.connect(on_withdrawn)
    try:
        response = client_a.post(CANCEL_DAY, form(center_a, day, confirm="1"))
    finally:
        seats_freed.disconnect(on_freed)
        slots_withdrawn.disconnect(on_withdrawn)
    assert response.status_code == 302
    assert f"day={day.isoformat()}" in response["Location"]

    for series in booked_day:
        series.refresh_from_db()
        assert series.status == Series.Status.CANCELLED
        assert series.cancel_reason == Series.CancelReason.CENTER
        assert first_dose(series).status == Status.CANCELLED
        assert second_dose(series).status == Status.CANCELLED
        sms = Message.objects.get(idempotency_key=f"day-cancelled:{first_dose(series).pk}")
        assert sms.recipient == series.person.household.phone
        assert series.booking_code in sms.body
        assert center_a.name in sms.body

    assert offered == []
    day_slots = Slot.objects.filter(center=center_a, starts_at__date=day)
    assert withdrawn == [sorted(day_slots.values_list("pk", flat=True))]
    assert all(slot.capacity == slot.booked == 0 for slot in day_slots)
    assert not Slot.objects.bookable().filter(pk__in=day_slots).exists()
    # The day's seats no longer bind doses, nor do the second-dose seats reserved
    # for them: nobody can book those with a first dose any more.
    after = stock_for(center_id=center_a.pk, vaccine_id=vaccine.pk)
    assert after.available == before.available + 6
    reserved = list(
        Slot.objects.filter(first_dose_slots__appointments__series__in=booked_day).distinct()
    )
    assert reserved
    assert all(slot.capacity == slot.booked == 0 for slot in reserved)
    assert sum(slot.withdrawn for slot in reserved) == 3

    entries = AuditEntry.objects.filter(action="day_cancelled", user=staff_a)
    assert entries.count() == 6
    assert {e.details.get("second_dose_of") for e in entries} == {None, day.isoformat()}


def test_each_person_gets_exactly_one_message_about_the_day(client_a, center_a, booked_day, day):
    before = {s.pk: len(sent_messages(s.person.household.phone)) for s in booked_day}
    client_a.post(CANCEL_DAY, form(center_a, day, confirm="1"))
    for series in booked_day:
        messages = sent_messages(series.person.household.phone)
        assert len(messages) == before[series.pk] + 1
        assert series.booking_code in messages[-1].body


def test_only_the_chosen_vaccine_and_center_are_cancelled(
    client_a, center_a, center_b, vaccine, open_for_80, booked_day, day
):
    moderna = factories.make_vaccine("Moderna", interval_days=28)
    factories.open_group(vaccines=[moderna])
    [other_vaccine] = book(
        center_a, moderna, at=factories.local_datetime(day, 10), names=["Otto Ohl"]
    )
    [other_center] = book(
        center_b, vaccine, at=factories.local_datetime(day, 10), names=["Olga Ohl"]
    )
    client_a.post(CANCEL_DAY, form(center_a, day, vaccine=vaccine.pk, confirm="1"))
    assert all(first_dose(s).status == Status.CANCELLED for s in booked_day)
    assert first_dose(other_vaccine).status == Status.BOOKED
    assert first_dose(other_center).status == Status.BOOKED


def test_a_day_that_has_passed_cannot_be_cancelled(client_a, center_a):
    yesterday = factories.days_ahead(-1)
    response = client_a.post(CANCEL_DAY, form(center_a, yesterday, confirm="1"))
    assert response.status_code == 200
    message = german("This day has passed. Close it instead of cancelling it.")
    assert message in response.content.decode()


def test_cancelling_the_second_dose_day_moves_the_second_dose_to_the_nearest_free_seat(
    client_a, center_a, vaccine, open_for_80
):
    [series] = book(center_a, vaccine, at=factories.local_datetime(factories.days_ahead(2), 9))
    second_day = factories.days_ahead(2 + vaccine.second_dose_interval_days)
    # Free second-dose seats two and three days after the cancelled day, at 9:00.
    later = factories.make_slot(
        center_a, vaccine, factories.local_datetime(factories.days_ahead(4), 9)
    )
    factories.make_slot(center_a, vaccine, factories.local_datetime(factories.days_ahead(5), 9))
    old_slot = second_dose(series).slot
    client_a.post(CANCEL_DAY, form(center_a, second_day, confirm="1"))
    series.refresh_from_db()
    assert series.status == Series.Status.ACTIVE
    assert series.awaiting_second_dose_since is None
    assert first_dose(series).status == Status.BOOKED
    moved = second_dose(series)
    assert moved.status == Status.BOOKED
    assert moved.slot == later.second_dose_slot
    old_slot.refresh_from_db()
    assert old_slot.booked == 0
    # The first-dose seat whose second dose was taken is no longer shown as free.
    later.refresh_from_db()
    assert Slot.objects.with_free_appointments().get(pk=later.pk).free_appointments == 1
    sms = Message.objects.get(idempotency_key=f"second-dose-moved:{moved.pk}:{moved.slot_id}")
    assert sms.recipient == series.person.household.phone
    assert "neuer Termin" in sms.body or "neuen Termin" in sms.body


def test_without_a_free_second_dose_seat_the_person_waits_first_in_line(
    client_a, center_a, vaccine, open_for_80
):
    [series] = book(center_a, vaccine, at=factories.local_datetime(factories.days_ahead(2), 9))
    second_day = factories.days_ahead(2 + vaccine.second_dose_interval_days)
    client_a.post(CANCEL_DAY, form(center_a, second_day, confirm="1"))
    series.refresh_from_db()
    assert series.status == Series.Status.ACTIVE
    assert series.awaiting_second_dose_since is not None
    assert second_dose(series).status == Status.CANCELLED
    assert first_dose(series).status == Status.BOOKED
    sms = Message.objects.get(idempotency_key__startswith="second-dose-awaiting:")
    assert sms.recipient == series.person.household.phone
    # Staff see who waits for a second dose.
    changelist = client_a.get(
        reverse("admin:booking_series_changelist") + "?awaiting_second_dose=yes"
    )
    assert series.booking_code in changelist.content.decode()

    # Another resident cancels: the second-dose seat that frees goes to the waiting
    # series before anyone else, and nobody is offered its first dose.
    [other] = book(
        center_a,
        vaccine,
        at=factories.local_datetime(factories.days_ahead(3), 9),
        names=["Otto Ohl"],
    )
    cancel_series(household=other.person.household, booking_code=other.booking_code)
    series.refresh_from_db()
    assert series.awaiting_second_dose_since is None
    second = second_dose(series)
    assert second.status == Status.BOOKED
    assert second.slot == second_dose(other).slot
    assert Message.objects.filter(
        idempotency_key=f"second-dose-moved:{second.pk}:{second.slot_id}"
    ).exists()


# --- races ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_nobody_is_left_booked_on_a_day_cancelled_while_they_booked(center_a, vaccine, open_for_80):
    user = make_staff("staff-race", center_a)
    day = factories.days_ahead(4)
    first, _second = factories.make_bookable_pair(
        center_a, vaccine, day=day, capacity=10, second_capacity=10
    )
    people = [factories.make_person(first_name=f"Person{n}") for n in range(4)]

    def booking(person):
        return lambda: book_series(person=person, slot=first, request_token=uuid.uuid4())

    run_together(
        lambda: cancel_day(center=center_a, day=day, by=user), *[booking(p) for p in people]
    )
    first.refresh_from_db()
    assert not Appointment.objects.filter(slot=first, status=Status.BOOKED).exists()
    assert first.capacity == first.booked == 0


@pytest.mark.django_db(transaction=True)
def test_a_resident_cancelling_during_the_day_cancellation_frees_each_seat_once(
    center_a, vaccine, open_for_80
):
    """Karl's second dose was moved into Erna's second-dose slot; his seat must stay taken."""
    user = make_staff("staff-race", center_a)
    day = factories.days_ahead(4)
    for _round in range(3):
        Appointment.objects.all().delete()
        Series.objects.all().delete()
        Slot.objects.filter(dose=Slot.Dose.FIRST).delete()
        Slot.objects.all().delete()
        [erna] = book(center_a, vaccine, at=factories.local_datetime(day, 9))
        [karl] = book(
            center_a,
            vaccine,
            at=factories.local_datetime(day - timedelta(days=1), 9),
            names=["Karl Kurz"],
        )
        shared = second_dose(erna).slot
        # As a cancelled day's second dose moved into a free seat would be.
        Slot.objects.filter(pk=second_dose(karl).slot_id).update(booked=0)
        Slot.objects.filter(pk=shared.pk).update(capacity=2, booked=2)
        Appointment.objects.filter(pk=second_dose(karl).pk).update(slot=shared)
        errors = run_together(
            lambda: cancel_day(center=center_a, day=day, by=user),
            lambda e=erna: cancel_series(household=e.person.household, booking_code=e.booking_code),
        )
        assert len(errors) <= 1
        shared.refresh_from_db()
        assert shared.booked == 1  # Karl's seat
        assert second_dose(karl).status == Status.BOOKED


def test_the_cancel_day_preview_names_the_second_doses_it_moves_in_english(
    client_a, center_a, vaccine, open_for_80
):
    book(center_a, vaccine, at=factories.local_datetime(factories.days_ahead(2), 9))
    second_day = factories.days_ahead(2 + vaccine.second_dose_interval_days)
    client_a.post(reverse("set_language"), {"language": "en", "next": "/"})
    page = client_a.post(CANCEL_DAY, form(center_a, second_day)).content.decode()
    assert "1 second dose of this day will be moved to the nearest free" in page
    response = client_a.post(CANCEL_DAY, form(center_a, second_day, confirm="1"), follow=True)
    assert "waits first in line for the next one" in response.content.decode()
