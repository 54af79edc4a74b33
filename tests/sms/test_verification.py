"""Phone verification through the pages: codes, limits and the session."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from sms.models import Message, PhoneVerification
from tests.journeys import latest_code, sent_messages

pytestmark = pytest.mark.django_db


def request_code(client, phone="0151 12345678"):
    return client.post(reverse("sms:phone"), {"phone": phone})


def test_it_sends_a_six_digit_code_and_stores_only_its_hash(client):
    response = request_code(client)
    assert response.status_code == 302
    code = latest_code("+4915112345678")
    assert len(code) == 6
    assert code.isdigit()
    verification = PhoneVerification.objects.get()
    assert code not in verification.code_hash
    assert len(verification.code_hash) == 64


def test_the_right_code_verifies_the_number_and_rotates_the_session(client):
    request_code(client)
    session_key_before = client.session.session_key
    response = client.post(reverse("sms:code"), {"code": latest_code("+4915112345678")})
    assert response.status_code == 302
    assert response["Location"] == reverse("booking:people")
    assert client.session["verified_phone"] == "+4915112345678"
    assert client.session.session_key != session_key_before


def test_a_code_can_be_used_only_once(client):
    request_code(client)
    code = latest_code("+4915112345678")
    client.post(reverse("sms:code"), {"code": code})

    replay = client.__class__()
    session = replay.session
    session["pending_phone"] = "+4915112345678"
    session.save()
    response = replay.post(reverse("sms:code"), {"code": code})
    assert "verified_phone" not in replay.session
    assert "keinen gültigen Code" in response.content.decode()


def test_a_wrong_code_says_how_many_tries_are_left(client):
    request_code(client)
    right = latest_code("+4915112345678")
    wrong = "000000" if right != "000000" else "111111"
    response = client.post(reverse("sms:code"), {"code": wrong})
    assert response.status_code == 200
    assert "noch 4 Versuche" in response.content.decode()
    assert "verified_phone" not in client.session


def test_after_five_wrong_tries_even_the_right_code_is_refused(client):
    request_code(client)
    right = latest_code("+4915112345678")
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        client.post(reverse("sms:code"), {"code": wrong})
    response = client.post(reverse("sms:code"), {"code": right})
    assert "Zu viele falsche Eingaben" in response.content.decode()
    assert "verified_phone" not in client.session
    assert PhoneVerification.objects.get().wrong_tries == 5


def test_an_expired_code_is_refused(client):
    request_code(client)
    code = latest_code("+4915112345678")
    PhoneVerification.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.post(reverse("sms:code"), {"code": code})
    assert "abgelaufen" in response.content.decode()
    assert "verified_phone" not in client.session


def test_a_new_code_voids_the_old_one(client, settings):
    settings.VERIFICATION_RESEND_SECONDS = 0
    request_code(client)
    old = latest_code("+4915112345678")
    client.post(reverse("sms:resend"))
    new = latest_code("+4915112345678")
    assert PhoneVerification.objects.filter(superseded_at__isnull=False).count() == 1
    if old != new:
        response = client.post(reverse("sms:code"), {"code": old})
        assert "verified_phone" not in client.session
        assert "nicht richtig" in response.content.decode()
    client.post(reverse("sms:code"), {"code": new})
    assert client.session["verified_phone"] == "+4915112345678"


def test_asking_again_right_away_is_refused_with_a_plain_message(client):
    request_code(client)
    response = request_code(client)
    assert response.status_code == 200
    assert re.search(r"warten Sie noch (30|29) Sekunden", response.content.decode())
    assert PhoneVerification.objects.count() == 1


def test_a_number_gets_only_a_few_codes_an_hour(client, settings):
    settings.VERIFICATION_RESEND_SECONDS = 0
    settings.VERIFICATION_CODES_PER_HOUR = 3
    for _ in range(3):
        assert request_code(client).status_code == 302
    response = request_code(client)
    assert "zu viele Codes" in response.content.decode()
    assert PhoneVerification.objects.count() == 3


@pytest.mark.parametrize("typed", ["12345", "1234567", "abcdef", "١٢٣٤٥٦", ""])
def test_malformed_codes_get_a_message_and_cost_no_try(client, typed):
    request_code(client)
    response = client.post(reverse("sms:code"), {"code": typed})
    assert response.status_code == 200
    assert 'id="error-summary-title"' in response.content.decode()
    assert PhoneVerification.objects.get().wrong_tries == 0


def test_a_foreign_number_gets_a_message_on_the_same_page_and_no_code(client):
    response = request_code(client, "+43 660 1234567")
    assert response.status_code == 200
    assert "deutsche Telefonnummern" in response.content.decode()
    assert not Message.objects.exists()


def test_a_landline_gets_the_code_read_out_by_a_voice_call(client):
    request_code(client, "0511 1234567")
    [message] = sent_messages("+495111234567")
    assert message.channel == Message.Channel.VOICE
    response = client.get(reverse("sms:code"))
    assert "automatischen Anruf" in response.content.decode()


def test_the_code_page_without_a_pending_number_goes_back_to_the_first_step(client):
    response = client.get(reverse("sms:code"))
    assert response.status_code == 302
    assert response["Location"] == reverse("sms:phone")


def test_logging_out_ends_the_verified_session(verified_client):
    response = verified_client.post(reverse("sms:logout"))
    assert response.status_code == 302
    assert "verified_phone" not in verified_client.session
    response = verified_client.get(reverse("booking:people"))
    assert response["Location"] == reverse("sms:phone")
