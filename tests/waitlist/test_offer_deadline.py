"""The time to answer: starts when the SMS went out, shrinks near the appointment,
ends by a task at the deadline or by the sweep; two misses pause the entry."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from booking.services import cancel_series
from sms.backends import PermanentSendError, TransientSendError
from sms.backends.memory import MemoryBackend
from sms.models import Message
from sms.outbox import dispatch_due, queue_message
from tests import factories
from tests.journeys import german, sent_messages
from tests.waitlist.helpers import book, make_entry, open_offer_of, seat_problems
from waitlist import offers
from waitlist.exchange import hold_for, offer_free_seats
from waitlist.management.commands import waitlist_sweep
from waitlist.models import Entry, Offer

pytestmark = pytest.mark.django_db


@pytest.fixture
def offer(booked, waiting):
    cancel_series(household=booked.person.household, booking_code=booked.booking_code)
    return open_offer_of(waiting)


@pytest.fixture
def second_in_line(center):
    return make_entry(factories.make_person(first_name="Otto"), center=center)


def overdue(offer: Offer) -> None:
    Offer.objects.filter(pk=offer.pk).update(deadline=timezone.now() - timedelta(seconds=1))


@pytest.fixture
def run_worker(monkeypatch):
    """Run every due background task with the project's real worker, then stop.

    The worker closes "old" connections between tasks, which inside the test's
    transaction would be this test's own connection.
    """
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)

    def run() -> None:
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    return run


@pytest.mark.parametrize(
    ("ahead", "hold"),
    [
        (timedelta(days=5), timedelta(hours=12)),
        (timedelta(days=3), timedelta(hours=12)),
        (timedelta(days=2), timedelta(hours=3)),
        (timedelta(hours=8), timedelta(hours=1)),
        (timedelta(hours=2), timedelta(minutes=30)),
    ],
)
def test_the_hold_shrinks_as_the_appointment_nears(ahead, hold):
    assert hold_for(ahead) == hold


def test_the_hold_is_never_below_the_minimum(settings):
    settings.WAITLIST_MIN_HOLD = timedelta(minutes=45)
    assert hold_for(timedelta(hours=2)) == timedelta(minutes=45)
    assert hold_for(timedelta(days=5)) == timedelta(hours=12)


def test_a_same_day_offer_is_held_for_a_shorter_time(center, vaccine, open_for_80, waiting):
    today_later = timezone.now() + timedelta(hours=3)
    first = factories.make_slot(center, vaccine, today_later, capacity=1)
    factories.make_slot(center, vaccine, today_later + timedelta(days=21), capacity=1)
    offer_free_seats(slot_ids=[first.pk])
    offer = open_offer_of(waiting)
    assert offer is not None
    assert offer.hold == timedelta(minutes=30)


def test_the_deadline_starts_only_when_the_sms_reached_the_provider(offer, monkeypatch):
    def provider_down(self, message):
        raise TransientSendError("503 from the provider")

    monkeypatch.setattr(MemoryBackend, "send", provider_down)
    dispatch_due()
    offer.refresh_from_db()
    assert offer.deadline is None  # the outage does not eat the resident's time
    assert offer.is_open

    monkeypatch.undo()
    Message.objects.filter(pk=offer.message_id).update(next_attempt_at=timezone.now())
    dispatch_due()

    offer.refresh_from_db()
    message = Message.objects.get(pk=offer.message_id)
    assert message.status == Message.Status.SENT
    assert offer.sent_at == message.sent_at
    assert offer.deadline == message.sent_at + offer.hold
    task = DBTaskResult.objects.get(task_path="waitlist.tasks.expire_offer")
    assert task.run_after == offer.deadline
    assert task.args_kwargs["kwargs"] == {"offer_id": offer.pk}


def test_at_the_deadline_the_task_expires_the_offer_and_passes_it_on(
    offer, second_in_line, run_worker
):
    sent_messages()  # starts the deadline and schedules the task
    run_worker()
    offer.refresh_from_db()
    assert offer.is_open  # not due yet: the task waits for its time

    overdue(offer)
    DBTaskResult.objects.update(run_after=timezone.now())
    run_worker()

    offer.refresh_from_db()
    assert offer.status == Offer.Status.EXPIRED
    entry = Entry.objects.get(pk=offer.entry_id)
    assert (entry.status, entry.missed_offers) == (Entry.Status.WAITING, 1)
    passed_on = open_offer_of(second_in_line)
    assert passed_on is not None
    assert passed_on.first_slot_id == offer.first_slot_id
    assert seat_problems() == []


def test_expiring_twice_does_no_harm(offer, second_in_line):
    overdue(offer)
    assert offers.expire_offer(offer_id=offer.pk) is True
    assert offers.expire_offer(offer_id=offer.pk) is False
    assert Offer.objects.filter(status=Offer.Status.OPEN).count() == 1
    assert Entry.objects.get(pk=offer.entry_id).missed_offers == 1
    assert seat_problems() == []


def test_an_offer_is_not_expired_before_its_deadline(offer):
    sent_messages()
    assert offers.expire_offer(offer_id=offer.pk) is False
    offer.refresh_from_db()
    assert offer.is_open


def test_a_second_missed_offer_pauses_the_entry_and_says_how_to_reactivate(offer, settings):
    settings.HOTLINE_PHONE = "0511 4455667"
    Entry.objects.filter(pk=offer.entry_id).update(missed_offers=1)
    overdue(offer)
    offers.expire_offer(offer_id=offer.pk)

    entry = Entry.objects.get(pk=offer.entry_id)
    assert entry.status == Entry.Status.PAUSED
    assert entry.paused_at is not None
    notice = Message.objects.get(idempotency_key=f"waitlist-paused:{entry.pk}:2")
    assert notice.recipient == entry.person.household.phone
    assert "/waiting-list/" in notice.body
    assert notice.body.endswith("oder rufen Sie an: 0511 4455667.")  # the hotline's setting


def test_the_sweep_expires_offers_when_no_worker_ran(offer, second_in_line, monkeypatch):
    monkeypatch.setattr(waitlist_sweep, "close_old_connections", lambda: None)  # see run_worker
    overdue(offer)
    call_command("waitlist_sweep", "--once", verbosity=0)
    offer.refresh_from_db()
    assert offer.status == Offer.Status.EXPIRED
    assert open_offer_of(second_in_line) is not None


def test_the_sweep_starts_a_deadline_whose_signal_was_lost(offer):
    sent_at = timezone.now() - timedelta(minutes=1)
    Message.objects.filter(pk=offer.message_id).update(status=Message.Status.SENT, sent_at=sent_at)
    assert offers.sweep()["deadlines"] == 1
    offer.refresh_from_db()
    assert offer.deadline == sent_at + offer.hold


def test_an_undeliverable_offer_passes_on_and_counts_as_missed(offer, second_in_line, monkeypatch):
    def invalid_number(self, message):
        raise PermanentSendError("21211 invalid 'To' phone number")

    monkeypatch.setattr(MemoryBackend, "send", invalid_number)
    dispatch_due()

    offer.refresh_from_db()
    assert offer.status == Offer.Status.UNDELIVERED
    assert Entry.objects.get(pk=offer.entry_id).missed_offers == 1
    assert open_offer_of(second_in_line) is not None
    assert seat_problems() == []


def queue_notices(count: int) -> None:
    for number in range(count):
        queue_message(
            recipient=f"+491511234500{number}",
            body="Hinweis",
            priority=Message.Priority.BULK,
            idempotency_key=f"notice-{number}",
        )


def test_the_deadline_starts_for_the_offer_in_a_batch_of_other_messages(offer):
    queue_notices(3)
    dispatch_due()  # the offer's SMS, the notices and the booking's texts: one batch
    assert not Message.objects.exclude(status=Message.Status.SENT).exists()

    offer.refresh_from_db()
    message = Message.objects.get(pk=offer.message_id)
    assert offer.sent_at == message.sent_at
    assert offer.deadline == message.sent_at + offer.hold
    assert DBTaskResult.objects.filter(task_path="waitlist.tasks.expire_offer").count() == 1


def test_an_undeliverable_offer_in_a_batch_of_sent_messages_passes_on(
    offer, second_in_line, monkeypatch
):
    queue_notices(2)
    send = MemoryBackend.send

    def offer_number_invalid(self, message):
        if message.pk == offer.message_id:
            raise PermanentSendError("21211 invalid 'To' phone number")
        return send(self, message)

    monkeypatch.setattr(MemoryBackend, "send", offer_number_invalid)
    dispatch_due()
    notices = Message.objects.filter(idempotency_key__startswith="notice-")
    assert set(notices.values_list("status", flat=True)) == {Message.Status.SENT}
    assert Message.objects.get(pk=offer.message_id).status == Message.Status.FAILED

    offer.refresh_from_db()
    assert offer.status == Offer.Status.UNDELIVERED
    assert offer.deadline is None
    assert open_offer_of(second_in_line) is not None
    assert seat_problems() == []


def test_a_failing_offer_does_not_keep_the_next_of_its_batch_from_starting(
    offer, second_in_line, center, vaccine, monkeypatch
):
    """Each offer of a batch starts in its own transaction: one that fails is left
    to the sweep, the next one's deadline starts."""
    first, _second = factories.make_bookable_pair(center, vaccine, hour=12, capacity=1)
    other = book(factories.make_person(first_name="Hans"), first)
    cancel_series(household=other.person.household, booking_code=other.booking_code)
    next_offer = open_offer_of(second_in_line)
    assert next_offer is not None
    start = offers.start_deadline
    failed: list[int] = []

    def first_one_fails(*, message_id, sent_at):
        if not failed:
            failed.append(message_id)
            raise RuntimeError("bug in the first offer's start")
        return start(message_id=message_id, sent_at=sent_at)

    monkeypatch.setattr(offers, "start_deadline", first_one_fails)
    dispatch_due()  # both offers' SMS and the booking's texts: one batch
    assert not Message.objects.exclude(status=Message.Status.SENT).exists()

    started = {o.pk: o.deadline for o in Offer.objects.filter(pk__in=[offer.pk, next_offer.pk])}
    failed_offer = offer.pk if failed == [offer.message_id] else next_offer.pk
    assert started.pop(failed_offer) is None
    [(_other, deadline)] = started.items()
    assert deadline is not None
    monkeypatch.undo()
    assert offers.sweep()["deadlines"] == 1  # the safety net starts the other
    assert not Offer.objects.filter(status=Offer.Status.OPEN, deadline__isnull=True).exists()


