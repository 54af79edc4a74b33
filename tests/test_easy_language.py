"""/easy-language/: what the portal is and how to book, in Easy Language
(Leichte Sprache, BITV 2.0 § 4), with the hotline from its setting."""

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from tests.legal_pages import text_of

pytestmark = pytest.mark.django_db


def test_the_page_explains_booking_step_by_step_in_short_sentences(client):
    response = client.get(reverse("easy_language"))
    assert response.status_code == 200
    text = text_of(response)
    assert "Das Impf-Portal in Leichter Sprache" in text
    assert "Sie bekommen immer 2 Termine:" in text
    assert "Klicken Sie auf: Jetzt beginnen." in text
    assert "Klicken Sie auf: Beide Termine buchen." in text
    assert f'href="{reverse("booking:start")}"' in text
    assert f'href="{reverse("booking:cancel_start")}"' in text
    assert f'href="{reverse("privacy:notice")}"' in text


def test_the_steps_quote_the_words_the_booking_pages_show(client):
    """A renamed link or button must change the steps too."""
    start = text_of(client.get(reverse("booking:start")))
    assert ">Termin buchen</a>" in start  # the menu
    assert "Jetzt beginnen" in start  # the start button
    with translation.override("de"):
        book_button = gettext("Book both appointments for %(name)s") % {"name": "Erna"}
    assert book_button == "Beide Termine für Erna buchen"


def test_help_names_the_hotline_and_the_address_of_the_settings(client, settings):
    settings.HOTLINE_PHONE = "0511 4455667"
    settings.ACCESSIBILITY_CONTACT_EMAIL = "barrieren@impfen.example"
    text = text_of(client.get(reverse("easy_language")))
    assert 'href="tel:05114455667">0511 4455667</a>' in text
    assert 'href="mailto:barrieren@impfen.example"' in text


def test_the_page_answers_in_english(client):
    response = client.get(reverse("easy_language"), headers={"accept-language": "en"})
    assert "The vaccination portal in Easy Language" in text_of(response)
