"""The code page says how long to wait, and offers a new code first once the old one is spent."""

import re

import pytest
from django.urls import reverse

from tests.booking.conftest import in_english
from tests.journeys import latest_code

pytestmark = pytest.mark.django_db

MOBILE = "+4915112345678"


def request_code(client):
    return client.post(reverse("sms:phone"), {"phone": "0151 12345678"})


def primary_buttons(content: str) -> list[str]:
    return re.findall(
        r'<button type="submit" class="kern-btn kern-btn--primary"[^>]*>'
        r'<span class="kern-label">([^<]*)</span>',
        content,
    )


def spend_the_code(client):
    right = latest_code(MOBILE)
    wrong = "000000" if right != "000000" else "111111"
    for _ in range(5):
        response = client.post(reverse("sms:code"), {"code": wrong})
    return response


def test_asking_too_soon_says_how_many_seconds_to_wait(client, settings):
    settings.VERIFICATION_RESEND_SECONDS = 30
    request_code(client)
    response = client.post(reverse("sms:resend"), follow=True)
    content = response.content.decode()
    assert re.search(r"Bitte warten Sie noch (30|29) Sekunden, bevor", content)
    assert "einen Moment" not in content


def test_asking_too_soon_says_how_many_seconds_to_wait_in_english(client, settings):
    settings.VERIFICATION_RESEND_SECONDS = 30
    in_english(client)
    request_code(client)
    response = client.post(reverse("sms:resend"), follow=True)
    assert re.search(r"Please wait (30|29) more seconds before", response.content.decode())


def test_one_second_left_is_said_in_the_singular(client, settings):
    settings.VERIFICATION_RESEND_SECONDS = 1
    from sms.errors import VerificationError
    from sms.phone import parse_phone_number
    from sms.services import request_code as send

    send(parse_phone_number(MOBILE))
    with pytest.raises(VerificationError, match="1 Sekunde,"):
        send(parse_phone_number(MOBILE))


def test_while_the_code_can_work_confirming_it_is_the_main_action(client):
    request_code(client)
    content = client.get(reverse("sms:code")).content.decode()
    assert primary_buttons(content) == ["Code bestätigen"]


def test_after_too_many_wrong_entries_a_new_code_is_the_main_action(client):
    request_code(client)
    content = spend_the_code(client).content.decode()
    assert "Zu viele falsche Eingaben" in content
    assert primary_buttons(content) == ["Neuen Code schicken"]
    assert "Code bestätigen" not in content
    # Also when the page is opened again.
    assert primary_buttons(client.get(reverse("sms:code")).content.decode()) == [
        "Neuen Code schicken"
    ]


def test_after_too_many_wrong_entries_a_new_code_is_the_main_action_in_english(client):
    in_english(client)
    request_code(client)
    content = spend_the_code(client).content.decode()
    assert "Too many wrong entries" in content
    assert primary_buttons(content) == ["Send a new code"]


def test_the_new_code_works_again(client, settings):
    settings.VERIFICATION_RESEND_SECONDS = 0
    request_code(client)
    spend_the_code(client)
    client.post(reverse("sms:resend"))
    content = client.get(reverse("sms:code")).content.decode()
    assert primary_buttons(content) == ["Code bestätigen"]
    client.post(reverse("sms:code"), {"code": latest_code(MOBILE)})
    assert client.session["verified_phone"] == MOBILE
