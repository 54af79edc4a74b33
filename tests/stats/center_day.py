"""Events of a center's day (issue 20) for the statistics' tests: a reminder sent,
a cancellation through its link, and a leftover dose offered and claimed."""

from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from booking.services import cancel_series
from centers.models import Slot
from reminders import schedule
from reminders.models import Reminder
from reminders.services import cancel_by_link, enqueue_due_reminders
from sms.models import Message
from sms.outbox import dispatch_due
from standby import services as standby
from standby.models import Offer
from tests import factories
from tests.reminders.conftest import token_in
from tests.staff.helpers import earlier_today
from tests.standby.conftest import link_of
from tests.stats.conftest import book_in_the_past


@pytest.fixture
def center_day_events(events, vaccine, monkeypatch, settings):
    """At a third center: one reminder sent and used to cancel, one leftover dose
    (a same-day cancellation) offered to two people and claimed by one."""
    # The suite may run at night: no quiet hours for this fixture.
    monkeypatch.setattr(schedule, "QUIET_FROM", time(23, 59, 59, 999999))
    monkeypatch.setattr(schedule, "QUIET_UNTIL", time(0, 0))
    center = factories.make_center(
        "Impfzentrum Goslar", district=factories.make_district("Landkreis Goslar"), town="Goslar"
    )
    factories.make_delivery(center, vaccine, doses=1000)

    [reminded] = book_in_the_past(
        center, vaccine, at=timezone.now() + timedelta(hours=3, minutes=30), names=["Rita Erinnert"]
    )
    # Booked now: the 48-hour reminder is not needed, the 3-hour one is due in 30 minutes.
    enqueue_due_reminders()
    [sent] = Reminder.objects.filter(appointment__series=reminded, message__isnull=False)
    assert sent.kind == Reminder.Kind.HOURS_BEFORE
    Message.objects.filter(pk=sent.message_id or 0).update(next_attempt_at=timezone.now())
    settings.SMS_BACKEND = "sms.backends.memory.MemoryBackend"  # ``events`` left a failing one
    dispatch_due()
    message = Message.objects.get(pk=sent.message_id or 0)
    assert message.status == Message.Status.SENT
    cancel_by_link(token=token_in(message))

    [left] = book_in_the_past(center, vaccine, at=earlier_today(), names=["Lena Leer"])
    waiting = [
        standby.join(
            person=factories.make_person(first_name=name, born=date(1940, 1, 1)),
            center=center,
            day=timezone.localdate(),
        )
        for name in ("Stefan", "Sabine")
    ]
    cancel_series(household=left.person.household, booking_code=left.booking_code)
    offers = list(Offer.objects.filter(entry__in=waiting))
    assert len(offers) == 2
    offer_id, token = link_of(offers[0])
    assert standby.claim(offer_id=offer_id, token=token).won
    assert Slot.objects.filter(center=center).exists()
    return center
