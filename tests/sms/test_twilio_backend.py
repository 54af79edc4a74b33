"""The Twilio backend through the real SDK against the fake server on loopback."""

import logging
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from sms.backends.twilio import TwilioBackend
from sms.checks import check_twilio_settings
from sms.models import Message
from sms.outbox import dispatch_due, queue_message
from sms.phone import parse_phone_number
from sms.services import request_code
from tests.sms.conftest import CALLBACK_URL

pytestmark = pytest.mark.django_db

MOBILE = "+4915112345678"


def queue(key="m1", recipient=MOBILE, **extra):
    return queue_message(
        recipient=recipient,
        body=f"Ihr Termin {key}",
        priority=Message.Priority.CONFIRMATION,
        idempotency_key=key,
        **extra,
    )


def test_a_mobile_number_gets_an_sms_with_the_sender_and_a_status_callback(twilio):
    message = queue()
    assert dispatch_due() == 1
    [received] = twilio.received
    assert received.kind == "sms"
    assert (received.to, received.sender, received.body) == (MOBILE, "Impfportal", "Ihr Termin m1")
    assert parse_qs(urlsplit(received.status_callback).query) == {"m": [str(message.pk)]}
    assert received.status_callback.startswith(CALLBACK_URL)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.provider_id == received.sid


def test_a_code_tells_twilio_to_drop_it_when_it_expires(twilio):
    queue("code", send_before=timezone.now() + timedelta(minutes=10))
    dispatch_due()
    assert 590 <= int(twilio.received[0].validity_period) <= 600


def test_a_landline_gets_a_call_reading_the_code_slowly_in_german_twice(twilio):
    verification = request_code(parse_phone_number("0511 1234567"))
    assert dispatch_due() == 1
    [call] = twilio.received
    assert call.kind == "voice"
    assert (call.to, call.sender) == ("+495111234567", "+495115550100")
    says = re.findall(r'<Say language="de-DE">([^<]*)</Say>', call.twiml)
    digits = [text for text in says if text.isdigit()]
    assert len(digits) == 12, call.twiml  # six digits, twice
    assert digits[:6] == digits[6:]
    assert all(len(digit) == 1 for digit in digits)
    # A pause after every digit, so that it can be written down.
    assert call.twiml.count('<Pause length="1" />') >= 12
    message = Message.objects.get(idempotency_key=f"code:{verification.pk}")
    assert message.provider_id == call.sid
    assert message.provider_id.startswith("CA")


@pytest.mark.parametrize("mode", ["429", "500"])
def test_a_busy_or_broken_provider_means_retry_later_with_backoff(twilio, settings, mode):
    settings.SMS_RETRY_BASE_SECONDS = 10
    message = queue()
    twilio.set_mode(mode)
    before = timezone.now()
    assert dispatch_due() == 0
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert message.attempts == 1
    assert mode in message.last_error
    # First retry: 5..10 s later (base 10 s with jitter in the upper half).
    assert before + timedelta(seconds=5) <= message.next_attempt_at
    assert message.next_attempt_at <= timezone.now() + timedelta(seconds=10)
    assert dispatch_due() == 0  # not due yet: nothing is sent again
    assert twilio.requests == 1

    twilio.set_mode("ok")
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert dispatch_due() == 1
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.SENT, 2)


def test_a_provider_that_does_not_answer_times_out_and_is_retried(twilio, settings):
    settings.TWILIO_TIMEOUT_SECONDS = 0.3
    message = queue()
    twilio.set_mode("timeout")
    assert dispatch_due() == 0
    message.refresh_from_db()
    assert message.status == Message.Status.QUEUED
    assert "Timeout" in message.last_error


def test_an_invalid_number_fails_for_good_and_is_not_retried(twilio):
    twilio.reject_number(MOBILE)
    message = queue()
    assert dispatch_due() == 0
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert "21211" in message.last_error
    assert MOBILE not in message.last_error  # the provider's text quotes the number
    Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert dispatch_due() == 0
    assert twilio.requests == 1


def test_a_retry_gives_up_after_the_last_attempt(twilio, settings):
    settings.SMS_MAX_ATTEMPTS = 2
    message = queue()
    twilio.set_mode("500")
    for _ in range(2):
        Message.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        dispatch_due()
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Message.Status.FAILED, 2)


def test_provider_down_then_up_delivers_everything(twilio):
    messages = [queue(f"m{n}") for n in range(5)]
    twilio.refuse_connections()
    assert dispatch_due() == 0
    assert set(Message.objects.values_list("status", flat=True)) == {Message.Status.QUEUED}
    assert all("unreachable" in m.last_error for m in Message.objects.all())

    twilio.accept_connections()
    Message.objects.update(next_attempt_at=timezone.now())  # the backoff has passed
    assert dispatch_due() == 5
    assert sorted(r.body for r in twilio.received) == sorted(m.body for m in messages)


def test_neither_codes_nor_numbers_appear_in_the_logs(twilio, caplog, settings):
    caplog.set_level(logging.DEBUG)
    twilio.reject_number("+4915199999999")
    request_code(parse_phone_number(MOBILE))
    queue("bad", recipient="+4915199999999")
    dispatch_due()
    match = re.search(r"\d{6}", twilio.received[0].body)
    assert match, "the code SMS has no code"
    code = match.group()
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "sms " in logged  # the dispatcher did log both messages
    assert code not in logged
    assert MOBILE not in logged
    assert "+4915199999999" not in logged


def test_a_half_configured_twilio_backend_does_not_start(settings):
    settings.SMS_BACKEND = "sms.backends.twilio.TwilioBackend"
    settings.TWILIO_ACCOUNT_SID = "AC123"
    settings.TWILIO_AUTH_TOKEN = ""
    settings.TWILIO_SMS_FROM = "Impfportal"
    settings.TWILIO_VOICE_FROM = ""
    settings.TWILIO_TIMEOUT_SECONDS = 0
    errors = check_twilio_settings(None)
    assert [error.id for error in errors] == ["sms.E001", "sms.E001", "sms.E002"]
    assert "TWILIO_AUTH_TOKEN" in errors[0].msg
    with pytest.raises(ImproperlyConfigured, match="TWILIO_AUTH_TOKEN, TWILIO_VOICE_FROM"):
        TwilioBackend()
