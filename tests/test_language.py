import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_pages_are_german_by_default(client):
    response = client.get(reverse("booking:start"))
    content = response.content.decode()
    assert '<html lang="de">' in content
    assert "Termin" in content
    assert "Book a vaccination appointment" not in content


def test_the_language_switch_turns_the_pages_english_and_back(client):
    response = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("booking:start")}, follow=True
    )
    content = response.content.decode()
    assert '<html lang="en">' in content
    assert "Book a vaccination appointment" in content
    response = client.post(reverse("set_language"), {"language": "de", "next": "/"}, follow=True)
    assert '<html lang="de">' in response.content.decode()


def test_the_text_message_speaks_the_residents_language(client):
    from tests.journeys import sent_messages

    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    client.post(reverse("sms:phone"), {"phone": "0151 12345678"})
    [english] = sent_messages("+4915112345678")
    assert english.body.startswith("Your Impfportal code")
