"""kill -9 of a dispatcher process in the middle of a batch loses nothing, and
repeats only what it had in hand (the same text under the same key)."""

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from sms.dispatcher import Dispatcher
from sms.models import Message
from sms.outbox import queue_message
from sms.throttle import Throttle, Unlimited
from tests.sms.fake_twilio import ACCOUNT_SID, AUTH_TOKEN

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]
COUNT = 40
POOL = 4
UNLIMITED: dict[str, Throttle] = {"sms": Unlimited(), "voice": Unlimited()}


def dispatcher_process(fake_base_url: str) -> subprocess.Popen:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "SMS_BACKEND": "sms.backends.twilio.TwilioBackend",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_SMS_FROM": "Impfportal",
        "TWILIO_VOICE_FROM": "+495115550100",
        "TWILIO_API_BASE_URL": fake_base_url,
        "SMS_POOL_SIZE": str(POOL),
        "SMS_RATE_PER_SECOND": "0",
        "SMS_LEASE_SECONDS": "3",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "sms_dispatch"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def queue_confirmations() -> None:
    for number in range(COUNT):
        queue_message(
            recipient=f"+49151{number:08d}",
            body=f"Ihr Termin Nummer {number}",
            priority=Message.Priority.CONFIRMATION,
            idempotency_key=f"booked:{number}",
        )


def test_a_killed_dispatcher_loses_nothing_and_repeats_only_what_it_had_in_hand(twilio):
    queue_confirmations()
    twilio.set_mode("ok", delay=0.15)  # a slow provider: the batch is still in flight
    process = dispatcher_process(twilio.base_url)
    try:
        twilio.wait_for(6, timeout=60)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()

    stranded = Message.objects.filter(status=Message.Status.SENDING)
    stranded_bodies = set(stranded.values_list("body", flat=True))
    assert stranded_bodies, "the kill should have left claimed rows behind"
    assert len(stranded_bodies) <= 3 * POOL  # never more than a process holds
    assert Message.objects.filter(status=Message.Status.QUEUED).exists()

    # Another dispatcher sends the rest, but leaves the dead one's rows alone
    # while their lease runs...
    twilio.set_mode("ok", delay=0)
    queued = Message.objects.filter(status=Message.Status.QUEUED).count()
    assert Dispatcher(throttles=UNLIMITED).run(until_idle=True) == queued
    assert set(stranded.values_list("body", flat=True)) == stranded_bodies

    # ...and sends them once it has ended.
    lease_end = max(end for end in stranded.values_list("lease_expires_at", flat=True) if end)
    time.sleep(max(0.0, (lease_end - timezone.now()).total_seconds()) + 0.1)
    assert Dispatcher(throttles=UNLIMITED).run(until_idle=True) == len(stranded_bodies)

    assert Message.objects.filter(status=Message.Status.SENT).count() == COUNT
    received = Counter(r.body for r in twilio.received)
    assert set(received) == set(Message.objects.values_list("body", flat=True))
    repeated = {body for body, times in received.items() if times > 1}
    assert repeated <= stranded_bodies
    assert max(received.values()) <= 2


def test_sigterm_finishes_the_messages_in_hand_and_gives_back_the_rest(twilio):
    """The command's handler (stop(), on the main thread between any two steps
    of its loop) ends the process cleanly however often it arrives."""
    queue_confirmations()
    twilio.set_mode("ok", delay=0.05)
    process = dispatcher_process(twilio.base_url)
    try:
        twilio.wait_for(6, timeout=60)
        for _ in range(20):
            process.send_signal(signal.SIGTERM)
            time.sleep(0.002)
        assert process.wait(30) == 0
    finally:
        if process.poll() is None:
            process.kill()

    assert not Message.objects.filter(status=Message.Status.SENDING).exists()
    sent = Message.objects.filter(status=Message.Status.SENT)
    assert set(sent.values_list("body", flat=True)) == {r.body for r in twilio.received}
    assert sent.count() == len(twilio.received) < COUNT  # each once, the rest not started
    rest = Message.objects.filter(status=Message.Status.QUEUED)
    assert rest.count() == COUNT - sent.count()
    assert set(rest.values_list("attempts", flat=True)) == {0}