def test_a_dropped_offer_sms_is_passed_on_by_the_sweep(offer, second_in_line):
    Message.objects.filter(pk=offer.message_id).update(status=Message.Status.DROPPED)
    assert offers.sweep()["undelivered"] == 1
    offer.refresh_from_db()
    assert offer.status == Offer.Status.UNDELIVERED
    assert open_offer_of(second_in_line) is not None


def test_the_sweep_closes_places_of_people_who_booked_directly(waiting, center, vaccine):
    first, _ = factories.make_bookable_pair(center, vaccine, day=factories.days_ahead(8))
    book(waiting.person, first)
    assert offers.sweep()["closed"] == 1
    waiting.refresh_from_db()
    assert waiting.status == Entry.Status.CLOSED


def test_offers_on_slots_the_center_cancelled_are_withdrawn_without_a_miss(
    offer, second_in_line, pair
):
    first, second = pair

    assert offers.withdraw_offers_for_cancelled_slots(slot_ids=[first.pk]) == 1

    offer.refresh_from_db()
    assert offer.status == Offer.Status.WITHDRAWN
    entry = Entry.objects.get(pk=offer.entry_id)
    assert (entry.status, entry.missed_offers) == (Entry.Status.WAITING, 0)
    # The cancelled slot's seat is not offered again; the link says so.
    assert open_offer_of(second_in_line) is None
    assert offers.status_message(offer) == german("This offer is no longer valid.")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.booked, second.booked) == (0, 0)
    assert seat_problems() == []
