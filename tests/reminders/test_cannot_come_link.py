"""The reminder's "I cannot come" link: signed, single use, valid until the appointment;
GET changes nothing, POST cancels through the normal cancellation."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from booking.models import Series
from centers.models import Slot
from reminders.links import make_token
from reminders.models import Reminder
from reminders.services import enqueue_due_reminders
from tests.reminders.conftest import DAY, at, first_dose, reminder_messages, token_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def reminded(book_for):
    series = book_for(14)
    with time_machine.travel(at(DAY, 3) - timedelta(days=2), tick=False):
        enqueue_due_reminders()
    [message] = reminder_messages()
    return series, token_in(message)


def page(client, token, *, method="get", moment=None):
    url = reverse("reminders:cannot_come", args=[token])
    with time_machine.travel(moment or at(DAY, 10) - timedelta(days=1), tick=False):
        return getattr(client, method)(url)


def test_opening_the_link_shows_the_appointment_and_changes_nothing(client, reminded):
    series, token = reminded
    response = page(client, token)
    assert response.status_code == 200
    text = response.content.decode()
    assert series.booking_code in text
    assert "Mittwoch, 10. März 2027, 14:00 Uhr" in text
    assert 'method="post"' in text
    series.refresh_from_db()
    assert series.status == Series.Status.ACTIVE
    assert Reminder.objects.get().link_used_at is None


def test_confirming_cancels_the_series_and_gives_the_seats_back(client, reminded):
    series, token = reminded
    slot = first_dose(series).slot
    assert Slot.objects.get(pk=slot.pk).booked == 1
    response = page(client, token, method="post")
    assert response.status_code == 200
    assert "storniert" in response.content.decode()
    series.refresh_from_db()
    assert series.status == Series.Status.CANCELLED
    assert Slot.objects.get(pk=slot.pk).booked == 0
    assert Slot.objects.get(second_dose_slot=None, first_dose_slots=slot).booked == 0
    assert Reminder.objects.get().link_used_at is not None


def test_the_link_works_once(client, reminded):
    series, token = reminded
    page(client, token, method="post")
    again = page(client, token, method="post")
    assert "bereits verwendet" in again.content.decode()
    assert Series.objects.filter(pk=series.pk, status=Series.Status.CANCELLED).count() == 1
    assert "bereits verwendet" in page(client, token).content.decode()


def test_a_link_with_a_changed_signature_or_appointment_is_refused(client, reminded):
    series, token = reminded
    value, _colon, signature = token.rpartition(":")
    forged = f"{value}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"
    other_appointment = token.replace(value, f"{int(value.split('-')[0]) + 1}-48h")
    for bad in (forged, other_appointment, "garbage"):
        response = page(client, bad, method="post")
        assert "nicht gültig" in response.content.decode()
    series.refresh_from_db()
    assert series.status == Series.Status.ACTIVE


def test_a_genuine_token_of_an_appointment_without_reminder_is_refused(client, reminded):
    series, _token = reminded
    second = series.appointments.get(dose=2)
    response = page(client, make_token(appointment_id=second.pk, kind="48h"), method="post")
    assert "nicht gültig" in response.content.decode()
    series.refresh_from_db()
    assert series.status == Series.Status.ACTIVE


def test_the_link_expires_when_the_appointment_begins(client, reminded):
    series, token = reminded
    assert "begonnen" in page(client, token, moment=at(DAY, 14)).content.decode()
    response = page(client, token, method="post", moment=at(DAY, 14, 5))
    assert "begonnen" in response.content.decode()
    series.refresh_from_db()
    assert series.status == Series.Status.ACTIVE


def test_a_get_never_cancels(client, reminded):
    series, token = reminded
    for _ in range(3):
        page(client, token)
    series.refresh_from_db()
    assert series.status == Series.Status.ACTIVE
