"""No lockout by strangers (sms/limits.py): codes are counted per number *and*
client address, with a higher ceiling per number across all addresses. A
stranger cannot pump more than the ceiling, and cannot use up the codes of a
number's owner at the owner's own address; when the ceiling is reached the
owner is offered a call, and the hotline."""

import pytest
from django.urls import reverse

from sms.models import Message, PhoneVerification
from tests import factories
from tests.journeys import german, latest_code

pytestmark = pytest.mark.django_db

OWNER_ADDRESS = "198.51.100.77"
TOO_MANY_TEXTS = (
    "Very many text messages with codes were sent to this number today, so we "
    "send no more of them. We can call you instead and read out the code, or you "
    "can call the hotline: %(hotline)s."
)
TOO_MANY_CALLS = (
    "We have already called this number several times today. Please call the "
    "hotline: %(hotline)s. The staff there can book or cancel for you."
)


@pytest.fixture
def small_limits(settings):
    """The production shape at a small size: 3 codes per number and address,
    a ceiling of 7 texts and 2 calls per number, generous per address."""
    settings.VERIFICATION_RESEND_SECONDS = 0
    settings.VERIFICATION_CODES_PER_HOUR = 3
    settings.SMS_CODES_PER_NUMBER_PER_DAY = 3
    settings.SMS_CODES_PER_NUMBER_CEILING_PER_DAY = 7
    settings.SMS_CODE_CALLS_PER_NUMBER_PER_DAY = 2
    settings.SMS_CODES_PER_ADDRESS_PER_HOUR = 1000
    return settings


def ask(client, phone: str, address: str, **extra):
    return client.post(reverse("sms:phone"), {"phone": phone, **extra}, REMOTE_ADDR=address)


def codes_for(phone: str) -> int:
    return PhoneVerification.objects.filter(phone=phone).count()


def test_the_owner_still_gets_a_code_after_a_stranger_used_up_the_share_of_another_address(
    client, small_limits
):
    phone = factories.unique_mobile()
    e164 = phone
    # A stranger asks for codes for the owner's number until refused, and goes on.
    for _ in range(20):
        ask(client, phone, "203.0.113.66")
    assert codes_for(e164) == 3
    # The owner, at home, gets a code and verifies.
    owner = client_class_for(client)
    assert ask(owner, phone, OWNER_ADDRESS).status_code == 302
    assert codes_for(e164) == 4
    response = owner.post(reverse("sms:code"), {"code": latest_code(e164)})
    assert response.status_code == 302
    assert owner.session["verified_phone"] == e164


def test_a_stranger_from_many_addresses_cannot_pump_more_than_the_ceiling(client, small_limits):
    phone = factories.unique_mobile()
    e164 = phone
    for address in range(1, 11):  # ten addresses, 5 requests each
        for _ in range(5):
            ask(client, phone, f"203.0.113.{address}")
    assert codes_for(e164) == 7
    assert Message.objects.filter(recipient=e164, channel=Message.Channel.SMS).count() == 7


def test_at_the_ceiling_the_owner_is_offered_a_call_and_the_hotline(client, small_limits):
    phone = factories.unique_mobile()
    e164 = phone
    for address in range(1, 4):
        for _ in range(3):
            ask(client, phone, f"203.0.113.{address}")
    assert codes_for(e164) == 7
    owner = client_class_for(client)
    response = ask(owner, phone, OWNER_ADDRESS)
    assert response.status_code == 200
    page = response.text
    assert german(TOO_MANY_TEXTS, hotline=small_limits.HOTLINE_PHONE) in page
    assert 'name="by_voice" value="on"' in page
    assert german("Call me and read out the code") in page
    # The button calls and reads the code out; it verifies like any code.
    response = ask(owner, phone, OWNER_ADDRESS, by_voice="on")
    assert response.status_code == 302
    call = Message.objects.filter(recipient=e164).latest("pk")
    assert call.channel == Message.Channel.VOICE
    response = owner.post(reverse("sms:code"), {"code": latest_code(e164)})
    assert owner.session["verified_phone"] == e164


def test_calls_have_their_own_small_ceiling_and_then_only_the_hotline_is_left(client, small_limits):
    phone = factories.unique_mobile()
    e164 = phone
    for address in range(1, 6):
        ask(client, phone, f"203.0.113.{address}", by_voice="on")
    assert Message.objects.filter(recipient=e164, channel=Message.Channel.VOICE).count() == 2
    response = ask(client, phone, OWNER_ADDRESS, by_voice="on")
    assert german(TOO_MANY_CALLS, hotline=small_limits.HOTLINE_PHONE) in response.text
    assert german("Call me and read out the code") not in response.text


def test_requests_beyond_an_address_s_share_do_not_count_towards_the_ceiling(client, small_limits):
    phone = factories.unique_mobile()
    e164 = phone
    for _ in range(50):  # one address, far beyond its share
        ask(client, phone, "203.0.113.9")
    # Two more addresses still get their full share: the ceiling saw only 3.
    for address in ("203.0.113.10", "203.0.113.11"):
        for _ in range(2):
            assert ask(client, phone, address).status_code == 302
    assert codes_for(e164) == 7


def client_class_for(client):
    """A fresh browser (no session shared with the stranger's)."""
    return type(client)()
