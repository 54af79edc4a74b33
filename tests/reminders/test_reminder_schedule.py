"""Reminders 48 and 3 hours before, at bulk priority, never in quiet hours, never
for cancelled or moved appointments, never after the start; the clock is moved."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from booking.models import Appointment
from booking.services import cancel_series
from reminders.models import Reminder
from reminders.services import enqueue_due_reminders
from sms.backends import memory
from sms.models import Message
from sms.outbox import dispatch_due, queue_message
from tests.reminders.conftest import DAY, at, first_dose, reminder_messages

pytestmark = pytest.mark.django_db


def run_scheduler(moment):
    """A pass that looks 24 hours ahead (the tests below were written for it);
    ``test_the_default_lookahead_catches_the_evening_before`` checks the default."""
    with time_machine.travel(moment, tick=False):
        return enqueue_due_reminders(lookahead=timedelta(hours=24))


def dispatch_at(moment) -> int:
    """Send what is due at ``moment``; how many reminders went out."""
    before = len(memory.outbox)
    with time_machine.travel(moment, tick=False):
        dispatch_due()
    return sum(1 for m in memory.outbox[before:] if m.idempotency_key.startswith("reminder:"))


def test_it_sends_a_reminder_48_hours_and_3_hours_before(book_for):
    series = book_for(14)
    appointment = first_dose(series)

    # Three days before: nothing is due within the lookahead yet.
    assert run_scheduler(at(DAY, 13) - timedelta(days=3)) == {"queued": 0, "skipped": 0}
    assert run_scheduler(at(DAY, 15) - timedelta(days=3)) == {"queued": 1, "skipped": 0}
    [days_before] = reminder_messages()
    assert days_before.priority == Message.Priority.BULK
    assert days_before.next_attempt_at == at(DAY, 14) - timedelta(hours=48)
    assert days_before.send_before == at(DAY, 14)

    assert dispatch_at(at(DAY, 13, 59) - timedelta(days=2)) == 0
    assert dispatch_at(at(DAY, 14) - timedelta(days=2)) == 1
    [sent] = memory.outbox
    assert "10.03.2027 14:00" in sent.body
    assert "Messegelände 1, Hannover" in sent.body
    assert series.booking_code in sent.body
    assert "/cannot-come/" in sent.body

    # The day before, the 3-hour reminder is queued for 11:00 on the day.
    assert run_scheduler(at(DAY, 12) - timedelta(days=1)) == {"queued": 1, "skipped": 0}
    assert dispatch_at(at(DAY, 10, 59)) == 0
    assert dispatch_at(at(DAY, 11)) == 1
    assert [r.kind for r in Reminder.objects.filter(appointment=appointment).order_by("pk")] == [
        Reminder.Kind.DAYS_BEFORE,
        Reminder.Kind.HOURS_BEFORE,
    ]
    assert len(memory.outbox) == 2


def test_running_the_scheduler_again_queues_nothing_twice(book_for):
    book_for(14)
    book_for(15, first_name="Karl")
    moment = at(DAY, 16) - timedelta(days=1)
    first = run_scheduler(moment)
    again = run_scheduler(moment + timedelta(minutes=1))
    assert first == {"queued": 4, "skipped": 0}
    assert again == {"queued": 0, "skipped": 0}
    assert Reminder.objects.count() == 4
    assert len(reminder_messages()) == 4
    assert all(r.message_id for r in Reminder.objects.all())


def test_a_cancelled_appointment_gets_no_reminder(book_for):
    series = book_for(14)
    run_scheduler(at(DAY, 15) - timedelta(days=3))
    cancel_series(household=series.person.household, booking_code=series.booking_code)

    assert dispatch_at(at(DAY, 14) - timedelta(days=2)) == 0
    assert [m.idempotency_key for m in memory.outbox] == [f"cancelled:{series.pk}"]
    assert reminder_messages() == []  # withdrawn from the outbox, unsent
    assert Reminder.objects.get().status == Reminder.Status.DROPPED
    # Nor is one queued afterwards.
    assert run_scheduler(at(DAY, 12) - timedelta(days=1)) == {"queued": 0, "skipped": 0}


def test_a_moved_appointment_gets_no_reminder_for_its_old_time(book_for, center, vaccine):
    from tests import factories

    series = book_for(14)
    run_scheduler(at(DAY, 15) - timedelta(days=3))
    other = factories.make_slot(center, vaccine, at(DAY, 16))
    Appointment.objects.filter(pk=first_dose(series).pk).update(slot=other)

    assert dispatch_at(at(DAY, 14) - timedelta(days=2)) == 0
    assert reminder_messages() == []
    assert Reminder.objects.get(kind=Reminder.Kind.DAYS_BEFORE).status == Reminder.Status.DROPPED


def test_no_reminder_goes_out_after_the_appointment_began(book_for):
    book_for(14)
    run_scheduler(at(DAY, 12) - timedelta(days=1))  # both kinds queued
    assert len(reminder_messages()) == 2
    # The dispatcher was down until the appointment began.
    assert dispatch_at(at(DAY, 14, 1)) == 0
    assert memory.outbox == []
    assert reminder_messages() == []
    assert set(Reminder.objects.values_list("status", flat=True)) == {Reminder.Status.DROPPED}


def test_a_reminder_due_in_quiet_hours_goes_out_at_eight(book_for):
    book_for(10)  # the 3-hour reminder would be at 07:00
    run_scheduler(at(DAY, 9) - timedelta(days=1))
    assert dispatch_at(at(DAY, 9) - timedelta(days=1)) == 1  # the 48-hour one, overdue
    message = Message.objects.get(idempotency_key__startswith="reminder:3h:")
    assert message.next_attempt_at == at(DAY, 8)
    assert dispatch_at(at(DAY, 7, 59)) == 0
    assert dispatch_at(at(DAY, 8)) == 1


def test_a_reminder_too_early_in_the_morning_goes_out_the_evening_before(book_for):
    book_for(8, 30)  # 05:30 is quiet, 08:00 is too close to 08:30
    run_scheduler(at(DAY, 8) - timedelta(days=1))
    message = Message.objects.get(idempotency_key__startswith="reminder:3h:")
    assert message.next_attempt_at == at(DAY, 20, 30) - timedelta(days=1)


def test_a_reminder_claimed_in_quiet_hours_waits_until_they_end(book_for):
    book_for(14)
    run_scheduler(at(DAY, 15) - timedelta(days=3))
    late_evening = at(DAY, 22) - timedelta(days=2)  # the provider was down all day
    assert dispatch_at(late_evening) == 0
    message = reminder_messages()[0]
    assert message.status == Message.Status.QUEUED
    assert message.attempts == 0
    assert message.next_attempt_at == at(DAY, 8) - timedelta(days=1)
    assert dispatch_at(at(DAY, 8) - timedelta(days=1)) == 1


def test_codes_are_not_held_by_quiet_hours(phone):
    from sms.outbox import queue_message

    queue_message(
        recipient=phone, body="Ihr Code", priority=Message.Priority.CODE, idempotency_key="code"
    )
    before = len(memory.outbox)
    with time_machine.travel(at(DAY, 23), tick=False):
        assert dispatch_due() == 1
    assert memory.outbox[before:][0].body == "Ihr Code"


def test_a_series_booked_after_the_reminder_was_due_gets_none_of_that_kind(
    center, vaccine, open_for_80
):
    from tests import factories
    from tests.reminders.conftest import book_at

    factories.make_delivery(center, vaccine)
    slot = factories.make_slot(center, vaccine, at(DAY, 14))
    slot = (
        type(slot).objects.select_related("center", "vaccine", "second_dose_slot").get(pk=slot.pk)
    )
    book_at(at(DAY, 9) - timedelta(days=1), person=factories.make_person(), slot=slot)
    assert run_scheduler(at(DAY, 12) - timedelta(days=1)) == {"queued": 1, "skipped": 1}
    assert Reminder.objects.get(kind=Reminder.Kind.DAYS_BEFORE).status == Reminder.Status.SKIPPED


def test_a_landline_household_gets_a_call_without_a_link(book_for):
    book_for(14, phone="+495111234567")
    run_scheduler(at(DAY, 15) - timedelta(days=3))
    [message] = reminder_messages()
    assert message.channel == Message.Channel.VOICE
    assert "/cannot-come/" not in message.body
    assert "14:00" in message.body


def test_the_default_lookahead_catches_the_evening_before(book_for):
    book_for(8, 30)  # its 3-hour reminder goes at 20:30 the evening before
    with time_machine.travel(at(DAY, 8) - timedelta(days=1), tick=False):
        # The 48-hour one only (overdue); the 3-hour one is more than 12 hours away.
        assert enqueue_due_reminders() == {"queued": 1, "skipped": 0}
    with time_machine.travel(at(DAY, 18) - timedelta(days=1), tick=False):
        assert enqueue_due_reminders() == {"queued": 1, "skipped": 0}
    message = Message.objects.get(idempotency_key__startswith="reminder:3h:")
    assert message.next_attempt_at == at(DAY, 20, 30) - timedelta(days=1)
    assert dispatch_at(at(DAY, 20, 29) - timedelta(days=1)) == 1  # the 48-hour one
    assert dispatch_at(at(DAY, 20, 30) - timedelta(days=1)) == 1  # the 3-hour one


def test_a_withdrawn_reminder_is_no_failed_text_in_the_figures(book_for):
    """The statistics count dropped and failed texts from the outbox (``sms_failed``):
    a reminder nobody needs any more leaves no row there to be counted."""
    from django.core.management import call_command

    series = book_for(14)
    run_scheduler(at(DAY, 15) - timedelta(days=3))
    cancel_series(household=series.person.household, booking_code=series.booking_code)
    dispatch_at(at(DAY, 14) - timedelta(days=2))
    assert not Message.objects.filter(
        status__in=[Message.Status.FAILED, Message.Status.DROPPED]
    ).exists()
    call_command("rebuild_stats", "--check", "--metric=sms_failed", "--metric=reminder_sent")


def test_the_reminders_of_a_batch_are_counted_for_their_center_and_day(book_for, center):
    """One batch: two reminders and a notice; the statistics count the two at the
    center, on the day they were sent."""
    from django.core.management import call_command

    from stats.models import Metric
    from tests.stats.conftest import figure

    book_for(14)
    book_for(15, first_name="Karl")
    run_scheduler(at(DAY, 16) - timedelta(days=3))
    queue_message(
        recipient="+4915100000001",
        body="Hinweis",
        priority=Message.Priority.BULK,
        idempotency_key="notice",
    )
    moment = at(DAY, 15) - timedelta(days=2)
    Message.objects.filter(idempotency_key="notice").update(next_attempt_at=moment)
    assert dispatch_at(moment) == 2
    assert Message.objects.get(idempotency_key="notice").status == Message.Status.SENT
    sent_on = timezone.localdate(moment)
    assert figure(Metric.REMINDER_SENT, day=sent_on, center_id=center.pk) == 2
    assert figure(Metric.REMINDER_SENT) == 2
    call_command("rebuild_stats", "--check", "--metric=reminder_sent")


def test_a_paced_pass_stopped_between_batches_is_continued_by_the_next(book_for):
    """The scheduler rests between batches (``--pace``); a stop during the rest
    ends the pass, each batch committed, and the next pass queues the rest once."""
    import threading

    for hour in (14, 15, 16):
        book_for(hour, first_name=f"Person{hour}")
    moment = at(DAY, 17) - timedelta(days=1)
    stopped = threading.Event()
    stopped.set()
    with time_machine.travel(moment, tick=False):
        first = enqueue_due_reminders(
            lookahead=timedelta(hours=24), batch=2, pace=1.0, stop=stopped
        )
        rest = enqueue_due_reminders(lookahead=timedelta(hours=24), batch=2)
    assert first == {"queued": 2, "skipped": 0}
    assert rest == {"queued": 4, "skipped": 0}
    assert Reminder.objects.count() == 6
    assert len(reminder_messages()) == 6
