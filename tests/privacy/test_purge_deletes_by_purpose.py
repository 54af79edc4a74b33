"""The purge deletes each kind of personal data once its purpose has ended, not before."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from booking.models import Appointment, Household, Person, Series
from privacy.models import PurgeRecord
from privacy.purge import purge
from sms.models import Message, PhoneVerification
from tests import factories
from tests.invariants.clock import fake_clock
from tests.journeys import verify
from tests.privacy.helpers import RETENTION, booked_and_cancelled, morning
from tests.staff.helpers import book
from waitlist import tasks

pytestmark = pytest.mark.django_db


def test_a_cancelled_series_goes_with_its_person_and_household_28_days_after_it(
    center, vaccine, open_for_80
):
    with fake_clock(morning()) as clock:
        series = booked_and_cancelled(center, vaccine)
        clock.advance(RETENTION - timedelta(hours=1))
        purge(commit=True)
        assert Series.objects.filter(pk=series.pk).exists()

        clock.advance(timedelta(hours=2))
        result = purge(commit=True)

    assert not Series.objects.exists()
    assert not Person.objects.exists()
    assert not Household.objects.exists()
    assert {
        label: result.counts[label]
        for label in (
            "booking.series",
            "booking.appointment",
            "booking.person",
            "booking.household",
        )
    } == {
        "booking.series": 1,
        "booking.appointment": 2,
        "booking.person": 1,
        "booking.household": 1,
    }
    record = PurgeRecord.objects.latest("ran_at")
    assert record.counts == result.counts


def test_a_booked_series_stays_until_28_days_after_its_second_dose(center, vaccine, open_for_80):
    with fake_clock(morning()) as clock:
        (series,) = book(center, vaccine, at=factories.local_datetime(factories.days_ahead(3), 10))
        clock.advance(timedelta(days=3 + 21 + 27))
        purge(commit=True)
        assert Appointment.objects.filter(series=series).count() == 2

        clock.advance(timedelta(days=2))
        purge(commit=True)
    assert not Series.objects.exists()
    assert not Person.objects.exists()


def test_a_dry_run_counts_what_would_go_and_deletes_nothing(center, vaccine, open_for_80, capsys):
    with fake_clock(morning()) as clock:
        booked_and_cancelled(center, vaccine)
        clock.advance(RETENTION + timedelta(days=1))
        call_command("purge_personal_data")

    out = capsys.readouterr().out
    assert "booking.series: 1" in out
    assert "Dry run" in out
    assert Series.objects.count() == 1
    assert not PurgeRecord.objects.exists()


def test_texts_of_sent_messages_are_blanked_and_used_codes_deleted_after_a_day(client, phone):
    with fake_clock(morning()) as clock:
        verify(client, phone)
        assert Message.objects.get().recipient == phone
        clock.advance(timedelta(hours=25))
        purge(commit=True)

    message = Message.objects.get()
    assert (message.body, message.recipient, message.status) == ("", "", Message.Status.SENT)
    assert not PhoneVerification.objects.exists()


def test_expired_sessions_and_finished_task_results_go(client, phone):
    with fake_clock(morning()) as clock:
        verify(client, phone)
        finished = tasks.expire_offer.enqueue(0)
        waiting = tasks.expire_offer.enqueue(1)
        DBTaskResult.objects.filter(pk=finished.id).update(
            status=TaskResultStatus.SUCCESSFUL, finished_at=clock.now
        )
        assert Session.objects.exists()
        clock.advance(timedelta(days=8))
        purge(commit=True)

    assert not Session.objects.exists()
    assert list(DBTaskResult.objects.values_list("pk", flat=True)) == [
        DBTaskResult.objects.get(pk=waiting.id).pk
    ]
