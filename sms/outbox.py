"""Writing messages into the outbox and sending what is due.

``queue_message`` is called inside the transaction of the change that causes
the message, so a rolled-back change sends nothing and a committed one always
has its message. ``dispatch_due`` is run by the ``sms_dispatch`` worker.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from sms.backends import PermanentSendError, TransientSendError, get_backend
from sms.models import Message
from sms.phone import mask
from sms.signals import message_failed, message_sent

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8


def render_message(template_name: str, context: dict) -> str:
    """Render an SMS text from ``templates/sms/``; whitespace is collapsed."""
    text = render_to_string(f"sms/{template_name}", context)
    return " ".join(text.split())


def queue_message(
    *,
    recipient: str,
    body: str,
    priority: Message.Priority,
    idempotency_key: str,
    channel: Message.Channel = Message.Channel.SMS,
    send_before: datetime | None = None,
) -> Message:
    """Add a message to the outbox; the same idempotency key never queues twice."""
    message, _created = Message.objects.get_or_create(
        idempotency_key=idempotency_key,
        defaults={
            "recipient": recipient,
            "body": body,
            "priority": priority,
            "channel": channel,
            "send_before": send_before,
        },
    )
    return message


def _claim_batch(limit: int) -> list[Message]:
    now = timezone.now()
    # A dispatcher that died mid-batch leaves rows in SENDING; after the lease
    # they are due again.
    Message.objects.filter(status=Message.Status.SENDING, lease_expires_at__lt=now).update(
        status=Message.Status.QUEUED, lease_expires_at=None
    )
    with transaction.atomic():
        due = list(
            Message.objects.select_for_update(skip_locked=True)
            .filter(status=Message.Status.QUEUED, next_attempt_at__lte=now)
            .order_by("priority", "next_attempt_at", "pk")[:limit]
        )
        too_late = [m.pk for m in due if m.send_before and m.send_before <= now]
        if too_late:
            Message.objects.filter(pk__in=too_late).update(status=Message.Status.DROPPED)
        batch = [m for m in due if m.pk not in too_late]
        Message.objects.filter(pk__in=[m.pk for m in batch]).update(
            status=Message.Status.SENDING, lease_expires_at=now + LEASE
        )
    return batch


def _retry_delay(attempts: int) -> timedelta:
    return timedelta(seconds=min(2**attempts, 300))


def dispatch_due(limit: int = 100) -> int:
    """Send up to ``limit`` due messages, most urgent first; return how many were sent."""
    backend = get_backend()
    sent = 0
    for message in _claim_batch(limit):
        message.attempts += 1
        try:
            message.provider_id = backend.send(message)
        except PermanentSendError as error:
            message.status = Message.Status.FAILED
            message.last_error = str(error)[:300]
        except TransientSendError as error:
            failed_for_good = message.attempts >= MAX_ATTEMPTS
            message.status = Message.Status.FAILED if failed_for_good else Message.Status.QUEUED
            message.next_attempt_at = timezone.now() + _retry_delay(message.attempts)
            message.last_error = str(error)[:300]
        else:
            message.status = Message.Status.SENT
            message.sent_at = timezone.now()
            sent += 1
        message.lease_expires_at = None
        message.save(
            update_fields=[
                "status",
                "attempts",
                "provider_id",
                "sent_at",
                "next_attempt_at",
                "last_error",
                "lease_expires_at",
            ]
        )
        logger.info("sms %s to %s: %s", message.pk, mask(message.recipient), message.status)
        if message.status == Message.Status.SENT:
            message_sent.send(sender=Message, message_id=message.pk, sent_at=message.sent_at)
        elif message.status == Message.Status.FAILED:
            message_failed.send(sender=Message, message_id=message.pk)
    return sent
