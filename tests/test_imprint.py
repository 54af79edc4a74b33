"""/imprint/ names who publishes the portal, from the ``PORTAL_OPERATOR_*`` settings."""

import pytest
from django.urls import reverse

from tests.legal_pages import text_of

pytestmark = pytest.mark.django_db


def test_the_imprint_names_the_operator_by_default(client):
    response = client.get(reverse("imprint"))
    assert response.status_code == 200
    text = text_of(response)
    assert "Impressum" in text
    assert "Verantwortlich für den Inhalt" in text
    assert (
        "Niedersächsisches Ministerium für Soziales, Arbeit, Gesundheit und Gleichstellung" in text
    )


def test_the_operator_comes_from_the_settings(client, settings):
    settings.PORTAL_OPERATOR_NAME = "Landesamt für Impfungen"
    settings.PORTAL_OPERATOR_ADDRESS = "Musterweg 1, 12345 Musterstadt"
    settings.PORTAL_OPERATOR_REPRESENTATIVE = "vertreten durch den Präsidenten"
    settings.PORTAL_OPERATOR_EMAIL = "post@impfen.example"
    text = text_of(client.get(reverse("imprint")))
    assert text.count("Landesamt für Impfungen") == 2  # publisher and responsible for content
    assert "Musterweg 1, 12345 Musterstadt" in text
    assert "vertreten durch den Präsidenten" in text
    assert 'href="mailto:post@impfen.example"' in text
    assert "Niedersächsisches Ministerium" not in text


def test_the_imprint_answers_in_english(client):
    response = client.get(reverse("imprint"), headers={"accept-language": "en"})
    assert response.status_code == 200
    assert "Responsible for the content" in text_of(response)
