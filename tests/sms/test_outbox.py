from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from sms.backends import memory
from sms.models import Message
from sms.outbox import dispatch_due, queue_message

pytestmark = pytest.mark.django_db


def queue(key, priority=Message.Priority.BULK, **extra):
    return queue_message(
        recipient="+4915112345678",
        body=f"text {key}",
        priority=priority,
        idempotency_key=key,
        **extra,
    )


def test_codes_go_out_before_earlier_queued_notices():
    for number in range(5):
        queue(f"notice-{number}")
    queue("code", priority=Message.Priority.CODE)
    dispatch_due(limit=1)
    assert [m.idempotency_key for m in memory.outbox] == ["code"]


def test_a_message_that_is_too_late_is_dropped_not_sent():
    message = queue(
        "late-code",
        priority=Message.Priority.CODE,
        send_before=timezone.now() - timedelta(seconds=1),
    )
    assert dispatch_due() == 0
    message.refresh_from_db()
    assert message.status == Message.Status.DROPPED
    assert memory.outbox == []


def test_the_same_idempotency_key_queues_one_message():
    queue("booked:1")
    queue("booked:1")
    assert Message.objects.count() == 1


def test_a_rolled_back_change_sends_nothing():
    def change_that_fails():
        with transaction.atomic():
            queue("rolled-back")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert dispatch_due() == 0
    assert not Message.objects.exists()


def test_a_sent_message_records_the_provider_id_and_is_not_sent_twice():
    message = queue("once")
    assert dispatch_due() == 1
    assert dispatch_due() == 0
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.provider_id.startswith("memory-")
    assert len(memory.outbox) == 1


def test_rows_of_a_crashed_dispatcher_come_back_after_the_lease():
    message = queue("orphan")
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENDING, lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert dispatch_due() == 1


def test_a_message_to_a_landline_becomes_a_call():
    message = queue_message(
        recipient="+495111234567",
        body="Ihr Termin ist gebucht.",
        priority=Message.Priority.CONFIRMATION,
        idempotency_key="booked:landline",
    )
    assert message.channel == Message.Channel.VOICE
    assert queue("booked:mobile").channel == Message.Channel.SMS
