"""Limits on sending codes: per address, per number and address, for everyone.
When Redis cannot be reached they are counted in PostgreSQL (tests/security/
test_code_limits_without_redis.py); strangers cannot use up a number's codes
(tests/security/test_no_lockout_by_strangers.py)."""

import pytest
from django.urls import reverse

from sms.models import Message, PhoneVerification
from tests.journeys import german

pytestmark = pytest.mark.django_db

TOO_MANY_FROM_ADDRESS = (
    "Too many codes were requested from your internet connection. "
    "Please try again in an hour or call the hotline: %(hotline)s."
)
TOO_MANY_FOR_NUMBER = (
    "Too many codes were requested for this number today. "
    "Please try again tomorrow or call the hotline: %(hotline)s."
)
TOO_MANY_OVERALL = (
    "So many codes are being requested right now that we have paused sending "
    "them. Please try again in a few minutes or call the hotline: %(hotline)s."
)
HOTLINE = {"hotline": "0800 9988665"}


def ask(client, phone, address="203.0.113.7"):
    return client.post(reverse("sms:phone"), {"phone": phone}, REMOTE_ADDR=address)


def test_one_address_gets_only_a_few_codes_an_hour(client, settings):
    settings.SMS_CODES_PER_ADDRESS_PER_HOUR = 2
    assert ask(client, "0151 10000001").status_code == 302
    assert ask(client, "0151 10000002").status_code == 302
    response = ask(client, "0151 10000003")
    assert response.status_code == 200
    assert german(TOO_MANY_FROM_ADDRESS, **HOTLINE) in response.text
    assert not PhoneVerification.objects.filter(phone="+4915110000003").exists()
    # Someone else, at another address, is not affected.
    assert ask(client, "0151 10000003", address="198.51.100.9").status_code == 302


def test_one_number_gets_only_a_few_codes_a_day_from_one_address(client, settings):
    settings.VERIFICATION_RESEND_SECONDS = 0
    settings.SMS_CODES_PER_NUMBER_PER_DAY = 2
    assert ask(client, "0151 10000001", "203.0.113.1").status_code == 302
    assert ask(client, "0151 10000001", "203.0.113.1").status_code == 302
    response = ask(client, "0151 10000001", "203.0.113.1")
    assert german(TOO_MANY_FOR_NUMBER, **HOTLINE) in response.text
    assert PhoneVerification.objects.count() == 2


def test_the_whole_portal_stops_sending_codes_beyond_its_hourly_ceiling(client, settings):
    settings.SMS_CODES_PER_HOUR = 3
    for number in range(3):
        assert ask(client, f"0151 1000000{number}", f"203.0.113.{number}").status_code == 302
    response = ask(client, "0151 10000009", "198.51.100.1")
    assert german(TOO_MANY_OVERALL, **HOTLINE) in response.text
    assert Message.objects.count() == 3


def test_resending_counts_against_the_same_limits(client, settings):
    settings.VERIFICATION_RESEND_SECONDS = 0
    settings.SMS_CODES_PER_ADDRESS_PER_HOUR = 1
    ask(client, "0151 10000001", "127.0.0.1")
    response = client.post(reverse("sms:resend"), follow=True)
    assert german(TOO_MANY_FROM_ADDRESS, **HOTLINE) in response.text
    assert PhoneVerification.objects.count() == 1


def test_the_hotline_number_is_a_setting(client, settings):
    settings.SMS_CODES_PER_ADDRESS_PER_HOUR = 0
    settings.HOTLINE_PHONE = "0511 123456"
    response = ask(client, "0151 10000001")
    assert german(TOO_MANY_FROM_ADDRESS, hotline="0511 123456") in response.text
