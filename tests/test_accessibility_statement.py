"""/accessibility/: the statement BITV 2.0 § 7 asks for, honest about its status,
with the hotline and the e-mail address for reporting a barrier."""

import pytest
from django.urls import reverse

from tests.legal_pages import text_of

pytestmark = pytest.mark.django_db


def test_the_statement_gives_status_feedback_and_arbitration(client):
    response = client.get(reverse("accessibility"))
    assert response.status_code == 200
    text = text_of(response)
    assert "Erklärung zur Barrierefreiheit" in text
    assert "teilweise mit der BITV 2.0 vereinbar" in text
    assert "Selbstbewertung" in text
    assert "Deutscher Gebärdensprache" in text
    # Easy Language is there now: the statement links it instead of listing it as missing.
    assert f'href="{reverse("easy_language")}"' in text
    assert "keine Erklärung des Portals in Leichter Sprache" not in text
    assert "6. Dezember 2026" in text
    assert "Schlichtungsstelle beim Landesbeauftragten für Menschen mit Behinderungen" in text


def test_the_ways_to_report_a_barrier_come_from_the_settings(client, settings):
    settings.HOTLINE_PHONE = "0800 1234567"
    settings.ACCESSIBILITY_CONTACT_EMAIL = "barrieren@impfen.example"
    text = text_of(client.get(reverse("accessibility")))
    assert 'href="tel:08001234567">0800 1234567</a>' in text
    assert 'href="mailto:barrieren@impfen.example"' in text


def test_the_statement_answers_in_english(client):
    response = client.get(reverse("accessibility"), headers={"accept-language": "en"})
    assert response.status_code == 200
    assert "partially compatible with BITV 2.0" in text_of(response)
