"""Dispatchers claiming at the same moment never get the same row, and two
status reports arriving together never both apply: for real, on PostgreSQL."""

import threading
import time
from collections import Counter

import pytest
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from sms.delivery import record_delivery_report
from sms.models import Message
from sms.outbox import claim_due

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8
DEADLOCK_DETECTED = "40P01"
ROWS = 200


def queue_rows():
    Message.objects.bulk_create(
        Message(
            recipient=f"+49151{n:08d}",
            body=f"notice {n}",
            priority=Message.Priority.BULK,
            idempotency_key=f"race-{n}",
        )
        for n in range(ROWS)
    )


def naive_claim(limit: int) -> list[int]:
    """Read the due rows, then mark them: what SKIP LOCKED replaces."""
    ids = list(
        Message.objects.filter(status=Message.Status.QUEUED)
        .order_by("priority", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    time.sleep(0.005)
    try:
        with transaction.atomic():
            Message.objects.filter(pk__in=ids).update(status=Message.Status.SENDING)
    except OperationalError as error:
        # Two naive dispatchers marking overlapping rows in different orders
        # deadlock; the one PostgreSQL aborts still sends what it read.
        if getattr(error.__cause__, "sqlstate", None) != DEADLOCK_DETECTED:
            raise
    return ids


def claim_until_empty(claim) -> Counter:
    barrier = threading.Barrier(THREADS)
    claimed: Counter = Counter()
    lock = threading.Lock()

    def work():
        try:
            barrier.wait()
            while ids := claim(10):
                with lock:
                    claimed.update(ids)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return claimed


def test_without_skip_locked_dispatchers_take_the_same_rows():
    queue_rows()
    claimed = claim_until_empty(naive_claim)
    assert max(claimed.values()) > 1  # the race is real


def test_with_skip_locked_every_row_is_claimed_exactly_once():
    queue_rows()
    claimed = claim_until_empty(lambda limit: [m.pk for m in claim_due(limit=limit, channel="sms")])
    assert len(claimed) == ROWS
    assert set(claimed.values()) == {1}
    assert set(Message.objects.values_list("attempts", flat=True)) == {1}


def test_of_two_reports_arriving_together_only_one_applies():
    message = Message.objects.create(
        recipient="+4915112345678",
        body="x",
        priority=Message.Priority.CODE,
        idempotency_key="code:1",
        status=Message.Status.SENT,
        provider_id="SM1",
        sent_at=timezone.now(),
    )
    statuses = ["delivered", "failed"] * (THREADS // 2)
    barrier = threading.Barrier(THREADS)
    applied = []

    def report(status):
        try:
            barrier.wait()
            if record_delivery_report(message_id=message.pk, sid="SM1", provider_status=status):
                applied.append(status)
        finally:
            connection.close()

    threads = [threading.Thread(target=report, args=(s,)) for s in statuses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(applied) == 1
    message.refresh_from_db()
    assert message.provider_status == applied[0]
