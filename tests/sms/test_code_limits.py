"""Limits on sending codes, counted in Redis: per address, per number, for everyone.
When Redis cannot be reached no code is sent (fail closed)."""

import pytest
from django.urls import reverse

from sms.models import Message, PhoneVerification
from tests.journeys import german

pytestmark = pytest.mark.django_db

TOO_MANY_FROM_ADDRESS = (
    "Too many codes were requested from your internet connection. "
    "Please try again in an hour or call the hotline."
)
TOO_MANY_FOR_NUMBER = (
    "Too many codes were requested for this number today. "
    "Please try again tomorrow or call the hotline."
)
TOO_MANY_OVERALL = (
    "So many codes are being requested right now that we have paused sending them. "
    "Please try again in a few minutes or call the hotline."
)
UNAVAILABLE = (
    "We cannot send codes at the moment. Please try again in a few minutes or call the hotline."
)


def ask(client, phone, address="203.0.113.7"):
    return client.post(reverse("sms:phone"), {"phone": phone}, REMOTE_ADDR=address)


def test_one_address_gets_only_a_few_codes_an_hour(client, settings):
    settings.SMS_CODES_PER_ADDRESS_PER_HOUR = 2
    assert ask(client, "0151 10000001").status_code == 302
    assert ask(client, "0151 10000002").status_code == 302
    response = ask(client, "0151 10000003")
    assert response.status_code == 200
    assert german(TOO_MANY_FROM_ADDRESS) in response.text
    assert not PhoneVerification.objects.filter(phone="+4915110000003").exists()
    # Someone else, at another address, is not affected.
    assert ask(client, "0151 10000003", address="198.51.100.9").status_code == 302


def test_one_number_gets_only_a_few_codes_a_day(client, settings):
    settings.VERIFICATION_RESEND_SECONDS = 0
    settings.SMS_CODES_PER_NUMBER_PER_DAY = 2
    assert ask(client, "0151 10000001", "203.0.113.1").status_code == 302
    assert ask(client, "0151 10000001", "203.0.113.2").status_code == 302
    response = ask(client, "0151 10000001", "203.0.113.3")
    assert german(TOO_MANY_FOR_NUMBER) in response.text
    assert PhoneVerification.objects.count() == 2


def test_the_whole_portal_stops_sending_codes_beyond_its_hourly_ceiling(client, settings):
    settings.SMS_CODES_PER_HOUR = 3
    for number in range(3):
        assert ask(client, f"0151 1000000{number}", f"203.0.113.{number}").status_code == 302
    response = ask(client, "0151 10000009", "198.51.100.1")
    assert german(TOO_MANY_OVERALL) in response.text
    assert Message.objects.count() == 3


def test_resending_counts_against_the_same_limits(client, settings):
    settings.VERIFICATION_RESEND_SECONDS = 0
    settings.SMS_CODES_PER_ADDRESS_PER_HOUR = 1
    ask(client, "0151 10000001", "127.0.0.1")
    response = client.post(reverse("sms:resend"), follow=True)
    assert german(TOO_MANY_FROM_ADDRESS) in response.text
    assert PhoneVerification.objects.count() == 1


@pytest.fixture
def redis_down(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",  # nothing listens on port 9
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5},
        }
    }


def test_without_redis_no_code_is_sent_and_the_resident_is_told_plainly(client, redis_down):
    response = ask(client, "0151 12345678")
    assert response.status_code == 200
    assert german(UNAVAILABLE) in response.text
    assert not PhoneVerification.objects.exists()
    assert not Message.objects.exists()
