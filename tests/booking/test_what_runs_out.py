"""/book/ says honestly what runs out when: the code's validity and the idle
logout, both from the settings that decide them; what is saved stays, a form
sent after the logout is not saved. The code page and the code SMS say the
same validity."""

import re
import time
from html import unescape

import pytest
from django.urls import reverse

from booking.models import Person
from impfportal.middleware import LAST_SEEN
from sms.models import Message
from tests.journeys import add_person_via_page, german, person_data

pytestmark = pytest.mark.django_db

OLD_PROMISE = "Take your time: nothing on these pages runs out while you fill them in."


def text_of(response) -> str:
    return unescape(re.sub(r"\s+", " ", response.content.decode()))


def test_the_start_page_says_what_runs_out_when(client):
    text = text_of(client.get(reverse("booking:start")))
    assert "10 Minuten" in text  # VERIFICATION_CODE_TTL_SECONDS
    assert "30 Minuten" in text  # RESIDENT_SESSION_IDLE_SECONDS
    assert german("What runs out when") in text
    assert german(OLD_PROMISE) not in text


def test_the_numbers_come_from_the_settings(client, settings):
    settings.VERIFICATION_CODE_TTL_SECONDS = 7 * 60
    settings.RESIDENT_SESSION_IDLE_SECONDS = 90 * 60
    text = text_of(client.get(reverse("booking:start")))
    assert (
        german(
            "The code we send you is valid for %(code_valid)s. If it runs out, ask for a new one.",
            code_valid="7 Minuten",
        )
        in text
    )
    assert "1 Stunde 30 Minuten" in text
    assert "10 Minuten" not in text
    assert "30 Minuten ohne" not in text


def test_the_start_page_in_english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    text = text_of(client.get(reverse("booking:start")))
    assert "The code we send you is valid for 10 minutes." in text
    assert "After 30 minutes without any activity on these pages, you are logged out" in text


def test_the_code_page_and_the_sms_say_the_validity_from_the_settings(client, phone, settings):
    settings.VERIFICATION_CODE_TTL_SECONDS = 7 * 60
    client.post(reverse("sms:phone"), {"phone": phone})
    page = text_of(client.get(reverse("sms:code")))
    assert german("The code is valid for %(code_valid)s.", code_valid="7 Minuten") in page
    body = Message.objects.filter(recipient=phone).latest("pk").body
    assert "7 Minuten" in body
    assert "10 Minuten" not in body


def test_what_the_page_says_is_what_happens(verified_client, open_for_80, settings):
    """A person added before the idle logout stays; a form sent after it is not
    saved and the resident is asked for the number again, as the page says."""
    add_person_via_page(verified_client, first_name="Erna")
    session = verified_client.session
    session[LAST_SEEN] = int(time.time()) - settings.RESIDENT_SESSION_IDLE_SECONDS - 60
    session.save()

    response = verified_client.post(reverse("booking:people"), person_data(first_name="Karl"))

    assert response.status_code == 302
    assert response["Location"] == reverse("sms:phone")
    assert list(Person.objects.values_list("first_name", flat=True)) == ["Erna"]
